package ui

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/invoice"
	"remit/formats/pdf"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/projections"
	"remit/web/auth"
)

// Pay-now links: /c/i/{token} (auth.PurposePayInvoice) shows one invoice
// (number, total, what is still owed, due date, its PDF) and "Pay now": the
// client is sent to the gateway's hosted page (Config.PayNow) for the
// outstanding balance, by card or by the bank debit the invoice's currency
// allows, optionally keeping the method for future invoices, and comes back
// to /c/i/{token}/paid, which records the payment (gateways.PayNow.Record:
// once, also when the gateway's webhook came first). When the firm
// surcharges cards (or bank debits), the page offers "Pay by card" and
// "Pay by bank debit" as separate choices, each showing its own amount
// (the surcharge included) before the client chooses.

// registerPayNowRoutes registers the pay-now pages (public: the token is
// their authority), before the client links' catch-all.
func (h *handler) registerPayNowRoutes(rt routes) {
	pub := rt.public()
	pub.get("/c/i/{token}", h.handleLinkInvoice)
	pub.post("/c/i/{token}", h.handleLinkPay)
	pub.get("/c/i/{token}/paid", h.handleLinkPaid)
	pub.get("/c/i/{token}/pdf", h.handleLinkInvoicePDF)
	pub.get("/c/i/{token}/credit-notes/{n}/pdf", h.handleLinkCreditNotePDF)
}

