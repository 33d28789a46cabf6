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

func draftCmd() proposal.DraftProposal {
	return proposal.DraftProposal{
		ProposalID: proposalID, ClientID: clientID, Title: " Bookkeeping 2026 ", Currency: aud,
		StartDate: startDate, Lines: lines(monthlyLine(), onceLine()), Client: domain.ClientFacts{Currency: aud}, Now: now,
	}
}

func TestDraftProposal(t *testing.T) {
	empty := draftCmd()
	empty.Lines = nil
	emptyDrafted := drafted()
	emptyDrafted.Lines = []proposal.Line{}

	sloppy := draftCmd()
	sloppy.Lines = lines(monthlyLine(), onceLine())
	sloppy.Lines[0].Name = "  Monthly bookkeeping\t"
	sloppy.Lines[0].Unit = " month "

	noStart := draftCmd()
	noStart.StartDate = domain.Date{}

	badLine := proposal.Line{
		UnitPrice:   decidertest.Dec("-1"),
		Quantity:    decidertest.Dec("0"),
		Discount:    domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("120")},
		TaxRate:     decidertest.Dec("101"),
		BillingRule: domain.BillingRule{Frequency: "fortnightly"},
	}
	everythingWrong := proposal.DraftProposal{Lines: lines(badLine, onceLine(), onceLine()), Now: now}

	tooMuchOff := draftCmd()
	tooMuchOff.Lines = lines(completionLine())
	tooMuchOff.Lines[0].Discount.Value = decidertest.Dec("1170.01") // 6.5 × 180 = 1170
	noDiscountKind := draftCmd()
	noDiscountKind.Lines = lines(completionLine())
	noDiscountKind.Lines[0].Discount.Kind = ""
	autoCompletion := draftCmd()
	autoCompletion.Lines = lines(completionLine())
	autoCompletion.Lines[0].Automatic = true
	badRule := draftCmd()
	badRule.Lines = lines(monthlyLine())
	badRule.Lines[0].BillingRule.End = "someday"
	unknownCurrency := draftCmd()
	unknownCurrency.Currency = domain.Currency{Code: "XXX", MinorUnits: 2}

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", When: draftCmd(), Then: events(drafted())},
		{Name: "OKWithoutLinesYet", When: empty, Then: events(emptyDrafted)},
		{Name: "OKNormalised", When: sloppy, Then: events(drafted())},
		{Name: "ErrAlreadyExists", Given: events(drafted()), When: draftCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrStartsOnMissingStartDate", When: noStart, Err: decidertest.ThenErr(domain.EINVALID, "lines[1].billing_rule.start")},
		{Name: "ErrDiscountMoreThanLine", When: tooMuchOff, Err: decidertest.ThenErr(domain.EINVALID, "lines[0].discount.value")},
		{Name: "ErrDiscountWithoutKind", When: noDiscountKind, Err: decidertest.ThenErr(domain.EINVALID, "lines[0].discount.kind")},
		{Name: "ErrAutomaticOnCompletion", When: autoCompletion, Err: decidertest.ThenErr(domain.EINVALID, "lines[0].automatic")},
		{Name: "ErrBadBillingRule", When: badRule, Err: decidertest.ThenErr(domain.EINVALID, "lines[0].billing_rule.end")},
		{Name: "ErrUnknownCurrency", When: unknownCurrency, Err: decidertest.ThenErr(domain.EINVALID, "currency")},
		{Name: "ErrEveryBadFieldAtOnce", When: everythingWrong, Err: decidertest.ThenErr(domain.EINVALID,
			"proposal_id", "client_id", "currency", "title",
			"lines[0].id", "lines[0].name", "lines[0].unit_price", "lines[0].quantity",
			"lines[0].discount.value", "lines[0].tax_rate", "lines[0].billing_rule.frequency",
			"lines[1].billing_rule.start", "lines[2].id",
		)},
	})
}

