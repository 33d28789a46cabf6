package api

// Wire types: every body the API answers is a type of this package with a
// JSON tag on every field, built from the read models by an explicit
// conversion function (wire_views.go) and encoded by encoding/json. The
// scalar types below carry the API's conventions: ids and times are null
// when there are none, decimals and money are strings with every minor unit
// of their currency, and lists are [] rather than null.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// ID is an id on the wire: the UUID as a string, or null for none.
type ID uuid.UUID

// IsZero reports whether id is the nil UUID (omitted by omitzero).
func (id ID) IsZero() bool { return uuid.UUID(id) == uuid.Nil }

// String is the UUID's text.
func (id ID) String() string { return uuid.UUID(id).String() }

// MarshalJSON encodes id as a string, or null for the nil UUID.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(uuid.UUID(id).String())
}

// UnmarshalJSON reads what MarshalJSON writes, so Go clients and tests can
// decode the API's answers into its wire types.
func (id *ID) UnmarshalJSON(b []byte) error {
	var u uuid.NullUUID
	if err := json.Unmarshal(b, &u); err != nil {
		return err
	}
	*id = ID(u.UUID)
	return nil
}

// Time is an instant on the wire: RFC 3339 with nanoseconds, or null for
// the zero time.
type Time time.Time

// IsZero reports whether t is the zero time (omitted by omitzero).
func (t Time) IsZero() bool { return time.Time(t).IsZero() }

// MarshalJSON encodes t as RFC 3339, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return time.Time(t).MarshalJSON()
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	return (*time.Time)(t).UnmarshalJSON(b)
}

// Decimal is a quantity, price or rate on the wire: a string of plain
// digits, e.g. "12.5", so no client reads it as a float.
type Decimal string

// decimalOf writes d as a Decimal.
func decimalOf(d decimal.Decimal) Decimal { return Decimal(d.String()) }

// Money is an amount in a currency: {"amount": "5.50", "currency": "AUD"}.
type Money struct {
	// Amount shows every minor unit of the currency: "5.50", not "5.5".
	Amount   Decimal `json:"amount"`
	Currency string  `json:"currency"`
}

// moneyOf converts a domain.Money.
func moneyOf(m domain.Money) Money {
	amount := m.Amount.String()
	if !m.Currency.IsZero() {
		amount = m.Amount.StringFixed(int32(m.Currency.MinorUnits))
	}
	return Money{Amount: Decimal(amount), Currency: m.Currency.Code}
}

// wireList converts every element of a list with conv; the result is never
// nil, so an empty list is [] on the wire.
func wireList[T, W any](items []T, conv func(T) W) []W {
	out := make([]W, len(items))
	for i, v := range items {
		out[i] = conv(v)
	}
	return out
}

// wirePtr converts an optional value: nil stays nil (null on the wire).
func wirePtr[T, W any](v *T, conv func(T) W) *W {
	if v == nil {
		return nil
	}
	w := conv(*v)
	return &w
}

// nonNil returns items, or an empty list for nil, so it is [] on the wire.
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

// stringMap copies a map keyed by strings or ids (written as strings); the
// result is never nil, so an empty map is {} on the wire.
func stringMap[K comparable](m map[K]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[fmt.Sprint(k)] = v
	}
	return out
}

// readAs turns a reader of a read model into a reader of its wire form.
func readAs[T, W any](read func(context.Context, uuid.UUID) (T, error), conv func(T) W) func(context.Context, uuid.UUID) (W, error) {
	return func(ctx context.Context, id uuid.UUID) (W, error) {
		v, err := read(ctx, id)
		if err != nil {
			var zero W
			return zero, err
		}
		return conv(v), nil
	}
}

// writeJSON writes body, a wire type, with status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		s.Error(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
