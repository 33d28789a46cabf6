package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain/service"
)

func (s *Server) registerOpenAPIRoutes(r *mux.Router) {
	r.HandleFunc("/api/openapi.json", s.handleOpenAPIView).Methods(http.MethodGet)
}

func (s *Server) handleOpenAPIView(w http.ResponseWriter, r *http.Request) {
	doc, err := s.openapi()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}

// operation is one route of the API as the document describes it. The table
// below is written by hand, apart from the routes' registration, so that a
// test comparing the two catches a route added to one and not the other.
type operation struct {
	method  string
	path    string // OpenAPI form, e.g. /api/clients/{id}
	summary string
	query   []string // query parameter names, described in queryParams
	body    any      // request body (a zero value of its type), nil for none
	resp    any      // success body (a zero value of its type)
	status  int      // success status
	media   string   // success media type when not JSON (a document to download)
	csv     bool     // also answers text/csv (?format=csv or Accept: text/csv; csv.go)
	// alt, when set, is another success body, answered 200 (a dry run).
	alt any
}

func get(path, summary string, resp any, query ...string) operation {
	return operation{method: http.MethodGet, path: path, summary: summary, resp: resp, status: http.StatusOK, query: query}
}

// download is a GET answering a document of another media type (an
// attachment), not JSON.
func download(path, summary, media string) operation {
	return operation{method: http.MethodGet, path: path, summary: summary, resp: "", status: http.StatusOK, media: media}
}

func list[T any](path, summary string, query ...string) operation {
	_, csv := asCSV[T]()
	q := append([]string{"limit", "cursor"}, query...)
	if csv {
		q = append(q, "format")
	}
	return operation{method: http.MethodGet, path: path, summary: summary, resp: List[T]{}, status: http.StatusOK, query: q, csv: csv}
}

// report marks a report: it also answers one of its tables as text/csv
// (?table= names which).
func report(op operation) operation {
	op = withCSV(op)
	op.query = append(op.query, "table")
	return op
}

// withCSV marks an operation that also answers its table as text/csv.
func withCSV(op operation) operation {
	op.csv = true
	op.query = append(op.query, "format")
	return op
}

func write(method, path, summary string, body, resp any, status int, query ...string) operation {
	return operation{method: method, path: path, summary: summary, body: body, resp: resp, status: status, query: query}
}

func post(path, summary string, body, resp any) operation {
	return write(http.MethodPost, path, summary, body, resp, http.StatusOK)
}

func create(path, summary string, body, resp any) operation {
	return write(http.MethodPost, path, summary, body, resp, http.StatusCreated)
}

// withAlt adds another success body to op (a dry run's, answered 200).
func withAlt(op operation, alt any) operation { op.alt = alt; return op }

