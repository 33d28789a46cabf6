package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/projections/rmdb"
)

// The services table keeps beside each service's state the view its pages
// show (ServiceView in JSON, column view), rendered for a day when it was
// written (view_from: the day before the event's recorded-at, in UTC, so
// a firm behind UTC reads it too), and the last day it holds on
// (view_until). The view depends on the day only through NextBilling,
// which stays the same from view_from up to its date: every item waiting
// between those days would be next instead (see viewUntil). A query on a
// day in that range reads the small view, not the state with every item
// ever billed; on another day (no event for a long while, an as-of query)
// it renders the view from the state.

// neverUntil is view_until of a view that holds on every later day.
const neverUntil = "9999-12-31"

// serviceViewColumns are the services table's columns of the view.
func serviceViewColumns() []rmdb.Column[serviceDoc] {
	return []rmdb.Column[serviceDoc]{
		{Name: "view", Type: "TEXT", Deferrable: true, Value: func(_ string, d *serviceDoc) any {
			if !d.State.Activated() || d.AsOf.IsZero() {
				return nil
			}
			b, err := json.Marshal(viewOf(d.State, d.Revision, d.AsOf))
			if err != nil {
				return nil // the query renders it from the state
			}
			return string(b)
		}},
		{Name: "view_from", Type: "TEXT", Deferrable: true, Value: func(_ string, d *serviceDoc) any { return d.AsOf.String() }},
		{Name: "view_until", Type: "TEXT", Deferrable: true, Value: func(_ string, d *serviceDoc) any { return viewUntil(d) }},
	}
}

// viewUntil is the last day the view rendered on d.AsOf holds on ("" when
// none): its next billing's date; for a service with none that ended, every
// day (every later item is archived, every earlier one was looked at); else
// (an undated next billing, or none within the horizon, which a later day
// moves) the day itself.
func viewUntil(d *serviceDoc) string {
	if !d.State.Activated() || d.AsOf.IsZero() {
		return ""
	}
	horizon := d.AsOf.AddMonthsClamped(12*horizonYears, d.AsOf.Day())
	it, ok := d.State.NextBilling(d.AsOf, horizon)
	switch {
	case ok && !it.Date.IsZero():
		return it.Date.String()
	case !ok && d.State.Ended && !d.State.EndDate.After(horizon):
		return neverUntil
	}
	return d.AsOf.String()
}

// asOf is the day a service's view is rendered for when an event recorded
// at e's time is applied: the day before its UTC date (zero without one).
func asOf(e Event) domain.Date {
	at := e.Metadata.RecordedAt
	if at.IsZero() {
		return domain.Date{}
	}
	at = at.UTC()
	return domain.MustDate(at.Year(), at.Month(), at.Day()).AddDays(-1)
}

// views renders services (WHERE rest, with args): from their view column
// when it holds on today, else from their state.
func (p *Services) views(ctx context.Context, today domain.Date, rest string, args ...any) ([]ServiceView, error) {
	rows, err := p.db.Query(ctx, "SELECT key, view, view_from, view_until FROM "+p.docs.View()+" "+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("read models: services: %w", err)
	}
	type row struct {
		key  string
		view *ServiceView
	}
	var found []row
	t := today.String()
	for rows.Next() {
		var key string
		var view, from, until sql.NullString
		if err := rows.Scan(&key, &view, &from, &until); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read models: services: %w", err)
		}
		r := row{key: key}
		if view.Valid && from.String != "" && from.String <= t && t <= until.String {
			var v ServiceView
			if err := json.Unmarshal([]byte(view.String), &v); err == nil {
				r.view = &v
			}
		}
		found = append(found, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("read models: services: %w", err)
	}
	out := make([]ServiceView, 0, len(found))
	for _, r := range found {
		if r.view != nil {
			out = append(out, *r.view)
			continue
		}
		id, err := uuid.Parse(r.key)
		if err != nil {
			return nil, fmt.Errorf("read models: services: key %q: %w", r.key, err)
		}
		d, ok, err := p.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, viewOf(d.State, d.Revision, today))
		}
	}
	return out, nil
}
