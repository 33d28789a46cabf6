package ui

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/formats/pdf"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/projections"
	"remit/web/auth"
)

// Client links are the only pages a firm's client sees: reached through a
// signed token in the path (/c/p/{token} accepts one proposal, /c/m/{token}
// adds or replaces a payment method, and for one invoice retries its
// rejected payment, replacing a retry still pending, or has it charged when
// nothing collects it, now or on a date, with a new method or one on file),
// they need no sign-in and show nothing but what the link is for.
// The token names the client, the purpose and the proposal or invoice; a
// page that finds the resource belongs to another client refuses the link
// exactly as it refuses a tampered or expired one. They have their own
// layout (no staff navigation, no script) and write through billing like
// every staff form: the form's one-time token is the command id, and every
// input is checked by the pure deciders before anything is appended. A new
// card or bank account is never typed here: the client is sent to the
// gateway's hosted page (capture.go) and comes back to the link's
// /captured page, which records it (and retries the payment with it, when
// the client asked).

// ClientLinkTTL is how long the client links shown to staff stay valid.
const ClientLinkTTL = 30 * 24 * time.Hour

// linkInvalidText is all a refused link is told.
const linkInvalidText = "This link is no longer valid. Ask the firm that sent it for a new one."

// registerClientLinkRoutes registers the client links: public, since the
// signed token in the path is their only authority, checked by each page.
func (h *handler) registerClientLinkRoutes(rt routes) {
	pub := rt.public()
	pub.get("/c/p/{token}", h.handleLinkProposal)
	pub.post("/c/p/{token}", h.handleLinkAccept)
	pub.get("/c/p/{token}/captured", h.handleLinkAcceptCaptured)
	pub.get("/c/p/{token}/signed.pdf", h.handleLinkSignedPDF)
	pub.get("/c/m/{token}", h.handleLinkMethodForm)
	pub.post("/c/m/{token}", h.handleLinkMethod)
	pub.get("/c/m/{token}/captured", h.handleLinkMethodCaptured)
	pub.prefix("/c/", func(w http.ResponseWriter, r *http.Request) {
		h.linkRefused(w, r, http.StatusNotFound)
	})
}

// mustParseLinkPages parses the client-facing pages under templates/client
// with their own layout and the shared form partials.
func mustParseLinkPages() map[string]*pageTemplate {
	base := template.Must(template.New("").Funcs(funcs()).ParseFS(assets, "templates/partials.html", "templates/client/layout.html"))
	names, err := fs.Glob(assets, "templates/client/page_*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(assets, n))
		out[strings.TrimSuffix(strings.TrimPrefix(path.Base(n), "page_"), ".html")] = &pageTemplate{t: t}
	}
	return out
}

