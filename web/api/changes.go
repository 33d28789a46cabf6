package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/domain"
	"remit/domain/catalog"
	"remit/eventstore"
	"remit/projections"
)

func (s *Server) registerChangesRoutes(r *mux.Router) {
	r.HandleFunc("/api/changes", s.handleChanges("", "")).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/changes", s.handleChanges(projections.SubjectClient, "client")).Methods(http.MethodGet)
	r.HandleFunc("/api/services/{id}/changes", s.handleChanges(projections.SubjectService, "service")).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/changes", s.handleChanges(projections.SubjectInvoice, "invoice")).Methods(http.MethodGet)
}

// Changes is what changed of a client, a service, an invoice or the whole
// firm between two moments: the activity lines of the events between them,
// and a field-by-field difference of what the read models showed at each.
type Changes struct {
	// Subject is "client", "service", "invoice" or "firm".
	Subject string     `json:"subject"`
	ID      *ID        `json:"id,omitempty"`
	From    AsOfMoment `json:"from"`
	To      AsOfMoment `json:"to"`
	// Activity are the lines of the events after From up to To, oldest
	// first (at most MaxChangesActivity; MoreActivity says there were more).
	Activity     []ActivityLine `json:"activity"`
	MoreActivity bool           `json:"more_activity,omitempty"`
	// Fields are the differences, in the order of the fields.
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one difference: a field (a path such as
// "services[Bookkeeping].quantity": a list's items are named by their name,
// number or key) that was added, removed or changed, with its values at
// From and To.
type FieldChange struct {
	Field  string `json:"field"`
	Change string `json:"change"` // "added", "removed" or "changed"
	From   any    `json:"from"`   // null when added
	To     any    `json:"to"`     // null when removed
}

// MaxChangesActivity bounds the activity lines of Changes.
const MaxChangesActivity = 500

// ChangesReader computes Changes (the API's /changes routes, and the UI's
// Changes pages).
type ChangesReader struct {
	TimeTravel *projections.TimeTravel
	Live       *projections.Models
	Store      eventstore.Store
	Catalog    *catalog.Catalog
	Now        func() time.Time
}

func (s *Server) handleChanges(subject projections.Subject, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var id uuid.UUID
		if subject != "" {
			var err error
			if id, err = pathID(r, "id", what); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		c := ChangesReader{TimeTravel: s.cfg.TimeTravel, Live: s.cfg.Models, Store: s.cfg.Store, Catalog: s.cat, Now: s.cfg.Now}
		q := r.URL.Query()
		ch, err := c.Changes(r.Context(), subject, id, q.Get("from"), q.Get("to"))
		if err != nil {
			s.Error(w, r, err)
			return
		}
		s.writeJSON(w, r, http.StatusOK, ch)
	}
}

// Changes returns what changed of the subject ("" is the whole firm)
// between from and to (as_of values; to "" is now).
func (c ChangesReader) Changes(ctx context.Context, subject projections.Subject, id uuid.UUID, from, to string) (Changes, error) {
	if c.TimeTravel == nil {
		return Changes{}, malformed(domain.Invalid("from", "this server does not answer as of a past moment"))
	}
	_, _, loc, err := projections.FirmAt(ctx, c.Store, c.Catalog, ^uint64(0))
	if err != nil {
		return Changes{}, err
	}
	if from == "" {
		return Changes{}, malformed(domain.Invalid("from", "is required: a time, a date or a log position"))
	}
	fb, err := parseBound("from", from, loc)
	if err != nil {
		return Changes{}, err
	}
	var tb projections.Bound
	if to != "" {
		if tb, err = parseBound("to", to, loc); err != nil {
			return Changes{}, err
		}
	}
	fm, err := c.TimeTravel.Resolve(ctx, fb)
	if err != nil {
		return Changes{}, err
	}
	tm, err := c.TimeTravel.Resolve(ctx, tb)
	if err != nil {
		return Changes{}, err
	}
	if fm.Position > tm.Position {
		return Changes{}, malformed(domain.Invalid("from", "must not be after to"))
	}
	out := Changes{Subject: string(subject), From: momentOf(fm), To: momentOf(tm), Activity: []ActivityLine{}, Fields: []FieldChange{}}
	if subject == "" {
		out.Subject = "firm"
	} else {
		v := ID(id)
		out.ID = &v
	}
	lines, err := c.Live.ActivityBetween(ctx, subject, id, fm.Position, tm.Position, MaxChangesActivity+1)
	if err != nil {
		return Changes{}, err
	}
	if len(lines) > MaxChangesActivity {
		lines, out.MoreActivity = lines[:MaxChangesActivity], true
	}
	out.Activity = wireList(lines, activityLineOf)
	todayTo := domain.DateOf(cmp.Or(tb.Time, tm.At, c.Now()), loc)
	through := todayTo.AddMonthsClamped(12, todayTo.Day())
	before, err := c.state(ctx, subject, id, fm, domain.DateOf(cmp.Or(fb.Time, fm.At, c.Now()), loc), through)
	if err != nil {
		return Changes{}, err
	}
	after, err := c.state(ctx, subject, id, tm, todayTo, through)
	if err != nil {
		return Changes{}, err
	}
	if before == nil && after == nil {
		return Changes{}, domain.NotFound("There is no %s %s.", subject, id)
	}
	diffJSON("", before, after, &out.Fields)
	return out, nil
}

func momentOf(m projections.Moment) AsOfMoment {
	return AsOfMoment{Position: m.Position, At: Time(m.At.UTC())}
}

// state is what the read models showed of the subject at a moment, as the
// API's JSON (decoded into maps and lists), or nil when it did not exist.
func (c ChangesReader) state(ctx context.Context, subject projections.Subject, id uuid.UUID, mo projections.Moment, today, through domain.Date) (any, error) {
	var m *projections.Models
	var release func()
	var err error
	if subject == "" {
		m, release, err = c.TimeTravel.Firmwide(ctx, mo)
	} else {
		clientID := id
		switch subject {
		case projections.SubjectService:
			clientID, err = c.Live.ClientOfService(ctx, id)
		case projections.SubjectInvoice:
			clientID, err = c.Live.ClientOfInvoice(ctx, id)
		}
		if err != nil {
			return nil, err
		}
		m, release, err = c.TimeTravel.Client(ctx, clientID, mo)
	}
	if err != nil {
		return nil, err
	}
	defer release()
	v, err := stateOf(ctx, m, subject, id, today, through)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(raw, &out)
}

// stateOf reads the subject's pages from m in their wire forms.
func stateOf(ctx context.Context, m *projections.Models, subject projections.Subject, id uuid.UUID, today, through domain.Date) (any, error) {
	switch subject {
	case projections.SubjectClient:
		sum, err := m.Summary(ctx, id, today)
		if err != nil {
			return nil, err
		}
		svcs, err := m.ClientServices(ctx, id, today)
		if err != nil {
			return nil, err
		}
		sched, err := m.Schedule(ctx, id, projections.ScheduleQuery{Today: today, Through: through})
		if err != nil {
			return nil, err
		}
		invs, err := allPages(func(p projections.Paging) (projections.Page[projections.InvoiceListItem], error) {
			return m.ListInvoices(ctx, projections.InvoiceQuery{ClientID: id, Today: today, Paging: p})
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{"client": clientSummaryOf(sum), "services": wireList(append(svcs.Active, svcs.Ended...), serviceViewOf),
			"schedule": wireList(sched.Items, scheduleItemOf), "invoices": wireList(invs, invoiceListItemOf)}, nil
	case projections.SubjectService:
		v, err := m.Service(ctx, id, today)
		if err != nil {
			return nil, err
		}
		items, err := m.ServiceSchedule(ctx, id, projections.ScheduleQuery{Today: today, Through: through, IncludeArchived: true})
		if err != nil {
			return nil, err
		}
		return map[string]any{"service": serviceViewOf(v), "schedule": wireList(items, scheduleItemOf)}, nil
	case projections.SubjectInvoice:
		d, err := m.Invoice(ctx, id, today)
		if err != nil {
			return nil, err
		}
		d.Audit = nil // the activity lines say it
		return map[string]any{"invoice": invoiceDetailOf(d)}, nil
	}
	clients, err := allPages(func(p projections.Paging) (projections.Page[projections.ClientListItem], error) {
		return m.ListClients(ctx, projections.ClientQuery{Today: today, Paging: p})
	})
	if err != nil {
		return nil, err
	}
	invs, err := allPages(func(p projections.Paging) (projections.Page[projections.InvoiceListItem], error) {
		return m.ListInvoices(ctx, projections.InvoiceQuery{Today: today, Paging: p})
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"clients": wireList(clients, clientListItemOf), "invoices": wireList(invs, invoiceListItemOf)}, nil
}

// allPages reads every page of a list.
func allPages[T any](page func(projections.Paging) (projections.Page[T], error)) ([]T, error) {
	var out []T
	for offset := 0; ; {
		p, err := page(projections.Paging{Offset: offset, Limit: projections.MaxLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		offset += len(p.Items)
		if len(p.Items) == 0 || offset >= p.Total {
			return out, nil
		}
	}
}

// diffIgnored are fields left out of a difference: the stream revision
// (an ETag that moves with every change the other fields show).
var diffIgnored = map[string]bool{"revision": true}

// absent marks a field one side does not have.
type absent struct{}

// diffJSON appends the differences between a and b (decoded JSON) under
// path.
func diffJSON(path string, a, b any, out *[]FieldChange) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if diffIgnored[k] {
				continue
			}
			av, ok := am[k]
			if !ok {
				av = absent{}
			}
			bv, ok := bm[k]
			if !ok {
				bv = absent{}
			}
			diffJSON(join(path, k), av, bv, out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		diffLists(path, al, bl, out)
		return
	}
	_, aAbsent := a.(absent)
	_, bAbsent := b.(absent)
	switch {
	case reflect.DeepEqual(a, b):
	case aAbsent || a == nil:
		if !bAbsent && b != nil {
			*out = append(*out, FieldChange{Field: path, Change: "added", To: b})
		}
	case bAbsent || b == nil:
		*out = append(*out, FieldChange{Field: path, Change: "removed", From: a})
	default:
		*out = append(*out, FieldChange{Field: path, Change: "changed", From: a, To: b})
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// diffLists compares two lists: items with an id (or key) are matched by
// it and named by their name, number or key; others by index.
func diffLists(path string, a, b []any, out *[]FieldChange) {
	ak, aok := keyed(a)
	bk, bok := keyed(b)
	if !aok || !bok {
		for i := range max(len(a), len(b)) {
			var av, bv any = absent{}, absent{}
			if i < len(a) {
				av = a[i]
			}
			if i < len(b) {
				bv = b[i]
			}
			diffJSON(fmt.Sprintf("%s[%d]", path, i), av, bv, out)
		}
		return
	}
	var order []string
	seen := map[string]bool{}
	for _, l := range [][]any{b, a} {
		for _, it := range l {
			if k := diffKey(it); !seen[k] {
				seen[k] = true
				order = append(order, k)
			}
		}
	}
	names := itemNames(append(slices.Clone(a), b...))
	for _, k := range order {
		var av, bv any = absent{}, absent{}
		if v, ok := ak[k]; ok {
			av = v
		}
		if v, ok := bk[k]; ok {
			bv = v
		}
		diffJSON(path+"["+names[k]+"]", av, bv, out)
	}
}

// keyed indexes a list of objects by their id or key; ok is false when the
// list holds anything else.
func keyed(l []any) (map[string]any, bool) {
	out := make(map[string]any, len(l))
	for _, it := range l {
		k := diffKey(it)
		if k == "" {
			return nil, false
		}
		out[k] = it
	}
	return out, true
}

func diffKey(it any) string {
	m, ok := it.(map[string]any)
	if !ok {
		return ""
	}
	for _, f := range []string{"id", "key"} {
		if s, ok := m[f].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// itemNames names each item of a list for a path: its name, number or
// date with its service's name, when no other item has the same; else its
// key.
func itemNames(l []any) map[string]string {
	label := func(m map[string]any) string {
		var parts []string
		for _, f := range []string{"number", "name", "service_name", "date"} {
			if s, ok := m[f].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	count := map[string]int{}
	byKey := map[string]string{}
	for _, it := range l {
		k := diffKey(it)
		if _, done := byKey[k]; done {
			continue
		}
		n := label(it.(map[string]any))
		byKey[k] = n
		count[n]++
	}
	for k, n := range byKey {
		if n == "" || count[n] > 1 {
			byKey[k] = k
		}
	}
	return byKey
}
