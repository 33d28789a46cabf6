// Package qbo is the QuickBooks Online adapter of the ledger port
// (integrations/ledger), over Intuit's Accounting API v3
// (https://quickbooks.api.intuit.com/v3/company/{realmId}/…, JSON, with
// ?minorversion=75 on every request and an OAuth 2.0 bearer token).
//
// # What Remit sends
//
//   - A client becomes a Customer: the mapped id when the firm mapped one
//     (Contact.LedgerID); else the active customer whose DisplayName is
//     exactly the client's name; else a new Customer (DisplayName,
//     PrimaryEmailAddr, CurrencyRef).
//   - An invoice becomes an Invoice: DocNumber is Remit's number, TxnDate,
//     DueDate, CurrencyRef, GlobalTaxCalculation TaxExcluded or
//     TaxInclusive, PrivateNote "remit:<invoice id>", and one
//     SalesItemLineDetail line per Remit line. QBO books revenue through
//     Items, not accounts, and requires an ItemRef on every line: the
//     mapping's code for the line (accounting.Line.AccountCode) is therefore the
//     id of a QBO Item (a service whose income account is the revenue
//     account), and TaxType is the id of a QBO TaxCode (TAX/NON in the US).
//     Amount is the line's net; a discounted line goes at its discounted unit
//     price (Net/Qty), because QBO has no per-line discount percentage;
//     inclusive lines also carry TaxInclusiveAmt (the gross). QBO computes
//     the tax from its tax codes: its TotalAmt must equal Remit's total, and
//     a difference (a wrong tax-code mapping, rounding) is a permanent error
//     that names both totals.
//   - A payment becomes a Payment for the invoice's customer, TotalAmt,
//     TxnDate, DepositToAccountRef (the clearing account, accounting.Payment's
//     AccountCode as a QBO Account id; omitted, QBO uses Undeposited Funds),
//     one line linked to the invoice, PrivateNote "remit:<payment id>".
//   - A credit note becomes a CreditMemo (lines as for an invoice,
//     PrivateNote "remit:<credit id>"), applied to its invoice by a
//     zero-amount Payment linking both (QBO's documented way of applying a
//     credit), PrivateNote "remit:<credit id>:apply".
//   - A payout (accounting.PayoutLedger, payout.go) becomes a Transfer of its
//     net from the clearing account to the bank account, and a Purchase
//     (PaymentType Cash) of its fees from the clearing account, one
//     account-based expense line to the fees account; each with PrivateNote
//     "<what> <payout reference> remit:<document id>", found by TxnDate.
//   - A refund (accounting.RefundLedger, refund.go) becomes a check to the
//     customer (Purchase, PaymentType Check, EntityRef the customer) from the
//     clearing account, one line to Accounts Receivable, and a zero Payment
//     linking the check and the refund's credit memo (QuickBooks' "refund a
//     credit memo"); PrivateNotes "remit:<refund id>" and "…:apply".
//   - A dispute (accounting.DisputeLedger, dispute.go) becomes a Transfer
//     from the clearing account to the disputes account (a won dispute: the
//     other way), found like a payout's.
//   - A void reads the invoice for its SyncToken and posts
//     /invoice?operation=void; an invoice already void is left alone, and a
//     stale SyncToken (fault 5010) is read again and retried once.
//
// # Exactly once
//
// Before any create the adapter looks for what an earlier attempt made:
// invoices by DocNumber, payments and credit memos by TxnDate, each then
// recognised by the "remit:<id>" in its PrivateNote (QBO cannot filter on
// PrivateNote). Every create also carries QBO's requestid parameter
// (Remit's id plus a digest of the body; see requestID), so a retry whose
// first answer was lost gets that first answer back. A DocNumber QBO already
// holds without Remit's note is reported, never duplicated.
//
// # Errors and tokens
//
// 429 and 5xx are temporary (with Retry-After when sent); a network failure
// is temporary; a 400 is permanent with QBO's Fault messages; a 401 refreshes
// the access token once and asks again. Intuit rotates the refresh token on
// every refresh: the new one is saved through the TokenStore (FileStore:
// <data>/ledger/qbo.json, mode 0600) before the new access token is used.
package qbo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/oauth2"

	"remit/domain"
	"remit/integrations/accounting"
)

// Intuit's endpoints.
const (
	ProductionURL = "https://quickbooks.api.intuit.com"
	SandboxURL    = "https://sandbox-quickbooks.api.intuit.com"
	TokenURL      = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
	// MinorVersion is the API minor version Remit speaks (QBO's minimum
	// since 2025).
	MinorVersion = 75
)