// renderLink writes a client-facing page. Besides the UI's security
// headers, the token in the URL must not leak through Referer to other
// sites (same-origin, not no-referrer: that would make browsers send
// "Origin: null" with the form), and
// neither the page nor its token is cached or indexed.
func (h *handler) renderLink(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := h.linkPages[page]
	if !ok {
		h.log.Error("ui: no such client page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.Flash == "" && v.FlashErr == "" && r.Method == http.MethodGet {
		v.Flash, v.FlashErr = takeFlash(w, r)
	}
	if v.loc == nil {
		v.loc = time.UTC
	}
	var buf bytes.Buffer
	if err := t.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("ui: render client page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// linkRefused is the page of every refused link: it says so and shows
// nothing else, not even the firm's name.
func (h *handler) linkRefused(w http.ResponseWriter, r *http.Request, status int) {
	h.renderLink(w, r, status, "invalid", &view{Title: "Link not valid", D: linkInvalidText})
}

// verifyLink checks the path's token for purpose; a refused token gets
// the refusal page.
func (h *handler) verifyLink(w http.ResponseWriter, r *http.Request, purpose auth.Purpose) (auth.Link, bool) {
	if h.cfg.Links == nil {
		h.linkRefused(w, r, http.StatusNotFound)
		return auth.Link{}, false
	}
	l, err := h.cfg.Links.Verify(r.PathValue("token"), purpose, h.cfg.Now())
	if err == nil && h.cfg.Store != nil {
		err = auth.CheckNotRevoked(r.Context(), h.cfg.Store, l) // "Revoke client links"
	}
	if err != nil || (purpose == auth.PurposeAcceptProposal && l.Resource == uuid.Nil) {
		h.linkRefused(w, r, http.StatusForbidden)
		return auth.Link{}, false
	}
	if r.Method == http.MethodPost {
		// The token is the authority, but a form posted from another site
		// still has no business here.
		if !auth.SameOrigin(r) {
			h.linkRefused(w, r, http.StatusForbidden)
			return auth.Link{}, false
		}
	}
	return l, true
}

// linkFailed answers an error while loading a link's page: what does not
// exist (or is another client's) is the refusal page, anything else the
// generic message.
func (h *handler) linkFailed(w http.ResponseWriter, r *http.Request, err error) {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		h.linkRefused(w, r, http.StatusNotFound)
		return
	}
	h.renderLink(w, r, http.StatusInternalServerError, "invalid", &view{Title: "Something went wrong", D: h.userMessage(r, err)})
}

// linkMeta is the metadata of a command sent through a client link: the
// client is the actor, and the form's one-time token (plus step, for the
// second command of a form) the command id.
func linkMeta(l auth.Link, formToken, step string) billing.Meta {
	id := "link:" + formToken
	if step != "" {
		id += ":" + step
	}
	return billing.Meta{Actor: "client-link:" + l.ClientID.String(), CommandID: id}
}

// formToken is the submitted one-time token, or a fresh one (a form
// without its token runs once).
func formToken(r *http.Request) string {
	if t, err := uuid.Parse(r.PostFormValue(tokenField)); err == nil {
		return t.String()
	}
	return uuid.NewString()
}

// waitFor waits for the read models to reach pos.
func (h *handler) waitFor(ctx context.Context, pos uint64) {
	if h.cfg.Runner == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.WaitTimeout)
	defer cancel()
	if err := h.cfg.Runner.WaitFor(ctx, pos); err != nil {
		h.log.Warn("read models did not catch up after a client-link command", "position", pos, "err", err)
	}
}

// linkClient is the link's client as the read models show it, and today in
// the firm's time zone.
func (h *handler) linkClient(ctx context.Context, l auth.Link) (projections.ClientSummary, domain.Date, *time.Location, error) {
	today, loc, err := h.today(ctx)
	if err != nil {
		return projections.ClientSummary{}, today, loc, err
	}
	c, err := h.models(ctx).Summary(ctx, l.ClientID, today)
	return c, today, loc, err
}

// activeMethods are the client's methods that can be charged.
func activeMethods(c projections.ClientSummary) []projections.PaymentMethodView {
	var out []projections.PaymentMethodView
	for _, m := range c.PaymentMethods {
		if m.Status == client.MethodActive {
			out = append(out, m)
		}
	}
	return out
}

// ---- Proposal acceptance ----

// acceptPage is the acceptance page: the proposal with its amounts, the
// client's methods on file, and the link's path for the form.
type acceptPage struct {
	Action     string
	ClientName string
	Proposal   proposal.State
	// Value is the lines' amounts, the totals per cadence (never added
	// across cadences) and the first-year value.
	Value   proposal.Value
	TaxMode domain.TaxMode
	Methods []projections.PaymentMethodView
	// AcceptedWith is the label of the method chosen on acceptance.
	AcceptedWith string
	// CanCapture: the gateway's page can take a new card or bank account.
	CanCapture bool
	// Surcharge tells the client what the firm adds to card (and bank
	// debit) payments; "" when nothing (surcharge.go).
	Surcharge string

	primary projections.ContactView // to prefill the signer
	signing
}

// Open reports whether the proposal can still be accepted.
func (p acceptPage) Open() bool { return p.Proposal.Status == proposal.StatusSent }

// NeedsMethod reports whether the proposal was accepted and the client has
// no payment method to pay with yet (the gateway's page was left before a
// card or account was added): the page offers to add one.
func (p acceptPage) NeedsMethod() bool {
	return p.Proposal.Status == proposal.StatusAccepted && p.Proposal.PaymentMethodID == uuid.Nil && len(p.Methods) == 0 && p.CanCapture
}

// loadAcceptPage loads what a proposal link shows, refusing a link whose
// proposal is another client's.
func (h *handler) loadAcceptPage(ctx context.Context, l auth.Link, action string) (*acceptPage, *view, error) {
	pg, v, err := h.loadAcceptPageOnly(ctx, l, action)
	if err != nil {
		return pg, v, err
	}
	return pg, v, h.loadSigning(ctx, l, pg)
}

func (h *handler) loadAcceptPageOnly(ctx context.Context, l auth.Link, action string) (*acceptPage, *view, error) {
	p, err := h.proposalState(ctx, l.Resource)
	if err != nil {
		return nil, nil, err
	}
	if p.ClientID != l.ClientID {
		return nil, nil, domain.NotFound("There is no such proposal.")
	}
	c, today, loc, err := h.linkClient(ctx, l)
	if err != nil {
		return nil, nil, err
	}
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return nil, nil, err
	}
	value, err := proposal.ValueOf(p, f.TaxMode, today)
	if err != nil {
		return nil, nil, fmt.Errorf("value of proposal %s: %w", p.ID, err)
	}
	pg := &acceptPage{Action: action, ClientName: c.Name, Proposal: p, Value: value, TaxMode: f.TaxMode, Methods: activeMethods(c), CanCapture: h.cfg.Checkout != nil,
		Surcharge: surchargeNotice(f)}
	for _, ct := range c.Contacts {
		if ct.Primary {
			pg.primary = ct
		}
	}
	if p.PaymentMethodID != uuid.Nil {
		pg.AcceptedWith = methodName(&c, p.PaymentMethodID)
	}
	return pg, &view{Title: p.Title, FirmName: f.Name, Today: today, loc: loc, D: pg}, nil
}

