package proposal

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
)

// Decide returns the events that carry out c on a proposal in state s, or the
// reason it is refused (a *domain.Error, or several field problems). It is
// pure: everything it needs is in s and c.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case DraftProposal:
		return draft(s, c)
	case EditDraft:
		return editDraft(s, c)
	case SendProposal:
		return send(s, c)
	case AcceptProposal:
		return accept(s, c)
	case DeclineProposal:
		return decline(s, c)
	case WithdrawProposal:
		return withdraw(s, c)
	case ExpireProposal:
		return expire(s, c)
	case SignProposal:
		return sign(s, c)
	case RecordView:
		return view(s, c)
	case RemindProposal:
		return remind(s, c)
	case FileSignedDocument:
		return fileSigned(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "unknown proposal command %T", c)
}

func requireProposal(s State) error {
	if !s.Created() {
		return domain.NotFound("this proposal does not exist")
	}
	return nil
}

// closed is the refusal for any change to a proposal that is final.
func closed(s State) error {
	switch s.Status {
	case StatusAccepted:
		return domain.Conflict("this proposal has been accepted and cannot be changed")
	case StatusDeclined:
		return domain.Conflict("this proposal was declined and cannot be changed")
	case StatusWithdrawn:
		return domain.Conflict("this proposal was withdrawn and cannot be changed")
	case StatusExpired:
		return domain.Conflict("this proposal has expired and cannot be changed")
	}
	return nil
}

func draft(s State, c DraftProposal) ([]domain.Event, error) {
	if s.Created() {
		return nil, domain.Conflict("a proposal with this id already exists")
	}
	title := strings.TrimSpace(c.Title)
	lines := normalizeLines(c.Lines)
	var p domain.Problems
	if c.ProposalID == uuid.Nil {
		p.Add("proposal_id", "a new proposal needs an id")
	}
	if c.ClientID == uuid.Nil {
		p.Add("client_id", "choose the client the proposal is for")
	}
	validateCurrency(&p, c.Currency)
	c.Client.CheckCurrency(&p, "currency", c.Currency)
	validateContent(&p, c.Currency, title, c.StartDate, lines)
	o := normalizeOffer(c.Offer)
	validateOffer(&p, c.Currency, c.StartDate, lines, o)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalDrafted{
		ProposalID:  c.ProposalID,
		ClientID:    c.ClientID,
		Title:       title,
		Currency:    c.Currency,
		StartDate:   c.StartDate,
		Lines:       lines,
		Letter:      o.Letter,
		Packages:    o.Packages,
		AddOns:      o.AddOns,
		Signatories: o.Signatories,
		ExpiresOn:   o.ExpiresOn,
		TemplateID:  o.TemplateID,
		RenewalOf:   o.RenewalOf,
		At:          c.Now,
	}}, nil
}

func editDraft(s State, c EditDraft) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if err := closed(s); err != nil {
		return nil, err
	}
	if s.Status != StatusDraft {
		return nil, domain.Conflict("this proposal has been sent: only a draft can be edited")
	}
	title := strings.TrimSpace(c.Title)
	lines := normalizeLines(c.Lines)
	var p domain.Problems
	validateContent(&p, s.Currency, title, c.StartDate, lines)
	o := normalizeOffer(c.Offer)
	validateOffer(&p, s.Currency, c.StartDate, lines, o)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if title == s.Title && c.StartDate == s.StartDate && sameLines(lines, s.Lines) && sameOffer(s, o) {
		return nil, nil
	}
	return []domain.Event{ProposalDraftEdited{
		ProposalID: s.ID, ClientID: s.ClientID, Title: title, StartDate: c.StartDate, Lines: lines,
		Letter: o.Letter, Packages: o.Packages, AddOns: o.AddOns, Signatories: o.Signatories,
		ExpiresOn: o.ExpiresOn, TemplateID: o.TemplateID, RenewalOf: o.RenewalOf, At: c.Now,
	}}, nil
}

// send sends a draft; sending a sent proposal again re-sends it (to the same
// or another recipient), which is a new event each time.
func send(s State, c SendProposal) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if err := closed(s); err != nil {
		return nil, err
	}
	var p domain.Problems
	var to []Recipient
	seen := map[string]bool{}
	for i, r := range c.Recipients {
		r.Email, r.Name = strings.TrimSpace(r.Email), strings.TrimSpace(r.Name)
		validateEmail(&p, fmt.Sprintf("recipients[%d].email", i), r.Email, "this contact has no email address")
		if !seen[strings.ToLower(r.Email)] {
			seen[strings.ToLower(r.Email)] = true
			to = append(to, r)
		}
	}
	if typed := strings.TrimSpace(c.RecipientEmail); typed != "" || len(c.Recipients) == 0 {
		validateEmail(&p, "recipient_email", typed, "choose a contact or enter the email address to send the proposal to")
		if !seen[strings.ToLower(typed)] {
			to = append(to, Recipient{Email: typed})
		}
	}
	if len(s.Lines) == 0 && len(s.Packages) == 0 {
		p.Add("lines", "add at least one service before sending the proposal")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalSent{ProposalID: s.ID, ClientID: s.ClientID, RecipientEmail: to[0].Email, Recipients: to, At: c.Now}}, nil
}

