package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

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
	ClientID uuid.UUID       `json:"client_id"`
	Name     string          `json:"name"`
	Currency domain.Currency `json:"currency"`
	Items    []pendingItem   `json:"items,omitempty"`
}

// pendingItem is an item of the schedule not yet billed nor skipped, with
// the line its invoice will have (service.State.LineDescription).
type pendingItem struct {
	service.Item
	Line string `json:"line"`
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
		{Name: "schedule", Type: "TEXT", Value: func(_ string, d *serviceDoc) any {
			until := scheduleHorizon(d)
			if until.IsZero() {
				return nil
			}
			b, err := json.Marshal(partOf(d.State, until))
			if err != nil {
				return nil // the query builds it from the state
			}
			return string(b)
		}},
		{Name: "schedule_until", Type: "TEXT", Value: func(_ string, d *serviceDoc) any {
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
			var part servicePart
			if err := json.Unmarshal([]byte(stored.String), &part); err == nil {
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
