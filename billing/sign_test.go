package billing_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/domain/service"
)

// TestTwoSignatoriesSignAndTheChoiceStarts walks a proposal with two
// packages, an add-on and two signatories from draft to billing: each
// signatory views and signs the document they were shown, and the services
// that start are the core line, the chosen package's and the add-on ticked.
func TestTwoSignatoriesSignAndTheChoiceStarts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	monthly := domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever}
	line := func(name, price string) proposal.Line {
		return proposal.Line{Name: name, UnitPrice: dec(price), Quantity: dec("1"), TaxRate: dec("10"), BillingRule: monthly, Automatic: true}
	}
	core := line("Tax return", "900")
	core.Terms = "Lodged by the due date."
	core.RevenueAccount = "4100"
	req := billing.ProposalRequest{ClientID: c, Title: "Services 2026", Lines: []proposal.Line{core}, ProposalOffer: billing.ProposalOffer{
		Letter: "Dear {{client_name}}, {{firm_name}} offers {{fees}}.",
		Packages: []proposal.Package{
			{Name: "Basic", Lines: []proposal.Line{line("Basic books", "200")}},
			{Name: "Full", Lines: []proposal.Line{line("Full books", "400")}},
		},
		AddOns:      []proposal.Line{line("Payroll", "50"), line("Advisory", "150")},
		Signatories: []proposal.Signatory{{Name: "Alice Ng", Email: "alice@acme.test"}, {Name: "Bob Ng", Email: "bob@acme.test"}},
	}}
	p := f.ok(f.svc.DraftProposal(ctx, req, meta("draft"))).ID
	f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: p, RecipientEmail: "alice@acme.test"}, meta("send")))
	st, _ := proposalState(t, f, p)
	full, payroll := st.Packages[1].ID, st.AddOns[0].ID
	alice, bob := st.Signatories[0].ID, st.Signatories[1].ID

	head := f.head()
	_, err := f.svc.AcceptProposal(ctx, billing.AcceptProposalRequest{ProposalID: p, AcceptedByName: "Alice", AcceptedByEmail: "alice@acme.test", SignatureName: "Alice"}, meta("accept"))
	f.refused(err, domain.ECONFLICT, head)

	f.ok(f.svc.RecordProposalView(ctx, billing.ProposalViewRequest{ProposalID: p, SignatoryID: alice, IP: "203.0.113.9", UserAgent: "Firefox"}, meta("view-1")))
	f.ok(f.svc.RecordProposalView(ctx, billing.ProposalViewRequest{ProposalID: p, SignatoryID: alice, IP: "203.0.113.9", UserAgent: "Firefox"}, meta("view-2")))
	doc, hash, err := f.svc.ProposalDocument(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Dear Acme, Ledger & Co offers"; !strings.Contains(doc, want) {
		t.Fatalf("document lacks %q:\n%s", want, doc)
	}
	head = f.head()
	_, err = f.svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: p, SignatoryID: alice, SignedName: "Alice Ng",
		DocumentHash: "0000", PackageID: full}, meta("sign-stale"))
	f.refused(err, domain.EINVALID, head)
	f.ok(f.svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: p, SignatoryID: alice, SignedName: "Alice Ng",
		DocumentHash: hash, PackageID: full, AddOnIDs: []uuid.UUID{payroll}, IP: "203.0.113.9", UserAgent: "Firefox"}, meta("sign-alice")))
	f.ok(f.svc.RemindProposal(ctx, billing.ProposalReminderRequest{ProposalID: p, Reminder: 1}, meta("remind")))

	doc2, hash2, err := f.svc.ProposalDocument(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if hash2 == hash || !strings.Contains(doc2, "Chosen: Full, add-ons: Payroll") {
		t.Fatalf("the document after the first signature does not name the choice:\n%s", doc2)
	}
	res := f.ok(f.svc.SignProposal(ctx, billing.SignProposalRequest{ProposalID: p, SignatoryID: bob, SignedName: "Bob Ng",
		DocumentHash: hash2, PackageID: full, AddOnIDs: []uuid.UUID{payroll}, IP: "198.51.100.7", UserAgent: "Safari"}, meta("sign-bob")))
	if res.Position != f.head() {
		t.Errorf("position %d, head %d", res.Position, f.head())
	}
	want := []string{"ProposalDrafted", "ProposalSent", "ProposalViewed", "ProposalSigned", "ProposalReminderSent", "ProposalSigned", "ProposalAccepted"}
	if got := f.types(proposal.StreamName(p)); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	st, _ = proposalState(t, f, p)
	if len(st.Signatures) != 2 || st.Signatures[1].IP != "198.51.100.7" || st.DocumentHash != proposal.DocumentHash(st.Document) {
		t.Fatalf("evidence: %+v, hash %s", st.Signatures, st.DocumentHash)
	}
	var started []string
	for _, spec := range proposal.ServicesToActivate(st) {
		if got := f.types(service.StreamName(spec.ServiceID)); len(got) != 1 || got[0] != "ServiceActivated" {
			t.Fatalf("service %s: %v", spec.Name, got)
		}
		started = append(started, spec.Name)
	}
	if want := []string{"Tax return", "Full books", "Payroll"}; !slices.Equal(started, want) {
		t.Errorf("services started %v, want %v", started, want)
	}
	f.checkMetadata()
}
