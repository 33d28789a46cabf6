package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"remit/domain"
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

// statusOf is the one place an error becomes an HTTP status, with the
// problem type and title that go with it. See the package doc for the split
// between 400 and 422.
func statusOf(err error) (status int, typ, title string) {
	var he *httpError
	if errors.As(err, &he) {
		switch he.status {
		case http.StatusBadRequest:
			return he.status, "malformed-request", "Malformed request"
		case http.StatusPreconditionFailed:
			return he.status, "precondition-failed", "Precondition failed"
		case http.StatusRequestEntityTooLarge:
			return he.status, "body-too-large", "Request body too large"
		case http.StatusUnsupportedMediaType:
			return he.status, "unsupported-media-type", "Unsupported media type"
		case http.StatusMethodNotAllowed:
			return he.status, "method-not-allowed", "Method not allowed"
		}
		return http.StatusInternalServerError, "internal", "Internal error"
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return http.StatusUnprocessableEntity, "invalid", "Invalid request"
	case domain.ENOTFOUND:
		return http.StatusNotFound, "not-found", "Not found"
	case domain.ECONFLICT:
		return http.StatusConflict, "conflict", "Conflict"
	case domain.EFORBIDDEN:
		return http.StatusForbidden, "forbidden", "Forbidden"
	}
	return http.StatusInternalServerError, "internal", "Internal error"
}

// problemOf builds the problem for err. Internal errors get a generic detail.
func problemOf(err error) Problem {
	status, typ, title := statusOf(err)
	p := Problem{Type: problemTypeBase + typ, Title: title, Status: status}
	if status == http.StatusInternalServerError {
		p.Detail = "An internal error occurred. It has been logged."
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

// Error writes err as a problem. Internal errors are logged with their
// details, which the client never sees.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	if p.Status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeProblem(w, p)
}

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
