package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"remit/domain"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    string
		message string
	}{
		{"Nil", nil, "", ""},
		{"NotFound", domain.NotFound("no client %q", "Acme"), domain.ENOTFOUND, `no client "Acme"`},
		{"Wrapped", fmt.Errorf("issue: %w", domain.Conflict("already paid")), domain.ECONFLICT, "already paid"},
		{"Forbidden", domain.Forbidden("not yours"), domain.EFORBIDDEN, "not yours"},
		{"Internal", errors.New("disk on fire"), domain.EINTERNAL, "An internal error occurred."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := domain.ErrorMessage(tt.err); got != tt.message {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.message)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", domain.Invalid("lines[2].quantity", "quantity cannot be negative"))
	for _, target := range []*domain.Error{
		{Code: domain.EINVALID},
		{Code: domain.EINVALID, Field: "lines[2].quantity"},
		{Code: domain.EINVALID, Message: "quantity cannot be negative"},
	} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %+v) = false", err, target)
		}
	}
	for _, target := range []*domain.Error{{Code: domain.ECONFLICT}, {Code: domain.EINVALID, Field: "price"}} {
		if errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %+v) = true", err, target)
		}
	}
	if got := err.Error(); got != "wrapped: invalid: lines[2].quantity: quantity cannot be negative" {
		t.Errorf("Error() = %q", got)
	}
}

func TestProblems(t *testing.T) {
	var p domain.Problems
	if p.Err() != nil {
		t.Fatal("no problems gave an error")
	}
	p.Add("name", "give a name")
	p.Merge(nil)
	p.Merge(domain.BillingRule{}.Validate("rule"))
	p.Merge(domain.Conflict("already accepted"))
	p.Merge(errors.New("plain"))
	err := p.Err()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 4 {
		t.Fatalf("Err() = %v, want 4 problems", err)
	}
	if got := []string{ve.Problems[0].Field, ve.Problems[1].Field}; got[0] != "name" || got[1] != "rule.frequency" {
		t.Errorf("fields %v", got)
	}
	if ve.Problems[2].Code != domain.ECONFLICT || ve.Problems[3].Code != domain.EINVALID {
		t.Errorf("codes %q, %q", ve.Problems[2].Code, ve.Problems[3].Code)
	}
	// The first problem decides the code and message seen by code that looks
	// at one error only.
	if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorMessage(err) != "give a name" {
		t.Errorf("ErrorCode %q, ErrorMessage %q", domain.ErrorCode(err), domain.ErrorMessage(err))
	}
	if !errors.Is(err, &domain.Error{Code: domain.EINVALID, Field: "rule.frequency"}) {
		t.Error("errors.Is does not see the second problem")
	}
}

func TestAddress(t *testing.T) {
	a := domain.Address{Line1: " 1 George St ", City: "Sydney ", Country: " au"}.Normalized()
	if a.Line1 != "1 George St" || a.City != "Sydney" || a.Country != "AU" {
		t.Errorf("Normalized = %+v", a)
	}
	if err := a.Validate("address"); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if !(domain.Address{}).IsZero() || a.IsZero() {
		t.Error("IsZero is wrong")
	}
	long := make([]byte, 201)
	for i := range long {
		long[i] = 'x'
	}
	err := domain.Address{Line2: string(long), Country: "AUS"}.Validate("address")
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 || ve.Problems[0].Field != "address.line2" || ve.Problems[1].Field != "address.country" {
		t.Errorf("Validate = %v, want problems with address.line2 and address.country", err)
	}
	if err := (domain.Address{Country: "A1"}).Validate(""); !errors.Is(err, &domain.Error{Code: domain.EINVALID, Field: "country"}) {
		t.Errorf("Validate = %v, want a problem with country", err)
	}
}