// Config configures a Client.
type Config struct {
	// RealmID is the QBO company id.
	RealmID string
	// ClientID and ClientSecret are the Intuit app's OAuth 2.0 credentials.
	ClientID, ClientSecret string
	// Tokens keeps the access and refresh tokens (FileStore in production).
	Tokens TokenStore
	// BaseURL is the API's origin: ProductionURL (default) or SandboxURL;
	// tests point it at qbotest.
	BaseURL string
	// TokenURL is Intuit's token endpoint (default TokenURL).
	TokenURL string
	// MinorVersion defaults to MinorVersion.
	MinorVersion int
	// HTTPClient makes the requests (default: one with a 60 s timeout).
	HTTPClient *http.Client
	// Now is the clock for token expiry (default time.Now).
	Now func() time.Time
}

// Client is a QuickBooks Online connection. It implements accounting.Ledger and
// is safe for concurrent use.
type Client struct {
	realm  string
	base   string
	minor  int
	hc     *http.Client
	tokens *tokens
}

var _ accounting.Ledger = (*Client)(nil)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.RealmID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("qbo: realm id, client id and client secret are required")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("qbo: a token store is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = ProductionURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = TokenURL
	}
	if cfg.MinorVersion == 0 {
		cfg.MinorVersion = MinorVersion
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		realm: cfg.RealmID,
		base:  strings.TrimRight(cfg.BaseURL, "/"),
		minor: cfg.MinorVersion,
		hc:    cfg.HTTPClient,
		tokens: &tokens{
			oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				Endpoint: oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}},
			store: cfg.Tokens, hc: cfg.HTTPClient, now: cfg.Now,
		},
	}, nil
}

// ErrNotConnected is returned by Open when the data folder holds no
// QuickBooks Online connection.
var ErrNotConnected = errors.New("qbo: QuickBooks Online is not connected")

// Options are Open's overrides: the sandbox (BaseURL SandboxURL) and tests.
type Options struct {
	BaseURL, TokenURL string
	HTTPClient        *http.Client
	Now               func() time.Time
}

// Open returns the Client of company realmID with the credentials and
// tokens saved in dataDir (<data>/ledger/qbo.json, refreshed tokens saved
// back there), or ErrNotConnected.
func Open(dataDir, realmID string, opts Options) (*Client, error) {
	fs := NewFileStore(dataDir)
	conn, err := fs.Load()
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotConnected
	}
	if err != nil {
		return nil, err
	}
	return New(Config{RealmID: realmID, ClientID: conn.ClientID, ClientSecret: conn.ClientSecret, Tokens: fs,
		BaseURL: opts.BaseURL, TokenURL: opts.TokenURL, HTTPClient: opts.HTTPClient, Now: opts.Now})
}

// Connect saves a connection in dataDir: the app's credentials and a
// refresh token from Intuit's authorization flow.
func Connect(dataDir string, conn Connection) error {
	if conn.ClientID == "" || conn.ClientSecret == "" || conn.Token.RefreshToken == "" {
		return errors.New("qbo: client id, client secret and refresh token are required")
	}
	return NewFileStore(dataDir).Save(conn)
}

// Name implements accounting.Ledger.
func (c *Client) Name() string { return "qbo" }

func marker(id uuid.UUID) string { return "remit:" + id.String() }

// PushInvoice implements accounting.Ledger.
func (c *Client) PushInvoice(ctx context.Context, inv accounting.Invoice) (accounting.Ack, error) {
	if inv.Number == "" || len(inv.Number) > 21 {
		return accounting.Ack{}, permanent("invoice number %q cannot be a QuickBooks DocNumber (1 to 21 characters)", inv.Number)
	}
	lines, err := qboLines(inv.Lines, inv.TaxInclusive)
	if err != nil {
		return accounting.Ack{}, err
	}
	found, err := c.findInvoice(ctx, inv.Number, inv.ID)
	if err != nil {
		return accounting.Ack{}, err
	}
	if found != nil {
		ack := accounting.Ack{LedgerID: found.ID, ContactID: refValue(found.CustomerRef), Existing: true}
		return ack, checkTotal("invoice "+inv.Number, found, inv.Total)
	}
	cust, err := c.customer(ctx, inv.Contact, inv.Currency)
	if err != nil {
		return accounting.Ack{}, err
	}
	body := txn{
		DocNumber: inv.Number, TxnDate: inv.IssueDate.String(), DueDate: inv.DueDate.String(),
		CustomerRef: &ref{Value: cust}, CurrencyRef: &ref{Value: inv.Currency.Code},
		GlobalTaxCalculation: taxCalc(inv.TaxInclusive), PrivateNote: marker(inv.ID), Line: lines,
	}
	var out struct{ Invoice txn }
	if err := c.create(ctx, "/invoice", inv.ID.String(), body, &out); err != nil {
		return accounting.Ack{}, err
	}
	ack := accounting.Ack{LedgerID: out.Invoice.ID, ContactID: cust}
	return ack, checkTotal("invoice "+inv.Number, &out.Invoice, inv.Total)
}

