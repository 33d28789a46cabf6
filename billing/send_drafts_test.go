package billing_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

// TestSendDrafts: "Send them all" sends each draft still unsent — to its
// signatories, or without any to the client's primary billing contact —
// and a repeat (or a draft sent meanwhile) sends nothing twice.
func TestSendDrafts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustSetUpFirm()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	line := []proposal.Line{{Name: "Bookkeeping", UnitPrice: dec("690"), Quantity: dec("1"), TaxRate: dec("10"), BillingRule: rule}}
	a, b, c := f.mustCreateClient("Acme"), f.mustCreateClient("Bistro"), f.mustCreateClient("Cafe")
	pa := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: a, Title: "Books", Lines: line}, meta("draft-a"))).ID
	pb := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: b, Title: "Books", Lines: line, ProposalOffer: billing.ProposalOffer{
		Signatories: []proposal.Signatory{{Name: "Bo", Email: "bo@bistro.test"}, {Name: "Cy", Email: "cy@bistro.test"}}}}, meta("draft-b"))).ID
	pc := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: c, Title: "Books", Lines: line}, meta("draft-c"))).ID
	empty := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: c, Title: "Nothing yet"}, meta("draft-empty"))).ID
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pc, RecipientEmail: "x@cafe.test"}, meta("send-c")))

	if n, err := f.svc.Unsent(ctx, []uuid.UUID{pa, pb, pc, empty}); err != nil || n != 3 {
		t.Fatalf("unsent = %d, %v; want 3", n, err)
	}
	out, err := f.svc.SendDrafts(ctx, billing.SendDraftsRequest{ProposalIDs: []uuid.UUID{pa, pb, pc, empty}}, meta("send-all"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || !out[0].Sent || !out[1].Sent || !out[2].AlreadySent || out[3].Err == nil || out[3].Sent {
		t.Fatalf("outcomes %+v", out)
	}
	if got := out[0].To; len(got) != 1 || got[0] != "alice@client.test" {
		t.Errorf("without signatories it goes to the primary contact, got %v", got)
	}
	if got := out[1].To; len(got) != 2 || got[0] != "bo@bistro.test" || got[1] != "cy@bistro.test" {
		t.Errorf("it goes to each signatory, got %v", got)
	}
	head := f.head()
	again, err := f.svc.SendDrafts(ctx, billing.SendDraftsRequest{ProposalIDs: []uuid.UUID{pa, pb, pc}}, meta("send-all-again"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range again {
		if d.Sent || !d.AlreadySent {
			t.Errorf("sent twice: %+v", d)
		}
	}
	if f.head() != head {
		t.Error("a repeat appended events")
	}
	if _, err := f.svc.SendDrafts(ctx, billing.SendDraftsRequest{}, meta("send-none")); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("no drafts: %v", err)
	}
}
