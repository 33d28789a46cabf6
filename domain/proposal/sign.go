package proposal

import (
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
)

// evidence trims an IP address or user agent to what is recorded: evidence
// is never a reason to refuse a signature.
func evidence(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxEvidence {
		s = s[:maxEvidence]
	}
	return s
}

// signer returns who signs: the named signatory, or whoever holds the link
// of a proposal without signatories (their typed name and email).
func signer(p *domain.Problems, s State, c SignProposal) (Signatory, error) {
	if len(s.Signatories) > 0 {
		g, ok := s.Signatory(c.SignatoryID)
		if !ok {
			return Signatory{}, domain.Invalid("signatory_id", "you are not one of this proposal's signatories")
		}
		return g, nil
	}
	if c.SignatoryID != uuid.Nil {
		return Signatory{}, domain.Invalid("signatory_id", "this proposal names no signatories: sign with your name and email")
	}
	g := Signatory{Name: strings.TrimSpace(c.Name), Email: strings.TrimSpace(c.Email)}
	switch {
	case g.Name == "":
		p.Add("name", "enter your name")
	case len(g.Name) > maxName:
		p.Add("name", "the name is too long (at most %d characters)", maxName)
	}
	validateEmail(p, "email", g.Email, "enter your email address")
	return g, nil
}

// sameChoice refuses a later signature whose choice differs from the one
// the first signature fixed.
func sameChoice(s State, packageID uuid.UUID, addOnIDs []uuid.UUID) error {
	if packageID != s.PackageID {
		p, _ := s.Package(s.PackageID)
		return domain.Conflict("%s was already chosen by the first signature: sign for the same package", p.Name)
	}
	a, b := slices.Clone(addOnIDs), slices.Clone(s.AddOnIDs)
	less := func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(a, less)
	slices.SortFunc(b, less)
	if !slices.Equal(a, b) {
		return domain.Conflict("the add-ons were already chosen by the first signature (%s): sign for the same add-ons", strings.TrimPrefix(choiceText(s), "Chosen: "))
	}
	return nil
}

func sign(s State, c SignProposal) ([]domain.Event, error) {
	if err := requireSent(s, "signed"); err != nil {
		return nil, err
	}
	var p domain.Problems
	who, err := signer(&p, s, c)
	if err != nil {
		return nil, err
	}
	if len(s.Signatories) > 0 && s.Signed(who.ID) {
		return nil, nil // signing twice changes nothing
	}
	signed := strings.TrimSpace(c.SignedName)
	switch {
	case signed == "":
		p.Add("signed_name", "type your full name to sign")
	case len(signed) > maxName:
		p.Add("signed_name", "the name is too long (at most %d characters)", maxName)
	}
	addOns := uniqueIDs(c.AddOnIDs)
	if !s.ChoiceFixed {
		checkChoice(&p, s, c.PackageID, addOns)
	}
	if c.AcceptedOn.IsZero() {
		p.Add("accepted_on", "the signing date is missing")
	}
	c.Client.CheckPaymentMethod(&p, "payment_method_id", c.PaymentMethodID)
	if c.ShownHash != DocumentHash(Document(s, c.Facts)) {
		p.Add("document_hash", "the proposal changed since you opened it; read it again")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.ChoiceFixed {
		if err := sameChoice(s, c.PackageID, addOns); err != nil {
			return nil, err
		}
	}
	ev := ProposalSigned{
		ProposalID: s.ID, ClientID: s.ClientID, SignatoryID: who.ID, SignedName: signed, Email: who.Email,
		IP: evidence(c.IP), UserAgent: evidence(c.UserAgent), DocumentHash: c.ShownHash,
		PackageID: c.PackageID, AddOnIDs: addOns, At: c.Now,
	}
	after := Evolve(s, ev)
	if len(after.Unsigned()) > 0 {
		return []domain.Event{ev}, nil
	}
	agreed := after.ChosenLines(after.PackageID, after.AddOnIDs)
	if err := resolvable(agreed, c.AcceptedOn, s.StartDate); err != nil {
		return nil, err
	}
	doc := Document(after, c.Facts)
	return []domain.Event{ev, ProposalAccepted{
		ProposalID: s.ID, ClientID: s.ClientID,
		AcceptedByName: who.Name, AcceptedByEmail: who.Email, SignatureName: signed,
		AcceptedOn: c.AcceptedOn, PaymentMethodID: c.PaymentMethodID,
		Currency: s.Currency, StartDate: s.StartDate, Lines: agreed,
		PackageID: after.PackageID, AddOnIDs: after.AddOnIDs, Signatures: after.Signatures,
		Document: doc, DocumentHash: DocumentHash(doc), At: c.Now,
	}}, nil
}

// view records the first view of a sent proposal by each viewer since it was
// last sent; views of drafts and of answered proposals are not recorded.
func view(s State, c RecordView) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if c.SignatoryID != uuid.Nil {
		if _, ok := s.Signatory(c.SignatoryID); !ok {
			return nil, domain.Invalid("signatory_id", "you are not one of this proposal's signatories")
		}
	}
	if s.Status != StatusSent || s.ViewedSinceSent(c.SignatoryID) {
		return nil, nil
	}
	return []domain.Event{ProposalViewed{
		ProposalID: s.ID, ClientID: s.ClientID, SignatoryID: c.SignatoryID,
		IP: evidence(c.IP), UserAgent: evidence(c.UserAgent), At: c.Now,
	}}, nil
}