func (h *handler) handleLinkProposal(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposeAcceptProposal)
	if !ok {
		return
	}
	pg, v, err := h.loadAcceptPage(r.Context(), l, r.URL.Path)
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	h.recordView(r, l, pg)
	f := newForm()
	if pg.ChoiceFixed() || len(pg.Packages()) > 0 {
		id := pg.Proposal.PackageID
		if !pg.ChoiceFixed() {
			id = pg.Proposal.Packages[0].ID
		}
		f.set("package_id", id.String())
	}
	for _, id := range pg.Proposal.AddOnIDs {
		f.Values.Add("add_on_ids", id.String())
	}
	f.set("accepted_by_name", pg.primary.Name)
	f.set("accepted_by_email", pg.primary.Email)
	switch {
	case len(pg.Methods) == 0:
		f.set("payment_method", "new")
	default:
		f.set("payment_method", pg.Methods[0].ID.String())
		for _, m := range pg.Methods {
			if m.Default {
				f.set("payment_method", m.ID.String())
			}
		}
	}
	v.Form = f
	h.renderLink(w, r, http.StatusOK, "accept", v)
}

// acceptRequest reads the acceptance form: the signer, the consent, and
// the method (on file; or new: accepted without one, then the client adds
// it on the gateway's page, and it becomes the default the services pay
// with).
func acceptRequest(fs *fields, pg *acceptPage) (req billing.AcceptProposalRequest, newMethod bool) {
	req = billing.AcceptProposalRequest{ProposalID: pg.Proposal.ID, AcceptedByName: fs.str("accepted_by_name"), AcceptedByEmail: fs.str("accepted_by_email")}
	req.SignatureName = req.AcceptedByName // the typed name is the signature, with the box below
	if id, err := uuid.Parse(fs.str("package_id")); err == nil {
		req.PackageID = id
	}
	for _, s := range fs.r.PostForm["add_on_ids"] {
		if id, err := uuid.Parse(s); err == nil {
			req.AddOnIDs = append(req.AddOnIDs, id)
		}
	}
	if fs.str("accept") != "on" {
		fs.p.Add("accept", "tick the box to accept the proposal")
	}
	switch choice := fs.str("payment_method"); choice {
	case "new":
		if !pg.CanCapture {
			fs.p.Add("payment_method", "a new card or bank account cannot be added here: choose one on file")
		}
		return req, true
	case "":
		fs.p.Add("payment_method", "choose how you will pay")
	default:
		id, err := uuid.Parse(choice)
		found := false
		for _, m := range pg.Methods {
			found = found || (err == nil && m.ID == id)
		}
		if !found { // only this client's own active methods are offered
			fs.p.Add("payment_method", "choose one of the options")
		}
		req.PaymentMethodID = id
	}
	return req, false
}

