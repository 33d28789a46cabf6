package api

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/eventstore"
	"remit/projections"
)

// As of: every GET (API and UI) takes the query parameter as_of and answers
// as the read models stood then.
const (
	// AsOfParam is the query parameter: an RFC 3339 time
	// (2026-03-01T12:00:00Z), a local date-time in the firm's zone
	// (2026-03-01T12:00, what a date-time picker sends), a date in the
	// firm's zone (2026-03-01: the end of that day), or a log position
	// (p:1234).
	AsOfParam = "as_of"
	// AsOfPositionHeader answers the position of the last event the answer
	// includes; AsOfTimeHeader when it was recorded (RFC 3339).
	AsOfPositionHeader = "Remit-As-Of-Position"
	AsOfTimeHeader     = "Remit-As-Of-Time"
)

// AsOf is the moment a request reads as of, and the read models as they
// stood then.
type AsOf struct {
	Raw    string // the parameter as given
	Moment projections.Moment
	// Time is the time asked for (zero for a position): "today" is its
	// date, not the date of the last event before it.
	Time   time.Time
	Models *projections.Models
}

type asOfKey struct{}

// AsOfFrom returns the moment the request reads as of, if it has one.
func AsOfFrom(ctx context.Context) (*AsOf, bool) {
	a, ok := ctx.Value(asOfKey{}).(*AsOf)
	return a, ok
}

// ReadModels returns the read models a request reads: as of its moment, or
// live.
func ReadModels(ctx context.Context, live *projections.Models) *projections.Models {
	if a, ok := AsOfFrom(ctx); ok {
		return a.Models
	}
	return live
}

// ParseAsOf reads an as_of value; loc is the firm's time zone, in which
// dates and local date-times are read. A bad value is a 400 naming as_of.
func ParseAsOf(raw string, loc *time.Location) (projections.Bound, error) {
	return parseBound(AsOfParam, raw, loc)
}

// parseBound reads a moment given in the parameter field (as_of, from, to).
func parseBound(field, raw string, loc *time.Location) (projections.Bound, error) {
	raw = strings.TrimSpace(raw)
	bad := func(why string) error {
		return malformed(domain.Invalid(field, "%s: use a time (2026-03-01T12:00:00Z), a date in the firm's time zone (2026-03-01), or a log position (p:1234)", why))
	}
	if rest, ok := strings.CutPrefix(raw, "p:"); ok {
		n, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || n == 0 {
			return projections.Bound{}, bad("not a log position")
		}
		return projections.Bound{Position: n}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return projections.Bound{Time: t}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			return projections.Bound{Time: t}, nil
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, raw, loc); err == nil {
		return projections.Bound{Time: t.AddDate(0, 0, 1).Add(-time.Nanosecond)}, nil
	}
	if raw == "" {
		return projections.Bound{}, bad("empty")
	}
	return projections.Bound{}, bad("not a time, date or log position")
}

// AsOfResolver is the middleware that puts a request with as_of in the
// past: it refuses writes, resolves the moment and the read models of it
// (a client's own, per-stream, for the pages of a client, a service or an
// invoice; the whole firm's otherwise) and answers the moment in headers.
type AsOfResolver struct {
	TimeTravel *projections.TimeTravel
	// Live finds which client a service or invoice belongs to.
	Live *projections.Models
	// Zone is the firm's time zone now.
	Zone func(context.Context) (*time.Location, error)
	// Fail answers an error.
	Fail func(http.ResponseWriter, *http.Request, error)
}

// scopePath finds the client, service or invoice a path is about.
var scopePath = regexp.MustCompile(`^/(?:api/)?(clients|services|invoices)/([0-9a-fA-F-]{36})(?:/|$)`)

// Middleware wraps next.
func (a AsOfResolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, set := r.URL.Query()[AsOfParam]
		if !set || r.URL.Path == "/logout" {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			a.Fail(w, r, domain.Errorf(domain.ECONFLICT, "You are looking at the past (%s=%s): nothing can be changed there. Go back to now to make changes.", AsOfParam, raw[0]))
			return
		}
		if a.TimeTravel == nil {
			a.Fail(w, r, malformed(domain.Invalid(AsOfParam, "this server does not answer as of a past moment")))
			return
		}
		ctx := r.Context()
		loc, err := a.Zone(ctx)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		bound, err := ParseAsOf(raw[0], loc)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		mo, err := a.TimeTravel.Resolve(ctx, bound)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		var m *projections.Models
		var release func()
		if client, ok := a.clientOf(ctx, r.URL.Path); ok {
			m, release, err = a.TimeTravel.Client(ctx, client, mo)
		} else {
			m, release, err = a.TimeTravel.Firmwide(ctx, mo)
		}
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		defer release()
		w.Header().Set(AsOfPositionHeader, strconv.FormatUint(mo.Position, 10))
		if !mo.At.IsZero() {
			w.Header().Set(AsOfTimeHeader, mo.At.UTC().Format(time.RFC3339Nano))
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, asOfKey{}, &AsOf{Raw: raw[0], Moment: mo, Models: m, Time: bound.Time})))
	})
}

// clientOf is the client whose pages path shows, if it is one of a
// client, a service or an invoice.
func (a AsOfResolver) clientOf(ctx context.Context, path string) (uuid.UUID, bool) {
	g := scopePath.FindStringSubmatch(path)
	if g == nil {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(g[2])
	if err != nil {
		return uuid.Nil, false
	}
	switch g[1] {
	case "services":
		id, err = a.Live.ClientOfService(ctx, id)
	case "invoices":
		id, err = a.Live.ClientOfInvoice(ctx, id)
	}
	return id, err == nil
}

// AsOfMoment is the moment an answer read with as_of is as of: the
// position of the last event it includes and when that was recorded.
type AsOfMoment struct {
	Position uint64 `json:"position"`
	At       Time   `json:"at,omitzero"`
}

// asOfMomentOf is the request's moment, nil without as_of.
func asOfMomentOf(ctx context.Context) *AsOfMoment {
	a, ok := AsOfFrom(ctx)
	if !ok {
		return nil
	}
	m := momentOf(a.Moment)
	return &m
}

// AsOfNow is the time "today" is judged on: when the as-of moment was
// recorded, or now.
func AsOfNow(ctx context.Context, now func() time.Time) time.Time {
	n := now()
	a, ok := AsOfFrom(ctx)
	switch {
	case !ok:
		return n
	case !a.Time.IsZero() && a.Time.Before(n):
		return a.Time
	case !a.Moment.At.IsZero() && a.Moment.At.Before(n):
		return a.Moment.At
	}
	return n
}

// CutAsOf keeps the events of a stream a request reading as of a moment
// may see: those at or before it (all of them without as_of).
func CutAsOf(ctx context.Context, recs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
	a, ok := AsOfFrom(ctx)
	if !ok {
		return recs
	}
	for i, r := range recs {
		if r.Position > a.Moment.Position {
			return recs[:i]
		}
	}
	return recs
}