// remind reminds whoever has yet to sign: the signatories who have not, or
// the last recipients of a proposal without signatories.
func remind(s State, c RemindProposal) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if c.Reminder >= 1 && c.Reminder <= s.Reminders {
		return nil, nil // sent already: a job run twice sends each reminder once
	}
	switch s.Status {
	case StatusSent:
	case StatusDraft:
		return nil, domain.Conflict("this proposal has not been sent yet, so there is nothing to remind of")
	default:
		return nil, closed(s)
	}
	if c.Reminder != s.Reminders+1 {
		return nil, domain.Invalid("reminder", "the next reminder is number %d", s.Reminders+1)
	}
	if !s.OpenUntil.IsZero() && !c.Today.IsZero() && c.Today.After(s.OpenUntil) {
		return nil, domain.Conflict("this proposal was open until %s: expire it instead", s.OpenUntil)
	}
	var to []Recipient
	if len(s.Signatories) > 0 {
		for _, g := range s.Unsigned() {
			to = append(to, Recipient{ContactID: g.ContactID, Name: g.Name, Email: g.Email})
		}
	} else {
		to = slices.Clone(s.LastRecipients)
	}
	if len(to) == 0 {
		return nil, domain.Conflict("there is no one left to remind")
	}
	return []domain.Event{ProposalReminderSent{ProposalID: s.ID, ClientID: s.ClientID, Reminder: c.Reminder, Recipients: to, At: c.Now}}, nil
}

// fileSigned records the signed PDF of a proposal its signatories accepted;
// the same hash again changes nothing, a different one is refused (the PDF
// is made from the acceptance alone, so it never changes).
func fileSigned(s State, c FileSignedDocument) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if s.Status != StatusAccepted || s.DocumentHash == "" {
		return nil, domain.Conflict("only a proposal accepted by signature has a signed document")
	}
	h := strings.ToLower(strings.TrimSpace(c.PDFSHA256))
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return nil, domain.Invalid("pdf_sha256", "enter the PDF's SHA-256 as 64 hexadecimal digits")
	}
	if c.Bytes <= 0 {
		return nil, domain.Invalid("bytes", "the PDF's size must be more than 0 bytes")
	}
	switch s.SignedPDFSHA256 {
	case h:
		return nil, nil
	case "":
		return []domain.Event{ProposalSignedDocumentFiled{ProposalID: s.ID, PDFSHA256: h, Bytes: c.Bytes, At: c.Now}}, nil
	}
	return nil, domain.Conflict("a different signed document (SHA-256 %s) is already filed", s.SignedPDFSHA256)
}
