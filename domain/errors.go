package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They map to HTTP statuses in exactly one place (under web/) and to CLI
// exit codes in cmd/remit.
const (
	EINVALID   = "invalid"   // the input is malformed or breaks a rule (HTTP 400/422)
	ENOTFOUND  = "not_found" // the thing does not exist (HTTP 404)
	ECONFLICT  = "conflict"  // the thing's current state forbids the change (HTTP 409)
	EFORBIDDEN = "forbidden" // the actor may not do this (HTTP 403)
	EINTERNAL  = "internal"  // a bug or an infrastructure failure (HTTP 500)
)

// Error is the one error type of Remit's rules. Message is written for the
// person who caused it and is safe to show; Field names the input field at
// fault, when there is one (dotted path, e.g. "lines[2].quantity").
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error formats the error as "code: field: message" for logs; show users
// ErrorMessage instead.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is makes errors.Is(err, &Error{Code: X}) match any *Error with code X.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Field == "" || t.Field == e.Field) && (t.Message == "" || t.Message == e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error for one input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error.
func NotFound(format string, args ...any) *Error { return Errorf(ENOTFOUND, format, args...) }

// Conflict returns an ECONFLICT error.
func Conflict(format string, args ...any) *Error { return Errorf(ECONFLICT, format, args...) }

// Forbidden returns an EFORBIDDEN error.
func Forbidden(format string, args ...any) *Error { return Errorf(EFORBIDDEN, format, args...) }

// ErrorCode returns the code of err: the code of the first *Error in its chain,
// or EINTERNAL for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic message so that no infrastructure detail reaches a user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// Problems collects field-level validation errors so that a command reports
// every bad field at once rather than the first one only.
type Problems []*Error

// Add records a problem with a field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, Invalid(field, format, args...))
}

// Merge adds the problems carried by err to p, so that validators returning
// an error compose: every problem of a *ValidationError, or a single *Error.
// Any other non-nil error is added as an EINVALID problem with its text.
func (p *Problems) Merge(err error) {
	if err == nil {
		return
	}
	var v *ValidationError
	if errors.As(err, &v) {
		*p = append(*p, v.Problems...)
		return
	}
	var e *Error
	if errors.As(err, &e) {
		*p = append(*p, e)
		return
	}
	*p = append(*p, &Error{Code: EINVALID, Message: err.Error()})
}

// Err returns nil when there are no problems, otherwise a *ValidationError.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// ValidationError carries several field problems. errors.As to *Error yields
// the first problem, so code that looks only at one error still sees EINVALID.
type ValidationError struct {
	Problems Problems
	// More counts further problems that were found but not kept (a reader
	// of a huge request stops listing them).
	More int
}

// Error joins every problem's text with "; ".
func (v *ValidationError) Error() string {
	parts := make([]string, len(v.Problems))
	for i, p := range v.Problems {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes every problem to errors.Is / errors.As.
func (v *ValidationError) Unwrap() []error {
	out := make([]error, len(v.Problems))
	for i, p := range v.Problems {
		out[i] = p
	}
	return out
}
