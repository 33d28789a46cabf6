package proposal_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/proposal"
)

var (
	now        = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	later      = now.Add(8 * 24 * time.Hour)
	proposalID = uuid.MustParse("90000000-0000-4000-8000-000000000001")
	clientID   = uuid.MustParse("c0000000-0000-4000-8000-000000000001")
	monthlyID  = uuid.MustParse("11000000-0000-4000-8000-000000000001")
	onceID     = uuid.MustParse("11000000-0000-4000-8000-000000000002")
	laterID    = uuid.MustParse("11000000-0000-4000-8000-000000000003")
	methodID   = uuid.MustParse("b0000000-0000-4000-8000-000000000001")
	aud        = domain.MustCurrency("AUD")
	startDate  = domain.MustDate(2026, time.July, 1)
	acceptedOn = domain.MustDate(2026, time.March, 10)
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// monthlyLine bills monthly and automatically from five days after acceptance.
func monthlyLine() proposal.Line {
	return proposal.Line{
		ID:          monthlyID,
		Name:        "Monthly bookkeeping",
		Description: "Reconciliations, payroll and BAS preparation",
		UnitPrice:   dec("450"),
		Quantity:    dec("1"),
		Unit:        "month",
		Discount:    domain.Discount{Kind: domain.DiscountPercent, Value: dec("10")},
		TaxRate:     dec("10"),
		BillingRule: domain.BillingRule{
			Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance,
			StartDelayDays: 5, End: domain.EndAfterN, EndAfter: 12,
		},
		Automatic: true,
	}
}

// onceLine bills once, manually, on the proposal's start date.
func onceLine() proposal.Line {
	return proposal.Line{
		ID:          onceID,
		Name:        "Tax return",
		UnitPrice:   dec("1200"),
		Quantity:    dec("1"),
		TaxRate:     dec("10"),
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnProposalStart, End: domain.EndNever},
	}
}

// completionLine is billed by hand when the work is done.
func completionLine() proposal.Line {
	return proposal.Line{
		ID:          laterID,
		Name:        "Restructure advice",
		UnitPrice:   dec("180"),
		Quantity:    dec("6.5"),
		Unit:        "hour",
		Discount:    domain.Discount{Kind: domain.DiscountAmount, Value: dec("100")},
		TaxRate:     dec("10"),
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion},
	}
}

func lines(ls ...proposal.Line) []proposal.Line { return ls }

func drafted() proposal.ProposalDrafted {
	return proposal.ProposalDrafted{
		ProposalID: proposalID, ClientID: clientID, Title: "Bookkeeping 2026", Currency: aud,
		StartDate: startDate, Lines: lines(monthlyLine(), onceLine()), At: now,
	}
}

func sent() proposal.ProposalSent {
	return proposal.ProposalSent{ProposalID: proposalID, ClientID: clientID, RecipientEmail: "alice@acme.example",
		Recipients: []proposal.Recipient{{Email: "alice@acme.example"}}, At: now}
}

func accepted() proposal.ProposalAccepted {
	return proposal.ProposalAccepted{
		ProposalID: proposalID, ClientID: clientID, AcceptedByName: "Alice Ng", AcceptedByEmail: "alice@acme.example",
		SignatureName: "Alice Ng", AcceptedOn: acceptedOn, PaymentMethodID: methodID,
		Currency: aud, StartDate: startDate, Lines: lines(monthlyLine(), onceLine()), At: later,
	}
}

func declined() proposal.ProposalDeclined {
	return proposal.ProposalDeclined{ProposalID: proposalID, Reason: "too expensive", At: later}
}

func withdrawn() proposal.ProposalWithdrawn {
	return proposal.ProposalWithdrawn{ProposalID: proposalID, At: later}
}

func expired() proposal.ProposalExpired {
	return proposal.ProposalExpired{ProposalID: proposalID, ExpiresOn: domain.MustDate(2026, time.April, 1), At: later}
}

func events(es ...domain.Event) []domain.Event { return es }

// decideCase is one given/when/then row: Then is the events expected, or
// Code (and optionally Fields) the refusal expected.
type decideCase struct {
	Name   string
	Given  []domain.Event
	When   proposal.Command
	Then   []domain.Event
	Code   string
	Fields []string
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := proposal.Decide(proposal.Fold(tc.Given), tc.When)
			if tc.Code != "" {
				MustRefuse(t, err, tc.Code, tc.Fields...)
				if got != nil {
					t.Errorf("refused command returned events: %s", MustJSON(t, got))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.Then) {
				t.Errorf("events:\n got  %s\n want %s", MustJSON(t, got), MustJSON(t, tc.Then))
			}
		})
	}
}

// MustRefuse fails unless err is a domain error with code, reporting (among
// others) a problem with each of fields.
func MustRefuse(tb testing.TB, err error, code string, fields ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	if got := domain.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
	if domain.ErrorMessage(err) == "" {
		tb.Errorf("error %v has no message for the user", err)
	}
	for _, f := range fields {
		if !errors.Is(err, &domain.Error{Code: code, Field: f}) {
			tb.Errorf("error %q does not report field %q", err, f)
		}
	}
}

// MustJSON renders v as JSON for failure messages.
func MustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}
