package ui

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/formats/pdf"
	"remit/processes/billingrun"
	"remit/projections"
	"remit/web/auth"
)

// invoiceAction is one action of the invoice page with its own form:
// what the form asks, how it is read and which billing method runs it.
type invoiceAction struct {
	Name  string // the path segment and the form's template block
	Title string
	Done  string // the confirmation
	// prefill fills the form from the invoice.
	prefill func(f *form, d projections.InvoiceDetail, c *projections.ClientSummary, today domain.Date)
	// read builds the request from the form.
	read func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest
	run  func(s *billing.Service, ctx context.Context, r billing.InvoiceRequest, meta billing.Meta) (billing.Result, error)
}

func invoiceActions() []invoiceAction {
	return []invoiceAction{
		{Name: "send", Title: "Send the invoice", Done: "Invoice sent.",
			prefill: func(f *form, _ projections.InvoiceDetail, c *projections.ClientSummary, _ domain.Date) {
				for _, ct := range c.Contacts {
					if ct.Primary {
						f.set("recipient", ct.Email)
					}
				}
			},
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Recipient: fs.str("recipient")}
			},
			run: (*billing.Service).SendInvoice},
		{Name: "send-pay-link", Title: "Send the pay-now link", Done: "Invoice re-sent to the client's billing contact with its pay-now link.",
			read: func(_ *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID}
			},
			run: (*billing.Service).SendInvoice},
		{Name: "collect", Title: "Schedule payment collection", Done: "Payment collection scheduled. Remit charges it on that date (a collection for today within about ten minutes).",
			prefill: func(f *form, d projections.InvoiceDetail, c *projections.ClientSummary, today domain.Date) {
				f.set("date", isoDate(maxDate(today, d.IssueDate)))
				switch {
				case d.PaymentMethodID != uuid.Nil:
					f.set("payment_method_id", d.PaymentMethodID.String())
				case c.DefaultMethod != uuid.Nil: // billed to the client's default, which they have now
					f.set("payment_method_id", c.DefaultMethod.String())
				}
			},
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Date: fs.date("date", true), PaymentMethodID: fs.id("payment_method_id")}
			},
			run: (*billing.Service).ScheduleCollection},
		{Name: "cancel-collection", Title: "Cancel the payment collection", Done: "Payment collection cancelled: nothing will be charged until you schedule it again.",
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Reason: fs.str("reason")}
			},
			run: (*billing.Service).CancelCollection},
		{Name: "attempt", Title: "Record a collection attempt", Done: "Collection attempt recorded.",
			prefill: func(f *form, d projections.InvoiceDetail, _ *projections.ClientSummary, _ domain.Date) {
				f.set("outcome", string(invoice.AttemptRejected))
				f.set("amount", d.Balance.Amount.StringFixed(d.Balance.Currency.MinorUnits))
				if d.PaymentMethodID != uuid.Nil {
					f.set("payment_method_id", d.PaymentMethodID.String())
				}
			},
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Outcome: invoice.AttemptOutcome(fs.str("outcome")), Amount: fs.dec("amount", true),
					GatewayReference: fs.str("gateway_reference"), DeclineCode: fs.str("decline_code"), DeclineMessage: fs.str("decline_message"),
					PaymentMethodID: fs.id("payment_method_id")}
			},
			run: (*billing.Service).RecordCollectionAttempt},
		{Name: "retry", Title: "Retry the payment", Done: "Payment retry scheduled. Remit charges it on that date (a retry for today within about ten minutes).",
			prefill: func(f *form, d projections.InvoiceDetail, _ *projections.ClientSummary, today domain.Date) {
				f.set("date", isoDate(today))
				if d.PaymentMethodID != uuid.Nil {
					f.set("payment_method_id", d.PaymentMethodID.String())
				}
			},
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Date: fs.date("date", true), PaymentMethodID: fs.id("payment_method_id")}
			},
			run: (*billing.Service).ScheduleRetry},
		{Name: "offline-payment", Title: "Mark paid offline", Done: "Offline payment recorded.",
			prefill: func(f *form, d projections.InvoiceDetail, _ *projections.ClientSummary, today domain.Date) {
				f.set("amount", d.Balance.Amount.StringFixed(d.Balance.Currency.MinorUnits))
				f.set("date", isoDate(today))
				f.set("method", string(invoice.PaidByBankTransfer))
			},
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Amount: fs.dec("amount", true), Date: fs.date("date", false),
					Method: invoice.PaymentMethod(fs.str("method")), Reference: fs.str("reference")}
			},
			run: (*billing.Service).RecordOfflinePayment},
		{Name: "pause-reminders", Title: "Pause reminders", Done: "Reminders paused: no reminder, final action or write-off until you resume them.",
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Reason: fs.str("reason")}
			},
			run: (*billing.Service).PauseReminders},
		{Name: "resume-reminders", Title: "Resume reminders", Done: "Reminders resumed: the next daily run sends the reminder due.",
			read: func(_ *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID}
			},
			run: (*billing.Service).ResumeReminders},
		{Name: "write-off", Title: "Write off the balance", Done: "Balance written off.",
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Reason: fs.str("reason")}
			},
			run: (*billing.Service).WriteOffInvoice},
		{Name: "credit-note", Title: "Issue a credit note", Done: "Credit note issued.",
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				return billing.InvoiceRequest{InvoiceID: d.ID, Amount: fs.dec("amount", true), Reason: fs.str("reason")}
			},
			run: (*billing.Service).IssueCreditNote},
		{Name: "void", Title: "Void the invoice", Done: "Invoice voided.",
			read: func(fs *fields, d projections.InvoiceDetail) billing.InvoiceRequest {
				if fs.str("reason") == "" {
					fs.p.Add("reason", "say why the invoice is voided")
				}
				return billing.InvoiceRequest{InvoiceID: d.ID, Reason: fs.str("reason")}
			},
			run: (*billing.Service).VoidInvoice},
	}
}

