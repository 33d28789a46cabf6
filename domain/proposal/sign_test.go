package proposal_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/proposal"
)

var (
	basicID   = uuid.MustParse("22000000-0000-4000-8000-000000000001")
	fullID    = uuid.MustParse("22000000-0000-4000-8000-000000000002")
	payrollID = uuid.MustParse("11000000-0000-4000-8000-000000000011")
	advisory  = uuid.MustParse("11000000-0000-4000-8000-000000000012")
	basicLine = uuid.MustParse("11000000-0000-4000-8000-000000000013")
	fullLine  = uuid.MustParse("11000000-0000-4000-8000-000000000014")
	aliceID   = uuid.MustParse("5a000000-0000-4000-8000-000000000001")
	bobID     = uuid.MustParse("5a000000-0000-4000-8000-000000000002")
	facts     = proposal.DocumentFacts{FirmName: "Ledger & Co", ClientName: "Acme Pty Ltd", TaxMode: domain.TaxExclusive, Today: acceptedOn}
)

func withID(l proposal.Line, id uuid.UUID, name string) proposal.Line {
	l.ID, l.Name = id, name
	return l
}

// offer is a choice of two packages, two add-ons and two signatories.
func offer() proposal.Offer {
	return proposal.Offer{
		Letter: "Dear {{client_name}},\n\n{{firm_name}} proposes {{proposal_title}}: {{fees}}.\n\n{{services_table}}",
		Packages: []proposal.Package{
			{ID: basicID, Name: "Basic", Lines: lines(withID(monthlyLine(), basicLine, "Basic bookkeeping"))},
			{ID: fullID, Name: "Full", Description: "Everything", Lines: lines(withID(monthlyLine(), fullLine, "Full bookkeeping"))},
		},
		AddOns: lines(withID(completionLine(), payrollID, "Payroll set-up"), withID(completionLine(), advisory, "Advisory")),
		Signatories: []proposal.Signatory{
			{ID: aliceID, Name: "Alice Ng", Email: "alice@acme.example"},
			{ID: bobID, Name: "Bob Ng", Email: "bob@acme.example"},
		},
		ExpiresOn: domain.MustDate(2026, time.April, 1),
	}
}

func draftedOffer() proposal.ProposalDrafted {
	d := drafted()
	d.Lines = lines(onceLine())
	o := offer()
	d.Letter, d.Packages, d.AddOns, d.Signatories, d.ExpiresOn = o.Letter, o.Packages, o.AddOns, o.Signatories, o.ExpiresOn
	return d
}

// signCmd is Alice signing for the Full package with payroll set-up, having
// been shown the document of state s.
func signCmd(given []domain.Event, who uuid.UUID) proposal.SignProposal {
	return proposal.SignProposal{
		ProposalID: proposalID, SignatoryID: who, SignedName: " Alice Ng ", IP: "203.0.113.9", UserAgent: "Firefox",
		ShownHash: proposal.DocumentHash(proposal.Document(proposal.Fold(given), facts)), Facts: facts,
		PackageID: fullID, AddOnIDs: []uuid.UUID{payrollID, payrollID}, AcceptedOn: acceptedOn,
		Client: domain.ClientFacts{Currency: aud}, Now: later,
	}
}

func signedBy(given []domain.Event, who uuid.UUID, name, email string) proposal.ProposalSigned {
	return proposal.ProposalSigned{
		ProposalID: proposalID, ClientID: clientID, SignatoryID: who, SignedName: name, Email: email,
		IP: "203.0.113.9", UserAgent: "Firefox", DocumentHash: proposal.DocumentHash(proposal.Document(proposal.Fold(given), facts)),
		PackageID: fullID, AddOnIDs: []uuid.UUID{payrollID}, At: later,
	}
}