func (h *handler) handleLinkAccept(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposeAcceptProposal)
	if !ok {
		return
	}
	ctx := r.Context()
	// One acceptance of a proposal at a time: a double submit (or a
	// second tab) finds it accepted and is shown the thanks.
	defer h.tokens.lock("accept:" + l.Resource.String())()
	pg, v, err := h.loadAcceptPage(ctx, l, r.URL.Path)
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	token := formToken(r)
	if !pg.Open() {
		// "Add a card or bank account" on the accepted page, or the same
		// acceptance sent twice (the same token: the same gateway page).
		accepted := pg.Proposal.Status == proposal.StatusAccepted && pg.Proposal.PaymentMethodID == uuid.Nil && pg.CanCapture
		if (pg.NeedsMethod() && r.PostFormValue("do") == "capture") || (accepted && r.PostFormValue("payment_method") == "new") {
			h.acceptCapture(w, r, l, pg, token)
			return
		}
		redirect(w, r, r.URL.Path, "")
		return
	}
	if pg.Signing || r.PostFormValue("do") == "update" {
		h.linkSign(w, r, l, pg, v, token)
		return
	}
	fs := readForm(r)
	req, newMethod := acceptRequest(fs, pg)
	now := h.cfg.Now()
	// The deciders' checks, before anything is appended; the method the
	// client adds here counts as theirs (billing checks again on the log).
	var facts domain.ClientFacts
	for _, m := range pg.Methods {
		facts.PaymentMethods = append(facts.PaymentMethods, m.ID)
	}
	_, acceptErr := proposal.Decide(pg.Proposal, proposal.AcceptProposal{ProposalID: req.ProposalID, AcceptedByName: req.AcceptedByName,
		AcceptedByEmail: req.AcceptedByEmail, SignatureName: req.SignatureName, AcceptedOn: v.Today, PaymentMethodID: req.PaymentMethodID,
		PackageID: req.PackageID, AddOnIDs: req.AddOnIDs, Client: facts, Now: now})
	err = gather(fs.err(), acceptErr)
	var res billing.Result
	if err == nil {
		res, err = h.cfg.Billing.AcceptProposal(ctx, req, linkMeta(l, token, ""))
	}
	if err != nil {
		f := formFrom(r)
		f.Token = token
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, func(field string) string {
			if field == "signature_name" {
				return "accepted_by_name"
			}
			return field
		})
		v.Form = f
		h.renderLink(w, r, linkStatus(err), "accept", v)
		return
	}
	h.waitFor(ctx, res.Position)
	if newMethod {
		pg.Proposal.Status = proposal.StatusAccepted
		h.acceptCapture(w, r, l, pg, token)
		return
	}
	redirect(w, r, r.URL.Path, "Thank you: your acceptance is recorded.")
}

