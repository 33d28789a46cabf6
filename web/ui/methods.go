package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/client"
	"remit/projections"
)

func (h *handler) registerPaymentMethodRoutes(rt routes) {
	rt.get("/clients/{id}/payment-methods", h.handleMethods)
	rt.get("/clients/{id}/payment-methods/new", h.handleMethodNew)
	rt.post("/clients/{id}/payment-methods/new", h.handleMethodAdd)
	rt.get("/clients/{id}/payment-methods/{pm}/replace", h.handleMethodReplaceForm)
	rt.post("/clients/{id}/payment-methods/{pm}/replace", h.handleMethodReplace)
	rt.post("/clients/{id}/payment-methods/{pm}/default", h.handleMethodDefault)
	rt.get("/clients/{id}/payment-methods/{pm}/remove", h.handleMethodRemoveConfirm)
	rt.post("/clients/{id}/payment-methods/{pm}/remove", h.handleMethodRemove)
}

// methodsPage is the payment methods tab: each method with its activity.
type methodsPage struct {
	Methods []methodWithActivity
}

type methodWithActivity struct {
	projections.PaymentMethodView
	Activity activityLines
}

func (h *handler) handleMethods(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	var d methodsPage
	path := "/clients/" + c.ID.String() + "/payment-methods"
	for _, m := range c.PaymentMethods {
		// ?before= pages back the history of the method ?method= names.
		var before uint64
		if r.URL.Query().Get("method") == m.ID.String() {
			before = beforeParam(r)
		}
		act, err := h.activityOf(r.Context(), projections.SubjectPaymentMethod, m.ID, before, path, url.Values{"method": {m.ID.String()}})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Methods = append(d.Methods, methodWithActivity{PaymentMethodView: m, Activity: act})
	}
	h.render(w, r, http.StatusOK, "client_methods", &view{Title: c.Name + " · Payment methods", Section: "clients", Tab: "methods", Client: c, Today: today, D: d, Form: newForm()})
}

// methodForm is the add/replace form's prefill: a card on file with the
// gateway Remit collects with.
func (h *handler) methodForm() *form {
	f := newForm()
	f.set("method.kind", string(client.MethodCard))
	f.set("method.gateway", h.gateway())
	return f
}

// gateway is the payment gateway Remit collects with (Config.Gateway).
func (h *handler) gateway() string {
	if h.cfg.Gateway == "" {
		return "sandbox"
	}
	return h.cfg.Gateway
}

func (h *handler) handleMethodNew(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "method_form", &view{Title: "Add a payment method", Section: "clients", Tab: "methods", Client: c, Form: h.methodForm()})
}

// methodDetails reads what is stored of a method: the gateway's token and
// what a person recognises it by; never a card number (the domain refuses
// one in any field).
func methodDetails(fs *fields) client.PaymentMethodDetails {
	m := client.PaymentMethodDetails{
		Kind: client.PaymentMethodKind(fs.str("method.kind")), Gateway: fs.str("method.gateway"), GatewayToken: fs.str("method.gateway_token"),
		GatewayCustomer: fs.str("method.gateway_customer"),
	}
	if m.Gateway == "" {
		m.Gateway = "sandbox"
	}
	switch m.Kind {
	case client.MethodCard:
		m.Brand, m.Last4 = strings.ToLower(fs.str("method.brand")), fs.str("method.last4")
		m.ExpiryMonth, _ = fs.integer("method.expiry_month")
		m.ExpiryYear, _ = fs.integer("method.expiry_year")
	case client.MethodBankDebit:
		m.Scheme = client.DebitScheme(fs.str("method.scheme"))
		m.MaskedAccount, m.MandateReference = fs.str("method.masked_account"), fs.str("method.mandate_reference")
	}
	return m
}

func (h *handler) handleMethodAdd(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	m := methodDetails(fs)
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c.ID, Method: m}, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "method_form", &view{Title: "Add a payment method", Section: "clients", Tab: "methods", Client: c, Form: f})
		return
	}
	redirect(w, r, "/clients/"+c.ID.String()+"/payment-methods", "Payment method "+projections.MethodLabel(m)+" added.")
}

func (h *handler) methodOf(w http.ResponseWriter, r *http.Request, c *projections.ClientSummary) (projections.PaymentMethodView, bool) {
	pm, ok := h.idParam(w, r, "pm")
	if !ok {
		return projections.PaymentMethodView{}, false
	}
	for _, m := range c.PaymentMethods {
		if m.ID == pm {
			return m, true
		}
	}
	h.notFound(w, r, "The client has no such payment method.")
	return projections.PaymentMethodView{}, false
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
	h.render(w, r, http.StatusOK, "method_form", &view{Title: "Replace " + m.Label, Section: "clients", Tab: "methods", Client: c, Form: h.methodForm(), D: m})
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
	fs := readForm(r)
	m := methodDetails(fs)
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ReplacePaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c.ID, PaymentMethodID: old.ID, Method: m}, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "method_form", &view{Title: "Replace " + old.Label, Section: "clients", Tab: "methods", Client: c, Form: f, D: old})
		return
	}
	redirect(w, r, "/clients/"+c.ID.String()+"/payment-methods", old.Label+" replaced by "+projections.MethodLabel(m)+".")
}

func (h *handler) handleMethodDefault(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	pm, ok := h.idParam(w, r, "pm")
	if !ok {
		return
	}
	h.button(w, r, "/clients/"+id.String()+"/payment-methods", "Default payment method changed.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SetDefaultPaymentMethod(ctx, billing.PaymentMethodRef{ClientID: id, PaymentMethodID: pm}, meta)
	})
}

func (h *handler) handleMethodRemove(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	pm, ok := h.idParam(w, r, "pm")
	if !ok {
		return
	}
	h.button(w, r, "/clients/"+id.String()+"/payment-methods", "Payment method removed.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		next, _ := uuid.Parse(r.PostFormValue("new_default_payment_method_id"))
		return h.cfg.Billing.RemovePaymentMethod(ctx, billing.PaymentMethodRef{ClientID: id, PaymentMethodID: pm, NewDefaultPaymentMethodID: next}, meta)
	})
}