func TestDraftProposalOffer(t *testing.T) {
	ok := draftCmd()
	ok.Lines = lines(onceLine())
	ok.Offer = offer()
	ok.Today = domain.MustDate(2026, time.March, 2)

	onePackage := ok
	onePackage.Offer = offer()
	onePackage.Packages = onePackage.Packages[:1]
	badOffer := ok
	badOffer.Offer = offer()
	badOffer.Letter = "Dear {{client}}, see {{ fees }}"
	badOffer.Packages = []proposal.Package{{ID: basicID, Lines: lines(withID(monthlyLine(), basicLine, "x"))}, {ID: fullID, Name: "Full"}}
	badOffer.Packages[0].Lines[0].UnitPrice = decidertest.Dec("-5")
	badOffer.AddOns = lines(withID(completionLine(), basicLine, "Dup"))
	badOffer.Signatories = []proposal.Signatory{{ID: aliceID, Name: "Alice", Email: "alice@acme.example"}, {ID: bobID, Email: "ALICE@acme.example"}}
	badOffer.ExpiresOn = domain.MustDate(2026, time.March, 1)
	badOffer.Today = ok.Today
	tooMany := ok
	tooMany.Offer = offer()
	for i := range 11 {
		tooMany.Signatories = append(tooMany.Signatories, proposal.Signatory{ID: uuid.New(), Name: "S", Email: strings.Repeat("s", i+1) + "@acme.example"})
	}

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", When: ok, Then: events(draftedOffer())},
		{Name: "ErrOnePackage", When: onePackage, Err: decidertest.ThenErr(domain.EINVALID, "packages").Only()},
		{Name: "ErrEveryBadField", When: badOffer, Err: decidertest.ThenErr(domain.EINVALID,
			"letter", "packages[0].name", "packages[0].lines[0].unit_price", "packages[1].lines",
			"add_ons[0].id", "signatories[1].name", "signatories[1].email", "expires_on").Only().Saying("{{client}}")},
		{Name: "ErrTooManySignatories", When: tooMany, Err: decidertest.ThenErr(domain.EINVALID, "signatories").Only()},
	})
}

func TestEditDraftOffer(t *testing.T) {
	edit := proposal.EditDraft{ProposalID: proposalID, Title: "Bookkeeping 2026", StartDate: startDate, Lines: lines(onceLine()), Offer: offer(), Now: now}
	edited := proposal.ProposalDraftEdited{ProposalID: proposalID, ClientID: clientID, Title: "Bookkeeping 2026", StartDate: startDate,
		Lines: lines(onceLine()), Letter: offer().Letter, Packages: offer().Packages, AddOns: offer().AddOns,
		Signatories: offer().Signatories, ExpiresOn: offer().ExpiresOn, At: now}
	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted()), When: edit, Then: events(edited)},
		{Name: "OKNothingChanged", Given: events(draftedOffer()), When: edit, Then: nil},
	})
}

