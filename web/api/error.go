package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"remit/domain"
	"remit/web/auth"
)

// maxListedProblems is the most field problems one response lists; the
// rest are summed up in one more entry ("and N more problems"), so no
// request, however wrong, makes a big answer.
const maxListedProblems = 20

// listed is the first maxListedProblems problems of ve plus one entry that
// counts the others.
func listed(ve *domain.ValidationError) []FieldProblem {
	p, more := ve.Problems, ve.More
	if len(p) > maxListedProblems {
		more += len(p) - maxListedProblems
		p = p[:maxListedProblems]
	}
	out := make([]FieldProblem, 0, len(p)+1)
	for _, q := range p {
		out = append(out, FieldProblem{Field: q.Field, Message: q.Message})
	}
	if more > 0 {
		out = append(out, FieldProblem{Message: fmt.Sprintf("and %d more problems", more)})
	}
	return out
}

// problemTypeBase prefixes the type URI of every problem; the document
// describes each at /api/openapi.json.
const problemTypeBase = "https://remit.example/problems/"

// Problem is the body of every error response: RFC 9457 problem details
// with field-level errors.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is one problem with one input field ("lines[2].quantity";
// "" for the request as a whole).
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// httpError is an error the HTTP layer finds itself, with its status: a body
// that cannot be read as the request (400), a failed If-Match (412), an
// oversized body (413), a body that is not JSON (415), a method not allowed
// (405). err, when set, carries the field problems.
type httpError struct {
	status int
	msg    string
	err    error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

// malformed marks err (field problems) as a request that cannot be read: 400.
func malformed(err error) error {
	return &httpError{status: http.StatusBadRequest, msg: "The request is malformed.", err: err}
}

// StatusOf is the one place an error becomes an HTTP status, for the API
// and the UI alike: a domain error by its code, an error of the HTTP layer
// (httpError) by its own status, a refused sign-in 401 or 429, anything
// else 500. See the package doc for the split between 400 and 422.
func StatusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		switch he.status {
		case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusPreconditionFailed,
			http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			return he.status
		}
		return http.StatusInternalServerError
	}
	switch {
	case errors.Is(err, auth.ErrRateLimited), errors.Is(err, errTooManyInFlight):
		return http.StatusTooManyRequests
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return http.StatusUnprocessableEntity
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// problemKind is the problem type (after problemTypeBase) and title that go
// with a status.
type problemKind struct{ typ, title string }

// problemKinds names every status StatusOf answers.
var problemKinds = map[int]problemKind{
	http.StatusBadRequest:            {"malformed-request", "Malformed request"},
	http.StatusUnauthorized:          {"unauthenticated", "Not signed in"},
	http.StatusForbidden:             {"forbidden", "Forbidden"},
	http.StatusNotFound:              {"not-found", "Not found"},
	http.StatusMethodNotAllowed:      {"method-not-allowed", "Method not allowed"},
	http.StatusConflict:              {"conflict", "Conflict"},
	http.StatusPreconditionFailed:    {"precondition-failed", "Precondition failed"},
	http.StatusRequestEntityTooLarge: {"body-too-large", "Request body too large"},
	http.StatusUnsupportedMediaType:  {"unsupported-media-type", "Unsupported media type"},
	http.StatusUnprocessableEntity:   {"invalid", "Invalid request"},
	http.StatusTooManyRequests:       {"rate-limited", "Too many attempts"},
	http.StatusInternalServerError:   {"internal", "Internal error"},
}

// statusOf is StatusOf with the problem type and title of the status.
func statusOf(err error) (status int, typ, title string) {
	status = StatusOf(err)
	k := problemKinds[status]
	return status, k.typ, k.title
}

// ProblemOf builds the problem for err, the one value both renderers (JSON
// for the API, the HTML error page for the UI) answer from. Internal errors
// get a generic detail.
func ProblemOf(err error) Problem {
	status, typ, title := statusOf(err)
	p := Problem{Type: problemTypeBase + typ, Title: title, Status: status}
	switch status {
	case http.StatusInternalServerError:
		p.Detail = "An internal error occurred. It has been logged."
		return p
	case http.StatusUnauthorized:
		p.Detail = err.Error() // auth's messages are written for people
		return p
	case http.StatusTooManyRequests:
		p.Detail = "Too many sign-in attempts; wait a while and try again."
		if errors.Is(err, errTooManyInFlight) {
			p.Detail = "Too many requests at once from your address; wait a moment and try again."
		}
		return p
	}
	var he *httpError
	if errors.As(err, &he) {
		p.Detail = he.msg
	} else {
		p.Detail = domain.ErrorMessage(err)
	}
	var ve *domain.ValidationError
	var de *domain.Error
	switch {
	case errors.As(err, &ve):
		p.Errors = listed(ve)
		if he == nil || he.err != nil {
			p.Detail = summarise(p.Errors)
		}
	case errors.As(err, &de):
		if de.Field != "" || he != nil {
			p.Errors = []FieldProblem{{Field: de.Field, Message: de.Message}}
		}
		if he != nil {
			p.Detail = summarise(p.Errors)
		}
	}
	return p
}

// summarise is the detail of a problem with field errors.
func summarise(errs []FieldProblem) string {
	if len(errs) == 1 {
		if errs[0].Field == "" {
			return errs[0].Message
		}
		return errs[0].Field + ": " + errs[0].Message
	}
	return "The request has several problems; see errors."
}

// ErrNoRoute is the error of a request no route takes: 404 with the path.
func ErrNoRoute(r *http.Request) error {
	return domain.NotFound("There is nothing at %s.", r.URL.Path)
}

// ErrMethodNotAllowed is the error of a method a route does not take: 405.
func ErrMethodNotAllowed(r *http.Request) error {
	return &httpError{status: http.StatusMethodNotAllowed, msg: fmt.Sprintf("%s is not allowed on %s.", r.Method, r.URL.Path)}
}

// Error is the one problem renderer: it answers err as problem details
// (application/problem+json) to the API and, when the UI is served, as the
// UI's HTML error page to every path outside /api/, both from ProblemOf(err).
// Internal errors are logged with their details, which the client never
// sees.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemOf(err)
	if p.Status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if s.cfg.UI != nil && !isAPIPath(r.URL.Path) {
		s.cfg.UI.RenderProblem(w, r, p)
		return
	}
	writeProblem(w, p)
}

// isAPIPath reports whether path is the JSON API's; every other path is the
// UI's.
func isAPIPath(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

func writeProblem(w http.ResponseWriter, p Problem) {
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// stripFieldPrefix renames the fields of err's problems from the command's
// shape to the request body's, by removing prefix ("contact.email" →
// "email"). The problems are copied, not changed.
func stripFieldPrefix(err error, prefix string) error {
	if prefix == "" {
		return err
	}
	strip := func(e *domain.Error) *domain.Error {
		c := *e
		c.Field = strings.TrimPrefix(c.Field, prefix)
		return &c
	}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		var p domain.Problems
		for _, q := range ve.Problems {
			p = append(p, strip(q))
		}
		return p.Err()
	}
	var de *domain.Error
	if errors.As(err, &de) && de.Field != "" {
		return strip(de)
	}
	return err
}
