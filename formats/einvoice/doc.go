// Package einvoice writes Remit's invoices and credit notes as UBL 2.1
// e-invoices following EN 16931 as Peppol BIS Billing 3.0 uses it: a UBL
// Invoice for an invoice, a UBL CreditNote for a credit note against one.
//
// # Design
//
// The document is built from state folded from events, never from read
// models: Load reads the invoice's stream, the firm's and the client's (the
// store may be opened read-only, beside a running server), and Marshal turns
// that Input into XML with encoding/xml. Marshal is pure, so the same events
// always give the same bytes.
//
// Remit's own rounded amounts are what the document states. Every line's
// net amount is the line's Amounts.Net; the tax breakdown has one subtotal
// per tax category and rate whose taxable amount and tax are the sums of its
// lines' net amounts and (per line, rounded) tax; the totals are the
// invoice's Totals. So the EN 16931 sums (BR-CO-10..16, BR-S-08) hold exactly,
// and the e-invoice agrees to the cent with the PDF and the ledger. The
// rate rule BR-CO-17 (tax = taxable × rate) holds within the standard's
// tolerance of one currency unit, which per-line rounding stays inside.
//
// Prices are stated net: for a firm that states prices inclusive of tax the
// unit price is divided by (1 + rate); a discount is a line allowance
// (reason code 95), the difference between quantity × net price (rounded)
// and the line's net amount, with the percentage and base given for a
// percentage discount when they reproduce the allowance. Tax categories
// (UNCL5305): S for a positive rate, Z for 0 %, and O (not subject to tax,
// exemption reason VATEX-EU-O) throughout when the firm has no tax number and
// charges no tax; a firm with no tax number cannot charge tax in an EN 16931
// invoice, and Marshal says so. Remit has no exempt (E) rates.
//
// A credit note of the whole invoice repeats its lines; a partial one is a
// line per tax rate, the credit shared among the rates in proportion to
// their gross amounts. Credit notes have no number series of their own in
// Remit: the document's number is the invoice's with -CN and the credit
// note's sequence on that invoice (INV-000042-CN1).
//
// docs/einvoice.md lists where every field comes from.
package einvoice