// PushPayment implements accounting.Ledger.
func (c *Client) PushPayment(ctx context.Context, p accounting.Payment) (accounting.Ack, error) {
	if p.InvoiceLedgerID == "" {
		return accounting.Ack{}, permanent("payment %s: invoice %s is not in QuickBooks yet", p.ID, p.InvoiceNumber)
	}
	if !p.Amount.Amount.IsPositive() {
		return accounting.Ack{}, permanent("payment %s: amount %s must be positive", p.ID, p.Amount)
	}
	inv, err := c.readInvoice(ctx, p.InvoiceLedgerID)
	if err != nil {
		return accounting.Ack{}, err
	}
	cust := refValue(inv.CustomerRef)
	if found, err := c.findPayment(ctx, p.Date, marker(p.ID)); err != nil || found != nil {
		if found == nil {
			return accounting.Ack{}, err
		}
		return accounting.Ack{LedgerID: found.ID, ContactID: cust, Existing: true}, nil
	}
	body := payment{
		CustomerRef: &ref{Value: cust}, CurrencyRef: &ref{Value: p.Amount.Currency.Code},
		TotalAmt: num(p.Amount.Amount), TxnDate: p.Date.String(),
		PaymentRefNum: truncate(p.Reference, 21), PrivateNote: marker(p.ID),
		Line: []paymentLine{{Amount: num(p.Amount.Amount), LinkedTxn: []linkedTxn{{TxnID: p.InvoiceLedgerID, TxnType: "Invoice"}}}},
	}
	if p.AccountCode != "" {
		body.DepositToAccountRef = &ref{Value: p.AccountCode}
	}
	var out struct{ Payment payment }
	if err := c.create(ctx, "/payment", p.ID.String(), body, &out); err != nil {
		return accounting.Ack{}, err
	}
	return accounting.Ack{LedgerID: out.Payment.ID, ContactID: cust}, nil
}

// PushCreditNote implements accounting.Ledger.
func (c *Client) PushCreditNote(ctx context.Context, cn accounting.CreditNote) (accounting.Ack, error) {
	lines, err := qboLines(cn.Lines, cn.TaxInclusive)
	if err != nil {
		return accounting.Ack{}, err
	}
	var inv *txn
	var cust string
	if cn.InvoiceLedgerID != "" {
		if inv, err = c.readInvoice(ctx, cn.InvoiceLedgerID); err != nil {
			return accounting.Ack{}, err
		}
		cust = refValue(inv.CustomerRef)
	} else if cust, err = c.customer(ctx, cn.Contact, cn.Currency); err != nil {
		return accounting.Ack{}, err
	}
	what := "credit note for invoice " + cn.InvoiceNumber
	cm, err := c.findCreditMemo(ctx, cn.Date, marker(cn.ID))
	if err != nil {
		return accounting.Ack{}, err
	}
	existing := cm != nil
	if !existing {
		note := marker(cn.ID)
		if cn.InvoiceNumber != "" {
			note += " credit for " + cn.InvoiceNumber
		}
		body := txn{
			TxnDate: cn.Date.String(), CustomerRef: &ref{Value: cust}, CurrencyRef: &ref{Value: cn.Currency.Code},
			GlobalTaxCalculation: taxCalc(cn.TaxInclusive), PrivateNote: note, Line: lines,
		}
		if cn.Reason != "" {
			body.CustomerMemo = &memo{Value: truncate(cn.Reason, 1000)}
		}
		var out struct{ CreditMemo txn }
		if err := c.create(ctx, "/creditmemo", cn.ID.String(), body, &out); err != nil {
			return accounting.Ack{}, err
		}
		cm = &out.CreditMemo
	}
	ack := accounting.Ack{LedgerID: cm.ID, ContactID: cust, Existing: existing}
	if err := checkTotal(what, cm, cn.Total); err != nil {
		return ack, err
	}
	if inv != nil {
		if err := c.applyCredit(ctx, cn, cm, inv); err != nil {
			return ack, err
		}
	}
	return ack, nil
}

