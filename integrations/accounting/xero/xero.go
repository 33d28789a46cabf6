// Package xero is the accounting.Ledger adapter for Xero's Accounting API
// (https://api.xero.com/api.xro/2.0): sales invoices (ACCREC, AUTHORISED,
// i.e. "awaiting payment"), their contacts, payments into a clearing
// account, credit notes allocated to their invoice, and voids; and
// (accounting.PayoutLedger, payout.go) a payment gateway's payouts: the net as
// a bank transfer from the clearing account to the bank account, the fees as
// a SPEND bank transaction to the fees expense account, each found again by
// its Reference (the gateway's payout reference and Remit's document id);
// and (accounting.RefundLedger, refund.go) refunds: a payment against the
// refund's credit note out of the clearing account, found again the same
// way; and (accounting.DisputeLedger, dispute.go) disputes: a SPEND (a won
// dispute: RECEIVE) bank transaction on the clearing account coded to the
// disputes account.
//
// # Exactly once
//
// Every document carries Remit's id in Xero's Reference field (invoices,
// credit notes, payments). A push first asks Xero for a document with that
// Reference and, when one exists, answers it (Ack.Existing) and creates
// nothing; otherwise it creates the document with an Idempotency-Key made
// of Remit's id and a digest of the body, so a retry of a request whose
// answer was lost is answered by Xero from its first attempt. A void reads
// the invoice first and succeeds when it is already voided.
//
// # Totals
//
// Xero computes every line's tax and the document's totals itself from the
// tax type (TaxAmount is deliberately not sent: a wrong tax mapping must
// show, not be papered over). Each line's LineAmount is sent too, so Xero
// refuses a line whose amount it computes differently; and after a create
// (or when finding an existing document) Xero's Total and TotalTax are
// compared with Remit's: a difference is a permanent *accounting.Error naming
// both figures, because the books would otherwise disagree silently.
//
// # Contacts
//
// A mapped contact (Contact.LedgerID) is used as is. Otherwise the contact
// is looked up by its exact name (a where filter Name=="…"; a name holding
// a double quote or backslash, which Xero's filter parser cannot take, is
// searched with searchTerm and compared exactly here) or by ContactNumber,
// where Remit stores its client id on the contacts it creates (so a contact
// renamed in Xero is still found); when none matches, it is created.
//
// # Errors and tokens
//
// 429 and 5xx answers and network failures are temporary *accounting.Error
// values (RetryAfter from Retry-After); a 400 is permanent and its Message
// is Xero's validation messages. A 401 refreshes the OAuth 2.0 token once
// (refresh_token grant) and asks again. Xero rotates refresh tokens: the new
// one is saved through TokenStore before it is used.
package xero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/oauth2"

	"remit/domain"
	"remit/integrations/accounting"
)

// Xero's production endpoints.
const (
	DefaultBaseURL  = "https://api.xero.com/api.xro/2.0"
	DefaultTokenURL = "https://identity.xero.com/connect/token"
)

// Config is a Xero connection.
type Config struct {
	// TenantID is the organisation (xero-tenant-id header).
	TenantID string
	// ClientID and ClientSecret are the Xero app's credentials.
	ClientID, ClientSecret string
	// Tokens loads and saves the OAuth 2.0 tokens; it must hold a refresh
	// token from the connection's authorisation.
	Tokens TokenStore
	// BaseURL and TokenURL default to Xero's (DefaultBaseURL,
	// DefaultTokenURL); tests point them at a test server.
	BaseURL, TokenURL string
	// HTTPClient defaults to a client with a 60-second timeout.
	HTTPClient *http.Client
	// Now is the clock (token expiry, Retry-After dates); default time.Now.
	Now func() time.Time
}

// Ledger is a accounting.Ledger on one Xero organisation. It is safe for
// concurrent use.
type Ledger struct {
	baseURL  string
	tenantID string
	http     *http.Client
	now      func() time.Time

	mu   sync.Mutex // guards toks
	toks tokens
}

var _ accounting.Ledger = (*Ledger)(nil)

