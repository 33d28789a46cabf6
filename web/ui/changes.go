package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/projections"
	"remit/web/api"
)

func (h *handler) registerChangesRoutes(rt routes) {
	rt.get("/clients/{id}/changes", h.handleChanges(projections.SubjectClient, "id"))
	rt.get("/services/{sid}/changes", h.handleChanges(projections.SubjectService, "sid"))
	rt.get("/invoices/{iid}/changes", h.handleChanges(projections.SubjectInvoice, "iid"))
}

// changesPage is the "What changed" page of a client, service or invoice.
type changesPage struct {
	Name    string // what changed, e.g. `Service "Bookkeeping"`
	Back    string // its page
	Path    string // this page
	Shown   bool   // Changes holds an answer
	Changes api.Changes
	From    string // when, as the page says it
	To      string
	Fields  []changeRow
	Lines   []changeLine
}

// changeLine is an activity line of the page.
type changeLine struct {
	At   time.Time
	Text string
}

// changeRow is one field-by-field difference as the page shows it.
type changeRow struct {
	Field, Change, From, To string
}

func (h *handler) handleChanges(subject projections.Subject, param string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.idParam(w, r, param)
		if !ok {
			return
		}
		ctx := r.Context()
		today, loc, err := h.today(ctx)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d := changesPage{Path: r.URL.Path}
		var clientID uuid.UUID
		switch subject {
		case projections.SubjectClient:
			clientID, d.Back = id, "/clients/"+id.String()
		case projections.SubjectService:
			sv, err := h.models(ctx).Service(ctx, id, today)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			clientID, d.Name, d.Back = sv.ClientID, fmt.Sprintf("service %q", sv.Name), "/services/"+id.String()
		case projections.SubjectInvoice:
			inv, err := h.models(ctx).Invoice(ctx, id, today)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			clientID, d.Name, d.Back = inv.ClientID, "invoice "+inv.Number, "/invoices/"+id.String()
		}
		c, err := h.models(ctx).Summary(ctx, clientID, today)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if d.Name == "" {
			d.Name = c.Name
		}
		f := newForm()
		q := r.URL.Query()
		f.set("from", q.Get("from"))
		f.set("to", q.Get("to"))
		if q.Get("from") != "" {
			rd := api.ChangesReader{TimeTravel: h.cfg.TimeTravel, Live: h.cfg.Models, Store: h.cfg.Store, Catalog: h.cat, Now: h.cfg.Now}
			d.Changes, err = rd.Changes(ctx, subject, id, q.Get("from"), q.Get("to"))
			var de *domain.ValidationError
			switch {
			case err == nil:
				d.Shown = true
				d.From, d.To = momentLabel(d.Changes.From, loc), momentLabel(d.Changes.To, loc)
				d.Fields = changeRows(d.Changes.Fields)
				for _, l := range d.Changes.Activity {
					d.Lines = append(d.Lines, changeLine{At: time.Time(l.At), Text: l.Text})
				}
				// The pickers show the moments found (a p:N shows its time).
				f.set("from", pickerValue(d.Changes.From, loc, q.Get("from")))
				f.set("to", pickerValue(d.Changes.To, loc, q.Get("to")))
			case domain.ErrorCode(err) == domain.EINVALID || errors.As(err, &de) || api.StatusOf(err) == http.StatusBadRequest:
				f.fail(err, domain.ErrorMessage, nil)
			default:
				h.fail(w, r, err)
				return
			}
		}
		tab := "changes"
		if subject != projections.SubjectClient {
			tab = map[projections.Subject]string{projections.SubjectService: "services", projections.SubjectInvoice: "invoices"}[subject]
		}
		h.render(w, r, http.StatusOK, "changes", &view{Title: "Changes to " + d.Name, Section: "clients", Tab: tab, Client: &c, Today: today, D: d, Form: f})
	}
}

// momentLabel says a moment as the page shows it.
func momentLabel(m api.AsOfMoment, loc *time.Location) string {
	if m.Position == 0 {
		return "before anything was recorded"
	}
	s := fmt.Sprintf("log position %d", m.Position)
	if !m.At.IsZero() {
		s = time.Time(m.At).In(loc).Format("2 Jan 2006 15:04:05") + " (" + s + ")"
	}
	return s
}

// pickerValue is a picker's value for a moment: what was typed when it
// was a time, else the moment's time.
func pickerValue(m api.AsOfMoment, loc *time.Location, typed string) string {
	if typed != "" && !strings.HasPrefix(typed, "p:") {
		return typed
	}
	if m.At.IsZero() {
		return typed
	}
	return time.Time(m.At).In(loc).Format("2006-01-02T15:04:05")
}

// changeRows turns differences into the page's rows.
func changeRows(fs []api.FieldChange) []changeRow {
	out := make([]changeRow, 0, len(fs))
	for _, f := range fs {
		out = append(out, changeRow{Field: f.Field, Change: f.Change, From: diffValue(f.From), To: diffValue(f.To)})
	}
	return out
}

// diffValue says a value of a difference: money as "AUD 12.00", a list or
// an object as its fields, cut to a readable length.
func diffValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case map[string]any:
		if a, ok := x["amount"].(string); ok && len(x) == 2 {
			if c, ok := x["currency"].(string); ok {
				return c + " " + a
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			if s := diffValue(x[k]); s != "" && s != "[]" {
				parts = append(parts, k+": "+s)
			}
		}
		return cut(strings.Join(parts, "; "))
	}
	raw, _ := json.Marshal(v)
	return cut(string(raw))
}

func cut(s string) string {
	if len(s) > 300 {
		return s[:297] + "…"
	}
	return s
}
