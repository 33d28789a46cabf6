package proposal_test

import (
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
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

// monthlyLine bills monthly and automatically from five days after acceptance.
func monthlyLine() proposal.Line {
	return proposal.Line{
		ID:          monthlyID,
		Name:        "Monthly bookkeeping",
		Description: "Reconciliations, payroll and BAS preparation",
		UnitPrice:   decidertest.Dec("450"),
		Quantity:    decidertest.Dec("1"),
		Unit:        "month",
		Discount:    domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("10")},
		TaxRate:     decidertest.Dec("10"),
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
		UnitPrice:   decidertest.Dec("1200"),
		Quantity:    decidertest.Dec("1"),
		TaxRate:     decidertest.Dec("10"),
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnProposalStart, End: domain.EndNever},
	}
}

// completionLine is billed by hand when the work is done.
func completionLine() proposal.Line {
	return proposal.Line{
		ID:          laterID,
		Name:        "Restructure advice",
		UnitPrice:   decidertest.Dec("180"),
		Quantity:    decidertest.Dec("6.5"),
		Unit:        "hour",
		Discount:    domain.Discount{Kind: domain.DiscountAmount, Value: decidertest.Dec("100")},
		TaxRate:     decidertest.Dec("10"),
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

// decider is the proposal decider, its events compared whole.
var decider = decidertest.Decider[proposal.State, proposal.Command]{Fold: proposal.Fold, Decide: proposal.Decide}

func events(es ...domain.Event) []domain.Event { return es }
