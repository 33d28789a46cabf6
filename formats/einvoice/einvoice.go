package einvoice

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
)

// Input is everything one e-invoice is built from: the invoice as folded
// from its events, the firm's and the client's current state, and, for a
// credit note, which one.
type Input struct {
	Firm    firm.State
	Client  client.State
	Invoice invoice.State
	// CreditNote, when set, makes the document the UBL CreditNote of this
	// credit note against Invoice rather than the Invoice itself.
	CreditNote *CreditNote
	// SellerEmail is the firm's electronic address (Peppol scheme EM) where
	// it has no Peppol participant id; empty leaves the seller's
	// EndpointID out.
	SellerEmail string
}

// CreditNote is one credit note of an invoice, as its event recorded it.
type CreditNote struct {
	ID uuid.UUID
	// Number is the invoice's number with "-CN" and the credit note's
	// sequence on the invoice (INV-000042-CN1): Remit gives credit notes no
	// number series of their own.
	Number    string
	IssueDate domain.Date // the day it was recorded, in the firm's time zone
	Amount    domain.Money
	Reason    string
}

// FileName is the name a downloaded document gets: the invoice's (or credit
// note's) number with ".xml".
func (in Input) FileName() string {
	if in.CreditNote != nil {
		return in.CreditNote.Number + ".xml"
	}
	return in.Invoice.Number + ".xml"
}