// applyCredit applies the credit memo to its invoice with a zero-amount
// Payment linking both, at most once.
func (c *Client) applyCredit(ctx context.Context, cn accounting.CreditNote, cm, inv *txn) error {
	note := marker(cn.ID) + ":apply"
	found, err := c.findPayment(ctx, cn.Date, note)
	if err != nil || found != nil {
		return err
	}
	amt := decimal.Min(dec(cm.TotalAmt), dec(inv.Balance))
	if cm.RemainingCredit != "" {
		amt = decimal.Min(amt, dec(cm.RemainingCredit))
	}
	if !amt.IsPositive() {
		return nil // nothing left owing: the credit stays on the customer's account
	}
	body := payment{
		CustomerRef: inv.CustomerRef, CurrencyRef: &ref{Value: cn.Currency.Code}, TotalAmt: "0", TxnDate: cn.Date.String(),
		PrivateNote: note,
		Line: []paymentLine{
			{Amount: num(amt), LinkedTxn: []linkedTxn{{TxnID: inv.ID, TxnType: "Invoice"}}},
			{Amount: num(amt), LinkedTxn: []linkedTxn{{TxnID: cm.ID, TxnType: "CreditMemo"}}},
		},
	}
	return c.create(ctx, "/payment", cn.ID.String()+"-a", body, nil) // within QBO's 50 characters
}

// PushVoid implements accounting.Ledger.
func (c *Client) PushVoid(ctx context.Context, v accounting.Void) (accounting.Ack, error) {
	if v.InvoiceLedgerID == "" {
		return accounting.Ack{}, permanent("void of invoice %s: it is not in QuickBooks", v.InvoiceNumber)
	}
	for attempt := 0; ; attempt++ {
		inv, err := c.readInvoice(ctx, v.InvoiceLedgerID)
		if err != nil {
			return accounting.Ack{}, err
		}
		ack := accounting.Ack{LedgerID: inv.ID, ContactID: refValue(inv.CustomerRef)}
		if voided(inv) {
			ack.Existing = true
			return ack, nil
		}
		body, _ := json.Marshal(txn{ID: inv.ID, SyncToken: inv.SyncToken})
		err = c.call(ctx, http.MethodPost, "/invoice", url.Values{"operation": {"void"}}, body, nil)
		if hasCode(err, "5010") && attempt == 0 {
			continue // someone changed it between our read and the void: read again
		}
		return ack, err
	}
}

// voided recognises a void invoice: QBO zeroes its amounts and sets its
// PrivateNote to "Voided".
func voided(t *txn) bool {
	return strings.HasPrefix(t.PrivateNote, "Voided") && dec(t.TotalAmt).IsZero() && dec(t.Balance).IsZero()
}

// create POSTs a new entity with QBO's requestid.
func (c *Client) create(ctx context.Context, path, key string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, path, url.Values{"requestid": {requestID(key, body)}}, body, out)
}

