package proposal_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/proposal"
)

func TestServicesToActivate(t *testing.T) {
	acc := accepted()
	acc.Lines = lines(monthlyLine(), onceLine(), completionLine())
	s := proposal.Fold(events(drafted(), sent(), acc))
	got := proposal.ServicesToActivate(s)

	monthlyRule := monthlyLine().BillingRule
	monthlyRule.Start, monthlyRule.StartDelayDays, monthlyRule.StartDate = domain.StartOnDate, 0, domain.MustDate(2026, time.March, 15)
	onceRule := onceLine().BillingRule
	onceRule.Start, onceRule.StartDate = domain.StartOnDate, startDate

	spec := func(l proposal.Line, rule domain.BillingRule, first domain.Date) proposal.ServiceSpec {
		return proposal.ServiceSpec{
			ServiceID: uuid.NewSHA1(proposalID, l.ID[:]), ClientID: clientID, ProposalID: proposalID, LineID: l.ID,
			Name: l.Name, Description: l.Description, Currency: aud, UnitPrice: l.UnitPrice, Quantity: l.Quantity,
			Unit: l.Unit, Discount: l.Discount, TaxRate: l.TaxRate, BillingRule: rule, FirstDate: first,
			Automatic: l.Automatic, PaymentMethodID: methodID, AcceptedOn: acceptedOn,
		}
	}
	want := []proposal.ServiceSpec{
		spec(monthlyLine(), monthlyRule, domain.MustDate(2026, time.March, 15)), // acceptance + 5 days
		spec(onceLine(), onceRule, startDate),                                   // the proposal's start date
		spec(completionLine(), completionLine().BillingRule, domain.Date{}),     // manual: no date
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServicesToActivate:\n got  %s\n want %s", decidertest.MustJSON(t, got), decidertest.MustJSON(t, want))
	}
	for _, sp := range got {
		if err := sp.BillingRule.Validate("billing_rule"); err != nil {
			t.Errorf("resolved rule of %q is not valid: %v", sp.Name, err)
		}
	}
}

func TestServicesToActivateIsDeterministic(t *testing.T) {
	s := proposal.Fold(events(drafted(), sent(), accepted()))
	a, b := proposal.ServicesToActivate(s), proposal.ServicesToActivate(s)
	if !reflect.DeepEqual(a, b) {
		t.Error("two calls gave different services")
	}
	if a[0].ServiceID == a[1].ServiceID {
		t.Error("two lines got the same service id")
	}
	if got, want := a[0].ServiceID, proposal.ServiceID(proposalID, monthlyID); got != want {
		t.Errorf("service id = %v, want ServiceID(proposal, line) = %v", got, want)
	}
	if proposal.ServiceID(proposalID, monthlyID) == proposal.ServiceID(uuid.New(), monthlyID) {
		t.Error("the same line id in another proposal gave the same service id")
	}
}

func TestServicesToActivateOnlyWhenAccepted(t *testing.T) {
	for _, given := range [][]domain.Event{
		nil,
		events(drafted()),
		events(drafted(), sent()),
		events(drafted(), sent(), declined()),
		events(drafted(), withdrawn()),
		events(drafted(), sent(), expired()),
	} {
		if got := proposal.ServicesToActivate(proposal.Fold(given)); got != nil {
			t.Errorf("after %d events: %d services, want none", len(given), len(got))
		}
	}
}

// TestAcceptedLinesAreASnapshot checks that the agreed lines come from the
// acceptance event, whatever the draft said before.
func TestAcceptedLinesAreASnapshot(t *testing.T) {
	acc := accepted()
	acc.Lines = lines(onceLine())
	s := proposal.Fold(events(drafted(), sent(), acc))
	if got := proposal.ServicesToActivate(s); len(got) != 1 || got[0].LineID != onceID {
		t.Errorf("services = %s, want the one agreed line", decidertest.MustJSON(t, got))
	}
}
