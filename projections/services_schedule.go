package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/service"
	"remit/projections/rmdb"
)

// The services table also keeps, beside each service's state, the part of
// its schedule the Billing Schedule tab shows (column schedule: the items
// of service.State.Schedule through a horizon that are neither billed nor
// skipped, each with its line description, in JSON), and that horizon
// (schedule_until). Schedule depends on no day but the last one it shows:
// the schedule through an earlier day is the stored one less the items
// dated after that day. So a tab whose last day is on or before the horizon
// reads a few pending items per service instead of decoding a state that
// grows with every item ever billed and building its items from the first
// date; a later last day (no event for a long while, a query far ahead)
// builds the schedule from the state.

// scheduleHorizonMonths is how far after the day a service's row was
// written (its view's day, see asOf) the stored schedule reaches: the tab
// shows a year ahead, so the stored part serves it for about two months
// after the service's last event (a monthly service has one a month).
const scheduleHorizonMonths = 14

// scheduleHorizon is the last day the schedule stored for d reaches (zero
// when none is stored).
func scheduleHorizon(d *serviceDoc) domain.Date {
	if !d.State.Activated() || d.AsOf.IsZero() {
		return domain.Date{}
	}
	return d.AsOf.AddMonthsClamped(scheduleHorizonMonths, d.AsOf.Day())
}

// servicePart is one service's share of a client's schedule: what the tab
// needs of it.
type servicePart struct {
	ClientID uuid.UUID
	Name     string
	Currency domain.Currency
	Items    []pendingItem
}

// pendingItem is an item of the schedule not yet billed nor skipped, with
// the line its invoice will have (service.State.LineDescription).
type pendingItem struct {
	service.Item
	Line string
}

// partOf is st's part of a schedule through the given day: its pending
// items (service.State.Pending: the schedule less what was billed or
// skipped, without building the billed items again).
func partOf(st service.State, through domain.Date) servicePart {
	p := servicePart{ClientID: st.ClientID, Name: st.Name, Currency: st.Currency}
	for _, it := range st.Pending(through) {
		p.Items = append(p.Items, pendingItem{Item: it, Line: st.LineDescription(it)})
	}
	return p
}

// serviceScheduleColumns are the services table's columns of the stored
// schedule.
func serviceScheduleColumns() []rmdb.Column[serviceDoc] {
	return []rmdb.Column[serviceDoc]{
		{Name: "schedule", Type: "TEXT", Deferrable: true, Value: func(_ string, d *serviceDoc) any {
			until := scheduleHorizon(d)
			if until.IsZero() {
				return nil
			}
			b, err := encodePart(d.State.ID, partOf(d.State, until))
			if err != nil {
				return nil // the query builds it from the state
			}
			return string(b)
		}},
		{Name: "schedule_until", Type: "TEXT", Deferrable: true, Value: func(_ string, d *serviceDoc) any {
			if until := scheduleHorizon(d); !until.IsZero() {
				return until.String()
			}
			return nil
		}},
	}
}

// parts returns the schedule parts of a client's services through a day,
// in activation order: from the schedule column where it reaches that day,
// else built from the state.
func (p *Services) parts(ctx context.Context, clientID uuid.UUID, through domain.Date) ([]servicePart, error) {
	rows, err := p.db.Query(ctx, "SELECT key, schedule, schedule_until FROM "+p.docs.View()+
		" WHERE client_id = ? ORDER BY seq, key", clientID.String())
	if err != nil {
		return nil, fmt.Errorf("read models: services: %w", err)
	}
	type row struct {
		key  string
		part *servicePart
	}
	var found []row
	t := through.String()
	for rows.Next() {
		var key string
		var stored, until sql.NullString
		if err := rows.Scan(&key, &stored, &until); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read models: services: %w", err)
		}
		r := row{key: key}
		if stored.Valid && until.Valid && t <= until.String {
			if part, err := decodePart([]byte(stored.String)); err == nil {
				r.part = &part
			}
		}
		found = append(found, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("read models: services: %w", err)
	}
	out := make([]servicePart, 0, len(found))
	for _, r := range found {
		if r.part != nil {
			out = append(out, *r.part)
			continue
		}
		id, err := uuid.Parse(r.key)
		if err != nil {
			return nil, fmt.Errorf("read models: services: key %q: %w", r.key, err)
		}
		st, ok, err := p.state(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, partOf(st, through))
		}
	}
	return out, nil
}

// partWire is a servicePart as the schedule column keeps it, written out
// by hand: the items of a service share their terms (most are the rule's
// items at the service's terms), so each distinct terms is written once and
// items name theirs by index; decimals, dates and ids are plain strings
// (as their own MarshalJSON writes them), so encoding runs no marshaler
// per field: the column is rewritten each time the service changes.
type partWire struct {
	ClientID string          `json:"client_id"`
	Service  string          `json:"service"`
	Name     string          `json:"name"`
	Currency domain.Currency `json:"currency"`
	Terms    []itemTermsWire `json:"terms,omitempty"`
	Items    []pendingWire   `json:"items,omitempty"`
}

// itemTermsWire is what an item bills.
type itemTermsWire struct {
	Description     string           `json:"d,omitempty"`
	Quantity        string           `json:"q"`
	UnitPrice       string           `json:"p"`
	Currency        *domain.Currency `json:"c,omitempty"` // when not the service's
	DiscountKind    string           `json:"dk,omitempty"`
	Discount        string           `json:"dv"`
	TaxRate         string           `json:"t"`
	Mode            string           `json:"m,omitempty"`
	PaymentMethodID string           `json:"pm,omitempty"`
}