// operations lists every route of the API.
func operations() []operation {
	const (
		client  = "/api/clients/{id}"
		contact = client + "/contacts/{contact_id}"
		method  = client + "/payment-methods/{method_id}"
		prop    = "/api/proposals/{id}"
		svc     = "/api/services/{id}"
		item    = "/api/schedule-items/{service_id}/{seq}"
		inv     = "/api/invoices/{id}"
	)
	return []operation{
		get("/api/openapi.json", "This document.", map[string]any{}),
		get("/healthz", "Liveness: the process is up and serving HTTP (no sign-in; nothing is read).", HealthView{}),
		get("/readyz", "Readiness (no sign-in): the store answers, every read model is within the configured number of events of the log's head, and the outbox and ledger workers run. 503 with the same body, naming each failed check, when not ready.", ReadyView{}),

		post("/api/login", "Sign in with email and password: sets the session cookie and answers the session's CSRF token (send it as X-CSRF-Token, or the csrf_token form field, with every unsafe request).", LoginRequest{}, SessionView{}),
		post("/api/logout", "Sign out: ends the session.", nil, SignedOut{}),
		get("/api/session", "Who is asking (user or API token) and the session's CSRF token.", SessionView{}),
		list[TokenView]("/api/tokens", "The signed-in user's API tokens."),
		create("/api/tokens", "Make an API token (scope read or write); the token is in the answer, shown this once.", TokenRequest{}, NewTokenView{}),
		write(http.MethodDelete, "/api/tokens/{id}", "Revoke an API token.", nil, TokenView{}, http.StatusOK),

		list[UserListItem]("/api/users", "The users (owners only)."),
		create("/api/users", "Invite a user (owners only): email, name, role; answers a one-time set-password link, shown this once.", InviteRequest{}, PasswordLinkView{}),
		post("/api/users/{id}/role", "Change a user's role (owners only); the last active owner keeps theirs (422).", RoleRequest{}, UserListItem{}),
		post("/api/users/{id}/deactivate", "Deactivate a user (owners only): their sessions and API tokens stop at once; not the last active owner (422).", DeactivateRequest{}, UserListItem{}),
		post("/api/users/{id}/password-link", "Make a new one-time set-password link for a user (owners only).", nil, PasswordLinkView{}),

		get("/api/firm", "The firm's settings.", FirmView{}),
		create("/api/firm", "Set the firm up (once).", billing.SetUpFirmRequest{}, FirmView{}),
		write(http.MethodPatch, "/api/firm", "Change groups of the firm's settings.", billing.FirmSettingsRequest{}, FirmView{}, http.StatusOK),
		get("/api/firm/dunning-policy", "The firm's dunning policy (payment chasing): retry schedule, client emails, staff notices (each failure, a daily digest), final action, write-off, reminders of invoices not collected automatically; the defaults until the firm changes it. Its ETag is the firm's revision.", DunningPolicyView{}),
		write(http.MethodPut, "/api/firm/dunning-policy", "Replace the firm's dunning policy whole (422 naming the field when a setting is out of range); the retry schedule is the same setting as the firm's retry_after_days.", DunningPolicy{}, DunningPolicyView{}, http.StatusOK),
		create("/api/firm/tax-rates", "Add a tax rate.", billing.TaxRateRequest{}, TaxRateView{}),
		get("/api/firm/tax-rates/{id}", "One tax rate.", TaxRateView{}),
		write(http.MethodPatch, "/api/firm/tax-rates/{id}", "Rename a tax rate or change its percentage.", TaxRateChange{}, TaxRateView{}, http.StatusOK),
		write(http.MethodDelete, "/api/firm/tax-rates/{id}", "Stop offering a tax rate; answers the firm.", nil, FirmView{}, http.StatusOK),
		post("/api/firm/tax-rates/{id}/make-default", "Make a tax rate the default.", nil, TaxRateView{}),

		list[ClientListItem]("/api/clients", "The clients list, by name.", "search", "filter", "tag"),
		create("/api/clients", "Create a client with its contacts.", billing.ClientRequest{}, ClientSummary{}),
		get(client, "A client's Summary tab.", ClientSummary{}),
		write(http.MethodPut, client, "Replace a client's details.", ClientDetails{}, ClientSummary{}, http.StatusOK),
		post(client+"/archive", "Archive a client (no active services).", Reason{}, ClientSummary{}),
		post(client+"/restore", "Restore an archived client.", nil, ClientSummary{}),
		post(client+"/forget", "Erase a client's personal data (owners only; cannot be undone): destroys the client's key and rebuilds every read model. The body repeats the client's id: {\"confirm\": \"<id>\"}.", ForgetRequest{}, ClientSummary{}),
		post(client+"/revoke-links", "Revoke every signed link sent to the client so far.", nil, ClientSummary{}),
		create(client+"/payment-details-requests", "Email the client's primary billing contact a signed link to put a payment method on file (refused for an archived client or one without a billing email).", PaymentDetailsRequestBody{}, PaymentDetailsRequestResource{}),
		post("/api/payment-details-requests", "Ask every client a filter (and search) of the clients list selects, or the clients named, for payment details; archived clients and those without a billing email are skipped and counted. The same batch_id again emails nobody twice.", BulkPaymentDetailsRequestBody{}, BulkPaymentDetailsResult{}),
		list[PaymentDetailsRequestItem]("/api/payment-details-requests", "Each client's latest request for payment details, by status: unanswered (the default; longest waiting first), answered or all.", "status"),
		list[ServiceView](client+"/services", "A client's services, active first.", "status"),
		create(client+"/services", "Activate an additional service (instant bill).", NewService{}, ServiceView{}),
		withCSV(get(client+"/schedule", "A client's Billing Schedule tab: items, billing groups, manual items (as CSV: the items).", ClientSchedule{}, "through", "include_archived")),
		list[InvoiceListItem](client+"/invoices", "A client's invoices, newest first.", "status"),
		list[ProposalView](client+"/proposals", "A client's proposals, oldest first."),
		list[ActivityLine](client+"/activity", "A client's history, oldest first, a page at a time: the next link's cursor is the position after which the next page starts, so pages neither repeat nor skip lines recorded meanwhile."),

		list[ContactView](client+"/contacts", "A client's contacts."),
		create(client+"/contacts", "Add a contact.", ContactDetails{}, ContactResource{}),
		get(contact, "One contact.", ContactResource{}),
		write(http.MethodPut, contact, "Replace a contact's details.", ContactDetails{}, ContactResource{}, http.StatusOK),
		write(http.MethodDelete, contact, "Remove a contact; answers the client.", nil, ClientSummary{}, http.StatusOK, "new_primary_contact_id"),
		post(contact+"/make-primary", "Make a contact the primary billing contact.", nil, ContactResource{}),

		list[PaymentMethodView](client+"/payment-methods", "A client's payment methods."),
		create(client+"/payment-methods", "Put on file a card or bank account captured elsewhere (its gateway token and what identifies it: never a number). To have the client or staff enter one, open a payment-method session instead.", NewPaymentMethod{}, PaymentMethodResource{}),
		create(client+"/payment-method-sessions", "Open the payment gateway's hosted page where the client (or staff on the client's behalf) enters a card or bank account: answers its url. Remit records the method when the gateway reports it (signed webhook, or the return to return_url), as payment_method_id.", PaymentMethodSessionRequest{}, PaymentMethodSession{}),
		get(method, "One payment method.", PaymentMethodResource{}),
		write(http.MethodDelete, method, "Take a payment method off file; answers the client.", nil, ClientSummary{}, http.StatusOK, "new_default_payment_method_id"),
		create(method+"/replace", "Replace a payment method with a new one (201 with the new one).", NewPaymentMethod{}, PaymentMethodResource{}),
		post(method+"/make-default", "Make a payment method the client's default.", nil, PaymentMethodResource{}),
		post(method+"/mark-expired", "Record that a payment method expired.", nil, PaymentMethodResource{}),
		post(method+"/mark-failed", "Record that a payment method can no longer be charged.", Reason{}, PaymentMethodResource{}),
		list[ActivityLine](method+"/activity", "A payment method's history."),

		create("/api/proposals", "Draft a proposal.", billing.ProposalRequest{}, ProposalResource{}),
		post("/api/proposals/renewals", "Renew accepted proposals (those named in proposal_ids that pass the filters accepted_from, accepted_to, template_id) as draft renewals starting on start_date (default: each one's anniversary) with the price change given (percent, amount or per-line prices, rounded to the cent or dollar); with send, send each to whoever the old one was last sent to. dry_run previews the rows (old and new totals per period and per year) and writes nothing; batch_id repeats a run without doing anything twice. Accepting a renewal ends the old services it carries over the day before it starts.", billing.RenewalsRequest{}, Renewals{}),
		get(prop, "A proposal with its lines.", ProposalResource{}),
		write(http.MethodPut, prop, "Replace a draft's title, start date, lines and offer (letter, packages, add-ons, signatories, expiry).", ProposalContent{}, ProposalResource{}, http.StatusOK),
		get(prop+"/document", "The document the signers read and sign (Markdown: the letter, the services, each service's terms, the choice once fixed) and its SHA-256; with Accept: text/markdown, the document itself and its hash in the Document-Hash header.", ProposalDocument{}),
		get(prop+"/evidence", "A signed proposal's evidence (each signature's name, email, time, IP, user agent and the hash of the document signed) and checks: SHA-256 of the accepted document is the hash recorded, and the signed PDF rendered again has the SHA-256 filed; 409 when it was not accepted by signature.", ProposalEvidence{}),
		download(prop+"/signed.pdf", "The signed-proposal PDF (the document and every signature's evidence), as an attachment; 404 until it is filed.", "application/pdf"),
		post(prop+"/signatures", "Sign for a signatory (or, without signatories, as whoever holds the link) the document whose hash is given; the signer's IP and user agent are the request's. The last signature accepts the proposal and starts the chosen services.", ProposalSigning{}, ProposalResource{}),
		post(prop+"/send", "Send (or re-send) a proposal.", ProposalSend{}, ProposalResource{}),
		post(prop+"/accept", "Record the client's acceptance of a proposal without signatories (409 with signatories: each signs); activates one service per line agreed.", ProposalAcceptance{}, ProposalResource{}),
		post(prop+"/decline", "Record that the client declined.", Reason{}, ProposalResource{}),
		post(prop+"/withdraw", "Withdraw a draft or sent proposal.", Reason{}, ProposalResource{}),
		post(prop+"/expire", "Expire a sent proposal.", ProposalExpiry{}, ProposalResource{}),
		list[ActivityLine](prop+"/activity", "A proposal's history."),

		get("/api/proposal-templates", "The proposal templates by name (archived ones with include_archived=true).", List[ProposalTemplateResource]{}, "include_archived"),
		create("/api/proposal-templates", "Create a proposal template: name, title, letter, core lines, packages, add-ons, expiry days.", billing.ProposalTemplateRequest{}, ProposalTemplateResource{}),
		get("/api/proposal-templates/{id}", "A proposal template.", ProposalTemplateResource{}),
		write(http.MethodPut, "/api/proposal-templates/{id}", "Replace a template's content whole.", billing.ProposalTemplateRequest{}, ProposalTemplateResource{}, http.StatusOK),
		post("/api/proposal-templates/{id}/archive", "Archive a template: no longer offered.", nil, ProposalTemplateResource{}),
		post("/api/proposal-templates/{id}/proposals", "Draft one proposal from the template for each client named (client_ids) or selected by filter and search; dry_run previews (title, totals per period) and drafts nothing. Ids derive from the batch: sent again, nothing is drafted twice.", TemplateProposals{}, TemplateProposalsResult{}),

		get(svc, "A service with its current terms and next billing.", ServiceView{}),
		write(http.MethodPatch, svc, "Change a service's terms from a date.", ServiceEdit{}, ServiceView{}, http.StatusOK),
		list[ScheduleItem](svc+"/schedule", "A service's items still to bill.", "through", "include_archived"),
		post(svc+"/switch-to-manual", "Pause a service: its unbilled items become manual.", nil, ServiceView{}),
		post(svc+"/switch-to-automatic", "Resume a service: its unbilled items become automatic.", nil, ServiceView{}),
		post(svc+"/end", "End a service on a date (cannot be undone).", ServiceEnding{}, ServiceView{}),
		list[ActivityLine](svc+"/activity", "A service's history."),

		get(item, "A schedule item still to bill (key <service_id>/<seq>).", ScheduleItemResource{}),
		write(http.MethodPatch, item, "Change an unbilled item.", service.ItemChanges{}, ScheduleItemResource{}, http.StatusOK),
		post(item+"/switch-to-manual", "Make an item wait to be issued by hand.", nil, ScheduleItemResource{}),
		post(item+"/switch-to-automatic", "Make an item be invoiced on its date.", nil, ScheduleItemResource{}),
		post(item+"/skip", "Leave an item unbilled; answers its service.", nil, ServiceView{}),
		post(item+"/schedule-issue", "Schedule a manual item to be invoiced on a date.", ItemIssue{}, ScheduleItemResource{}),
		create(item+"/bill", "Bill an item now (201 with the invoice).", ItemBill{}, InvoiceDetail{}),

		get("/api/collections", "The collections page as of today in the firm's time zone: totals per currency (upcoming collections, failed payments, overdue, and open balances by aging bucket: current, 1_30, 31_60, 61_90, over_90 days past due) and a page of each section: upcoming (scheduled first collections, soonest first), failed (declined payments with the decline reason, attempts since collection was scheduled, next retry or null, rejected since; longest failing first), overdue (open invoices past due, longest overdue first). currency and search narrow everything; limit sizes each page; a section's next link pages that section alone (section and cursor).", CollectionsView{}, "limit", "cursor", "section", "currency", "search"),
		list[InvoiceListItem]("/api/invoices", "The firm's invoices, newest first.", "client_id", "status"),
		post(inv+"/payment-link", "Sign a pay-now link for an open invoice (409 when nothing is owed): the client opens it, sees the invoice and pays its balance once, by card or bank account, on the gateway's hosted page (valid 30 days).", nil, PaymentLinkView{}),
		create("/api/invoices", "Issue an invoice for schedule items or instant-bill lines.", billing.IssueInvoiceRequest{}, InvoiceDetail{}),
		get(inv, "An invoice's page: lines, totals, payments, attempts, audit trail.", InvoiceDetail{}),
		post(inv+"/resend", "Email the invoice (again).", InvoiceSend{}, InvoiceDetail{}),
		post(inv+"/schedule-collection", "Schedule collecting the balance.", CollectionRequest{}, InvoiceDetail{}),
		post(inv+"/cancel-collection", "Cancel the scheduled collection or retry (the reason is optional and recorded); 409 when none is scheduled. Nothing is charged, and no run schedules it again, until someone schedules a collection or a retry.", Reason{}, InvoiceDetail{}),
		post(inv+"/retry", "Retry a rejected payment now (no date: today) or on a date, with the method last used or another; replaces a retry still pending, so one charge is made.", CollectionRequest{}, InvoiceDetail{}),
		post(inv+"/write-off", "Write off the outstanding balance.", Reason{}, InvoiceDetail{}),
		post(inv+"/void", "Void an invoice (a reason is required; not once paid).", VoidRequest{}, InvoiceDetail{}),
		post(inv+"/reminders/pause", "Pause the invoice's dunning (reminders, the final action, the write-off) until resumed; the reason is optional and recorded; 409 when nothing is owed.", Reason{}, InvoiceDetail{}),
		post(inv+"/reminders/resume", "Resume the invoice's dunning: the next daily run sends the latest reminder due.", nil, InvoiceDetail{}),
		post(inv+"/ledger/recreate", "Re-create the invoice in the connected ledger(s), with its payments, credits and void (staff and owners).", LedgerRecreateRequest{}, InvoiceDetail{}),
		list[AttemptView](inv+"/attempts", "An invoice's collection attempts."),
		post(SandboxWebhookPath, "The sandbox gateway's webhook: its checkout.session.completed and payment events, signed as Stripe signs (Stripe-Signature, with the secret the sandbox keeps in the data folder) and checked by the same code; 404 unless the sandbox is the gateway. Public: no session or token.", StripeEvent{}, WebhookAck{}),
		post(StripeWebhookPath, "Stripe's webhook: asynchronous payment results (payment_intent.succeeded, payment_intent.payment_failed), captured payment methods (checkout.session.completed) disputes (charge.dispute.created, charge.dispute.updated, charge.dispute.closed) and payouts (payout.paid, payout.failed: the payout sync records them), checked against the Stripe-Signature header; 404 unless Stripe is the gateway with a webhook secret. Public: no session or token.", StripeEvent{}, WebhookAck{}),
		list[LibraryService]("/api/library-services", "The firm's services library, by name: the services proposals and instant bills start from (active ones unless status says otherwise).", "status", "search"),
		create("/api/library-services", "Add a service to the library (its name unique among active services; unit_price in the firm's base currency, not negative; quantity defaults to 1).", LibraryServiceBody{}, LibraryService{}),
		get("/api/library-services/{id}", "One library service, archived or not; its ETag is the library's revision.", LibraryService{}),
		write(http.MethodPut, "/api/library-services/{id}", "Replace a library service's terms whole (what was started from it does not change); refused while archived.", LibraryServiceBody{}, LibraryService{}, http.StatusOK),
		post("/api/library-services/{id}/archive", "Archive a library service: it is no longer offered and its name is free; never deleted.", nil, LibraryService{}),
		post("/api/library-services/{id}/restore", "Offer an archived library service again (409/422 when an active service took its name).", nil, LibraryService{}),
		list[PriceIncrease]("/api/price-increases", "The bulk price increases, newest first, each with its status (scheduled, notified, effective, cancelled)."),
		withAlt(create("/api/price-increases", "Apply a bulk price increase: the services the filter selects (library service, client tag, client status, billing frequency, currency, clients; only services not ended that bill on a repeating rule) go up by the increase (percent or amount), rounded up to the cent, unit, 5 or 10, from effective_from (after today); each client's notice is emailed notice_days before it by the daily job. With dry_run true the answer is the plan (200: every service with its future billings at the old and new price, the change in recurring revenue per month and per year by client and in total, who is notified) and nothing is written. Refusals name the field (effective_from, notice_days, increase.value, rounding, filter.…).", PriceIncreaseBody{}, PriceIncrease{}), PriceIncreasePreview{}),
		get("/api/price-increases/{id}", "One bulk price increase: its terms, who approved it, every service with its old and new price, the notices sent.", PriceIncrease{}),
		post("/api/price-increases/{id}/cancel", "Cancel a price increase before its effective date (409 on or after it): every service whose price from that date is still the increase's new price goes back to its old price; a service whose price was changed by hand since keeps it and is listed in left_as_changed; no notice is sent after.", Reason{}, PriceIncrease{}),
		write(http.MethodPut, client+"/tags", "Replace a client's tags (the whole set; trimmed, repeats dropped case-insensitively; at most 20 of 40 characters, no commas).", ClientTags{}, ClientSummary{}, http.StatusOK),
		list[PayoutListItem]("/api/payouts", "The payment gateway's payouts to the firm's bank account, newest first (by arrival date): net paid out, gross settled, fees, and how many charges and refunds each holds."),
		get("/api/payouts/{id}", "One payout with every balance transaction it settles (charge, refund, dispute, dispute fee, adjustment): gross, fee, net, and the invoice when Remit knows it.", PayoutResource{}),
		report(get("/api/reports/recurring-revenue", "Monthly recurring revenue (MRR) and annual run rate (12 × MRR) today, per currency, and the MRR at the end of each of the last twelve months with its change. Every frequency is made monthly: every N months ÷ N, every N weeks × 30.4375 ÷ 7N, every N days × 30.4375 ÷ N (docs/reports.md).", RecurringRevenueReport{})),
		report(get("/api/reports/projected-billings", "What the schedules will bill (before tax) from today to the end of the eleventh month after this one, per currency, by month and by service.", ProjectedBillingsReport{})),
		report(get("/api/reports/revenue", "Revenue of a period: invoices issued from..to (both included; default the twelve months ending this month), not void, before tax, net of credit notes and refunds, per currency, by service and by client.", RevenueReport{}, "from", "to")),
		report(get("/api/reports/receivables", "Accounts receivable by age today: open balances by days past due (current, 1-30, 31-60, 61-90, over_90), per currency.", ReceivablesReport{})),
		report(get("/api/reports/collections", "Collection attempts of the last twelve months: attempts, succeeded, rejected, success rate (succeeded ÷ attempts), by month, and rejections by decline code.", CollectionsReport{})),
		report(get("/api/reports/proposals", "Proposals sent, accepted and declined in each of the last twelve months, and conversion: of the proposals sent, the percentage accepted since.", ProposalsReport{})),
		report(get("/api/reports/dso", "Days sales outstanding today, per currency: open balances ÷ totals invoiced in the last 90 days (not void) × 90.", DSOReport{})),
		get("/api/ledger", "The ledger connections (Xero, QuickBooks Online), how many invoices each has synced, waiting or failed, and the recorded reconciliation runs.", LedgerView{}),
		create(inv+"/attempts", "Record a gateway collection attempt.", AttemptRequest{}, AttemptResource{}),
		get(inv+"/attempts/{attempt_id}", "One collection attempt.", AttemptResource{}),
		list[CreditNoteView](inv+"/credit-notes", "An invoice's credit notes."),
		create(inv+"/credit-notes", "Credit part or all of the balance.", CreditNoteRequest{}, CreditNoteResource{}),
		get(inv+"/credit-notes/{credit_note_id}", "One credit note.", CreditNoteResource{}),
		list[RefundView](inv+"/refunds", "An invoice's refunds of collected gateway payments."),
		create(inv+"/refunds", "Refund part (amount) or all (no amount) of a collected gateway payment (charge_reference; default: the last one with something left to refund) through the payment gateway, with a reason; the refund's credit note is issued with it. 422 for more than is left, 409 while the payment is disputed or when the gateway refuses. Send an Idempotency-Key: a retry names the same refund, which the gateway makes once.", RefundRequest{}, RefundResource{}),
		get(inv+"/refunds/{refund_id}", "One refund.", RefundResource{}),
		list[DisputeView](inv+"/disputes", "An invoice's disputes (chargebacks) of gateway payments, as the gateway reported them: open, won or lost (with the dispute fee)."),
		list[PaymentView](inv+"/payments", "Money received on an invoice."),
		create(inv+"/payments", "Record a payment received outside the gateway.", OfflinePayment{}, PaymentResource{}),
		get(inv+"/payments/{payment_id}", "One payment.", PaymentResource{}),
		list[ActivityLine](inv+"/activity", "An invoice's audit trail."),
		download(inv+"/ubl", "The invoice as a UBL 2.1 e-invoice (EN 16931, Peppol BIS Billing 3.0), as an attachment; 409 for a void invoice, 422 when a firm setting it needs is missing.", "application/xml"),
		download(inv+"/credit-notes/{credit_note_id}/ubl", "A credit note as a UBL 2.1 CreditNote (EN 16931, Peppol BIS Billing 3.0), as an attachment.", "application/xml"),
		download(inv+"/pdf", "The invoice as the PDF its email attaches, as it stands now (payments so far, the amount still due; as of as_of when given), as an attachment named after its number.", "application/pdf"),
		download(inv+"/credit-notes/{credit_note_id}/pdf", "A credit note as the PDF its email attaches (numbered <invoice>-CN<n>: the invoice credited, the reason, the amount and its tax share, what was left to pay), as an attachment.", "application/pdf"),

		withCSV(post("/api/billing-runs", "Run billing and payment collection now for today in the firm's time zone (what the daily run does); running it again, or in two processes at once, issues and charges nothing twice. It answers what billing, collection and the daily jobs (reminders, final actions, write-offs, notices, payouts) did, jobs as {count, what, failed}. With {\"dry_run\": true, \"as_of\": \"YYYY-MM-DD\"} it writes nothing and answers in preview the invoices the run as of that date would issue (no numbers: numbers are given when issued) and the payments collection would take; as CSV, the planned invoices' lines.", BillingRunRequest{}, BillingRunResult{})),
		withCSV(get("/api/billing-runs/preview", "The billing dry run as a read: what the run on date (default today) would issue and collect, writing nothing (as POST /api/billing-runs with dry_run). Its parameter is date, not as_of: as_of on a read means the read models as of a past moment.", BillingRunResult{}, "date")),
		get("/api/changes", "What changed in the whole firm between two moments: the activity lines of the events between them, and a field-by-field difference of the clients and invoices lists.", Changes{}, "from", "to"),
		get(client+"/changes", "What changed of a client between two moments: the activity lines, and a field-by-field difference of its summary, services, billing schedule and invoices.", Changes{}, "from", "to"),
		get(svc+"/changes", "What changed of a service between two moments: the activity lines, and a field-by-field difference of the service and its schedule.", Changes{}, "from", "to"),
		get(inv+"/changes", "What changed of an invoice between two moments: the activity lines, and a field-by-field difference of its detail.", Changes{}, "from", "to"),
		write(http.MethodPost, "/api/imports/clients", "Import clients and contacts from a Xero contacts export: the body is the CSV (Content-Type text/csv). Every row is checked first; invalid rows are listed as errors rows[N].Column (422) and nothing is imported unless skip_invalid=true. Importing the same file again creates nothing twice.", nil, ImportResult{}, http.StatusOK, "skip_invalid"),
	}
}