// acceptCapture sends the client who accepted to the gateway's page to add
// the card or bank account the accepted services will pay with.
func (h *handler) acceptCapture(w http.ResponseWriter, r *http.Request, l auth.Link, pg *acceptPage, token string) {
	path := "/c/p/" + r.PathValue("token")
	err := h.startCapture(w, r, gateways.CaptureRequest{ClientID: l.ClientID, Purpose: gateways.PurposeAccept, ProposalID: pg.Proposal.ID,
		Key: "link/" + token, ReturnURL: captureReturn(r, path+"/captured"), CancelURL: absURL(r, path)})
	if err != nil {
		redirectError(w, r, path, "Your acceptance is recorded, but the payment page could not be opened: "+h.userMessage(r, err))
	}
}

// handleLinkAcceptCaptured is where the gateway's page sends the client
// back after adding the method on acceptance.
func (h *handler) handleLinkAcceptCaptured(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposeAcceptProposal)
	if !ok {
		return
	}
	path := "/c/p/" + r.PathValue("token")
	got, err := h.recordCapture(r, l.ClientID, "client-link:"+l.ClientID.String())
	switch {
	case err != nil:
		redirectError(w, r, path, "Your card or bank account could not be recorded: "+h.userMessage(r, err))
	case got.Status != payments.SessionComplete:
		redirectError(w, r, path, notCaptured)
	default:
		redirect(w, r, path, "Thank you: your acceptance is recorded, and your payment method "+capturedText(got)+" is on file.")
	}
}

// linkStatus is the status of a refused client-link form.
func linkStatus(err error) int {
	if s := statusOf(err); s != http.StatusNotFound && s != http.StatusForbidden {
		return s
	}
	return http.StatusUnprocessableEntity
}

// gather joins the field problems of every check, so a form shows them
// all at once; any other refusal (a conflict, an internal error) wins.
func gather(errs ...error) error {
	var p domain.Problems
	for _, err := range errs {
		if err == nil {
			continue
		}
		if domain.ErrorCode(err) != domain.EINVALID {
			return err
		}
		p.Merge(err)
	}
	return p.Err()
}

// ---- Payment method (and retry) ----

// methodLinkPage is the payment-method page: the methods on file, and the
// invoice whose rejected payment the link is about, if any.
type methodLinkPage struct {
	Action     string
	ClientName string
	Methods    []projections.PaymentMethodView
	Invoice    *projections.InvoiceDetail
	// Surcharge tells the client what the firm adds to card (and bank
	// debit) payments; "" when nothing (surcharge.go).
	Surcharge string
	// TransferTo is the firm's account for transfers (pdf.TransferTo).
	TransferTo string
}

// CanRetry reports whether the invoice's payment was rejected (and maybe a
// retry is pending): the client can retry it now or on a date, with a new
// method or one on file; a pending retry is replaced, never doubled.
func (p methodLinkPage) CanRetry() bool {
	if p.Invoice == nil {
		return false
	}
	c := p.Invoice.Collection
	return p.Invoice.StoredStatus == invoice.StatusPaymentRejected ||
		(p.Invoice.StoredStatus == invoice.StatusPaymentScheduled && c != nil && c.Retry)
}

// CanPay reports whether the invoice is open with nothing scheduled to
// collect it (no method when issued, or staff cancelled the collection): the
// client can have it charged to a method on file or a new one, now or on a
// date.
func (p methodLinkPage) CanPay() bool {
	if p.Invoice == nil || p.Invoice.Collection != nil || !p.Invoice.Balance.Amount.IsPositive() {
		return false
	}
	return p.Invoice.StoredStatus == invoice.StatusAwaitingPayment || p.Invoice.StoredStatus == invoice.StatusPartlyPaid
}

// Chargeable reports whether the client can have the invoice charged
// through this link: a retry (CanRetry) or a first collection (CanPay).
func (p methodLinkPage) Chargeable() bool { return p.CanRetry() || p.CanPay() }

// charge schedules what chargeCommand decides.
func (h *handler) charge(ctx context.Context, p *methodLinkPage, on domain.Date, method uuid.UUID, meta billing.Meta) (billing.Result, error) {
	r := billing.InvoiceRequest{InvoiceID: p.Invoice.ID, Date: on, PaymentMethodID: method}
	if p.CanRetry() {
		return h.cfg.Billing.ScheduleRetry(ctx, r, meta)
	}
	return h.cfg.Billing.ScheduleCollection(ctx, r, meta)
}

