package ui

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/user"
	"remit/projections"
	"remit/web/api"
	"remit/web/auth"
)

// tokenField is the hidden field carrying a form's one-time token.
const tokenField = "_token"

// form is one form's state: what the user typed, the errors against each
// field (keyed by the field's name, which is the billing request's field
// path, so domain errors land on their inputs), errors no input owns, and
// the one-time token used as the command id.
type form struct {
	Values  url.Values
	Errors  map[string]string
	General []string
	Token   string
}

func newForm() *form {
	return &form{Values: url.Values{}, Errors: map[string]string{}, Token: uuid.NewString()}
}

// formFrom is the form as submitted, to re-render after an error.
func formFrom(r *http.Request) *form {
	f := &form{Values: url.Values{}, Errors: map[string]string{}, Token: r.PostFormValue(tokenField)}
	for k, v := range r.PostForm {
		f.Values[k] = v
	}
	if _, err := uuid.Parse(f.Token); err != nil {
		f.Token = uuid.NewString()
	}
	return f
}

// Value is the submitted (or prefilled) value of a field.
func (f *form) Value(name string) string { return f.Values.Get(name) }

// Checked reports whether a checkbox or radio value was chosen.
func (f *form) Checked(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Error is the error against a field, if any.
func (f *form) Error(name string) string { return f.Errors[name] }

// HasErrors reports whether the form has any error.
func (f *form) HasErrors() bool { return len(f.Errors) > 0 || len(f.General) > 0 }

// All lists every error, field errors first, for the summary at the top.
func (f *form) All() []fieldError {
	var out []fieldError
	for k, v := range f.Errors {
		out = append(out, fieldError{Field: k, Message: v})
	}
	sortFieldErrors(out)
	for _, g := range f.General {
		out = append(out, fieldError{Message: g})
	}
	return out
}

type fieldError struct{ Field, Message string }

func sortFieldErrors(es []fieldError) {
	slices.SortStableFunc(es, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
}

// set prefills a field.
func (f *form) set(name, value string) { f.Values.Set(name, value) }

// fail records a command's error on the form: each field problem against
// its input (after rename maps a billing field path to the form's name),
// anything else as a general error. inputs are the form's field names; a
// problem naming no input becomes general, with the field named.
func (f *form) fail(err error, msg func(error) string, rename func(string) string) {
	var v *domain.ValidationError
	var probs []*domain.Error
	if errors.As(err, &v) {
		probs = v.Problems
	} else if e := (*domain.Error)(nil); errors.As(err, &e) && e.Code == domain.EINVALID {
		probs = []*domain.Error{e}
	}
	if len(probs) == 0 {
		f.General = append(f.General, msg(err))
		return
	}
	for _, p := range probs {
		field := p.Field
		if rename != nil {
			field = rename(field)
		}
		if field == "" {
			f.General = append(f.General, p.Message)
			continue
		}
		if _, dup := f.Errors[field]; !dup {
			f.Errors[field] = p.Message
		}
	}
}

// view is what every page template gets.
type view struct {
	// toForm tells the links to forms, disabled on a page as of a moment.
	toForm   func(link string) bool
	Title    string
	Section  string // "clients": the navigation entry the page belongs to (nav.go)
	Tab      string // the client page's tab
	Flash    string
	FlashErr string
	CSRF     string
	FirmName string
	FirmLogo string // the firm's logo's URL, "" without one
	Today    domain.Date
	Client   *projections.ClientSummary
	Form     *form
	D        any // the page's own data
	// Bare pages (sign-in, first-run setup, set-password) show the app's
	// header without its navigation: nobody is signed in yet.
	Bare bool
	// Back is where a message page's "Back" link leads; "" means Clients.
	Back string
	// AsOf is the header's date-time picker and, looking at the past, the
	// banner that says so.
	AsOf *asOfBar
	nav  navFeatures
	loc  *time.Location
	who  func(actor string) person
	// who is signed in; signedIn is false without sign-in (--no-auth),
	// where every page and action shows.
	role     user.Role
	signedIn bool
}

// Who says who an event's actor is (see describeActor).
func (v *view) Who(actor string) person {
	if v.who == nil {
		return person{Name: actor}
	}
	return v.who(actor)
}

// CanWrite reports whether the signed-in person may change anything:
// auditors only look, so their pages show no action that they could not
// use.
func (v *view) CanWrite() bool { return !v.signedIn || v.role != user.RoleAuditor }

// IsOwner reports whether the signed-in person is an owner: only owners see
// the firm's settings and its users.
func (v *view) IsOwner() bool { return !v.signedIn || v.role == user.RoleOwner }

// SignedIn reports whether someone is signed in (the Sign out button).
func (v *view) SignedIn() bool { return v.signedIn }

type pageTemplate struct{ t *template.Template }

// mustParsePages parses each page under templates/pages with the layout and
// the shared partials; the templates are part of the binary, so a parse
// error is a bug.
func mustParsePages() map[string]*pageTemplate {
	base := template.Must(template.New("").Funcs(funcs()).ParseFS(assets, "templates/layout.html", "templates/partials.html"))
	names, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(assets, n))
		out[strings.TrimSuffix(path.Base(n), ".html")] = &pageTemplate{t: t}
	}
	return out
}