// handleLinkCreditNotePDF answers the PDF of one of the invoice's credit
// notes to the client holding its pay-now link.
func (h *handler) handleLinkCreditNotePDF(w http.ResponseWriter, r *http.Request) {
	_, pg, _, ok := h.loadPayPage(w, r)
	if !ok {
		return
	}
	doc, name, err := h.creditNotePDF(r.Context(), pg.Invoice.ID, pg.Invoice.ClientID, r.PathValue("n"))
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		h.linkRefused(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	sendPDF(w, doc, name)
}

// payPage is a pay-now page's data.
type payPage struct {
	Invoice projections.InvoiceDetail
	Action  string // the page's own path
	// TransferTo is the firm's account for transfers (pdf.TransferTo); ""
	// when the firm gave none.
	TransferTo string
	// Accepts names what the client can pay with ("card or bank account
	// (BECS Direct Debit)"); empty when no gateway takes payments here.
	Accepts string
	// Choices, when the firm surcharges a kind of method, are the ways to
	// pay, each with its own amount, shown before the client chooses
	// (gateways.PayChoices); nil: one "Pay now" at the balance.
	Choices []gateways.PayChoice
	// BankName names the currency's bank debit ("bank account (BECS
	// Direct Debit)").
	BankName string
	// Client is the client's page, loaded only when a payment of the
	// invoice was made with a method they keep on file (to name it).
	Client *projections.ClientSummary
	// Credits are the invoice's credit notes issued on their own (a
	// refund's credit note is shown with the refund), in order.
	Credits []clientCredit
	// Waived are the amounts the firm wrote off, without its reason (a
	// note for the firm's books, not for the client).
	Waived []clientWaiver
}

// clientCredit is a credit note of the invoice as its client sees it: its
// number (the invoice's with -CN and its place, as the e-invoice export
// numbers it), amount, day in the firm's time zone and reason.
type clientCredit struct {
	Seq    int // its place among the invoice's credit notes, from 1 (its PDF's path)
	Number string
	Amount domain.Money
	Date   domain.Date
	Reason string
}

// clientWaiver is an amount of the invoice written off, and the day.
type clientWaiver struct {
	Amount domain.Money
	Date   domain.Date
}

// credits fills the page's credit notes and write-offs, dated in loc.
func (p *payPage) credits(loc *time.Location) {
	d := p.Invoice
	refunded := map[uuid.UUID]bool{}
	for _, r := range d.Refunds {
		refunded[r.CreditNoteID] = true
	}
	for i, c := range d.CreditNotes {
		if !refunded[c.ID] {
			p.Credits = append(p.Credits, clientCredit{Seq: i + 1, Number: invoice.CreditNoteNumber(d.Number, i+1), Amount: c.Amount, Date: domain.DateOf(c.At, loc), Reason: c.Reason})
		}
	}
	for _, w := range d.WriteOffs {
		p.Waived = append(p.Waived, clientWaiver{Amount: w.Amount, Date: domain.DateOf(w.At, loc)})
	}
}

// Payable reports whether the page offers "Pay now".
func (p payPage) Payable() bool {
	return p.Accepts != "" && p.Invoice.Balance.Amount.IsPositive() && p.open()
}

func (p payPage) open() bool {
	switch p.Invoice.StoredStatus {
	case invoice.StatusVoid, invoice.StatusWrittenOff, invoice.StatusPaid:
		return false
	}
	return true
}

// payMethodNames say what each method type is, for the client.
var payMethodNames = map[payments.MethodType]string{
	payments.TypeCard:   "card",
	payments.TypeAUBECS: "bank account (BECS Direct Debit)",
	payments.TypeNZBECS: "bank account (direct debit)",
	payments.TypeUSACH:  "bank account (ACH Direct Debit)",
	payments.TypeBacs:   "bank account (Bacs Direct Debit)",
	payments.TypeSEPA:   "bank account (SEPA Direct Debit)",
	payments.TypeACSS:   "bank account (pre-authorized debit)",
}

// loadPayPage checks the link and loads its invoice; it answers the
// refusal itself.
func (h *handler) loadPayPage(w http.ResponseWriter, r *http.Request) (auth.Link, *payPage, *view, bool) {
	l, ok := h.verifyLink(w, r, auth.PurposePayInvoice)
	if !ok {
		return l, nil, nil, false
	}
	if l.Resource == uuid.Nil {
		h.linkRefused(w, r, http.StatusForbidden)
		return l, nil, nil, false
	}
	f, loc, err := h.firmNow(r.Context())
	if err != nil {
		h.linkFailed(w, r, err)
		return l, nil, nil, false
	}
	today := domain.DateOf(h.cfg.Now(), loc)
	d, err := h.models(r.Context()).Invoice(r.Context(), l.Resource, today)
	if err != nil || d.ClientID != l.ClientID {
		if err == nil || domain.ErrorCode(err) == domain.ENOTFOUND {
			h.linkRefused(w, r, http.StatusForbidden) // another client's invoice is refused as a bad link is
			return l, nil, nil, false
		}
		h.linkFailed(w, r, err)
		return l, nil, nil, false
	}
	base := "/c/i/" + r.PathValue("token")
	pg := &payPage{Invoice: d, Action: base, TransferTo: pdf.TransferTo(f)}
	pg.credits(loc)
	for _, p := range d.Payments {
		if p.Gateway && p.PaidWith == nil && p.MethodID != uuid.Nil {
			c, err := h.models(r.Context()).Summary(r.Context(), l.ClientID, today)
			if err != nil {
				h.linkFailed(w, r, err)
				return l, nil, nil, false
			}
			pg.Client = &c
			break
		}
	}
	if h.cfg.PayNow != nil {
		var names []string
		for _, t := range gateways.MethodTypesFor(d.Total.Currency) {
			names = append(names, payMethodNames[t])
		}
		pg.Accepts = strings.Join(names, " or ")
		pg.Choices = gateways.PayChoices(f, d.Balance, d.TaxMode)
		if len(names) > 1 {
			pg.BankName = names[1]
		}
	}
	v := &view{Title: "Invoice " + d.Number, FirmName: f.Name, Today: today, loc: loc, D: pg}
	return l, pg, v, true
}

func (h *handler) handleLinkInvoice(w http.ResponseWriter, r *http.Request) {
	_, _, v, ok := h.loadPayPage(w, r)
	if !ok {
		return
	}
	v.Form = newForm()
	h.renderLink(w, r, http.StatusOK, "invoice", v)
}

// handleLinkPay opens the session paying the invoice's balance and sends
// the browser to the gateway's page. Two tabs get the same session; one
// already paid in is recorded and the page says so.
func (h *handler) handleLinkPay(w http.ResponseWriter, r *http.Request) {
	l, pg, v, ok := h.loadPayPage(w, r)
	if !ok {
		return
	}
	if !pg.Payable() {
		redirect(w, r, pg.Action, "")
		return
	}
	ctx := context.WithoutCancel(r.Context())
	s, err := h.cfg.PayNow.Start(ctx, gateways.PayRequest{
		InvoiceID: pg.Invoice.ID, SaveMethod: r.PostFormValue("save_method") == "on", Kind: payKind(pg, r.PostFormValue("kind")),
		ReturnURL: payNowURL(r, pg.Action+"/paid?session="+payments.SessionIDPlaceholder), CancelURL: payNowURL(r, pg.Action),
	})
	if err != nil {
		h.log.Warn("pay-now: open the gateway's page", "invoice", pg.Invoice.ID, "err", err)
		v.Form = newForm()
		v.FlashErr = "The payment page could not be opened: " + h.userMessage(r, err)
		h.renderLink(w, r, linkStatus(err), "invoice", v)
		return
	}
	if s.Status == payments.SessionComplete {
		// Paid in another tab: record it (once) and show the invoice.
		h.finishPay(w, r, l, pg, s.ID)
		return
	}
	if s.URL == "" {
		v.Form = newForm()
		v.FlashErr = "The payment page could not be opened: try again."
		h.renderLink(w, r, http.StatusConflict, "invoice", v)
		return
	}
	http.Redirect(w, r, s.URL, http.StatusSeeOther)
}

// payKind is the kind of method the client chose, when the page offered
// choices ("" otherwise, or for a kind it did not offer).
func payKind(pg *payPage, kind string) string {
	for _, c := range pg.Choices {
		if c.Kind == kind {
			return kind
		}
	}
	if len(pg.Choices) > 0 {
		return pg.Choices[0].Kind
	}
	return ""
}

// handleLinkPaid is where the gateway sends the browser back: the payment
// is recorded (once) and the invoice shown with what happened.
func (h *handler) handleLinkPaid(w http.ResponseWriter, r *http.Request) {
	l, pg, _, ok := h.loadPayPage(w, r)
	if !ok {
		return
	}
	sid := r.URL.Query().Get("session")
	if sid == "" || h.cfg.PayNow == nil {
		redirect(w, r, pg.Action, "")
		return
	}
	h.finishPay(w, r, l, pg, sid)
}

func (h *handler) finishPay(w http.ResponseWriter, r *http.Request, l auth.Link, pg *payPage, sessionID string) {
	ctx := context.WithoutCancel(r.Context())
	paid, err := h.cfg.PayNow.Record(ctx, sessionID, "client-link:"+l.ClientID.String())
	if err != nil && paid.InvoiceID == uuid.Nil {
		h.log.Warn("pay-now: record the return", "session", sessionID, "err", err)
		redirectError(w, r, pg.Action, "Your payment could not be confirmed here yet. If you completed it, it will show shortly.")
		return
	}
	if paid.InvoiceID != pg.Invoice.ID {
		h.linkRefused(w, r, http.StatusForbidden)
		return
	}
	if err != nil {
		h.log.Warn("pay-now: record the payment", "session", sessionID, "err", err)
	}
	h.waitFor(ctx, paid.Position)
	redirect(w, r, pg.Action, payOutcome(paid))
}

// payOutcome is what the client is told after coming back.
func payOutcome(p gateways.Paid) string {
	switch {
	case p.Status != payments.SessionComplete || p.Payment == nil:
		return "!The payment was not completed: nothing was charged."
	case p.Duplicate:
		return "!This invoice was already paid, so your payment of " + fmtMoney(p.Payment.Amount) + " was refunded in full at once."
	case p.Payment.Status == payments.StatusSucceeded:
		msg := "Thank you: your payment of " + fmtMoney(p.Payment.Amount) + " was received."
		if p.MethodID != uuid.Nil {
			msg += " The payment method is saved for future invoices."
		}
		return msg
	case p.Payment.Status == payments.StatusPending:
		return "Thank you: your bank payment is being processed. The invoice shows paid once it clears."
	}
	return "!The payment was declined: " + domain.Sentence(p.Payment.Message) + " Nothing was charged; you can try again."
}

// payNowURL is path on the host the request reached (the gateway needs
// absolute return URLs).
func payNowURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// handleLinkInvoicePDF answers the invoice's PDF as it stands, to the
// link's holder.
func (h *handler) handleLinkInvoicePDF(w http.ResponseWriter, r *http.Request) {
	_, pg, _, ok := h.loadPayPage(w, r)
	if !ok {
		return
	}
	doc, err := h.invoicePDF(r.Context(), pg.Invoice)
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	sendPDF(w, doc, pg.Invoice.Number+".pdf")
}
