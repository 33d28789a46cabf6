package api

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
)

// PaymentMethodSessionRequest asks for the gateway's hosted page where the
// client (or staff on the client's behalf) enters a card or bank account.
// Nothing about the method is sent: the gateway's page takes it, and Remit
// records it from the gateway's signed webhook or the return to ReturnURL.
type PaymentMethodSessionRequest struct {
	// Replaces names the method on file the new one replaces (optional).
	Replaces uuid.UUID `json:"replaces,omitzero"`
	// Key names the session: the same key answers the same session
	// (optional: the Idempotency-Key header, else a new session).
	Key string `json:"key,omitempty"`
	// ReturnURL is where the browser goes once the method is captured,
	// with {CHECKOUT_SESSION_ID} where the session id goes (default: the
	// client's Payment methods page, which records it).
	ReturnURL string `json:"return_url,omitempty"`
	// CancelURL is where the browser goes when the client gives up.
	CancelURL string `json:"cancel_url,omitempty"`
}

// PaymentMethodSession is an open hosted capture session.
type PaymentMethodSession struct {
	ID string `json:"id"`
	// URL is the gateway's hosted page to send the browser to.
	URL string `json:"url"`
	// PaymentMethodID is the id the captured method will have.
	PaymentMethodID ID `json:"payment_method_id"`
}

// handlePaymentMethodSession opens a hosted capture session for a client.
func (s *Server) handlePaymentMethodSession(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Checkout == nil {
		s.handleNotFound(w, r)
		return
	}
	id, err := uuid.Parse(mux.Vars(r)["id"])
	if err != nil {
		s.Error(w, r, domain.Invalid("id", "not a client id"))
		return
	}
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var b PaymentMethodSessionRequest
	if err := decodeJSON(raw, &b); err != nil {
		s.Error(w, r, err)
		return
	}
	base := requestBase(r)
	for _, u := range []struct{ field, v string }{{"return_url", b.ReturnURL}, {"cancel_url", b.CancelURL}} {
		if u.v != "" && !strings.HasPrefix(u.v, "https://") && !strings.HasPrefix(u.v, "http://") {
			s.Error(w, r, domain.Invalid(u.field, "give an absolute http:// or https:// URL"))
			return
		}
	}
	if b.ReturnURL == "" {
		b.ReturnURL = base + "/clients/" + id.String() + "/payment-methods/captured?session=" + payments.SessionIDPlaceholder
	}
	if b.CancelURL == "" {
		b.CancelURL = base + "/clients/" + id.String() + "/payment-methods"
	}
	key := b.Key
	if key == "" {
		key = r.Header.Get("Idempotency-Key")
	}
	if key == "" {
		key = uuid.NewString()
	}
	f, _, err := s.firmState(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	req := gateways.CaptureRequest{ClientID: id, Purpose: gateways.PurposeAdd, Replaces: b.Replaces, Key: "api/" + key,
		ReturnURL: b.ReturnURL, CancelURL: b.CancelURL, Currency: f.BaseCurrency}
	if b.Replaces != uuid.Nil {
		req.Purpose = gateways.PurposeReplace
	}
	sess, err := s.cfg.Checkout.Start(r.Context(), req)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	url := sess.URL
	if strings.HasPrefix(url, "/") {
		url = base + url // the sandbox's page, served by Remit itself
	}
	s.writeJSON(w, r, http.StatusCreated, PaymentMethodSession{ID: sess.ID, URL: url, PaymentMethodID: ID(gateways.MethodIDFor(sess.ID))})
}

// requestBase is the scheme and host the request reached.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
