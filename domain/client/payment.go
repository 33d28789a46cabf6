package client

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

func methodNotFound() error {
	return domain.NotFound("this payment method is not on file for the client")
}

// onFile reports whether another method than except holds the same gateway
// token: the same card or account put on file twice.
func (s State) onFile(m PaymentMethodDetails, except uuid.UUID) bool {
	for _, o := range s.PaymentMethods {
		if o.ID != except && o.Gateway == m.Gateway && o.GatewayToken == m.GatewayToken {
			return true
		}
	}
	return false
}

func checkMethod(m PaymentMethodDetails, now time.Time) error {
	var p domain.Problems
	validateMethod(&p, "method", m, now)
	return p.Err()
}

func addPaymentMethod(s State, c AddPaymentMethod) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	m := normalizeMethod(c.Method)
	if c.PaymentMethodID == uuid.Nil {
		return nil, domain.Invalid("payment_method_id", "a new payment method needs an id")
	}
	if err := checkMethod(m, c.Now); err != nil {
		return nil, err
	}
	if old, ok := s.PaymentMethod(c.PaymentMethodID); ok {
		if old.PaymentMethodDetails == m && old.Replaces == uuid.Nil {
			return nil, nil // a retry of the same command
		}
		return nil, domain.Conflict("a payment method with this id already exists")
	}
	if s.onFile(m, uuid.Nil) {
		return nil, domain.Conflict("this payment method is already on file for the client")
	}
	events := []domain.Event{PaymentMethodAdded{
		ClientID: s.ID, PaymentMethodID: c.PaymentMethodID, Method: m, At: c.Now,
	}}
	if s.DefaultPaymentMethodID == uuid.Nil {
		events = append(events, PaymentMethodSetAsDefault{
			ClientID: s.ID, PaymentMethodID: c.PaymentMethodID, At: c.Now,
		})
	}
	return events, nil
}

func setDefaultPaymentMethod(s State, c SetDefaultPaymentMethod) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	m, ok := s.PaymentMethod(c.PaymentMethodID)
	switch {
	case !ok:
		return nil, methodNotFound()
	case m.ID == s.DefaultPaymentMethodID:
		return nil, nil
	case m.Status != MethodActive:
		return nil, domain.Conflict("this payment method has %s and cannot be the default: replace it instead", m.Status)
	}
	return []domain.Event{PaymentMethodSetAsDefault{
		ClientID: s.ID, PaymentMethodID: m.ID, PreviousPaymentMethodID: s.DefaultPaymentMethodID, At: c.Now,
	}}, nil
}

func replacePaymentMethod(s State, c ReplacePaymentMethod) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	m := normalizeMethod(c.Method)
	if c.NewPaymentMethodID == uuid.Nil {
		return nil, domain.Invalid("new_payment_method_id", "the replacement payment method needs an id")
	}
	if err := checkMethod(m, c.Now); err != nil {
		return nil, err
	}
	if done, ok := s.PaymentMethod(c.NewPaymentMethodID); ok {
		if done.Replaces == c.PaymentMethodID && done.PaymentMethodDetails == m {
			return nil, nil // a retry of the same command
		}
		return nil, domain.Conflict("a payment method with this id already exists")
	}
	old, ok := s.PaymentMethod(c.PaymentMethodID)
	if !ok {
		return nil, methodNotFound()
	}
	if old.Gateway == m.Gateway && old.GatewayToken == m.GatewayToken {
		return nil, domain.Conflict("the new payment method is the same as the one it replaces")
	}
	if s.onFile(m, old.ID) {
		return nil, domain.Conflict("this payment method is already on file for the client: make it the default or remove the old one instead")
	}
	return []domain.Event{PaymentMethodReplaced{
		ClientID:                s.ID,
		ReplacedPaymentMethodID: old.ID,
		PaymentMethodID:         c.NewPaymentMethodID,
		Method:                  m,
		At:                      c.Now,
	}}, nil
}

// removePaymentMethod takes a method off file. Automatic services paid with it
// need another active method to fall back to; when the default is removed, the
// named method or else the first active (else the first) other becomes it.
func removePaymentMethod(s State, c RemovePaymentMethod) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	m, ok := s.PaymentMethod(c.PaymentMethodID)
	if !ok {
		return nil, methodNotFound()
	}
	var others, active []PaymentMethod
	for _, o := range s.PaymentMethods {
		if o.ID == m.ID {
			continue
		}
		others = append(others, o)
		if o.Status == MethodActive {
			active = append(active, o)
		}
	}
	if n := len(c.DependentAutomaticServices); n > 0 && len(active) == 0 {
		return nil, domain.Conflict("%d automatic %s paid with this payment method and no other usable method is on file: add another payment method, or replace this one, before removing it",
			n, plural(n, "service is", "services are"))
	}
	events := []domain.Event{PaymentMethodRemoved{ClientID: s.ID, PaymentMethodID: m.ID, At: c.Now}}
	if m.ID != s.DefaultPaymentMethodID || len(others) == 0 {
		return events, nil
	}
	var next PaymentMethod
	switch {
	case c.NewDefaultPaymentMethodID != uuid.Nil:
		n, ok := s.PaymentMethod(c.NewDefaultPaymentMethodID)
		switch {
		case !ok || n.ID == m.ID:
			return nil, domain.Invalid("new_default_payment_method_id", "choose another of the client's payment methods as the new default")
		case n.Status != MethodActive:
			return nil, domain.Invalid("new_default_payment_method_id", "this payment method has %s and cannot be the default", n.Status)
		}
		next = n
	case len(active) > 0:
		next = active[0]
	default:
		next = others[0]
	}
	return append(events, PaymentMethodSetAsDefault{
		ClientID: s.ID, PaymentMethodID: next.ID, PreviousPaymentMethodID: m.ID, At: c.Now,
	}), nil
}

// markExpired is allowed on an archived client: it records a fact reported by
// the gateway or the clock, not a change a person makes.
func markExpired(s State, c MarkPaymentMethodExpired) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	m, ok := s.PaymentMethod(c.PaymentMethodID)
	if !ok {
		return nil, methodNotFound()
	}
	if m.Status == MethodExpired {
		return nil, nil
	}
	return []domain.Event{PaymentMethodExpired{ClientID: s.ID, PaymentMethodID: m.ID, At: c.Now}}, nil
}

// markFailed, like markExpired, is allowed on an archived client.
func markFailed(s State, c MarkPaymentMethodFailed) ([]domain.Event, error) {
	if err := requireClient(s); err != nil {
		return nil, err
	}
	m, ok := s.PaymentMethod(c.PaymentMethodID)
	if !ok {
		return nil, methodNotFound()
	}
	reason := strings.TrimSpace(c.Reason)
	switch {
	case reason == "":
		return nil, domain.Invalid("reason", "say why the payment method failed")
	case len(reason) > maxReason:
		return nil, domain.Invalid("reason", "the reason is too long (at most %d characters)", maxReason)
	}
	if m.Status == MethodFailed && m.FailureReason == reason {
		return nil, nil
	}
	return []domain.Event{PaymentMethodFailed{ClientID: s.ID, PaymentMethodID: m.ID, Reason: reason, At: c.Now}}, nil
}