// New returns the adapter for cfg. It makes no request: the first push
// loads (and when needed refreshes) the token.
func New(cfg Config) (*Ledger, error) {
	var missing []string
	if cfg.TenantID == "" {
		missing = append(missing, "tenant id")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if cfg.Tokens == nil {
		missing = append(missing, "token store")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("xero: the connection needs its %s", strings.Join(missing, ", "))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Ledger{
		baseURL:  strings.TrimRight(cfg.BaseURL, "/"),
		tenantID: cfg.TenantID,
		http:     cfg.HTTPClient,
		now:      cfg.Now,
		toks: tokens{
			cfg: oauth2.Config{
				ClientID:     cfg.ClientID,
				ClientSecret: cfg.ClientSecret,
				Endpoint:     oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
			},
			store:  cfg.Tokens,
			client: cfg.HTTPClient,
			now:    cfg.Now,
		},
	}, nil
}

// Name is "xero".
func (l *Ledger) Name() string { return "xero" }

func (l *Ledger) accessToken(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.toks.access(ctx)
}

func (l *Ledger) tokenRefused(ctx context.Context, used string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.toks.refused(ctx, used)
}

// invalid is a push Remit itself got wrong (a missing mapping): permanent.
func invalid(format string, args ...any) error {
	return &accounting.Error{Message: fmt.Sprintf(format, args...)}
}

// PushInvoice creates the invoice as an AUTHORISED ACCREC invoice, with its
// contact when no contact matches; a repeated push answers the first one.
func (l *Ledger) PushInvoice(ctx context.Context, inv accounting.Invoice) (accounting.Ack, error) {
	if inv.ID == uuid.Nil || inv.Currency.IsZero() || len(inv.Lines) == 0 {
		return accounting.Ack{}, invalid("invoice %s cannot be pushed: it needs an id, a currency and lines", inv.Number)
	}
	lines, err := lineItems(inv.Lines, inv.TaxInclusive, inv.Currency, true)
	if err != nil {
		return accounting.Ack{}, err
	}
	found, err := l.findInvoice(ctx, inv.ID)
	if err != nil {
		return accounting.Ack{}, err
	}
	if found != nil {
		ack := accounting.Ack{LedgerID: found.InvoiceID, Existing: true}
		if found.Contact != nil {
			ack.ContactID = found.Contact.ContactID
		}
		return ack, checkTotals("invoice "+inv.Number, found.Total, found.TotalTax, inv.Total, inv.Tax)
	}
	contactID, err := l.contact(ctx, inv.Contact)
	if err != nil {
		return accounting.Ack{}, err
	}
	body := xInvoices{Invoices: []xInvoice{{
		Type:            "ACCREC",
		Status:          "AUTHORISED",
		InvoiceNumber:   inv.Number,
		Reference:       inv.ID.String(),
		Contact:         &xContact{ContactID: contactID},
		Date:            inv.IssueDate.String(),
		DueDate:         inv.DueDate.String(),
		LineAmountTypes: lineAmountTypes(inv.TaxInclusive),
		CurrencyCode:    inv.Currency.Code,
		LineItems:       lines,
	}}}
	var out xInvoices
	if err := l.call(ctx, http.MethodPut, "/Invoices", nil, body, idempotencyKey("invoice", inv.ID.String(), body), &out); err != nil {
		return accounting.Ack{}, err
	}
	if len(out.Invoices) != 1 || out.Invoices[0].InvoiceID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "Xero's answer to the invoice holds no invoice id"}
	}
	got := out.Invoices[0]
	ack := accounting.Ack{LedgerID: got.InvoiceID, ContactID: contactID}
	return ack, checkTotals("invoice "+inv.Number, got.Total, got.TotalTax, inv.Total, inv.Tax)
}

// findInvoice returns the live ACCREC invoice whose Reference is id, or nil.
// A voided or deleted one does not count: "re-create in ledger" after a
// void in Xero makes a new one.
func (l *Ledger) findInvoice(ctx context.Context, id uuid.UUID) (*xInvoice, error) {
	q := url.Values{"where": {`Type=="ACCREC" AND Reference=="` + id.String() + `"`}}
	var out xInvoices
	if err := l.call(ctx, http.MethodGet, "/Invoices", q, nil, "", &out); err != nil {
		return nil, err
	}
	for i := range out.Invoices {
		if in := &out.Invoices[i]; in.Reference == id.String() && in.Status != "VOIDED" && in.Status != "DELETED" {
			return in, nil
		}
	}
	return nil, nil
}