var queryParams = map[string]string{
	"limit":                         "Page size, 1 to 500 (default 50).",
	"cursor":                        "Opaque cursor from a list's next link.",
	"search":                        "Case-insensitive substring: clients (and the collections page's clients), of the client's or a contact's name or email; library services, of the name, description or unit.",
	"filter":                        "active, archived, has_overdue, no_active_method (not archived, no method that can be charged) or request_unanswered (asked for payment details, not answered).",
	"status":                        "Services: active or ended. Payment-details requests: unanswered, answered or all. Invoices: comma-separated statuses (awaiting_payment, payment_scheduled, paid, partly_paid, payment_rejected, written_off, void, overdue). Library services: active (the default), archived or all.",
	"through":                       "Last date shown (YYYY-MM-DD); default a year from today.",
	"include_archived":              "true to include items after a service's end.",
	"client_id":                     "Only this client's invoices.",
	"section":                       "Collections: upcoming, failed or overdue: answer that section alone (with the totals); a cursor needs it.",
	"currency":                      "Collections: only amounts in this ISO 4217 currency (e.g. AUD).",
	"new_primary_contact_id":        "The next primary contact, when removing the primary one.",
	"new_default_payment_method_id": "The next default method, when removing the default one.",
	"date":                          "The date of a billing dry run (YYYY-MM-DD); default today in the firm's time zone.",
	"skip_invalid":                  "true to import the valid rows and report the others.",
	"from":                          "Reports: the period's first day (YYYY-MM-DD), with to. Changes: the earlier moment (required): an RFC 3339 time, a local date-time or a date in the firm's time zone (a date means the end of that day), or a log position p:N.",
	"to":                            "Reports: the period's last day (YYYY-MM-DD), with from. Changes: the later moment, as from; default now.",
	"format":                        "csv to download the whole list (every page) as CSV, as Accept: text/csv does (columns in docs/exports.md); json (the default) for one page.",
	"tag":                           "Only the clients with this tag (case-insensitive).",
	"table":                         "Reports as CSV: which of the report's tables (names in docs/exports.md, e.g. mrr-AUD); default the first.",
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the API's OpenAPI 3 document as JSON.
func OpenAPI() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	problem := map[string]any{"$ref": "#/components/responses/Problem"}
	for _, op := range operations() {
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"},
				"description": "An id (UUID), or for seq the item's sequence number."})
		}
		for _, q := range op.query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}, "description": queryParams[q]})
		}
		responses := map[string]any{}
		success := map[string]any{"description": http.StatusText(op.status), "content": map[string]any{"application/json": map[string]any{"schema": g.response(reflect.TypeOf(op.resp))}}}
		if op.media != "" {
			success["content"] = map[string]any{op.media: map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		if op.csv {
			success["content"].(map[string]any)["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"},
				"description": "The whole list as RFC 4180 CSV (columns in docs/exports.md); cells starting with = + - @ are prefixed with '."}
		}
		if op.method == http.MethodGet {
			params = append(params, map[string]any{"$ref": "#/components/parameters/IfNoneMatch"}, map[string]any{"$ref": "#/components/parameters/AsOf"})
			success["headers"] = map[string]any{"ETag": map[string]any{"description": "The aggregate stream's revision (single resources).", "schema": map[string]any{"type": "string"}},
				AsOfPositionHeader: map[string]any{"description": "With as_of: the position of the last event the answer includes.", "schema": map[string]any{"type": "integer"}},
				AsOfTimeHeader:     map[string]any{"description": "With as_of: when that event was recorded (RFC 3339).", "schema": map[string]any{"type": "string", "format": "date-time"}}}
			responses["304"] = map[string]any{"description": "Not modified (If-None-Match names the current revision)."}
			responses["400"], responses["404"] = problem, problem
		} else {
			params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"},
				map[string]any{"$ref": "#/components/parameters/IfMatch"}, map[string]any{"$ref": "#/components/parameters/Actor"})
			success["headers"] = map[string]any{
				"ETag":     map[string]any{"description": "The changed aggregate's revision.", "schema": map[string]any{"type": "string"}},
				"Location": map[string]any{"description": "The created or changed resource.", "schema": map[string]any{"type": "string"}},
			}
			responses["202"] = map[string]any{"description": "Recorded, but the read models did not show it in time; the body is the command's result.",
				"content": map[string]any{"application/json": map[string]any{"schema": g.response(reflect.TypeFor[commandResult]())}}}
			for _, code := range []string{"400", "404", "409", "412", "413", "415", "422"} {
				responses[code] = problem
			}
		}
		responses[strconv.Itoa(op.status)] = success
		if op.alt != nil {
			responses["200"] = map[string]any{"description": "The dry run's answer: nothing was written.",
				"content": map[string]any{"application/json": map[string]any{"schema": g.response(reflect.TypeOf(op.alt))}}}
		}
		responses["500"] = problem
		o := map[string]any{"summary": op.summary, "operationId": operationID(op), "parameters": params, "responses": responses,
			"tags": []string{strings.Split(strings.TrimPrefix(op.path, "/api/"), "/")[0]}}
		if op.body != nil {
			o["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.body))}}}
		}
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path][strings.ToLower(op.method)] = o
	}
	g.answers = true
	g.defs["Problem"] = g.object(reflect.TypeFor[Problem]())
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Remit API", "version": "1",
			"description": "The JSON API of Remit, an event-sourced client-billing ledger. Errors are application/problem+json (RFC 9457): 400 a request that cannot be read (malformed JSON, unknown or missing fields, wrong types, unparseable values), 422 a well-formed request that breaks a rule, 404 unknown ids, 409 a state that forbids the change, 412 an If-Match that does not match, 413 a body over 1 MiB. Lists take limit and cursor and answer {items, total, limit, next}. Every GET takes as_of (see the AsOf parameter) and answers as of that moment. The actor is the X-Remit-Actor header (default api); there is no authentication yet."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"responses": map[string]any{"Problem": map[string]any{"description": "A problem (RFC 9457) with field-level errors.",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}},
			"parameters": map[string]any{
				"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "maxLength": 255},
					"description": "Retrying with the same key answers the first response and appends nothing; a key reused for another request is 422."},
				"IfMatch": map[string]any{"name": "If-Match", "in": "header", "schema": map[string]any{"type": "string"},
					"description": "The ETag the change is based on; 412 and nothing appended when the resource has changed since."},
				"IfNoneMatch": map[string]any{"name": "If-None-Match", "in": "header", "schema": map[string]any{"type": "string"},
					"description": "304 when the resource is still at this ETag."},
				"AsOf": map[string]any{"name": AsOfParam, "in": "query", "schema": map[string]any{"type": "string"},
					"description": "Answer as the read models stood at a past moment: an RFC 3339 time (2026-03-01T12:00:00Z), a local date-time (2026-03-01T12:00) or a date (2026-03-01, the end of that day) in the firm's time zone, or a log position (p:1234). A time means what had been recorded by then. The moment is answered in the Remit-As-Of-Position and Remit-As-Of-Time headers, and in a list's as_of. A bad value is 400 naming as_of; a write sent with as_of is 409 and appends nothing."},
				"Actor": map[string]any{"name": "X-Remit-Actor", "in": "header", "schema": map[string]any{"type": "string"},
					"description": "Who is asking, recorded on every event (default api)."},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// operationID is e.g. "post /api/invoices/{id}/void".