// render writes a page with status, with the firm's name and today's date
// in its header.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	if v.CSRF == "" {
		v.CSRF = h.csrf(r)
	}
	v.who = h.people(r.Context())
	v.nav = navFeatures{BillingPreview: h.cfg.BillingDryRun != nil}
	if f, loc, err := h.firmNow(r.Context()); err == nil {
		v.FirmName, v.loc = f.Name, loc
		if f.Logo != "" {
			v.FirmLogo = logoURL(f.Logo)
		}
		if v.Today.IsZero() && !v.Bare {
			v.Today = domain.DateOf(api.AsOfNow(r.Context(), h.cfg.Now), loc)
		}
	}
	v.toForm = h.forms.isForm
	writePage(w, r, h.log, h.pages, status, page, v)
}

// writePage writes a page with status; the body is rendered into a buffer
// first so a template error becomes a clean 500, not half a page. The
// navigation shows what the signed-in person's role may use.
func writePage(w http.ResponseWriter, r *http.Request, log *slog.Logger, pages map[string]*pageTemplate, status int, page string, v *view) {
	t, ok := pages[page]
	if !ok {
		log.Error("ui: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.Flash == "" && v.FlashErr == "" && r.Method == http.MethodGet {
		v.Flash, v.FlashErr = takeFlash(w, r)
	}
	if p, ok := auth.PrincipalFrom(r.Context()); ok && !v.Bare {
		v.role, v.signedIn = p.Role, true
	}
	if v.loc == nil {
		v.loc = time.UTC
	}
	if !v.Bare {
		v.AsOf = asOfBarOf(r, v.loc)
	}
	var buf bytes.Buffer
	if err := t.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		log.Error("ui: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	body := buf.Bytes()
	if a, ok := api.AsOfFrom(r.Context()); ok {
		body = asOfPage(body, a.Raw, v.toForm)
	}
	_, _ = w.Write(body)
}

// message answers with a page that says what happened and leads back.
func message(h *handler, w http.ResponseWriter, r *http.Request, status int, title, text string) {
	h.render(w, r, status, "error", &view{Title: title, D: text, Back: backTo(r)})
}

// gateMessage is message for the sign-in's answers: to someone not signed
// in it shows no navigation, and leads to the sign-in page.
func gateMessage(h *handler, w http.ResponseWriter, r *http.Request, status int, title, text string) {
	v := &view{Title: title, D: text, Back: backTo(r)}
	if _, ok := auth.PrincipalFrom(r.Context()); !ok {
		v.Bare, v.Back = true, ""
	}
	h.render(w, r, status, "error", v)
}

// backTo is where a message page leads back to: the page a refused form
// was posted from (the same-origin Referer), else Clients.
func backTo(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ""
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || ref.Path == "" {
		return ""
	}
	back := ref.Path
	if ref.RawQuery != "" {
		back += "?" + ref.RawQuery
	}
	if localPath(back) != back {
		return ""
	}
	return back
}

// fail answers err with the error page: its status from the one mapping
// of errors to statuses (api.StatusOf), through the same renderer as every
// error the server answers on the UI's paths. A page that cannot load for
// bad input (EINVALID: a bad query) is 400, not 422: there is no form to
// correct. Internal errors are logged, never shown.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := api.ProblemOf(err)
	if p.Status == http.StatusInternalServerError {
		h.log.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if p.Status == http.StatusUnprocessableEntity {
		p.Status, p.Title = http.StatusBadRequest, "Bad request"
	}
	h.renderProblem(w, r, p)
}

// renderProblem is the UI's error page for p: its title, what went wrong
// (every field problem, or a generic sentence for an internal error), and a
// way back. To someone not signed in (with sign-in on) it shows no
// navigation, and leads to the sign-in page.
func (h *handler) renderProblem(w http.ResponseWriter, r *http.Request, p api.Problem) {
	h.setHeaders(w)
	v := &view{Title: p.Title, D: problemText(p), Back: backTo(r)}
	if h.cfg.Auth != nil {
		_, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			// An error page of the server's (no route) has not been through
			// the front door: who is asking decides the navigation.
			if pr, err := h.cfg.Auth.Authenticate(r); err == nil {
				r, ok = r.WithContext(auth.WithPrincipal(r.Context(), pr)), true
			}
		}
		if !ok {
			v.Bare, v.Back = true, ""
		}
	}
	h.render(w, r, p.Status, "error", v)
}

// problemText is what the error page says of p.
func problemText(p api.Problem) string {
	if p.Status == http.StatusInternalServerError {
		return "Something went wrong on our side; nothing was changed. Please try again."
	}
	if len(p.Errors) == 0 {
		return p.Detail
	}
	parts := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		parts = append(parts, e.Message)
	}
	return strings.Join(parts, "; ")
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	h.fail(w, r, domain.NotFound("%s", msg))
}

// loc is the firm's time zone for this page.
func (v *view) Loc() *time.Location { return v.loc }

// Time formats an instant in the firm's time zone.
func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.loc).Format("2 Jan 2006 15:04 MST")
}

// Day formats the firm's calendar date of an instant, without the time.
func (v *view) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtDate(domain.DateOf(t, v.loc))
}

func fmtDate(d domain.Date) string { return domain.FormatDate(d) }