func TestSignProposal(t *testing.T) {
	given := events(draftedOffer(), sent())
	alice := signCmd(given, aliceID)
	aliceSigned := signedBy(given, aliceID, "Alice Ng", "alice@acme.example")
	afterAlice := events(draftedOffer(), sent(), aliceSigned)

	bob := signCmd(afterAlice, bobID)
	bob.SignedName = "Bob Ng"
	bob.AddOnIDs = []uuid.UUID{payrollID}
	bob.PaymentMethodID = methodID
	bob.Client.PaymentMethods = []uuid.UUID{methodID}
	bobSigned := signedBy(afterAlice, bobID, "Bob Ng", "bob@acme.example")
	final := proposal.Fold(append(afterAlice, bobSigned))
	doc := proposal.Document(final, facts)
	bobAccepted := proposal.ProposalAccepted{
		ProposalID: proposalID, ClientID: clientID, AcceptedByName: "Bob Ng", AcceptedByEmail: "bob@acme.example",
		SignatureName: "Bob Ng", AcceptedOn: acceptedOn, PaymentMethodID: methodID, Currency: aud, StartDate: startDate,
		Lines:     lines(onceLine(), withID(monthlyLine(), fullLine, "Full bookkeeping"), withID(completionLine(), payrollID, "Payroll set-up")),
		PackageID: fullID, AddOnIDs: []uuid.UUID{payrollID},
		Signatures: []proposal.Signature{aliceSigned.Signature(), bobSigned.Signature()},
		Document:   doc, DocumentHash: proposal.DocumentHash(doc), At: later,
	}

	otherPackage := bob
	otherPackage.PackageID = basicID
	otherAddOns := bob
	otherAddOns.AddOnIDs = nil
	stale := alice
	stale.ShownHash = proposal.DocumentHash("an older document")
	unnamed := alice
	unnamed.SignedName = "  "
	stranger := alice
	stranger.SignatoryID = uuid.MustParse("5a000000-0000-4000-8000-0000000000ff")
	noPackage := alice
	noPackage.PackageID = uuid.Nil
	badChoice := alice
	badChoice.PackageID = payrollID
	badChoice.AddOnIDs = []uuid.UUID{fullID}

	// A proposal without signatories: one signature by whoever holds the link accepts.
	plain := events(drafted(), sent())
	linkHolder := proposal.SignProposal{ProposalID: proposalID, Name: "Carol Wu", Email: "carol@acme.example", SignedName: "Carol Wu",
		IP: "198.51.100.1", UserAgent: "Safari", ShownHash: proposal.DocumentHash(proposal.Document(proposal.Fold(plain), facts)),
		Facts: facts, AcceptedOn: acceptedOn, Client: domain.ClientFacts{Currency: aud}, Now: later}
	carolSigned := proposal.ProposalSigned{ProposalID: proposalID, ClientID: clientID, SignedName: "Carol Wu", Email: "carol@acme.example",
		IP: "198.51.100.1", UserAgent: "Safari", DocumentHash: linkHolder.ShownHash, At: later}
	carolFinal := proposal.Fold(append(plain, carolSigned))
	carolDoc := proposal.Document(carolFinal, facts)
	carolAccepted := proposal.ProposalAccepted{ProposalID: proposalID, ClientID: clientID, AcceptedByName: "Carol Wu", AcceptedByEmail: "carol@acme.example",
		SignatureName: "Carol Wu", AcceptedOn: acceptedOn, Currency: aud, StartDate: startDate, Lines: lines(monthlyLine(), onceLine()),
		Signatures: []proposal.Signature{carolSigned.Signature()}, Document: carolDoc, DocumentHash: proposal.DocumentHash(carolDoc), At: later}
	noEmail := linkHolder
	noEmail.Email = "carol"

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OKFirstSignatureFixesTheChoice", Given: given, When: alice, Then: events(aliceSigned)},
		{Name: "OKLastSignatureAccepts", Given: afterAlice, When: bob, Then: events(bobSigned, bobAccepted)},
		{Name: "OKSigningTwiceDoesNothing", Given: afterAlice, When: signCmd(afterAlice, aliceID), Then: nil},
		{Name: "OKLinkHolderAccepts", Given: plain, When: linkHolder, Then: events(carolSigned, carolAccepted)},
		{Name: "ErrOtherPackage", Given: afterAlice, When: otherPackage, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("Full")},
		{Name: "ErrOtherAddOns", Given: afterAlice, When: otherAddOns, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("Payroll set-up")},
		{Name: "ErrDocumentChanged", Given: given, When: stale, Err: decidertest.ThenErr(domain.EINVALID, "document_hash").Only().Saying("read it again")},
		{Name: "ErrNoTypedName", Given: given, When: unnamed, Err: decidertest.ThenErr(domain.EINVALID, "signed_name").Only()},
		{Name: "ErrNotASignatory", Given: given, When: stranger, Err: decidertest.ThenErr(domain.EINVALID, "signatory_id")},
		{Name: "ErrNoPackageChosen", Given: given, When: noPackage, Err: decidertest.ThenErr(domain.EINVALID, "package_id").Only()},
		{Name: "ErrNotOffered", Given: given, When: badChoice, Err: decidertest.ThenErr(domain.EINVALID, "package_id", "add_on_ids[0]").Only()},
		{Name: "ErrLinkHolderEmail", Given: plain, When: noEmail, Err: decidertest.ThenErr(domain.EINVALID, "email").Only()},
		{Name: "ErrDraft", Given: events(draftedOffer()), When: alice, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrAccepted", Given: events(draftedOffer(), sent(), aliceSigned, bobSigned, bobAccepted), When: alice, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestAcceptProposalWithSignatoriesOrPackages(t *testing.T) {
	accept := proposal.AcceptProposal{ProposalID: proposalID, AcceptedByName: "Alice Ng", AcceptedByEmail: "alice@acme.example",
		SignatureName: "Alice Ng", AcceptedOn: acceptedOn, Client: domain.ClientFacts{Currency: aud}, Now: later}
	noSignatories := draftedOffer()
	noSignatories.Signatories = nil
	choose := accept
	choose.PackageID, choose.AddOnIDs = basicID, []uuid.UUID{advisory}
	chosen := proposal.ProposalAccepted{ProposalID: proposalID, ClientID: clientID, AcceptedByName: "Alice Ng", AcceptedByEmail: "alice@acme.example",
		SignatureName: "Alice Ng", AcceptedOn: acceptedOn, Currency: aud, StartDate: startDate,
		Lines:     lines(onceLine(), withID(monthlyLine(), basicLine, "Basic bookkeeping"), withID(completionLine(), advisory, "Advisory")),
		PackageID: basicID, AddOnIDs: []uuid.UUID{advisory}, At: later}
	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OKStaffRecordsTheChoice", Given: events(noSignatories, sent()), When: choose, Then: events(chosen)},
		{Name: "ErrNoPackage", Given: events(noSignatories, sent()), When: accept, Err: decidertest.ThenErr(domain.EINVALID, "package_id").Only()},
		{Name: "ErrSignatoriesSign", Given: events(draftedOffer(), sent()), When: choose, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("signatories")},
	})
}

