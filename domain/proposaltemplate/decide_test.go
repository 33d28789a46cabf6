package proposaltemplate_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/proposal"
	pt "remit/domain/proposaltemplate"
)

var (
	now        = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	later      = now.Add(24 * time.Hour)
	templateID = uuid.MustParse("7e000000-0000-4000-8000-000000000001")
	decider    = decidertest.Decider[pt.State, pt.Command]{Fold: pt.Fold, Decide: pt.Decide, ByJSON: true}
)

func line(id, name, price string, rule domain.BillingRule) proposal.Line {
	return proposal.Line{
		ID: uuid.MustParse(id), Name: name, UnitPrice: decidertest.Dec(price), Quantity: decidertest.Dec("1"),
		TaxRate: decidertest.Dec("10"), BillingRule: rule, Automatic: !rule.Frequency.Manual(),
	}
}

var (
	monthly = domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	onStart = domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnProposalStart, End: domain.EndNever}
)

// bookkeeping is a template with core lines, three packages and an add-on.
func bookkeeping() pt.Content {
	pkg := func(n int, name, price string) proposal.Package {
		return proposal.Package{ID: uuid.MustParse("7a000000-0000-4000-8000-00000000000" + string(rune('0'+n))), Name: name,
			Lines: []proposal.Line{line("7b000000-0000-4000-8000-00000000000"+string(rune('0'+n)), name+" bookkeeping", price, monthly)}}
	}
	return pt.Content{
		Name: "Monthly bookkeeping & compliance", Title: "Bookkeeping and compliance",
		Letter: "Dear {{client_name}},\n\nThank you.",
		Lines:  []proposal.Line{line("7c000000-0000-4000-8000-000000000001", "Onboarding", "300", onStart)},
		Packages: []proposal.Package{
			pkg(1, "Bronze", "200"), pkg(2, "Silver", "400"), pkg(3, "Gold", "800"),
		},
		AddOns:     []proposal.Line{line("7d000000-0000-4000-8000-000000000001", "Payroll", "150", monthly)},
		ExpiryDays: 14,
	}
}

func created() pt.ProposalTemplateCreated {
	return pt.ProposalTemplateCreated{TemplateID: templateID, Content: bookkeeping(), At: now}
}