// Marshal returns the UBL document of in, indented, with its XML
// declaration.
func Marshal(in Input) ([]byte, error) {
	doc, err := build(in)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("einvoice: encode %s: %w", in.FileName(), err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Write writes the UBL document of in to w.
func Write(w io.Writer, in Input) error {
	b, err := Marshal(in)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// UNCL5305 tax category codes Remit uses.
const (
	categoryStandard   = "S" // a positive rate
	categoryZeroRated  = "Z" // a 0 % line of a firm registered for tax
	categoryNotSubject = "O" // a firm with no tax number that charges no tax
)

// builder carries what every part of one document needs.
type builder struct {
	in       Input
	cur      domain.Currency
	places   int32 // decimals written: the currency's minor units, at most 2
	noTax    bool  // the firm is not registered for tax: category O throughout
	country  string
	problems domain.Problems
}

func build(in Input) (document, error) {
	inv := in.Invoice
	if !inv.Issued() {
		return document{}, domain.NotFound("There is no such invoice.")
	}
	if inv.Status == invoice.StatusVoid && in.CreditNote == nil {
		return document{}, domain.Conflict("Invoice %s is void (%s): a void invoice has no e-invoice.", inv.Number, inv.VoidReason)
	}
	b := &builder{in: in, cur: inv.Currency, places: min(inv.Currency.MinorUnits, 2)}
	b.country = in.Firm.Address.Normalized().Country
	if b.country == "" {
		b.problems.Add("firm.address.country", "an e-invoice names the seller's country: set the firm's address country in its settings")
	}
	anyTax := false
	for _, l := range inv.Lines {
		anyTax = anyTax || l.TaxRate.IsPositive()
	}
	taxNumber := strings.TrimSpace(in.Firm.TaxNumber)
	switch {
	case taxNumber == "" && anyTax:
		b.problems.Add("firm.tax_number", "an e-invoice that charges tax names the seller's tax number: set the firm's tax number in its settings")
	case taxNumber == "":
		b.noTax = true
	}

	doc := document{
		XMLNSCAC:             nsCAC,
		XMLNSCBC:             nsCBC,
		CustomizationID:      CustomizationID,
		ProfileID:            ProfileID,
		DocumentCurrencyCode: inv.Currency.Code,
		BuyerReference:       inv.ClientID.String(),
		Supplier:             partyWrap{b.seller()},
		Customer:             partyWrap{b.buyer()},
	}
	var lines []line
	var src []invoice.Line // the Remit lines the document's lines state
	var totals invoice.Totals
	var payable domain.Money
	if cn := in.CreditNote; cn != nil {
		doc.XMLName = xml.Name{Space: nsCreditNote, Local: "CreditNote"}
		doc.ID = cn.Number
		doc.IssueDate = cn.IssueDate.String()
		doc.CreditNoteTypeCode = "381"
		if cn.Reason != "" {
			doc.Notes = []string{cn.Reason}
		}
		doc.BillingReference = &billingRe{Invoice: docRef{ID: inv.Number, IssueDate: inv.IssueDate.String()}}
		doc.PaymentTerms = &note{Note: fmt.Sprintf("Credited against invoice %s: reduces the balance owed on it.", inv.Number)}
		src, totals = creditLines(inv, cn.Amount)
		for i, l := range src {
			lines = append(lines, b.line(i+1, l, true))
		}
		payable = totals.Gross
	} else {
		doc.XMLName = xml.Name{Space: nsInvoice, Local: "Invoice"}
		doc.ID = inv.Number
		doc.IssueDate = inv.IssueDate.String()
		doc.DueDate = inv.DueDate.String()
		doc.InvoiceTypeCode = "380"
		doc.PaymentMeans = b.paymentMeans()
		doc.PaymentTerms = &note{Note: fmt.Sprintf("Payment due by %s. Please quote %s with your payment.", inv.DueDate, inv.Number)}
		src, totals = inv.Lines, inv.Totals
		for i, l := range src {
			lines = append(lines, b.line(i+1, l, false))
		}
		payable = domain.Money{Amount: totals.Gross.Amount.Sub(inv.Paid.Amount), Currency: b.cur}
		if inv.Paid.Amount.IsPositive() {
			doc.Totals.PrepaidAmount = b.amountPtr(inv.Paid.Amount)
		}
	}
	if in.CreditNote != nil {
		doc.CreditNoteLines = lines
	} else {
		doc.InvoiceLines = lines
	}
	doc.TaxTotal = b.taxTotal(src, totals)
	doc.Totals.LineExtensionAmount = b.amount(totals.Net.Amount)
	doc.Totals.TaxExclusiveAmount = b.amount(totals.Net.Amount)
	doc.Totals.TaxInclusiveAmount = b.amount(totals.Gross.Amount)
	doc.Totals.PayableAmount = b.amount(payable.Amount)
	if err := b.problems.Err(); err != nil {
		return document{}, err
	}
	return doc, nil
}

// amount writes d in the document's currency. EN 16931 allows at most two
// decimals (BR-DEC-*): a three-decimal currency's amount is written with
// two when its third is zero, and refused otherwise.
func (b *builder) amount(d decimal.Decimal) amount {
	if !d.Equal(d.Round(b.places)) {
		b.problems.Add("amounts", "%s %s needs %d decimals, and an EN 16931 e-invoice allows at most %d", b.cur, d, b.cur.MinorUnits, b.places)
	}
	return amount{Currency: b.cur.Code, Value: d.StringFixed(b.places)}
}

func (b *builder) amountPtr(d decimal.Decimal) *amount {
	a := b.amount(d)
	return &a
}

// category is the UNCL5305 tax category of a rate.
func (b *builder) category(rate decimal.Decimal) taxCategory {
	switch {
	case b.noTax:
		return taxCategory{ID: categoryNotSubject, ExemptionReasonCode: "VATEX-EU-O", ExemptionReason: "Not subject to tax: the seller is not registered for tax", TaxScheme: taxScheme{ID: "VAT"}}
	case rate.IsZero():
		return taxCategory{ID: categoryZeroRated, Percent: "0", TaxScheme: taxScheme{ID: "VAT"}}
	}
	return taxCategory{ID: categoryStandard, Percent: rate.String(), TaxScheme: taxScheme{ID: "VAT"}}
}

// lineCategory is the category on an invoice line (ClassifiedTaxCategory):
// the same as in the breakdown, without exemption reasons.
func (b *builder) lineCategory(rate decimal.Decimal) taxCategory {
	c := b.category(rate)
	c.ExemptionReasonCode, c.ExemptionReason = "", ""
	return c
}

// taxTotal is the tax breakdown: one subtotal per category and rate, in the
// order the lines first use them, whose taxable amount is the sum of those
// lines' net amounts and whose tax is the sum of their (per line, rounded)
// tax, so the breakdown adds up to Remit's totals exactly.
func (b *builder) taxTotal(src []invoice.Line, totals invoice.Totals) taxTotal {
	type group struct {
		cat      taxCategory
		net, tax decimal.Decimal
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, l := range src {
		cat := b.category(l.TaxRate)
		key := cat.ID + "/" + cat.Percent
		g := byKey[key]
		if g == nil {
			g = &group{cat: cat}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.net = g.net.Add(l.Amounts.Net.Amount)
		g.tax = g.tax.Add(l.Amounts.Tax.Amount)
	}
	t := taxTotal{TaxAmount: b.amount(totals.Tax.Amount)}
	for _, g := range groups {
		t.Subtotals = append(t.Subtotals, taxSubtotal{TaxableAmount: b.amount(g.net), TaxAmount: b.amount(g.tax), Category: g.cat})
	}
	return t
}

// line is one document line from one of Remit's lines: its net amount is
// Remit's rounded net amount; its price is the net unit price (for prices
// stated inclusive of tax, the price without the tax); a discount is a line
// allowance, the difference between the undiscounted net amount and the
// line's net amount, so that quantity × price − allowance is the line's net
// amount to within rounding.
func (b *builder) line(n int, l invoice.Line, credit bool) line {
	net := l.Amounts.Net.Amount
	p := linePrice(b.in.Invoice.TaxMode, b.cur, l)
	out := line{
		ID:                  fmt.Sprint(n),
		LineExtensionAmount: b.amount(net),
		Item:                item{Name: l.Description, Category: b.lineCategory(l.TaxRate)},
		Price:               price{PriceAmount: amount{Currency: b.cur.Code, Value: p.unit.String()}},
	}
	q := &quantity{UnitCode: "C62", Value: l.Quantity.String()}
	if credit {
		out.CreditedQuantity = q
	} else {
		out.InvoicedQuantity = q
	}
	if p.allowance.IsPositive() {
		ac := allowanceCharge{ChargeIndicator: false, ReasonCode: "95", Reason: "Discount", Amount: b.amount(p.allowance)}
		if l.Discount.Kind == domain.DiscountPercent {
			ac.Reason = "Discount " + l.Discount.Value.String() + "%"
			// The percentage and base are stated only where they give the
			// allowance to within a minor unit (Peppol's R040 check).
			want := b.cur.Round(p.base.Mul(l.Discount.Value).Div(decimal.NewFromInt(100)))
			if want.Sub(p.allowance).Abs().LessThanOrEqual(decimal.New(1, -b.cur.MinorUnits)) {
				ac.Multiplier = l.Discount.Value.String()
				ac.BaseAmount = b.amountPtr(p.base)
			}
		}
		out.AllowanceCharges = []allowanceCharge{ac}
	}
	return out
}

// pricing is a line's net unit price, its undiscounted net amount (base) and
// its allowance.
type pricing struct {
	unit, base, allowance decimal.Decimal
}

// linePrice works out the net unit price and allowance of a line so that
// Remit's rounded net amount is what the document states. For prices
// exclusive of tax the unit price is Remit's. For prices inclusive of tax it
// is the price divided by (1 + rate), kept to four more decimals than the
// currency has, and for a line without discount Remit's net amount divided
// by the quantity, so the line computes exactly.
func linePrice(mode domain.TaxMode, cur domain.Currency, l invoice.Line) pricing {
	net := l.Amounts.Net.Amount
	hundred := decimal.NewFromInt(100)
	extra := cur.MinorUnits + 4
	unit := l.UnitPrice.Amount
	if mode == domain.TaxInclusive {
		unit = unit.Mul(hundred).DivRound(hundred.Add(l.TaxRate), extra)
	}
	if l.Discount.Kind == domain.DiscountNone && mode == domain.TaxInclusive {
		unit = net.DivRound(l.Quantity, extra)
	}
	base := cur.Round(l.Quantity.Mul(unit))
	allowance := base.Sub(net)
	if allowance.IsNegative() || (l.Discount.Kind == domain.DiscountNone && !allowance.IsZero()) {
		// Rounding alone made up the difference: no allowance, and the
		// price is the net amount per unit.
		unit = net.DivRound(l.Quantity, extra)
		base, allowance = net, decimal.Zero
	}
	return pricing{unit: unit, base: base, allowance: allowance}
}

// creditLines are the lines a credit note of amount credits, and their
// totals. A credit of the whole invoice repeats the invoice's lines. A
// partial credit is one line per tax rate of the invoice, the amount shared
// among the rates in proportion to their gross amounts (the largest takes
// what rounding leaves), its tax in the same proportion to gross as on the
// invoice.
func creditLines(inv invoice.State, credit domain.Money) ([]invoice.Line, invoice.Totals) {
	cur := inv.Currency
	if credit.Amount.Equal(inv.Totals.Gross.Amount) {
		return inv.Lines, inv.Totals
	}
	type group struct {
		rate       decimal.Decimal
		gross, tax decimal.Decimal
	}
	var groups []*group
	byRate := map[string]*group{}
	for _, l := range inv.Lines {
		k := l.TaxRate.String()
		g := byRate[k]
		if g == nil {
			g = &group{rate: l.TaxRate}
			byRate[k] = g
			groups = append(groups, g)
		}
		g.gross = g.gross.Add(l.Amounts.Gross.Amount)
		g.tax = g.tax.Add(l.Amounts.Tax.Amount)
	}
	largest := -1
	for i, g := range groups {
		if g.gross.IsPositive() && (largest < 0 || g.gross.GreaterThan(groups[largest].gross)) {
			largest = i
		}
	}
	shares := make([]decimal.Decimal, len(groups))
	left := credit.Amount
	for i, g := range groups {
		if i == largest || !g.gross.IsPositive() {
			continue
		}
		shares[i] = cur.Round(credit.Amount.Mul(g.gross).Div(inv.Totals.Gross.Amount))
		left = left.Sub(shares[i])
	}
	if largest >= 0 {
		shares[largest] = left
	}
	zero := domain.Zero(cur)
	totals := invoice.Totals{Net: zero, Tax: zero, Gross: zero}
	var out []invoice.Line
	for i, g := range groups {
		if !shares[i].IsPositive() {
			continue
		}
		tax := cur.Round(shares[i].Mul(g.tax).Div(g.gross))
		net := shares[i].Sub(tax)
		desc := fmt.Sprintf("Credit against invoice %s", inv.Number)
		if len(groups) > 1 {
			desc += fmt.Sprintf(" (lines taxed at %s%%)", g.rate)
		}
		out = append(out, invoice.Line{
			Description: desc,
			Quantity:    decimal.NewFromInt(1),
			UnitPrice:   domain.Money{Amount: net, Currency: cur},
			TaxRate:     g.rate,
			Amounts: domain.LineAmounts{
				Net:   domain.Money{Amount: net, Currency: cur},
				Tax:   domain.Money{Amount: tax, Currency: cur},
				Gross: domain.Money{Amount: shares[i], Currency: cur},
			},
		})
		totals.Net.Amount = totals.Net.Amount.Add(net)
		totals.Tax.Amount = totals.Tax.Amount.Add(tax)
		totals.Gross.Amount = totals.Gross.Amount.Add(shares[i])
	}
	return out, totals
}
