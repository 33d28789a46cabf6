package proposal_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/proposal"
)

var batchID = uuid.MustParse("ba000000-0000-4000-8000-000000000001")

func acceptedState() proposal.State {
	return proposal.Fold(events(drafted(), sent(), accepted()))
}

func TestRenewCarriesTheRecurringLinesToTheAnniversary(t *testing.T) {
	old := acceptedState()
	today := domain.MustDate(2027, time.February, 1)
	cmd, err := proposal.Renew(old, proposal.RenewalTerms{BatchID: batchID}, domain.ClientFacts{Currency: aud}, today, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := proposal.RenewalID(proposalID, batchID); cmd.ProposalID != want || cmd.RenewalOf != proposalID {
		t.Fatalf("id %s renewal of %s, want %s of %s", cmd.ProposalID, cmd.RenewalOf, want, proposalID)
	}
	// The monthly line first billed on 2026-03-15 (acceptance + 5 days); the
	// one-off tax return is not renewed.
	if want := domain.MustDate(2027, time.March, 15); cmd.StartDate != want {
		t.Fatalf("start %s, want the anniversary %s", cmd.StartDate, want)
	}
	if len(cmd.Lines) != 1 || cmd.Lines[0].Name != "Monthly bookkeeping" || !cmd.Lines[0].UnitPrice.Equal(decidertest.Dec("450")) {
		t.Fatalf("lines %+v, want the monthly bookkeeping at 450", cmd.Lines)
	}
	if r := cmd.Lines[0].BillingRule; r.Start != domain.StartOnProposalStart || r.StartDelayDays != 0 || r.EndAfter != 12 {
		t.Fatalf("rule %+v, want it to start on the renewal's start, 12 billings", r)
	}
	if cmd.Lines[0].ID != proposal.RenewalLineID(cmd.ProposalID, monthlyID) {
		t.Fatal("the renewed line's id is not RenewalLineID")
	}
	again, _ := proposal.Renew(old, proposal.RenewalTerms{BatchID: batchID}, domain.ClientFacts{}, today, now)
	if again.ProposalID != cmd.ProposalID || again.Lines[0].ID != cmd.Lines[0].ID {
		t.Fatal("renewing twice in one batch gave other ids")
	}
	es, err := proposal.Decide(proposal.State{}, cmd)
	if err != nil || len(es) != 1 {
		t.Fatalf("drafting the renewal: %v %v", es, err)
	}
	renewal := proposal.Fold(es)
	if got := proposal.Carried(old, renewal); len(got) != 1 || got[0] != monthlyID {
		t.Fatalf("carried %v, want the monthly line", got)
	}
}

func TestRenewPrices(t *testing.T) {
	old := acceptedState()
	today := domain.MustDate(2027, time.February, 1)
	for _, tc := range []struct {
		name  string
		price proposal.PriceChange
		want  string
	}{
		{"Same", proposal.PriceChange{}, "450"},
		{"PercentToTheCent", proposal.PriceChange{Kind: proposal.PricePercent, Percent: decimal.RequireFromString("3.3")}, "464.85"},
		{"PercentToTheDollar", proposal.PriceChange{Kind: proposal.PricePercent, Percent: decimal.RequireFromString("5"), Rounding: proposal.RoundDollar}, "473"},
		{"Amount", proposal.PriceChange{Kind: proposal.PriceAmount, Amount: decimal.RequireFromString("25.50")}, "475.5"},
		{"PerLine", proposal.PriceChange{Kind: proposal.PriceLines, Lines: map[uuid.UUID]decimal.Decimal{monthlyID: decimal.RequireFromString("499.999")}}, "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := proposal.Renew(old, proposal.RenewalTerms{BatchID: batchID, Price: tc.price}, domain.ClientFacts{}, today, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := cmd.Lines[0].UnitPrice; !got.Equal(decimal.RequireFromString(tc.want)) {
				t.Fatalf("price %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRenewRefuses(t *testing.T) {
	today := domain.MustDate(2027, time.February, 1)
	_, err := proposal.Renew(proposal.Fold(events(drafted(), sent())), proposal.RenewalTerms{BatchID: batchID}, domain.ClientFacts{}, today, now)
	if domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("renewing a sent proposal: %v, want a conflict", err)
	}
	_, err = proposal.Renew(acceptedState(), proposal.RenewalTerms{BatchID: batchID, StartDate: domain.MustDate(2027, time.January, 1)}, domain.ClientFacts{}, today, now)
	decidertest.AssertRefused(t, err, decidertest.ThenErr(domain.EINVALID, "start_date"))
	_, err = proposal.Renew(acceptedState(), proposal.RenewalTerms{BatchID: batchID, Price: proposal.PriceChange{Kind: "double"}}, domain.ClientFacts{}, today, now)
	decidertest.AssertRefused(t, err, decidertest.ThenErr(domain.EINVALID, "price.kind"))
}
