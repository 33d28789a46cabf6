package ui

import (
	"context"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"remit/billing"
	"remit/projections"
)

func (h *handler) registerPaymentMethodRoutes(rt routes) {
	rt.get("/clients/{id}/payment-methods", h.handleMethods)
	rt.get("/clients/{id}/payment-methods/new", h.handleMethodNew)
	rt.post("/clients/{id}/payment-methods/new", h.handleMethodAdd)
	rt.get("/clients/{id}/payment-methods/captured", h.handleMethodCaptured)
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

// gateway is the payment gateway Remit collects with (Config.Gateway).
func (h *handler) gateway() string {
	if h.cfg.Gateway == "" {
		return "sandbox"
	}
	return h.cfg.Gateway
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
