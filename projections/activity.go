package projections

// STUB: replaced by the real projection (see doc.go, "Read models in a database").

import (
	"context"
	"fmt"
	"remit/domain/client"
	"strings"

	"github.com/google/uuid"
	"remit/projections/rmdb"
)

const activityVersion = 1

// Activity is the "activity" projection.
type Activity struct {
	db  *rmdb.DB
	gen int64
}

func newActivity(db *rmdb.DB, gen int64) *Activity { return &Activity{db: db, gen: gen} }

// Name implements Projection.
func (p *Activity) Name() string { return "activity" }

// Tables implements Projection.
func (p *Activity) Tables() []rmdb.Table { return nil }

// Apply implements Projection.
func (p *Activity) Apply(tx *rmdb.Tx, e Event) {}

// Flush implements Projection.
func (p *Activity) Flush(tx *rmdb.Tx) {}

// Discard implements Projection.
func (p *Activity) Discard() {}

// of returns the history of a subject, oldest first; none is ENOTFOUND.
func (p *Activity) of(ctx context.Context, subject Subject, id uuid.UUID) ([]ActivityLine, error) {
	panic("stub")
}

// MethodLabel is how a person recognises a payment method: "Visa •••• 4242,
// expires 08/2027" or "SEPA debit DE89 ****3000".
func MethodLabel(m client.PaymentMethodDetails) string {
	if m.Kind == client.MethodCard {
		brand := m.Brand
		if brand == "" {
			brand = "card"
		} else {
			brand = strings.ToUpper(brand[:1]) + brand[1:]
		}
		return fmt.Sprintf("%s •••• %s, expires %02d/%d", brand, m.Last4, m.ExpiryMonth, m.ExpiryYear)
	}
	scheme := map[client.DebitScheme]string{
		client.SchemeAUBECS: "AU direct debit", client.SchemeNZBECS: "NZ direct debit", client.SchemeACH: "ACH debit",
		client.SchemeBACS: "Bacs Direct Debit", client.SchemeSEPA: "SEPA debit", client.SchemePAD: "PAD debit",
	}[m.Scheme]
	if scheme == "" {
		scheme = "bank debit"
	}
	return scheme + " " + m.MaskedAccount
}