func TestCreateTemplate(t *testing.T) {
	sloppy := bookkeeping()
	sloppy.Name = "  Monthly bookkeeping & compliance\t"

	noName := bookkeeping()
	noName.Name, noName.Title = " ", ""

	badPrice := bookkeeping()
	badPrice.Packages[1].Lines[0].UnitPrice = decidertest.Dec("-5")

	onePackage := bookkeeping()
	onePackage.Packages = onePackage.Packages[:1]

	badLetter := bookkeeping()
	badLetter.Letter = "Dear {{nobody}}"

	badExpiry := bookkeeping()
	badExpiry.ExpiryDays = -1

	decidertest.Run(t, decider, []decidertest.Case[pt.Command]{
		{Name: "OK", When: pt.CreateTemplate{TemplateID: templateID, Content: bookkeeping(), Now: now},
			Then: []domain.Event{created()}},
		{Name: "OKTrimmed", When: pt.CreateTemplate{TemplateID: templateID, Content: sloppy, Now: now},
			Then: []domain.Event{created()}},
		{Name: "ErrExists", Given: []domain.Event{created()},
			When: pt.CreateTemplate{TemplateID: templateID, Content: bookkeeping(), Now: later},
			Err:  decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNoNameNoTitle", When: pt.CreateTemplate{TemplateID: templateID, Content: noName, Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "name", "title").Only()},
		{Name: "ErrNoID", When: pt.CreateTemplate{Content: bookkeeping(), Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "template_id").Only()},
		{Name: "ErrPackagePrice", When: pt.CreateTemplate{TemplateID: templateID, Content: badPrice, Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "packages[1].lines[0].unit_price").Only()},
		{Name: "ErrOnePackage", When: pt.CreateTemplate{TemplateID: templateID, Content: onePackage, Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "packages").Only()},
		{Name: "ErrUnknownPlaceholder", When: pt.CreateTemplate{TemplateID: templateID, Content: badLetter, Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "letter").Only().Saying("{{nobody}}")},
		{Name: "ErrExpiryDays", When: pt.CreateTemplate{TemplateID: templateID, Content: badExpiry, Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "expiry_days").Only()},
	})
}

func TestEditAndArchiveTemplate(t *testing.T) {
	cheaper := bookkeeping()
	cheaper.Packages[0].Lines[0].UnitPrice = decidertest.Dec("180")
	badAddOn := bookkeeping()
	badAddOn.AddOns[0].Name = ""
	archived := pt.ProposalTemplateArchived{TemplateID: templateID, At: later}

	decidertest.Run(t, decider, []decidertest.Case[pt.Command]{
		{Name: "OK", Given: []domain.Event{created()}, When: pt.EditTemplate{TemplateID: templateID, Content: cheaper, Now: later},
			Then: []domain.Event{pt.ProposalTemplateEdited{TemplateID: templateID, Content: cheaper, At: later}}},
		{Name: "OKUnchanged", Given: []domain.Event{created()}, When: pt.EditTemplate{TemplateID: templateID, Content: bookkeeping(), Now: later}},
		{Name: "ErrNotFound", When: pt.EditTemplate{TemplateID: templateID, Content: bookkeeping(), Now: later},
			Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrAddOnName", Given: []domain.Event{created()}, When: pt.EditTemplate{TemplateID: templateID, Content: badAddOn, Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "add_ons[0].name").Only()},
		{Name: "ErrArchived", Given: []domain.Event{created(), archived}, When: pt.EditTemplate{TemplateID: templateID, Content: cheaper, Now: later},
			Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "OKArchive", Given: []domain.Event{created()}, When: pt.ArchiveTemplate{TemplateID: templateID, Now: later},
			Then: []domain.Event{archived}},
		{Name: "OKArchiveTwice", Given: []domain.Event{created(), archived}, When: pt.ArchiveTemplate{TemplateID: templateID, Now: later}},
		{Name: "ErrArchiveNotFound", When: pt.ArchiveTemplate{TemplateID: templateID, Now: later},
			Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

// A proposal drafted from a template is a valid draft with fresh ids of
// its own, the same each time, and expires ExpiryDays after today.
func TestDraftFrom(t *testing.T) {
	s := pt.Fold([]domain.Event{created()})
	today := domain.MustDate(2026, time.March, 2)
	p1 := pt.ProposalID(uuid.MustParse("ba000000-0000-4000-8000-000000000001"), uuid.MustParse("c0000000-0000-4000-8000-000000000001"))
	d := pt.DraftFrom(s, p1, today)
	if again := pt.DraftFrom(s, p1, today); decidertest.MustJSON(t, again) != decidertest.MustJSON(t, d) {
		t.Fatal("drafting the same proposal twice gave two drafts")
	}
	if d.ExpiresOn != domain.MustDate(2026, time.March, 16) {
		t.Errorf("expires on %s, want 2026-03-16", d.ExpiresOn)
	}
	if d.Packages[2].Lines[0].ID == s.Packages[2].Lines[0].ID || d.Packages[2].Name != "Gold" {
		t.Errorf("package 3 = %+v: want Gold with a fresh line id", d.Packages[2])
	}
	p2 := pt.ProposalID(uuid.MustParse("ba000000-0000-4000-8000-000000000001"), uuid.MustParse("c0000000-0000-4000-8000-000000000002"))
	if p2 == p1 || pt.DraftFrom(s, p2, today).Lines[0].ID == d.Lines[0].ID {
		t.Error("two clients' proposals share ids")
	}
	aud := domain.MustCurrency("AUD")
	_, err := proposal.Decide(proposal.State{}, proposal.DraftProposal{
		ProposalID: p1, ClientID: uuid.New(), Title: d.Title, Currency: aud, StartDate: today, Lines: d.Lines,
		Offer:  proposal.Offer{Letter: d.Letter, Packages: d.Packages, AddOns: d.AddOns, ExpiresOn: d.ExpiresOn, TemplateID: templateID, Today: today},
		Client: domain.ClientFacts{Currency: aud}, Now: now,
	})
	if err != nil {
		t.Fatalf("the draft from a template is refused: %v", err)
	}
}