func operationID(op operation) string { return strings.ToLower(op.method) + " " + op.path }

// schemaGen derives JSON schemas from Go types: the wire types the API
// answers (wire.go, wire_views.go) and the request types it decodes, with
// encoding/json's field naming (the JSON tags), so the document cannot
// disagree with the wire; TestOpenAPISchemasMatchWireTypes checks it
// against what encoding/json writes.
type schemaGen struct {
	defs map[string]any
	// answers is set while describing a response: its objects require the
	// fields the API always writes (those without omitempty or omitzero).
	// A request's required fields depend on the operation, so request
	// objects list none.
	answers bool
}

// response describes a type the API answers.
func (g *schemaGen) response(t reflect.Type) map[string]any {
	g.answers = true
	defer func() { g.answers = false }()
	return g.schema(t)
}

var (
	wireIDType      = reflect.TypeFor[ID]()
	wireTimeType    = reflect.TypeFor[Time]()
	wireDecimalType = reflect.TypeFor[Decimal]()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case wireIDType:
		return map[string]any{"type": "string", "format": "uuid", "nullable": true}
	case wireTimeType:
		return map[string]any{"type": "string", "format": "date-time", "nullable": true}
	case wireDecimalType:
		return map[string]any{"type": "string", "format": "decimal", "description": "A decimal number as a string, e.g. \"12.50\"."}
	case timeType:
		return map[string]any{"type": "string", "format": "date-time", "nullable": true}
	case uuidType:
		return map[string]any{"type": "string", "format": "uuid", "nullable": true}
	case decimalType:
		return map[string]any{"type": "string", "format": "decimal", "description": "A decimal number as a string, e.g. \"12.50\" (a JSON number is accepted on input)."}
	case dateType:
		return map[string]any{"type": "string", "format": "date", "nullable": true}
	case currencyType:
		return map[string]any{"type": "string", "description": "An ISO 4217 currency code, e.g. AUD."}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if _, ref := s["$ref"]; ref {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{"nullable": true, "description": "Any JSON value."}
	case reflect.Struct:
		name := schemaName(t)
		if name == "" {
			return g.object(t)
		}
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // reserve, for recursive types
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, f := range fieldList(t) {
		props[f.name] = g.schema(f.typ)
		if g.answers && !f.omitEmpty && !f.omitZero {
			required = append(required, f.name)
		}
	}
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// schemaName names a struct type's component ("api.ClientSummary"),
// or "" for a generic or unnamed type, which is inlined.
func schemaName(t reflect.Type) string {
	if t.Name() == "" || strings.Contains(t.Name(), "[") {
		return ""
	}
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return pkg + "." + t.Name()
}