// Declined tells the client why the last payment was declined, as one
// sentence: "Your last payment was declined: Your card was declined." (the
// gateway's message keeps its own full stop, and gets one when it has none).
func (p methodLinkPage) Declined() string {
	const s = "Your last payment was declined"
	if p.Invoice == nil || p.Invoice.LastRejection == nil || strings.TrimSpace(p.Invoice.LastRejection.DeclineMessage) == "" {
		return s + "."
	}
	return s + ": " + domain.Sentence(p.Invoice.LastRejection.DeclineMessage)
}

// RetryPending is the pending retry, if any.
func (p methodLinkPage) RetryPending() *invoice.Collection {
	if !p.CanRetry() || p.Invoice.Collection == nil {
		return nil
	}
	return p.Invoice.Collection
}

// maxLinkRetryDays bounds how far ahead a client may put off a retry.
const maxLinkRetryDays = 30

// readRetryDate reads the date a client chose for the retry (field name):
// today when empty, else from today to maxLinkRetryDays ahead.
func readRetryDate(fs *fields, name string, today domain.Date) domain.Date {
	d := fs.date(name, false)
	switch {
	case d.IsZero():
		return today
	case d.Before(today):
		fs.p.Add(name, "choose today or a later date")
	case d.After(today.AddDays(maxLinkRetryDays)):
		fs.p.Add(name, "choose a date within the next %d days", maxLinkRetryDays)
	}
	return d
}

// chargeDone is the confirmation of a charge scheduled through the link.
func chargeDone(p *methodLinkPage, on, today domain.Date, method string) string {
	when := "today"
	if on != today {
		when = "on " + fmtDate(on)
	}
	if p.CanRetry() {
		return "The payment of invoice " + p.Invoice.Number + " will be retried " + when + " with " + method + "."
	}
	return "Invoice " + p.Invoice.Number + " will be charged " + when + " to " + method + "."
}

// chargedNow has the link page's invoice charged on the spot when the
// client asked for the charge today (Config.AttemptDueNow: the attempt the
// daily collection would make, with the same idempotency key), and says
// what came of it; bad is true when it was declined or failed. A charge on
// a later date, or no gateway at hand, is told as scheduled (chargeDone,
// naming the method as named: "it" after a sentence that named it).
func (h *handler) chargedNow(r *http.Request, p *methodLinkPage, on, today domain.Date, named, actor string) (msg string, bad bool) {
	if on != today || h.cfg.AttemptDueNow == nil {
		return chargeDone(p, on, today, named), false
	}
	num := p.Invoice.Number
	out, err := h.cfg.AttemptDueNow(r.Context(), p.Invoice.ID, actor)
	h.waitForHead(r.Context()) // the page after the redirect shows the outcome
	switch {
	case err != nil:
		return "Invoice " + num + " could not be charged just now (" + h.userMessage(r, err) + "); the charge stays scheduled for today.", true
	case out.Pending:
		return "Your bank is processing the payment of invoice " + num + "; you will receive a receipt once it is paid.", false
	case out.Status == invoice.StatusPaid:
		return "Invoice " + num + " is paid; a receipt is on its way.", false
	case out.Status == invoice.StatusPaymentRejected:
		return "The payment of invoice " + num + " was declined: " + domain.Sentence(out.DeclineMessage) + " You can try another card or bank account below.", true
	}
	return chargeDone(p, on, today, named), false
}