// PushPayment records the payment against the invoice into the clearing
// account, once per Payment.ID (its Reference in Xero).
func (l *Ledger) PushPayment(ctx context.Context, p accounting.Payment) (accounting.Ack, error) {
	switch {
	case p.ID == uuid.Nil:
		return accounting.Ack{}, invalid("a payment without an id cannot be pushed")
	case p.InvoiceLedgerID == "":
		return accounting.Ack{}, invalid("payment on invoice %s: the invoice is not in Xero yet", p.InvoiceNumber)
	case p.AccountCode == "":
		return accounting.Ack{}, invalid("payment on invoice %s: no clearing account is mapped", p.InvoiceNumber)
	case !p.Amount.Amount.IsPositive():
		return accounting.Ack{}, invalid("payment on invoice %s: the amount %s is not positive", p.InvoiceNumber, p.Amount)
	}
	q := url.Values{"where": {`Reference=="` + p.ID.String() + `"`}}
	var found xPayments
	if err := l.call(ctx, http.MethodGet, "/Payments", q, nil, "", &found); err != nil {
		return accounting.Ack{}, err
	}
	for _, fp := range found.Payments {
		if fp.Reference == p.ID.String() && fp.Status != "DELETED" {
			return accounting.Ack{LedgerID: fp.PaymentID, Existing: true}, nil
		}
	}
	body := xPayments{Payments: []xPayment{{
		Invoice:   &xInvoiceRef{InvoiceID: p.InvoiceLedgerID},
		Account:   &xAccount{Code: p.AccountCode},
		Date:      p.Date.String(),
		Amount:    num(p.Amount.Amount),
		Reference: p.ID.String(),
	}}}
	var out xPayments
	if err := l.call(ctx, http.MethodPut, "/Payments", nil, body, idempotencyKey("payment", p.ID.String(), body), &out); err != nil {
		return accounting.Ack{}, err
	}
	if len(out.Payments) != 1 || out.Payments[0].PaymentID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "Xero's answer to the payment holds no payment id"}
	}
	return accounting.Ack{LedgerID: out.Payments[0].PaymentID}, nil
}

// PushCreditNote creates an AUTHORISED ACCRECCREDIT credit note and
// allocates it to its invoice; a retry finishes an allocation a previous
// attempt did not make.
func (l *Ledger) PushCreditNote(ctx context.Context, c accounting.CreditNote) (accounting.Ack, error) {
	if c.ID == uuid.Nil || c.Currency.IsZero() || len(c.Lines) == 0 {
		return accounting.Ack{}, invalid("credit note on invoice %s cannot be pushed: it needs an id, a currency and lines", c.InvoiceNumber)
	}
	lines, err := lineItems(c.Lines, c.TaxInclusive, c.Currency, false)
	if err != nil {
		return accounting.Ack{}, err
	}
	what := "credit note on invoice " + c.InvoiceNumber
	q := url.Values{"where": {`Type=="ACCRECCREDIT" AND Reference=="` + c.ID.String() + `"`}}
	var found xCreditNotes
	if err := l.call(ctx, http.MethodGet, "/CreditNotes", q, nil, "", &found); err != nil {
		return accounting.Ack{}, err
	}
	var cn *xCreditNote
	existing := false
	for i := range found.CreditNotes {
		if f := &found.CreditNotes[i]; f.Reference == c.ID.String() && f.Status != "VOIDED" && f.Status != "DELETED" {
			cn, existing = f, true
			break
		}
	}
	var contactID string
	if cn == nil {
		if contactID, err = l.contact(ctx, c.Contact); err != nil {
			return accounting.Ack{}, err
		}
		body := xCreditNotes{CreditNotes: []xCreditNote{{
			Type:            "ACCRECCREDIT",
			Status:          "AUTHORISED",
			Reference:       c.ID.String(),
			Contact:         &xContact{ContactID: contactID},
			Date:            c.Date.String(),
			LineAmountTypes: lineAmountTypes(c.TaxInclusive),
			CurrencyCode:    c.Currency.Code,
			LineItems:       lines,
		}}}
		var out xCreditNotes
		if err := l.call(ctx, http.MethodPut, "/CreditNotes", nil, body, idempotencyKey("creditnote", c.ID.String(), body), &out); err != nil {
			return accounting.Ack{}, err
		}
		if len(out.CreditNotes) != 1 || out.CreditNotes[0].CreditNoteID == "" {
			return accounting.Ack{}, &accounting.Error{Message: "Xero's answer to the credit note holds no credit note id"}
		}
		cn = &out.CreditNotes[0]
	} else if cn.Contact != nil {
		contactID = cn.Contact.ContactID
	}
	ack := accounting.Ack{LedgerID: cn.CreditNoteID, ContactID: contactID, Existing: existing}
	if err := checkTotals(what, cn.Total, cn.TotalTax, c.Total, c.Tax); err != nil {
		return ack, err
	}
	if c.InvoiceLedgerID == "" {
		return ack, nil // a credit not against an invoice in Xero stays unallocated
	}
	return ack, l.allocate(ctx, c, cn, what)
}