// requireSent refuses an answer (accept, decline) to a proposal that is not
// awaiting one.
func requireSent(s State, answer string) error {
	if err := requireProposal(s); err != nil {
		return err
	}
	switch s.Status {
	case StatusSent:
		return nil
	case StatusDraft:
		return domain.Conflict("this proposal has not been sent yet, so it cannot be %s", answer)
	case StatusAccepted:
		return domain.Conflict("this proposal has already been accepted")
	}
	return closed(s)
}

func accept(s State, c AcceptProposal) ([]domain.Event, error) {
	if err := requireSent(s, "accepted"); err != nil {
		return nil, err
	}
	if len(s.Signatories) > 0 {
		return nil, domain.Conflict("this proposal has signatories: each signs it, and the last signature accepts it")
	}
	name := strings.TrimSpace(c.AcceptedByName)
	email := strings.TrimSpace(c.AcceptedByEmail)
	signature := strings.TrimSpace(c.SignatureName)
	var p domain.Problems
	switch {
	case name == "":
		p.Add("accepted_by_name", "enter the name of the person accepting")
	case len(name) > maxName:
		p.Add("accepted_by_name", "the name is too long (at most %d characters)", maxName)
	}
	validateEmail(&p, "accepted_by_email", email, "enter the email address of the person accepting")
	switch {
	case signature == "":
		p.Add("signature_name", "sign by typing your full name")
	case len(signature) > maxName:
		p.Add("signature_name", "the signature is too long (at most %d characters)", maxName)
	}
	if c.AcceptedOn.IsZero() {
		p.Add("accepted_on", "the acceptance date is missing")
	}
	c.Client.CheckPaymentMethod(&p, "payment_method_id", c.PaymentMethodID)
	addOns := uniqueIDs(c.AddOnIDs)
	checkChoice(&p, s, c.PackageID, addOns)
	if err := p.Err(); err != nil {
		return nil, err
	}
	agreed := s.ChosenLines(c.PackageID, addOns)
	if err := resolvable(agreed, c.AcceptedOn, s.StartDate); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalAccepted{
		PackageID:       c.PackageID,
		AddOnIDs:        addOns,
		ProposalID:      s.ID,
		ClientID:        s.ClientID,
		AcceptedByName:  name,
		AcceptedByEmail: email,
		SignatureName:   signature,
		AcceptedOn:      c.AcceptedOn,
		PaymentMethodID: c.PaymentMethodID,
		Currency:        s.Currency,
		StartDate:       s.StartDate,
		Lines:           agreed,
		At:              c.Now,
	}}, nil
}

// resolvable refuses lines of which one could not start: every line must
// resolve to a start on acceptance, so that ServicesToActivate never meets a
// line it cannot start.
func resolvable(lines []Line, acceptedOn, start domain.Date) error {
	for _, l := range lines {
		if _, _, err := resolve(l, acceptedOn, start); err != nil {
			return err
		}
	}
	return nil
}

func sameOffer(s State, o Offer) bool {
	return s.Letter == o.Letter && samePackages(s.Packages, o.Packages) && sameLines(s.AddOns, o.AddOns) &&
		slices.Equal(s.Signatories, o.Signatories) && s.OpenUntil == o.ExpiresOn &&
		s.TemplateID == o.TemplateID && s.RenewalOf == o.RenewalOf
}

func decline(s State, c DeclineProposal) ([]domain.Event, error) {
	if s.Status == StatusDeclined {
		return nil, nil
	}
	if err := requireSent(s, "declined"); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(c.Reason)
	if err := validateReason(reason); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalDeclined{ProposalID: s.ID, Reason: reason, At: c.Now}}, nil
}

func withdraw(s State, c WithdrawProposal) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if s.Status == StatusWithdrawn {
		return nil, nil
	}
	if err := closed(s); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(c.Reason)
	if err := validateReason(reason); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalWithdrawn{ProposalID: s.ID, Reason: reason, At: c.Now}}, nil
}

func expire(s State, c ExpireProposal) ([]domain.Event, error) {
	if err := requireProposal(s); err != nil {
		return nil, err
	}
	if s.Status == StatusExpired {
		return nil, nil
	}
	var p domain.Problems
	if c.ExpiresOn.IsZero() {
		p.Add("expires_on", "the expiry date is missing")
	}
	if c.Today.IsZero() {
		p.Add("today", "today's date is missing")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	switch s.Status {
	case StatusDraft:
		return nil, domain.Conflict("this proposal has not been sent, so it cannot expire: withdraw it instead")
	case StatusSent:
	default:
		return nil, closed(s)
	}
	if c.Today.Before(c.ExpiresOn) {
		return nil, domain.Conflict("this proposal is open until %s and cannot expire before then", c.ExpiresOn)
	}
	return []domain.Event{ProposalExpired{ProposalID: s.ID, ExpiresOn: c.ExpiresOn, At: c.Now}}, nil
}