func maxDate(a, b domain.Date) domain.Date {
	if a.Before(b) {
		return b
	}
	return a
}

func (h *handler) registerInvoiceRoutes(rt routes) {
	rt.get("/invoices/{iid}", h.handleInvoice)
	rt.get("/invoices/{iid}/pdf", h.handleInvoicePDF)
	rt.get("/invoices/{iid}/ubl", h.handleInvoiceUBL)
	rt.get("/invoices/{iid}/credit-notes/{n}/pdf", h.handleCreditNotePDF)
	for _, a := range invoiceActions() {
		rt.get("/invoices/{iid}/"+a.Name, h.handleInvoiceActionForm(a))
		rt.post("/invoices/{iid}/"+a.Name, h.handleInvoiceAction(a))
	}
	rt.post("/invoices/{iid}/retry-now", h.handleInvoiceRetryNow)
	h.registerRefundRoutes(rt)
}

// handleInvoiceRetryNow charges a rejected invoice on the spot ("Retry
// now" on the Collections page) and returns where the button was, saying
// what came of it: paid, or declined with the reason. The form's token is
// the command id, so a double click or a resubmitted form charges once.
func (h *handler) handleInvoiceRetryNow(w http.ResponseWriter, r *http.Request) {
	d, _, _, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	back := collectionsBack(r.PostFormValue("back"))
	if back == "" {
		back = "/invoices/" + d.ID.String()
	}
	if h.cfg.CollectNow == nil {
		redirectError(w, r, back, "Retry now needs the payment gateway: schedule the retry instead.")
		return
	}
	var out billingrun.NowOutcome
	_, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		var err error
		if out, err = h.cfg.CollectNow(ctx, d.ID, uuid.Nil, meta); err != nil {
			return billing.Result{}, err
		}
		head, err := h.cfg.Store.Head(ctx)
		return billing.Result{Position: head}, err
	})
	switch {
	case err != nil:
		redirectError(w, r, back, "Invoice "+d.Number+": "+h.userMessage(r, err))
	case out.Pending:
		redirect(w, r, back, "Invoice "+d.Number+": the payment is being processed by the bank; the daily collection records its outcome.")
	case out.Status == invoice.StatusPaid:
		redirect(w, r, back, "Invoice "+d.Number+" paid: "+fmtMoney(d.Balance)+" charged now.")
	case out.Status == invoice.StatusPaymentRejected:
		redirectError(w, r, back, "Invoice "+d.Number+": the retry was declined: "+domain.Sentence(out.DeclineMessage))
	default:
		redirect(w, r, back, "Invoice "+d.Number+": "+strings.ReplaceAll(string(out.Status), "_", " ")+".")
	}
}

// invoicePage is an invoice's page, or one of its action forms.
type invoicePage struct {
	Invoice projections.InvoiceDetail
	Action  string
	Title   string
	// TransferTo is the firm's account for transfers, as clients read it
	// (pdf.TransferTo); "" when the firm gave none.
	TransferTo string
	// MethodLink is the signed link for the client to add a payment method
	// and retry (or pay), shown while a payment is rejected or a retry
	// pending, or nothing is scheduled to collect the invoice.
	MethodLink string
	// PayLink is the invoice's signed pay-now link (/c/i/…), shown while
	// something is owed on it.
	PayLink string
	// Back is where an action form returns after it succeeds (and where
	// its Cancel leads): the collections page it was opened from (see
	// backTo), "" for the invoice's page.
	Back string
}

// Section is the navigation's current section: collections when the form
// was opened from there.
func (p invoicePage) Section() string {
	if p.Back != "" {
		return "collections"
	}
	return "clients"
}

// Done is where an action form leads once done or cancelled.
func (p invoicePage) Done() string {
	if p.Back != "" {
		return p.Back
	}
	return "/invoices/" + p.Invoice.ID.String()
}

