package ui

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/projections"
)

// Nobody types a card, an account or a gateway token into Remit. Every
// "add a card or bank account" button (the client's links, staff's Payment
// methods tab) opens a hosted session on the gateway (Config.Checkout) and
// sends the browser to the gateway's own page; the gateway sends it back to
// a "captured" route here, which records the method (gateways.Checkout:
// once, also when the gateway's webhook came first) and says what was added.

// errNoCheckout is shown when no gateway can capture methods.
const errNoCheckout = "Payment methods cannot be added here: no payment gateway is configured."

// absURL is path on the host the request reached (the gateway needs
// absolute return URLs).
func absURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// startCapture opens a capture session and sends the browser to the
// gateway's page (303). An error is answered by the caller.
func (h *handler) startCapture(w http.ResponseWriter, r *http.Request, req gateways.CaptureRequest) error {
	if h.cfg.Checkout == nil {
		return domain.Conflict(errNoCheckout)
	}
	if req.Currency.IsZero() {
		if f, _, err := h.firmNow(r.Context()); err == nil {
			req.Currency = f.BaseCurrency
		}
	}
	s, err := h.cfg.Checkout.Start(context.WithoutCancel(r.Context()), req)
	if err != nil {
		return err
	}
	if s.URL == "" {
		return domain.Conflict("the payment page could not be opened: try again")
	}
	http.Redirect(w, r, s.URL, http.StatusSeeOther)
	return nil
}

// captureReturn is the return URL of a capture started from path.
func captureReturn(r *http.Request, path string) string {
	return absURL(r, path+"?session="+payments.SessionIDPlaceholder)
}

// recordCapture records the session the gateway sent the browser back
// with (the "session" query parameter), for clientID, and waits for the
// read models to show it.
func (h *handler) recordCapture(r *http.Request, clientID uuid.UUID, actor string) (gateways.Captured, error) {
	if h.cfg.Checkout == nil {
		return gateways.Captured{}, domain.Conflict(errNoCheckout)
	}
	id := r.URL.Query().Get("session")
	if id == "" {
		return gateways.Captured{}, domain.Invalid("session", "the payment page sent no session back")
	}
	defer h.tokens.lock("capture:" + id)()
	ctx := context.WithoutCancel(r.Context())
	c, err := h.cfg.Checkout.RecordFor(ctx, id, clientID, actor)
	if err != nil {
		return c, err
	}
	h.waitFor(ctx, c.Position)
	return c, nil
}

// capturedText says what a capture put on file.
func capturedText(c gateways.Captured) string {
	return projections.MethodLabel(c.Method)
}

// notCaptured is the message of a return from a session that captured
// nothing (the client went back without finishing).
const notCaptured = "No card or bank account was added: the payment page was not completed."

// ---- Staff: the client's Payment methods tab ----

// capturePage is staff's "add or replace a payment method" page: it says
// what happens next; its button opens the gateway's page.
type capturePage struct {
	Replaces *projections.PaymentMethodView
	Gateway  string
	Types    []string
}

// methodTypeNames are the method types in words.
var methodTypeNames = map[payments.MethodType]string{
	payments.TypeCard: "cards", payments.TypeAUBECS: "Australian bank accounts (BECS Direct Debit)",
	payments.TypeUSACH: "US bank accounts (ACH)", payments.TypeBacs: "UK bank accounts (Bacs Direct Debit)",
	payments.TypeSEPA: "bank accounts (SEPA Direct Debit)", payments.TypeACSS: "Canadian bank accounts (pre-authorized debit)",
	payments.TypeNZBECS: "New Zealand bank accounts (direct debit)",
}

// offeredTypes are the kinds of method the gateway's page offers a client.
func offeredTypes(c *projections.ClientSummary, base domain.Currency) []string {
	cur := base
	if c != nil && !c.Currency.IsZero() {
		cur = c.Currency
	}
	var out []string
	for _, t := range gateways.MethodTypesFor(cur) {
		out = append(out, methodTypeNames[t])
	}
	return out
}

func (h *handler) capturePageView(r *http.Request, c *projections.ClientSummary, replaces *projections.PaymentMethodView) *view {
	f, _, _ := h.firmNow(r.Context())
	title := "Add a payment method"
	if replaces != nil {
		title = "Replace " + replaces.Label
	}
	d := capturePage{Replaces: replaces, Gateway: h.gateway(), Types: offeredTypes(c, f.BaseCurrency)}
	return &view{Title: title, Section: "clients", Tab: "methods", Client: c, Form: newForm(), D: d}
}

func (h *handler) handleMethodNew(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "method_form", h.capturePageView(r, c, nil))
}

func (h *handler) handleMethodReplaceForm(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	m, ok := h.methodOf(w, r, c)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "method_form", h.capturePageView(r, c, &m))
}

// staffCapture opens the gateway's page for staff entering a method on
// the client's behalf.
func (h *handler) staffCapture(w http.ResponseWriter, r *http.Request, c *projections.ClientSummary, replaces *projections.PaymentMethodView) {
	methods := "/clients/" + c.ID.String() + "/payment-methods"
	req := gateways.CaptureRequest{ClientID: c.ID, Purpose: gateways.PurposeAdd, Key: "staff/" + h.meta(r).CommandID,
		ReturnURL: captureReturn(r, methods+"/captured"), CancelURL: absURL(r, methods)}
	if replaces != nil {
		req.Purpose, req.Replaces = gateways.PurposeReplace, replaces.ID
	}
	if err := h.startCapture(w, r, req); err != nil {
		v := h.capturePageView(r, c, replaces)
		v.Form.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "method_form", v)
	}
}

func (h *handler) handleMethodAdd(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	h.staffCapture(w, r, c, nil)
}

func (h *handler) handleMethodReplace(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	old, ok := h.methodOf(w, r, c)
	if !ok {
		return
	}
	h.staffCapture(w, r, c, &old)
}

// handleMethodCaptured is where the gateway sends staff back: the method
// is recorded (staff are the actor) and the tab says what was added.
func (h *handler) handleMethodCaptured(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	methods := "/clients/" + c.ID.String() + "/payment-methods"
	got, err := h.recordCapture(r, c.ID, h.actor(r))
	switch {
	case err != nil:
		redirectError(w, r, methods, "The payment method could not be recorded: "+h.userMessage(r, err))
	case got.Status != payments.SessionComplete:
		redirectError(w, r, methods, notCaptured)
	case got.Purpose == gateways.PurposeReplace:
		redirect(w, r, methods, "Payment method replaced by "+capturedText(got)+".")
	default:
		redirect(w, r, methods, "Payment method "+capturedText(got)+" added.")
	}
}
