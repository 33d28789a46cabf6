package domain

import (
	"slices"

	"github.com/google/uuid"
)

// ClientFacts are what a command on another aggregate (a service, an
// invoice, a proposal) needs to know of its client to be decided: the
// client's currency and the payment methods it has on file. The command
// handler gathers them from the client's stream; decide checks them, so the
// API, the UI and every process get the same rules.
type ClientFacts struct {
	Currency       Currency
	PaymentMethods []uuid.UUID
}

// CheckCurrency records a problem at field when c is not the client's
// currency: a service or invoice in another currency could never be billed
// or collected with the client's others.
func (f ClientFacts) CheckCurrency(p *Problems, field string, c Currency) {
	switch {
	case c.IsZero():
	case f.Currency.IsZero():
		p.Add(field, "the client's currency is not known")
	case c != f.Currency:
		p.Add(field, "the client is billed in %s, not %s: currencies never mix", f.Currency, c)
	}
}

// CheckPaymentMethod records a problem at field when id (not uuid.Nil,
// which means "the client's default") is not one of the client's payment
// methods on file.
func (f ClientFacts) CheckPaymentMethod(p *Problems, field string, id uuid.UUID) {
	if id != uuid.Nil && !slices.Contains(f.PaymentMethods, id) {
		p.Add(field, "%s is not one of this client's payment methods", id)
	}
}