// pendingWire is one pending item: its terms by index.
type pendingWire struct {
	Seq       int    `json:"s"`
	Key       string `json:"k,omitempty"`   // when not the service's key for Seq
	ServiceID string `json:"sid,omitempty"` // when not the service
	Date      string `json:"d,omitempty"`
	Terms     int    `json:"t"`
	Status    string `json:"st"`
	IssueOn   string `json:"io,omitempty"`
	InvoiceID string `json:"inv,omitempty"`
	Line      string `json:"l"`
}

// encodePart is the schedule column of service svc.
func encodePart(svc uuid.UUID, p servicePart) ([]byte, error) {
	w := partWire{ClientID: p.ClientID.String(), Service: svc.String(), Name: p.Name, Currency: p.Currency}
	for _, it := range p.Items {
		t := itemTermsWire{
			Description: it.Description, Quantity: it.Quantity.String(), UnitPrice: it.UnitPrice.Amount.String(),
			DiscountKind: string(it.Discount.Kind), Discount: it.Discount.Value.String(), TaxRate: it.TaxRate.String(),
			Mode: string(it.Mode),
		}
		if it.UnitPrice.Currency != p.Currency {
			c := it.UnitPrice.Currency
			t.Currency = &c
		}
		if it.PaymentMethodID != uuid.Nil {
			t.PaymentMethodID = it.PaymentMethodID.String()
		}
		ti := -1
		for i := range w.Terms {
			if w.Terms[i] == t {
				ti = i
				break
			}
		}
		if ti < 0 {
			ti = len(w.Terms)
			w.Terms = append(w.Terms, t)
		}
		pw := pendingWire{Seq: it.Seq, Date: it.Date.String(), Terms: ti, Status: string(it.Status), IssueOn: it.IssueOn.String(), Line: it.Line}
		if it.ServiceID != svc {
			pw.ServiceID = it.ServiceID.String()
		}
		if it.Key != service.ItemKey(it.ServiceID, it.Seq) {
			pw.Key = it.Key
		}
		if it.InvoiceID != uuid.Nil {
			pw.InvoiceID = it.InvoiceID.String()
		}
		w.Items = append(w.Items, pw)
	}
	return json.Marshal(w)
}

// decodePart reads a schedule column.
func decodePart(b []byte) (servicePart, error) {
	var w partWire
	if err := json.Unmarshal(b, &w); err != nil {
		return servicePart{}, err
	}
	var p servicePart
	var err error
	if p.ClientID, err = uuid.Parse(w.ClientID); err != nil {
		return p, err
	}
	svc, err := uuid.Parse(w.Service)
	if err != nil {
		return p, err
	}
	p.Name, p.Currency = w.Name, w.Currency
	terms := make([]service.Item, len(w.Terms))
	for i, t := range w.Terms {
		if terms[i], err = t.item(p.Currency); err != nil {
			return p, err
		}
	}
	p.Items = make([]pendingItem, 0, len(w.Items))
	for _, pw := range w.Items {
		if pw.Terms < 0 || pw.Terms >= len(terms) {
			return p, fmt.Errorf("schedule column: item %d names terms %d of %d", pw.Seq, pw.Terms, len(terms))
		}
		it := terms[pw.Terms]
		it.Seq, it.ServiceID, it.Status = pw.Seq, svc, service.ItemStatus(pw.Status)
		if pw.ServiceID != "" {
			if it.ServiceID, err = uuid.Parse(pw.ServiceID); err != nil {
				return p, err
			}
		}
		it.Key = pw.Key
		if it.Key == "" {
			it.Key = service.ItemKey(it.ServiceID, it.Seq)
		}
		if it.Date, err = parseOptionalDate(pw.Date); err != nil {
			return p, err
		}
		if it.IssueOn, err = parseOptionalDate(pw.IssueOn); err != nil {
			return p, err
		}
		if pw.InvoiceID != "" {
			if it.InvoiceID, err = uuid.Parse(pw.InvoiceID); err != nil {
				return p, err
			}
		}
		p.Items = append(p.Items, pendingItem{Item: it, Line: pw.Line})
	}
	return p, nil
}

// item is an item with the terms (and nothing else) set.
func (t itemTermsWire) item(currency domain.Currency) (service.Item, error) {
	it := service.Item{Description: t.Description, Mode: service.BillingMode(t.Mode)}
	var err error
	if it.Quantity, err = decimal.NewFromString(t.Quantity); err != nil {
		return it, err
	}
	if it.UnitPrice.Amount, err = decimal.NewFromString(t.UnitPrice); err != nil {
		return it, err
	}
	it.UnitPrice.Currency = currency
	if t.Currency != nil {
		it.UnitPrice.Currency = *t.Currency
	}
	it.Discount.Kind = domain.DiscountKind(t.DiscountKind)
	if it.Discount.Value, err = decimal.NewFromString(t.Discount); err != nil {
		return it, err
	}
	if it.TaxRate, err = decimal.NewFromString(t.TaxRate); err != nil {
		return it, err
	}
	if t.PaymentMethodID != "" {
		if it.PaymentMethodID, err = uuid.Parse(t.PaymentMethodID); err != nil {
			return it, err
		}
	}
	return it, nil
}

// parseOptionalDate parses a date written by Date.String ("" is zero).
func parseOptionalDate(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	return domain.ParseDate(s)
}