func (h *handler) loadMethodLinkPage(ctx context.Context, l auth.Link, action string) (*methodLinkPage, *view, error) {
	c, today, loc, err := h.linkClient(ctx, l)
	if err != nil {
		return nil, nil, err
	}
	pg := &methodLinkPage{Action: action, ClientName: c.Name, Methods: activeMethods(c)}
	if l.Resource != uuid.Nil {
		d, err := h.models(ctx).Invoice(ctx, l.Resource, today)
		if err != nil {
			return nil, nil, err
		}
		if d.ClientID != l.ClientID {
			return nil, nil, domain.NotFound("There is no such invoice.")
		}
		pg.Invoice = &d
	}
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return nil, nil, err
	}
	pg.Surcharge, pg.TransferTo = surchargeNotice(f), pdf.TransferTo(f)
	return pg, &view{Title: "Your payment method", FirmName: f.Name, Today: today, loc: loc, D: pg}, nil
}

func (h *handler) handleLinkMethodForm(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposePaymentMethod)
	if !ok {
		return
	}
	pg, v, err := h.loadMethodLinkPage(r.Context(), l, r.URL.Path)
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	f := newForm()
	if pg.Chargeable() {
		f.set("retry", "on")
		f.set("retry_on", isoDate(v.Today))
		f.set("retry_date", isoDate(v.Today))
		if pg.Invoice.PaymentMethodID != uuid.Nil {
			f.set("replaces", pg.Invoice.PaymentMethodID.String())
			f.set("retry_method", pg.Invoice.PaymentMethodID.String())
		}
	}
	v.Form = f
	h.renderLink(w, r, http.StatusOK, "method", v)
}

func (h *handler) handleLinkMethod(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposePaymentMethod)
	if !ok {
		return
	}
	ctx := r.Context()
	defer h.tokens.lock("method:" + l.ClientID.String())()
	pg, v, err := h.loadMethodLinkPage(ctx, l, r.URL.Path)
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	token := formToken(r)
	fs := readForm(r)
	if fs.str("do") == "retry" {
		h.linkRetry(w, r, l, pg, v, token, fs)
		return
	}
	var replaces uuid.UUID
	if sel := fs.str("replaces"); sel != "" {
		id, err := uuid.Parse(sel)
		found := false
		for _, pm := range pg.Methods {
			found = found || (err == nil && pm.ID == id)
		}
		if !found {
			fs.p.Add("replaces", "choose one of the options")
		}
		replaces = id
	}
	retry := pg.Chargeable() && fs.str("retry") == "on"
	var retryOn domain.Date
	if retry {
		retryOn = readRetryDate(fs, "retry_on", v.Today)
	}
	err = fs.err()
	if err == nil {
		path := r.URL.Path
		req := gateways.CaptureRequest{ClientID: l.ClientID, Purpose: gateways.PurposeAdd, Replaces: replaces, Key: "link/" + token,
			ReturnURL: captureReturn(r, path+"/captured"), CancelURL: absURL(r, path)}
		if replaces != uuid.Nil {
			req.Purpose = gateways.PurposeReplace
		}
		if retry {
			req.InvoiceID = pg.Invoice.ID
			if retryOn != v.Today {
				req.ChargeOn = retryOn
			}
			if replaces == uuid.Nil {
				req.Purpose = gateways.PurposeRetry
			}
		}
		if err = h.startCapture(w, r, req); err == nil {
			return
		}
	}
	f := formFrom(r)
	f.Token = token
	f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
	v.Form = f
	h.renderLink(w, r, linkStatus(err), "method", v)
}

// handleLinkMethodCaptured is where the gateway's page sends the client
// back: the method is recorded (and the invoice charged with it, when the
// client asked), and the page says so.
func (h *handler) handleLinkMethodCaptured(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposePaymentMethod)
	if !ok {
		return
	}
	path := "/c/m/" + r.PathValue("token")
	pg, v, err := h.loadMethodLinkPage(r.Context(), l, path)
	if err != nil {
		h.linkFailed(w, r, err)
		return
	}
	got, err := h.recordCapture(r, l.ClientID, "client-link:"+l.ClientID.String())
	switch {
	case err != nil:
		redirectError(w, r, path, "Your card or bank account could not be recorded: "+h.userMessage(r, err))
		return
	case got.Status != payments.SessionComplete:
		redirectError(w, r, path, notCaptured)
		return
	case got.ChargeErr != nil:
		redirectError(w, r, path, "Your payment method "+capturedText(got)+" is on file, but the invoice could not be charged with it: "+h.userMessage(r, got.ChargeErr))
		return
	}
	done := "Thank you: your payment method " + capturedText(got) + " is on file."
	if got.InvoiceID != uuid.Nil && pg.Invoice != nil && pg.Invoice.ID == got.InvoiceID {
		on := got.ChargeOn
		if on.IsZero() {
			on = v.Today
		}
		msg, bad := h.chargedNow(r, pg, on, v.Today, "it", "client-link:"+l.ClientID.String())
		if bad {
			redirectError(w, r, path, done+" "+msg)
			return
		}
		done += " " + msg
	}
	redirect(w, r, path, done)
}