// allocate applies what is left of the credit note to its invoice, unless
// it is already allocated to it.
func (l *Ledger) allocate(ctx context.Context, c accounting.CreditNote, cn *xCreditNote, what string) error {
	for _, a := range cn.Allocations {
		if strings.EqualFold(a.Invoice.InvoiceID, c.InvoiceLedgerID) {
			return nil
		}
	}
	amount := c.Total.Amount
	if cn.RemainingCredit != "" {
		rem, err := dec(cn.RemainingCredit)
		if err != nil {
			return &accounting.Error{Message: "Xero answered a RemainingCredit that is not a number: " + string(cn.RemainingCredit)}
		}
		if rem.LessThan(amount) {
			amount = rem
		}
	}
	if !amount.IsPositive() {
		return nil
	}
	date := c.Date.String()
	body := xAllocations{Allocations: []xAllocation{{Invoice: xInvoiceRef{InvoiceID: c.InvoiceLedgerID}, Amount: num(amount), Date: date}}}
	err := l.call(ctx, http.MethodPut, "/CreditNotes/"+url.PathEscape(cn.CreditNoteID)+"/Allocations", nil, body,
		idempotencyKey("allocation", c.ID.String(), body), nil)
	var le *accounting.Error
	if errors.As(err, &le) && !le.Temporary {
		le.Message = what + " was created in Xero but not allocated to the invoice: " + le.Message
	}
	return err
}

// PushVoid voids the invoice; an invoice already voided (or deleted) in
// Xero is a success with Existing set.
func (l *Ledger) PushVoid(ctx context.Context, v accounting.Void) (accounting.Ack, error) {
	if v.InvoiceLedgerID == "" {
		return accounting.Ack{}, invalid("void of invoice %s: the invoice is not in Xero", v.InvoiceNumber)
	}
	path := "/Invoices/" + url.PathEscape(v.InvoiceLedgerID)
	var cur xInvoices
	if err := l.call(ctx, http.MethodGet, path, nil, nil, "", &cur); err != nil {
		return accounting.Ack{}, err
	}
	if len(cur.Invoices) == 1 {
		if s := cur.Invoices[0].Status; s == "VOIDED" || s == "DELETED" {
			return accounting.Ack{LedgerID: v.InvoiceLedgerID, Existing: true}, nil
		}
	}
	body := xInvoices{Invoices: []xInvoice{{InvoiceID: v.InvoiceLedgerID, Status: "VOIDED"}}}
	var out xInvoices
	if err := l.call(ctx, http.MethodPost, path, nil, body, idempotencyKey("void", v.InvoiceID.String(), body), &out); err != nil {
		return accounting.Ack{}, err
	}
	return accounting.Ack{LedgerID: v.InvoiceLedgerID}, nil
}

// contact returns the Xero contact id for c: mapped, found, or created.
func (l *Ledger) contact(ctx context.Context, c accounting.Contact) (string, error) {
	if c.LedgerID != "" {
		return c.LedgerID, nil
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		return "", invalid("the client has no name to find or create a Xero contact by")
	}
	q := url.Values{}
	if filterSafe(name) {
		where := `Name=="` + name + `"`
		if c.ClientID != uuid.Nil {
			where += ` OR ContactNumber=="` + c.ClientID.String() + `"`
		}
		q.Set("where", where)
	} else {
		q.Set("searchTerm", name)
	}
	var found xContacts
	if err := l.call(ctx, http.MethodGet, "/Contacts", q, nil, "", &found); err != nil {
		return "", err
	}
	var byName string
	for _, fc := range found.Contacts {
		if fc.ContactStatus == "ARCHIVED" {
			continue
		}
		if c.ClientID != uuid.Nil && fc.ContactNumber == c.ClientID.String() {
			return fc.ContactID, nil
		}
		if byName == "" && fc.Name == name {
			byName = fc.ContactID
		}
	}
	if byName != "" {
		return byName, nil
	}
	nc := xContact{Name: name, EmailAddress: c.Email, TaxNumber: c.TaxNumber}
	if c.ClientID != uuid.Nil {
		nc.ContactNumber = c.ClientID.String()
	}
	body := xContacts{Contacts: []xContact{nc}}
	var out xContacts
	key := idempotencyKey("contact", c.ClientID.String(), body)
	if err := l.call(ctx, http.MethodPut, "/Contacts", nil, body, key, &out); err != nil {
		return "", err
	}
	if len(out.Contacts) != 1 || out.Contacts[0].ContactID == "" {
		return "", &accounting.Error{Message: "Xero's answer to the new contact holds no contact id"}
	}
	return out.Contacts[0].ContactID, nil
}