// Rejected reports whether the last collection was declined and nothing
// but a retry was scheduled since: the rejected-payment panel shows, with
// "retry now" and "change method and retry" (which replace a pending retry).
func (p invoicePage) Rejected() bool {
	return p.Invoice.StoredStatus == invoice.StatusPaymentRejected || p.RetryPending()
}

// RetryPending reports whether a retry of a rejected payment is scheduled.
func (p invoicePage) RetryPending() bool {
	c := p.Invoice.Collection
	return p.Invoice.StoredStatus == invoice.StatusPaymentScheduled && c != nil && c.Retry
}

// RetryMethod is the id of the method a "retry now" charges: the pending
// retry's, or the one last used ("" when none is known).
func (p invoicePage) RetryMethod() string {
	id := p.Invoice.PaymentMethodID
	if c := p.Invoice.Collection; c != nil {
		id = c.PaymentMethodID
	}
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// NotCollected reports whether the invoice is open with nothing scheduled to
// collect it: the client pays by hand (the page says how). A rejected
// payment is not that: the rejection panel offers the retry instead.
func (p invoicePage) NotCollected() bool {
	return p.Open() && !p.Rejected() && p.Invoice.Collection == nil && p.Invoice.Balance.Amount.IsPositive()
}

// Open reports whether the invoice still takes payments.
func (p invoicePage) Open() bool {
	switch p.Invoice.StoredStatus {
	case invoice.StatusPaid, invoice.StatusVoid, invoice.StatusWrittenOff:
		return false
	}
	return true
}

// Voidable reports whether void is offered: only before any money came in.
func (p invoicePage) Voidable() bool {
	return p.Open() && p.Invoice.Paid.IsZero() && p.Invoice.Credited.IsZero()
}

func (h *handler) loadInvoice(w http.ResponseWriter, r *http.Request) (projections.InvoiceDetail, *projections.ClientSummary, domain.Date, bool) {
	iid, ok := h.idParam(w, r, "iid")
	if !ok {
		return projections.InvoiceDetail{}, nil, domain.Date{}, false
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return projections.InvoiceDetail{}, nil, today, false
	}
	d, err := h.models(r.Context()).Invoice(r.Context(), iid, today)
	if err != nil {
		h.fail(w, r, err)
		return d, nil, today, false
	}
	c, err := h.models(r.Context()).Summary(r.Context(), d.ClientID, today)
	if err != nil {
		h.fail(w, r, err)
		return d, nil, today, false
	}
	return d, &c, today, true
}

func (h *handler) handleInvoice(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	pg := invoicePage{Invoice: d}
	if f, _, err := h.firmNow(r.Context()); err == nil {
		pg.TransferTo = pdf.TransferTo(f)
	}
	if pg.Rejected() || pg.NotCollected() {
		pg.MethodLink = h.clientLink(r, auth.PurposePaymentMethod, d.ClientID, d.ID)
	}
	if pg.Open() && d.Balance.Amount.IsPositive() {
		pg.PayLink = h.clientLink(r, auth.PurposePayInvoice, d.ClientID, d.ID)
	}
	h.render(w, r, http.StatusOK, "invoice", &view{Title: "Invoice " + d.Number, Section: "clients", Tab: "invoices", Client: c, Today: today, D: pg, Form: newForm()})
}

func (h *handler) handleInvoiceActionForm(a invoiceAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, c, today, ok := h.loadInvoice(w, r)
		if !ok {
			return
		}
		f := newForm()
		if a.prefill != nil {
			a.prefill(f, d, c, today)
		}
		if v, err := domain.ParseDate(r.URL.Query().Get("date")); err == nil && f.Value("date") != "" {
			f.set("date", isoDate(v)) // a link's suggested date ("retry on a date")
		}
		pg := invoicePage{Invoice: d, Action: a.Name, Title: a.Title, Back: collectionsBack(r.URL.Query().Get("back"))}
		h.render(w, r, http.StatusOK, "invoice_action", &view{Title: a.Title + " · " + d.Number, Section: pg.Section(), Tab: "invoices", Client: c, Today: today,
			D: pg, Form: f})
	}
}

func (h *handler) handleInvoiceAction(a invoiceAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, c, today, ok := h.loadInvoice(w, r)
		if !ok {
			return
		}
		fs := readForm(r)
		req := a.read(fs, d)
		err := fs.err()
		pg := invoicePage{Invoice: d, Action: a.Name, Title: a.Title, Back: collectionsBack(r.PostFormValue("back"))}
		if err == nil {
			_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
				return a.run(h.cfg.Billing, ctx, req, meta)
			})
		}
		if err != nil {
			f := formFrom(r)
			f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
			h.render(w, r, statusOf(err), "invoice_action", &view{Title: a.Title + " · " + d.Number, Section: pg.Section(), Tab: "invoices", Client: c, Today: today,
				D: pg, Form: f})
			return
		}
		done := a.Done
		if pg.Back != "" {
			done = "Invoice " + d.Number + ": " + done
		}
		redirect(w, r, pg.Done(), done)
	}
}