func TestEditDraft(t *testing.T) {
	edit := proposal.EditDraft{ProposalID: proposalID, Title: "Bookkeeping FY27", StartDate: domain.MustDate(2026, time.August, 1),
		Lines: lines(onceLine(), completionLine()), Now: later}
	edited := proposal.ProposalDraftEdited{ProposalID: proposalID, ClientID: clientID, Title: "Bookkeeping FY27", StartDate: domain.MustDate(2026, time.August, 1),
		Lines: lines(onceLine(), completionLine()), At: later}
	same := proposal.EditDraft{ProposalID: proposalID, Title: "Bookkeeping 2026", StartDate: startDate, Lines: lines(monthlyLine(), onceLine()), Now: later}
	same.Lines[0].UnitPrice = decidertest.Dec("450.00") // the same amount, written differently
	bad := edit
	bad.Title = ""
	bad.StartDate = domain.Date{}

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted()), When: edit, Then: events(edited)},
		{Name: "OKNothingChanged", Given: events(drafted()), When: same, Then: nil},
		{Name: "ErrInvalid", Given: events(drafted()), When: bad, Err: decidertest.ThenErr(domain.EINVALID, "title", "lines[0].billing_rule.start")},
		{Name: "ErrSent", Given: events(drafted(), sent()), When: edit, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrAccepted", Given: events(drafted(), sent(), accepted()), When: edit, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrWithdrawn", Given: events(drafted(), withdrawn()), When: edit, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: edit, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestSendProposal(t *testing.T) {
	send := proposal.SendProposal{ProposalID: proposalID, RecipientEmail: " alice@acme.example ", Now: now}
	resend := proposal.SendProposal{ProposalID: proposalID, RecipientEmail: "bob@acme.example", Now: later}
	noLines := drafted()
	noLines.Lines = nil

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted()), When: send, Then: events(sent())},
		{Name: "OKResent", Given: events(drafted(), sent()), When: resend,
			Then: events(proposal.ProposalSent{ProposalID: proposalID, ClientID: clientID, RecipientEmail: "bob@acme.example", Recipients: []proposal.Recipient{{Email: "bob@acme.example"}}, At: later})},
		{Name: "OKToContacts", Given: events(drafted()), When: proposal.SendProposal{ProposalID: proposalID, Now: now, Recipients: []proposal.Recipient{
			{ContactID: clientID, Name: "Alice", Email: "alice@acme.example"}, {Name: "Bob", Email: " bob@acme.example"}, {Name: "Alice again", Email: "Alice@acme.example"}}},
			Then: events(proposal.ProposalSent{ProposalID: proposalID, ClientID: clientID, RecipientEmail: "alice@acme.example",
				Recipients: []proposal.Recipient{{ContactID: clientID, Name: "Alice", Email: "alice@acme.example"}, {Name: "Bob", Email: "bob@acme.example"}}, At: now})},
		{Name: "ErrContactWithoutEmail", Given: events(drafted()), When: proposal.SendProposal{ProposalID: proposalID, Now: now, Recipients: []proposal.Recipient{{Name: "Carl"}}},
			Err: decidertest.ThenErr(domain.EINVALID, "recipients[0].email")},
		{Name: "ErrNoLines", Given: events(noLines), When: send, Err: decidertest.ThenErr(domain.EINVALID, "lines")},
		{Name: "ErrNoRecipient", Given: events(drafted()), When: proposal.SendProposal{ProposalID: proposalID, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "recipient_email")},
		{Name: "ErrBadRecipient", Given: events(drafted()), When: proposal.SendProposal{ProposalID: proposalID, RecipientEmail: "alice", Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "recipient_email")},
		{Name: "ErrAccepted", Given: events(drafted(), sent(), accepted()), When: resend, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDeclined", Given: events(drafted(), sent(), declined()), When: resend, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrExpired", Given: events(drafted(), sent(), expired()), When: resend, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: send, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func acceptCmd() proposal.AcceptProposal {
	return proposal.AcceptProposal{
		ProposalID: proposalID, AcceptedByName: " Alice Ng", AcceptedByEmail: "alice@acme.example ",
		SignatureName: "Alice Ng", AcceptedOn: acceptedOn, PaymentMethodID: methodID, Client: domain.ClientFacts{PaymentMethods: []uuid.UUID{methodID}}, Now: later,
	}
}

func TestAcceptProposal(t *testing.T) {
	noMethod := acceptCmd()
	noMethod.PaymentMethodID = uuid.Nil
	acceptedNoMethod := accepted()
	acceptedNoMethod.PaymentMethodID = uuid.Nil

	endsEarly := drafted()
	endsEarly.Lines = lines(monthlyLine())
	endsEarly.Lines[0].BillingRule.End = domain.EndOnDate
	endsEarly.Lines[0].BillingRule.EndAfter = 0
	endsEarly.Lines[0].BillingRule.EndDate = domain.MustDate(2026, time.March, 12) // first billing 15 March

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted(), sent()), When: acceptCmd(), Then: events(accepted())},
		{Name: "OKWithoutPaymentMethod", Given: events(drafted(), sent()), When: noMethod, Then: events(acceptedNoMethod)},
		{Name: "OKAfterResend", Given: events(drafted(), sent(), sent()), When: acceptCmd(), Then: events(accepted())},
		{Name: "ErrAlreadyAccepted", Given: events(drafted(), sent(), accepted()), When: acceptCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotSent", Given: events(drafted()), When: acceptCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDeclined", Given: events(drafted(), sent(), declined()), When: acceptCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrWithdrawn", Given: events(drafted(), sent(), withdrawn()), When: acceptCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrExpired", Given: events(drafted(), sent(), expired()), When: acceptCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrEndsBeforeItStarts", Given: events(endsEarly, sent()), When: acceptCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: acceptCmd(), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrEveryBadFieldAtOnce", Given: events(drafted(), sent()), When: proposal.AcceptProposal{ProposalID: proposalID, AcceptedByEmail: "alice@", Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "accepted_by_name", "accepted_by_email", "signature_name", "accepted_on")},
	})
}