// filterSafe reports whether s can be put between double quotes in a where
// filter. Xero's filter parser has no escape that works for a double quote
// (XeroAPI/Xero-Java#347), and whether a backslash escapes is not
// documented, so such names go through searchTerm instead.
func filterSafe(s string) bool {
	return !strings.ContainsAny(s, "\"\\") && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 })
}

func lineAmountTypes(inclusive bool) string {
	if inclusive {
		return "Inclusive"
	}
	return "Exclusive"
}

// lineItems maps Remit's lines. LineAmount is Remit's rounded net (or gross,
// tax inclusive), so Xero refuses a line it would compute differently. A
// percentage discount goes as DiscountRate when Xero's formula
// (Quantity × UnitAmount × (100 − DiscountRate) / 100, rounded) gives
// Remit's amount; otherwise (a fixed discount turned into a long
// percentage) as DiscountAmount, which is exact. Xero takes no discounts on
// credit notes: a discounted credit line goes as Quantity and LineAmount,
// and Xero derives the unit amount.
func lineItems(lines []accounting.Line, inclusive bool, cur domain.Currency, discounts bool) ([]xLine, error) {
	out := make([]xLine, 0, len(lines))
	hundred := decimal.NewFromInt(100)
	for i, ln := range lines {
		if ln.AccountCode == "" {
			return nil, invalid("line %d (%q) has no Xero account code: map the service or set a default revenue account", i+1, ln.Description)
		}
		if ln.TaxType == "" {
			return nil, invalid("line %d (%q) has no Xero tax type for the rate %s: map it", i+1, ln.Description, ln.TaxRate)
		}
		amount := ln.Net.Amount
		if inclusive {
			amount = ln.Gross.Amount
		}
		xl := xLine{
			Description: ln.Description,
			Quantity:    num(ln.Quantity),
			UnitAmount:  num(ln.UnitPrice.Amount),
			AccountCode: ln.AccountCode,
			TaxType:     ln.TaxType,
			LineAmount:  num(cur.Round(amount)),
		}
		if d := ln.DiscountPercent; !d.IsZero() {
			switch {
			case !discounts:
				xl.UnitAmount = ""
			case d.Exponent() >= -2 && cur.Round(ln.Quantity.Mul(ln.UnitPrice.Amount).Mul(hundred.Sub(d)).Div(hundred)).Equal(amount):
				xl.DiscountRate = num(d)
			default:
				xl.DiscountAmount = num(ln.Quantity.Mul(ln.UnitPrice.Amount).Sub(amount))
			}
		}
		out = append(out, xl)
	}
	return out, nil
}

// checkTotals compares Xero's totals with Remit's; any difference is a
// permanent error, since retrying cannot make them agree.
func checkTotals(what string, xTotal, xTax json.Number, total, tax domain.Money) error {
	gotTotal, err1 := dec(xTotal)
	gotTax, err2 := dec(xTax)
	if err1 != nil || err2 != nil || xTotal == "" {
		return &accounting.Error{Message: fmt.Sprintf("Xero answered no usable totals for %s (Total %q, TotalTax %q)", what, xTotal, xTax)}
	}
	if gotTotal.Equal(total.Amount) && gotTax.Equal(tax.Amount) {
		return nil
	}
	return &accounting.Error{Message: fmt.Sprintf("Xero computed %s as total %s (tax %s) but Remit issued it as total %s (tax %s): check the tax type mapping and rounding",
		what, gotTotal.StringFixed(total.Currency.MinorUnits), gotTax.StringFixed(total.Currency.MinorUnits),
		total.Amount.StringFixed(total.Currency.MinorUnits), tax.Amount.StringFixed(total.Currency.MinorUnits))}
}