func (c *Client) query(ctx context.Context, q string) (*queryResponse, error) {
	var out queryResponse
	if err := c.call(ctx, http.MethodGet, "/query", url.Values{"query": {q}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) readInvoice(ctx context.Context, id string) (*txn, error) {
	var out struct{ Invoice txn }
	if err := c.call(ctx, http.MethodGet, "/invoice/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Invoice, nil
}

// findInvoice finds the invoice an earlier push created: its DocNumber, then
// Remit's note. Another document with the number is a conflict to report.
func (c *Client) findInvoice(ctx context.Context, number string, id uuid.UUID) (*txn, error) {
	r, err := c.query(ctx, "select * from Invoice where DocNumber = "+quote(number))
	if err != nil {
		return nil, err
	}
	var other string
	for i, t := range r.QueryResponse.Invoice {
		if hasMarker(t.PrivateNote, marker(id)) {
			return &r.QueryResponse.Invoice[i], nil
		}
		other = t.ID
	}
	if other != "" {
		return nil, permanent("QuickBooks already has an invoice numbered %s that Remit did not create (QuickBooks id %s): remove or renumber it there, then retry", number, other)
	}
	return nil, nil
}

func (c *Client) findPayment(ctx context.Context, date domain.Date, note string) (*payment, error) {
	r, err := c.query(ctx, "select * from Payment where TxnDate = "+quote(date.String())+" maxresults 1000")
	if err != nil {
		return nil, err
	}
	for i, p := range r.QueryResponse.Payment {
		if hasMarker(p.PrivateNote, note) {
			return &r.QueryResponse.Payment[i], nil
		}
	}
	return nil, nil
}

func (c *Client) findCreditMemo(ctx context.Context, date domain.Date, note string) (*txn, error) {
	r, err := c.query(ctx, "select * from CreditMemo where TxnDate = "+quote(date.String())+" maxresults 1000")
	if err != nil {
		return nil, err
	}
	for i, t := range r.QueryResponse.CreditMemo {
		if hasMarker(t.PrivateNote, note) {
			return &r.QueryResponse.CreditMemo[i], nil
		}
	}
	return nil, nil
}

// hasMarker reports whether note holds m as a whole word, so that
// "remit:X" does not match "remit:X:apply".
func hasMarker(note, m string) bool {
	for _, w := range strings.Fields(note) {
		if w == m {
			return true
		}
	}
	return false
}

// customer returns the QBO customer id of a contact: mapped, matched by
// exact DisplayName, or created.
func (c *Client) customer(ctx context.Context, ct accounting.Contact, cur domain.Currency) (string, error) {
	if ct.LedgerID != "" {
		return ct.LedgerID, nil
	}
	name := strings.TrimSpace(ct.Name)
	if name == "" {
		return "", permanent("the client has no name to find or create a QuickBooks customer with")
	}
	if id, err := c.customerNamed(ctx, name); err != nil || id != "" {
		return id, err
	}
	body := customer{DisplayName: name}
	if ct.Email != "" {
		body.PrimaryEmailAddr = &emailAddr{Address: ct.Email}
	}
	if !cur.IsZero() {
		body.CurrencyRef = &ref{Value: cur.Code}
	}
	var out struct{ Customer customer }
	key := "customer"
	if ct.ClientID != uuid.Nil {
		key = ct.ClientID.String()
	}
	err := c.create(ctx, "/customer", key, body, &out)
	if hasCode(err, "6240") {
		// Created meanwhile by a concurrent push: use that one.
		if id, qerr := c.customerNamed(ctx, name); qerr == nil && id != "" {
			return id, nil
		}
		return "", fmt.Errorf("%w (an inactive QuickBooks customer may hold the name %q: make it active, or map the client to a customer)", err, name)
	}
	if err != nil {
		return "", err
	}
	return out.Customer.ID, nil
}

func (c *Client) customerNamed(ctx context.Context, name string) (string, error) {
	r, err := c.query(ctx, "select * from Customer where DisplayName = "+quote(name))
	if err != nil {
		return "", err
	}
	for _, cu := range r.QueryResponse.Customer {
		if cu.DisplayName == name {
			return cu.ID, nil
		}
	}
	return "", nil
}

// qboLines turns Remit's lines into SalesItemLineDetail lines.
func qboLines(ls []accounting.Line, inclusive bool) ([]line, error) {
	if len(ls) == 0 {
		return nil, permanent("a QuickBooks document needs at least one line")
	}
	out := make([]line, 0, len(ls))
	for i, l := range ls {
		if l.AccountCode == "" {
			return nil, permanent("line %d (%s): no QuickBooks item is mapped (the ledger mapping's code is the id of a QuickBooks Item)", i+1, l.Description)
		}
		qty := l.Quantity
		if qty.IsZero() {
			qty = decimal.NewFromInt(1)
		}
		net := l.Net.Amount
		unit := l.UnitPrice.Amount
		if inclusive || !l.DiscountPercent.IsZero() || !qty.Mul(unit).Equal(net) {
			unit = net.DivRound(qty, 6)
		}
		d := &salesItemLineDetail{ItemRef: ref{Value: l.AccountCode}, Qty: num(qty), UnitPrice: num(unit)}
		if l.TaxType != "" {
			d.TaxCodeRef = &ref{Value: l.TaxType}
		}
		if inclusive {
			d.TaxInclusiveAmt = num(l.Gross.Amount)
		}
		out = append(out, line{Description: l.Description, Amount: num(net), DetailType: "SalesItemLineDetail", SalesItemLineDetail: d})
	}
	return out, nil
}

func taxCalc(inclusive bool) string {
	if inclusive {
		return "TaxInclusive"
	}
	return "TaxExcluded"
}

// checkTotal compares QBO's TotalAmt with Remit's total.
func checkTotal(what string, t *txn, want domain.Money) error {
	got := dec(t.TotalAmt)
	if t.TotalAmt == "" || got.Equal(want.Amount) {
		return nil
	}
	return permanent("QuickBooks computed a total of %s %s for %s (QuickBooks id %s) but Remit's total is %s: check the tax-code and item mapping, then correct or delete the document in QuickBooks",
		want.Currency.Code, got.StringFixed(want.Currency.MinorUnits), what, t.ID, want)
}

func refValue(r *ref) string {
	if r == nil {
		return ""
	}
	return r.Value
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
