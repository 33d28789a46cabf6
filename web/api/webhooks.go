package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"remit/integrations/payments/sandbox"
)

// StripeWebhookPath is where Stripe posts asynchronous payment results.
const StripeWebhookPath = "/api/webhooks/stripe"

// StripeEvent documents the body Stripe sends (its own event object; Remit
// reads payment_intent.succeeded and payment_intent.payment_failed).
type StripeEvent struct {
	ID   string         `json:"id"`
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// WebhookAck is the answer to a webhook delivery.
type WebhookAck struct{}

// registerWebhookRoutes mounts the payment gateway's webhook: public (Stripe
// signs each delivery with the endpoint's secret, which the handler checks),
// answering 404 when no gateway with webhooks is configured.
func (s *Server) registerWebhookRoutes(r *mux.Router) {
	r.HandleFunc(StripeWebhookPath, func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.StripeWebhook == nil {
			s.handleNotFound(w, r)
			return
		}
		s.cfg.StripeWebhook.ServeHTTP(w, r)
	}).Methods(http.MethodPost)
}

// SandboxWebhookPath is where the sandbox gateway posts its webhook events.
const SandboxWebhookPath = sandbox.WebhookPath

// registerCheckoutRoutes mounts the sandbox gateway's webhook and hosted
// page (both public: the webhook is signed, the page is the gateway's) and
// the capture sessions of the API.
func (s *Server) registerCheckoutRoutes(r *mux.Router) {
	r.HandleFunc(SandboxWebhookPath, func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.SandboxWebhook == nil {
			s.handleNotFound(w, r)
			return
		}
		s.cfg.SandboxWebhook.ServeHTTP(w, r)
	}).Methods(http.MethodPost)
	if s.cfg.GatewayPages != nil {
		r.PathPrefix(sandbox.CheckoutPath).Handler(s.cfg.GatewayPages)
	}
	r.HandleFunc("/api/clients/{id}/payment-method-sessions", s.handlePaymentMethodSession).Methods(http.MethodPost)
}