func TestRecordView(t *testing.T) {
	given := events(draftedOffer(), sent())
	v := proposal.RecordView{ProposalID: proposalID, SignatoryID: aliceID, IP: "203.0.113.9", UserAgent: "Firefox", Now: later}
	viewed := proposal.ProposalViewed{ProposalID: proposalID, ClientID: clientID, SignatoryID: aliceID, IP: "203.0.113.9", UserAgent: "Firefox", At: later}
	bob := v
	bob.SignatoryID = bobID
	bobViewed := viewed
	bobViewed.SignatoryID = bobID
	stranger := v
	stranger.SignatoryID = fullID
	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OKFirstView", Given: given, When: v, Then: events(viewed)},
		{Name: "OKRepeatedViewRecordsNothing", Given: events(draftedOffer(), sent(), viewed), When: v, Then: nil},
		{Name: "OKAnotherSignatory", Given: events(draftedOffer(), sent(), viewed), When: bob, Then: events(bobViewed)},
		{Name: "OKAgainAfterResend", Given: events(draftedOffer(), sent(), viewed, sent()), When: v, Then: events(viewed)},
		{Name: "OKDraftViewNotRecorded", Given: events(draftedOffer()), When: v, Then: nil},
		{Name: "ErrNotASignatory", Given: given, When: stranger, Err: decidertest.ThenErr(domain.EINVALID, "signatory_id")},
		{Name: "ErrNotFound", When: v, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestRemindProposal(t *testing.T) {
	given := events(draftedOffer(), sent())
	aliceSigned := signedBy(given, aliceID, "Alice Ng", "alice@acme.example")
	first := proposal.RemindProposal{ProposalID: proposalID, Reminder: 1, Today: acceptedOn, Now: later}
	second := first
	second.Reminder = 2
	skip := first
	skip.Reminder = 3
	late := first
	late.Today = domain.MustDate(2026, time.April, 2)
	toBob := proposal.ProposalReminderSent{ProposalID: proposalID, ClientID: clientID, Reminder: 1,
		Recipients: []proposal.Recipient{{Name: "Bob Ng", Email: "bob@acme.example"}}, At: later}
	toBoth := toBob
	toBoth.Recipients = []proposal.Recipient{{Name: "Alice Ng", Email: "alice@acme.example"}, {Name: "Bob Ng", Email: "bob@acme.example"}}
	toLink := proposal.ProposalReminderSent{ProposalID: proposalID, ClientID: clientID, Reminder: 1, Recipients: sent().Recipients, At: later}
	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OKEverySignatory", Given: given, When: first, Then: events(toBoth)},
		{Name: "OKOnlyWhoHasNotSigned", Given: events(draftedOffer(), sent(), aliceSigned), When: first, Then: events(toBob)},
		{Name: "OKNoSignatoriesRemindsTheRecipients", Given: events(drafted(), sent()), When: first, Then: events(toLink)},
		{Name: "OKSentAlreadyDoesNothing", Given: events(draftedOffer(), sent(), toBoth), When: first, Then: nil},
		{Name: "ErrNotTheNextNumber", Given: given, When: skip, Err: decidertest.ThenErr(domain.EINVALID, "reminder")},
		{Name: "ErrPastExpiry", Given: given, When: late, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDraft", Given: events(draftedOffer()), When: first, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDeclined", Given: events(draftedOffer(), sent(), declined()), When: second, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestDocument(t *testing.T) {
	s := proposal.Fold(events(draftedOffer(), sent()))
	s.AddOns[0].Terms = "Set-up is billed once the first pay run is done."
	doc := proposal.Document(s, facts)
	for _, want := range []string{
		"Dear Acme Pty Ltd,", "Ledger & Co proposes Bookkeeping 2026", "\n## Option 2: Full", "| Full bookkeeping",
		"\n## Optional add-ons", "## Terms for each service", "### Payroll set-up", "a month",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the document lacks %q:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "Chosen:") {
		t.Error("the document names a choice before anyone signed")
	}
	s.Letter = "Hello {{client_name}}"
	evil := facts
	evil.ClientName = "{{firm_name}} {{.Secret}}"
	if got := proposal.Document(s, evil); !strings.Contains(got, "Hello {{firm_name}} {{.Secret}}") {
		t.Errorf("a placeholder's value was substituted again or executed:\n%s", got)
	}
	signed := proposal.Evolve(s, signedBy(nil, aliceID, "Alice Ng", "alice@acme.example"))
	if got := proposal.Document(signed, facts); !strings.Contains(got, "Chosen: Full, add-ons: Payroll set-up") {
		t.Errorf("the document does not name the choice:\n%s", got)
	}
	if h := proposal.DocumentHash("abc"); h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("DocumentHash(abc) = %s", h)
	}
	if proposal.Document(proposal.Fold(events(drafted())), facts) == "" {
		t.Error("a proposal without a letter has no document")
	}
}

func TestFileSignedDocument(t *testing.T) {
	signedAcc := accepted()
	signedAcc.Document, signedAcc.DocumentHash = "the letter", proposal.DocumentHash("the letter")
	given := events(draftedOffer(), sent(), signedAcc)
	h := strings.Repeat("ab", 32)
	file := proposal.FileSignedDocument{ProposalID: proposalID, PDFSHA256: strings.ToUpper(h), Bytes: 5120, Now: later}
	filed := proposal.ProposalSignedDocumentFiled{ProposalID: proposalID, PDFSHA256: h, Bytes: 5120, At: later}
	other := file
	other.PDFSHA256 = strings.Repeat("cd", 32)
	short := file
	short.PDFSHA256 = "abc"
	empty := file
	empty.Bytes = 0
	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: given, When: file, Then: events(filed)},
		{Name: "OKFiledAgainDoesNothing", Given: events(draftedOffer(), sent(), signedAcc, filed), When: file, Then: nil},
		{Name: "ErrADifferentDocument", Given: events(draftedOffer(), sent(), signedAcc, filed), When: other, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotAHash", Given: given, When: short, Err: decidertest.ThenErr(domain.EINVALID, "pdf_sha256")},
		{Name: "ErrNoBytes", Given: given, When: empty, Err: decidertest.ThenErr(domain.EINVALID, "bytes")},
		{Name: "ErrAcceptedByStaff", Given: events(drafted(), sent(), accepted()), When: file, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotAccepted", Given: events(draftedOffer(), sent()), When: file, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

// TestDocumentServicesTableOnce: a letter that places the services table
// ({{services_table}}, spaces inside the braces too) shows it there and the
// document does not repeat it after the letter; a letter without it still
// gets the table after the letter. A document accepted when the table was
// repeated is kept as recorded, so its hash still verifies.
func TestDocumentServicesTableOnce(t *testing.T) {
	const header = "| Service | Quantity | Price | Billed |"
	plain := proposal.Fold(events(draftedOffer(), sent()))
	plain.Letter = "Dear {{client_name}}, our services:"
	tables := strings.Count(proposal.Document(plain, facts), header)
	if tables == 0 || !strings.Contains(proposal.Document(plain, facts), "## Services\n") {
		t.Fatalf("a letter without the placeholder: %d tables, want them after the letter:\n%s", tables, proposal.Document(plain, facts))
	}
	for _, letter := range []string{"Dear {{client_name}},\n\n{{services_table}}\n\nRegards", "Our services:\n\n{{ services_table }}\n"} {
		placed := plain
		placed.Letter = letter
		doc := proposal.Document(placed, facts)
		if n := strings.Count(doc, header); n != tables || strings.Contains(doc, "## Services\n") || strings.Count(doc, "## Option 2: Full") != 1 {
			t.Errorf("letter %q: %d service tables (want %d, once each) or a Services section after it:\n%s", letter, n, tables, doc)
		}
	}

	old := "# Bookkeeping 2026\n\n" + header + "\n|---|---:|---:|---|\n\n## Services\n\n" + header + "\n|---|---:|---:|---|\n"
	acc := accepted()
	acc.Document, acc.DocumentHash = old, proposal.DocumentHash(old)
	s := proposal.Fold(events(draftedOffer(), sent(), acc))
	s.Letter = "{{services_table}}"
	if doc := proposal.Document(s, facts); doc != old || proposal.DocumentHash(doc) != acc.DocumentHash {
		t.Errorf("an accepted document is not the one recorded:\n%s", doc)
	}
}