// linkRetry retries the rejected payment (or pays an invoice nothing
// collects) with a method already on file, now or on a date the client
// chose; a pending retry is replaced.
func (h *handler) linkRetry(w http.ResponseWriter, r *http.Request, l auth.Link, pg *methodLinkPage, v *view, token string, fs *fields) {
	ctx := r.Context()
	if !pg.Chargeable() {
		redirectError(w, r, r.URL.Path, "This invoice has nothing to pay now.")
		return
	}
	var method projections.PaymentMethodView
	if id, err := uuid.Parse(fs.str("retry_method")); err == nil {
		for _, m := range pg.Methods {
			if m.ID == id {
				method = m
			}
		}
	}
	if method.ID == uuid.Nil { // only this client's own active methods are offered
		fs.p.Add("retry_method", "choose one of your payment methods")
	}
	on := readRetryDate(fs, "retry_date", v.Today)
	err := fs.err()
	var res billing.Result
	if err == nil {
		res, err = h.charge(ctx, pg, on, method.ID, linkMeta(l, token, "retry"))
	}
	if err != nil {
		f := formFrom(r)
		f.Token = token
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, func(field string) string {
			switch field {
			case "date":
				return "retry_date"
			case "payment_method_id":
				return "retry_method"
			}
			return field
		})
		v.Form = f
		h.renderLink(w, r, linkStatus(err), "method", v)
		return
	}
	h.waitFor(ctx, res.Position)
	msg, bad := h.chargedNow(r, pg, on, v.Today, method.Label, linkMeta(l, token, "retry").Actor)
	if bad {
		redirectError(w, r, r.URL.Path, msg)
		return
	}
	redirect(w, r, r.URL.Path, msg)
}

// ---- Links shown to staff ----

// clientLink signs a link for staff to copy: an absolute URL on the host
// the staff member reached, valid for ClientLinkTTL. Empty when client
// links are off.
func (h *handler) clientLink(r *http.Request, purpose auth.Purpose, clientID, resource uuid.UUID) string {
	if h.cfg.Links == nil {
		return ""
	}
	now := h.cfg.Now()
	return h.linkURL(r, auth.Link{ClientID: clientID, Purpose: purpose, Resource: resource, Expires: now.Add(ClientLinkTTL), Issued: now})
}

// signatoryLink is the signing link of one signatory of a proposal ("" when
// client links are off).
func (h *handler) signatoryLink(r *http.Request, clientID, proposalID, signatoryID uuid.UUID) string {
	if h.cfg.Links == nil {
		return ""
	}
	now := h.cfg.Now()
	return h.linkURL(r, auth.Link{ClientID: clientID, Purpose: auth.PurposeAcceptProposal, Resource: proposalID, Signatory: signatoryID, Expires: now.Add(ClientLinkTTL), Issued: now})
}

// linkURL is the URL of a signed client link.
func (h *handler) linkURL(r *http.Request, l auth.Link) string {
	token := h.cfg.Links.Sign(l)
	prefix := "/c/m/"
	switch l.Purpose {
	case auth.PurposeAcceptProposal:
		prefix = "/c/p/"
	case auth.PurposePayInvoice:
		prefix = "/c/i/"
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + prefix + token
}