func TestDeclineProposal(t *testing.T) {
	decline := proposal.DeclineProposal{ProposalID: proposalID, Reason: " too expensive ", Now: later}
	noReason := proposal.DeclineProposal{ProposalID: proposalID, Now: later}
	longReason := decline
	longReason.Reason = strings.Repeat("x", 1001)

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted(), sent()), When: decline, Then: events(declined())},
		{Name: "OKWithoutReason", Given: events(drafted(), sent()), When: noReason, Then: events(proposal.ProposalDeclined{ProposalID: proposalID, At: later})},
		{Name: "OKAlreadyDeclined", Given: events(drafted(), sent(), declined()), When: decline, Then: nil},
		{Name: "ErrReasonTooLong", Given: events(drafted(), sent()), When: longReason, Err: decidertest.ThenErr(domain.EINVALID, "reason")},
		{Name: "ErrNotSent", Given: events(drafted()), When: decline, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrAccepted", Given: events(drafted(), sent(), accepted()), When: decline, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrWithdrawn", Given: events(drafted(), sent(), withdrawn()), When: decline, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: decline, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestWithdrawProposal(t *testing.T) {
	withdraw := proposal.WithdrawProposal{ProposalID: proposalID, Now: later}
	withReason := proposal.WithdrawProposal{ProposalID: proposalID, Reason: " scope changed ", Now: later}

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted(), sent()), When: withdraw, Then: events(withdrawn())},
		{Name: "OKDraft", Given: events(drafted()), When: withReason,
			Then: events(proposal.ProposalWithdrawn{ProposalID: proposalID, Reason: "scope changed", At: later})},
		{Name: "OKAlreadyWithdrawn", Given: events(drafted(), withdrawn()), When: withdraw, Then: nil},
		{Name: "ErrReasonTooLong", Given: events(drafted()), When: proposal.WithdrawProposal{ProposalID: proposalID, Reason: strings.Repeat("x", 1001), Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "reason")},
		{Name: "ErrAccepted", Given: events(drafted(), sent(), accepted()), When: withdraw, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDeclined", Given: events(drafted(), sent(), declined()), When: withdraw, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrExpired", Given: events(drafted(), sent(), expired()), When: withdraw, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: withdraw, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestExpireProposal(t *testing.T) {
	expiresOn := domain.MustDate(2026, time.April, 1)
	onTheDay := proposal.ExpireProposal{ProposalID: proposalID, ExpiresOn: expiresOn, Today: expiresOn, Now: later}
	after := onTheDay
	after.Today = domain.MustDate(2026, time.May, 3)
	before := onTheDay
	before.Today = domain.MustDate(2026, time.March, 31)

	decidertest.Run(t, decider, []decidertest.Case[proposal.Command]{
		{Name: "OK", Given: events(drafted(), sent()), When: onTheDay, Then: events(expired())},
		{Name: "OKLater", Given: events(drafted(), sent()), When: after, Then: events(expired())},
		{Name: "OKAlreadyExpired", Given: events(drafted(), sent(), expired()), When: after, Then: nil},
		{Name: "ErrBeforeExpiryDate", Given: events(drafted(), sent()), When: before, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDatesMissing", Given: events(drafted(), sent()), When: proposal.ExpireProposal{ProposalID: proposalID, Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "expires_on", "today")},
		{Name: "ErrDraft", Given: events(drafted()), When: onTheDay, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrAccepted", Given: events(drafted(), sent(), accepted()), When: after, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDeclined", Given: events(drafted(), sent(), declined()), When: after, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: onTheDay, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

// TestAcceptedProposalIsImmutable checks that every command on an accepted
// proposal is refused with a conflict.
func TestAcceptedProposalIsImmutable(t *testing.T) {
	s := proposal.Fold(events(drafted(), sent(), accepted()))
	for _, c := range []proposal.Command{
		draftCmd(),
		proposal.EditDraft{ProposalID: proposalID, Title: "x", Lines: lines(monthlyLine()), Now: later},
		proposal.SendProposal{ProposalID: proposalID, RecipientEmail: "alice@acme.example", Now: later},
		acceptCmd(),
		proposal.DeclineProposal{ProposalID: proposalID, Now: later},
		proposal.WithdrawProposal{ProposalID: proposalID, Now: later},
		proposal.ExpireProposal{ProposalID: proposalID, ExpiresOn: acceptedOn, Today: acceptedOn, Now: later},
	} {
		if _, err := proposal.Decide(s, c); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("%T on an accepted proposal: %v, want conflict", c, err)
		}
	}
}
