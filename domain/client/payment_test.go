package client_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

func TestAddPaymentMethod(t *testing.T) {
	addCard := client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: cardID, Method: visa("tok_1"), Now: later}
	addBank := client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Method: becs("ba_1"), Now: later}
	at := func(e client.PaymentMethodAdded) client.PaymentMethodAdded { e.At = later; return e }
	defAt := func(e client.PaymentMethodSetAsDefault) client.PaymentMethodSetAsDefault { e.At = later; return e }

	sloppy := addCard
	sloppy.Method.Brand = " VISA "
	sloppy.Method.GatewayToken = " tok_1 "

	fullNumber := addCard
	fullNumber.Method.Last4 = "4242 4242 4242 4242"
	panInToken := addCard
	panInToken.Method.GatewayToken = "card_4111111111111111"
	panInBrand := addCard
	panInBrand.Method.Brand = "5555-5555-5555-4444"
	expired := addCard
	expired.Method.ExpiryMonth, expired.Method.ExpiryYear = 2, 2026 // now is March 2026
	thisMonth := addCard
	thisMonth.Method.ExpiryMonth, thisMonth.Method.ExpiryYear = 3, 2026
	badCard := client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: cardID, Now: later, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Last4: "42", ExpiryMonth: 13, ExpiryYear: 28, Scheme: client.SchemeSEPA,
	}}
	badBank := client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Now: later, Method: client.PaymentMethodDetails{
		Kind: client.MethodBankDebit, Gateway: "sandbox", GatewayToken: "ba_1", Scheme: "giro", MaskedAccount: "062000 12345678", Last4: "1234",
	}}
	unmaskedCardInAccount := addBank
	unmaskedCardInAccount.Method.MaskedAccount = "4111 1111 1111 1111"
	noKind := addCard
	noKind.Method.Kind = ""
	sameToken := client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: card2ID, Method: visa("tok_1"), Now: later}
	otherDetails := addCard
	otherDetails.Method.Last4 = "1111"
	noID := addCard
	noID.PaymentMethodID = uuid.Nil
	withCustomer := addCard
	withCustomer.Method.Gateway, withCustomer.Method.GatewayCustomer = "stripe", " cus_123 "
	stripeVisa := visa("tok_1")
	stripeVisa.Gateway, stripeVisa.GatewayCustomer = "stripe", "cus_123"
	badCustomer := addCard
	badCustomer.Method.GatewayCustomer = "cus 123"
	panInCustomer := addCard
	panInCustomer.Method.GatewayCustomer = "4111111111111111"

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OKFirstBecomesDefault", Given: events(created()), When: addCard,
			Then: events(at(added(cardID, visa("tok_1"))), defAt(defaultSet(cardID, uuid.Nil)))},
		{Name: "OKSecondIsNotDefault", Given: withCard(), When: addBank, Then: events(at(added(bankID, becs("ba_1"))))},
		{Name: "OKAfterAllRemovedBecomesDefault", Given: append(withCard(), client.PaymentMethodRemoved{ClientID: clientID, PaymentMethodID: cardID, At: now}), When: addBank,
			Then: events(at(added(bankID, becs("ba_1"))), defAt(defaultSet(bankID, uuid.Nil)))},
		{Name: "OKNormalised", Given: events(created()), When: sloppy,
			Then: events(at(added(cardID, visa("tok_1"))), defAt(defaultSet(cardID, uuid.Nil)))},
		{Name: "OKExpiresThisMonth", Given: withCard(), When: func() client.AddPaymentMethod {
			c := thisMonth
			c.PaymentMethodID, c.Method.GatewayToken = card2ID, "tok_2"
			return c
		}(), Then: events(client.PaymentMethodAdded{ClientID: clientID, PaymentMethodID: card2ID, Method: func() client.PaymentMethodDetails {
			m := visa("tok_2")
			m.ExpiryMonth, m.ExpiryYear = 3, 2026
			return m
		}(), At: later})},
		{Name: "OKRetried", Given: withCard(), When: addCard, Then: nil},
		{Name: "OKWithGatewayCustomer", Given: events(created()), When: withCustomer,
			Then: events(at(added(cardID, stripeVisa)), defAt(defaultSet(cardID, uuid.Nil)))},
		{Name: "ErrBadGatewayCustomer", Given: events(created()), When: badCustomer, Err: decidertest.ThenErr(domain.EINVALID, "method.gateway_customer")},
		{Name: "ErrCardNumberInGatewayCustomer", Given: events(created()), When: panInCustomer, Err: decidertest.ThenErr(domain.EINVALID, "method.gateway_customer")},
		{Name: "ErrIDTaken", Given: withCard(), When: otherDetails, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrAlreadyOnFile", Given: withCard(), When: sameToken, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrFullCardNumber", Given: events(created()), When: fullNumber, Err: decidertest.ThenErr(domain.EINVALID, "method.last4")},
		{Name: "ErrCardNumberInToken", Given: events(created()), When: panInToken, Err: decidertest.ThenErr(domain.EINVALID, "method.gateway_token")},
		{Name: "ErrCardNumberInBrand", Given: events(created()), When: panInBrand, Err: decidertest.ThenErr(domain.EINVALID, "method.brand")},
		{Name: "ErrCardNumberAsAccount", Given: events(created()), When: unmaskedCardInAccount, Err: decidertest.ThenErr(domain.EINVALID, "method.masked_account")},
		{Name: "ErrExpired", Given: events(created()), When: expired, Err: decidertest.ThenErr(domain.EINVALID, "method.expiry_year")},
		{Name: "ErrBadCard", Given: events(created()), When: badCard, Err: decidertest.ThenErr(domain.EINVALID,
			"method.gateway", "method.gateway_token", "method.brand", "method.last4", "method.expiry_month", "method.expiry_year", "method.kind",
		)},
		{Name: "ErrBadBankDebit", Given: events(created()), When: badBank, Err: decidertest.ThenErr(domain.EINVALID,
			"method.scheme", "method.masked_account", "method.mandate_reference", "method.kind",
		)},
		{Name: "ErrNoKind", Given: events(created()), When: noKind, Err: decidertest.ThenErr(domain.EINVALID, "method.kind")},
		{Name: "ErrNoID", Given: events(created()), When: noID, Err: decidertest.ThenErr(domain.EINVALID, "payment_method_id")},
		{Name: "ErrNotFound", When: addCard, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), archived()), When: addCard, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestAddPaymentMethodEverySchemeAccepted(t *testing.T) {
	s := client.Fold(events(created()))
	for _, scheme := range client.DebitSchemes() {
		m := becs("ba_" + string(scheme))
		m.Scheme = scheme
		if _, err := client.Decide(s, client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Method: m, Now: now}); err != nil {
			t.Errorf("scheme %s refused: %v", scheme, err)
		}
	}
}

func TestSetDefaultPaymentMethod(t *testing.T) {
	toBank := client.SetDefaultPaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Now: later}
	bankFailed := client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: bankID, Reason: "account closed", At: now}
	bankExpired := client.PaymentMethodExpired{ClientID: clientID, PaymentMethodID: bankID, At: now}

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: withTwoMethods(), When: toBank,
			Then: events(client.PaymentMethodSetAsDefault{ClientID: clientID, PaymentMethodID: bankID, PreviousPaymentMethodID: cardID, At: later})},
		{Name: "OKAlreadyDefault", Given: withTwoMethods(), When: client.SetDefaultPaymentMethod{ClientID: clientID, PaymentMethodID: cardID, Now: later}, Then: nil},
		{Name: "ErrFailed", Given: append(withTwoMethods(), bankFailed), When: toBank, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrExpired", Given: append(withTwoMethods(), bankExpired), When: toBank, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrMethodNotFound", Given: withCard(), When: toBank, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: toBank, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: append(withTwoMethods(), archived()), When: toBank, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestReplacePaymentMethod(t *testing.T) {
	replaceCard := client.ReplacePaymentMethod{ClientID: clientID, PaymentMethodID: cardID, NewPaymentMethodID: card2ID, Method: visa("tok_2"), Now: later}
	replaced := client.PaymentMethodReplaced{ClientID: clientID, ReplacedPaymentMethodID: cardID, PaymentMethodID: card2ID, Method: visa("tok_2"), At: later}
	sameToken := replaceCard
	sameToken.Method = visa("tok_1")
	tokenOfOther := replaceCard
	tokenOfOther.Method = becs("ba_1")
	unknownOld := replaceCard
	unknownOld.PaymentMethodID = uuid.New()
	idTaken := replaceCard
	idTaken.NewPaymentMethodID = bankID
	noNewID := replaceCard
	noNewID.NewPaymentMethodID = uuid.Nil
	invalid := replaceCard
	invalid.Method.Last4 = "4111111111111111"
	byBank := replaceCard
	byBank.Method = becs("ba_2")

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: withTwoMethods(), When: replaceCard, Then: events(replaced)},
		{Name: "OKCardByBankAccount", Given: withTwoMethods(), When: byBank,
			Then: events(client.PaymentMethodReplaced{ClientID: clientID, ReplacedPaymentMethodID: cardID, PaymentMethodID: card2ID, Method: becs("ba_2"), At: later})},
		{Name: "OKExpiredReplaced", Given: append(withCard(), client.PaymentMethodExpired{ClientID: clientID, PaymentMethodID: cardID, At: now}), When: replaceCard, Then: events(replaced)},
		{Name: "OKRetried", Given: append(withTwoMethods(), replaced), When: replaceCard, Then: nil},
		{Name: "ErrSameMethod", Given: withTwoMethods(), When: sameToken, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrAlreadyOnFile", Given: withTwoMethods(), When: tokenOfOther, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrIDTaken", Given: withTwoMethods(), When: idTaken, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNoNewID", Given: withTwoMethods(), When: noNewID, Err: decidertest.ThenErr(domain.EINVALID, "new_payment_method_id")},
		{Name: "ErrInvalid", Given: withTwoMethods(), When: invalid, Err: decidertest.ThenErr(domain.EINVALID, "method.last4")},
		{Name: "ErrMethodNotFound", Given: withTwoMethods(), When: unknownOld, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: replaceCard, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: append(withTwoMethods(), archived()), When: replaceCard, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestReplacePaymentMethodTakesThePlace(t *testing.T) {
	s := client.Fold(append(withTwoMethods(), client.PaymentMethodReplaced{
		ClientID: clientID, ReplacedPaymentMethodID: cardID, PaymentMethodID: card2ID, Method: visa("tok_2"), At: later,
	}))
	if s.DefaultPaymentMethodID != card2ID {
		t.Errorf("default = %v, want the replacement %v", s.DefaultPaymentMethodID, card2ID)
	}
	if len(s.PaymentMethods) != 2 || s.PaymentMethods[0].ID != card2ID || s.PaymentMethods[0].Replaces != cardID || s.PaymentMethods[1].ID != bankID {
		t.Errorf("methods = %+v, want the replacement in the card's place, then the bank account", s.PaymentMethods)
	}
	if _, ok := s.PaymentMethod(cardID); ok {
		t.Error("the replaced card is still on file")
	}
}

func TestRemovePaymentMethod(t *testing.T) {
	removeCard := client.RemovePaymentMethod{ClientID: clientID, PaymentMethodID: cardID, Now: later}
	removeBank := client.RemovePaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Now: later}
	removed := func(id uuid.UUID) client.PaymentMethodRemoved {
		return client.PaymentMethodRemoved{ClientID: clientID, PaymentMethodID: id, At: later}
	}
	movedTo := func(id uuid.UUID) client.PaymentMethodSetAsDefault {
		return client.PaymentMethodSetAsDefault{ClientID: clientID, PaymentMethodID: id, PreviousPaymentMethodID: cardID, At: later}
	}
	withThree := append(withTwoMethods(), added(card2ID, visa("tok_2")))
	bankFailed := client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: bankID, Reason: "account closed", At: now}

	depended := removeCard
	depended.DependentAutomaticServices = []uuid.UUID{serviceID}
	dependedBank := removeBank
	dependedBank.DependentAutomaticServices = []uuid.UUID{serviceID}
	named := removeCard
	named.NewDefaultPaymentMethodID = card2ID
	namedSelf := removeCard
	namedSelf.NewDefaultPaymentMethodID = cardID
	namedUnknown := removeCard
	namedUnknown.NewDefaultPaymentMethodID = uuid.New()
	namedFailed := removeCard
	namedFailed.NewDefaultPaymentMethodID = bankID

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: withTwoMethods(), When: removeBank, Then: events(removed(bankID))},
		{Name: "OKLastWithoutDependents", Given: withCard(), When: removeCard, Then: events(removed(cardID))},
		{Name: "OKDefaultMovesToNextActive", Given: append(slicesClone(withThree), bankFailed), When: removeCard, Then: events(removed(cardID), movedTo(card2ID))},
		{Name: "OKDefaultMovesToFirstOther", Given: withTwoMethods(), When: removeCard, Then: events(removed(cardID), movedTo(bankID))},
		{Name: "OKDefaultMovesToNamed", Given: withThree, When: named, Then: events(removed(cardID), movedTo(card2ID))},
		{Name: "OKDefaultMovesToInactiveWhenNoOtherChoice", Given: append(withTwoMethods(), bankFailed), When: removeCard, Then: events(removed(cardID), movedTo(bankID))},
		{Name: "OKDependentsFallBackToOther", Given: withTwoMethods(), When: dependedBank, Then: events(removed(bankID))},
		{Name: "ErrDependentsAndNoOther", Given: withCard(), When: depended, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrDependentsAndNoActiveOther", Given: append(withTwoMethods(), bankFailed), When: depended, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNamedDefaultIsTheRemoved", Given: withThree, When: namedSelf, Err: decidertest.ThenErr(domain.EINVALID, "new_default_payment_method_id")},
		{Name: "ErrNamedDefaultUnknown", Given: withThree, When: namedUnknown, Err: decidertest.ThenErr(domain.EINVALID, "new_default_payment_method_id")},
		{Name: "ErrNamedDefaultFailed", Given: append(slicesClone(withThree), bankFailed), When: namedFailed, Err: decidertest.ThenErr(domain.EINVALID, "new_default_payment_method_id")},
		{Name: "ErrMethodNotFound", Given: withCard(), When: removeBank, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: removeCard, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: append(withTwoMethods(), archived()), When: removeBank, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func slicesClone(es []domain.Event) []domain.Event { return append([]domain.Event(nil), es...) }

func TestMarkPaymentMethodExpired(t *testing.T) {
	mark := client.MarkPaymentMethodExpired{ClientID: clientID, PaymentMethodID: cardID, Now: later}
	expired := client.PaymentMethodExpired{ClientID: clientID, PaymentMethodID: cardID, At: later}

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: withCard(), When: mark, Then: events(expired)},
		{Name: "OKAlreadyExpired", Given: append(withCard(), expired), When: mark, Then: nil},
		{Name: "OKFailedThenExpired", Given: append(withCard(), client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: cardID, Reason: "lost", At: now}), When: mark, Then: events(expired)},
		{Name: "OKArchived", Given: append(withCard(), archived()), When: mark, Then: events(expired)},
		{Name: "ErrMethodNotFound", Given: events(created()), When: mark, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: mark, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestMarkPaymentMethodFailed(t *testing.T) {
	mark := client.MarkPaymentMethodFailed{ClientID: clientID, PaymentMethodID: cardID, Reason: " card reported stolen ", Now: later}
	failed := client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: cardID, Reason: "card reported stolen", At: later}
	otherReason := mark
	otherReason.Reason = "do not honour"
	noReason := mark
	noReason.Reason = "  "

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: withCard(), When: mark, Then: events(failed)},
		{Name: "OKSameReasonAgain", Given: append(withCard(), failed), When: mark, Then: nil},
		{Name: "OKNewReason", Given: append(withCard(), failed), When: otherReason,
			Then: events(client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: cardID, Reason: "do not honour", At: later})},
		{Name: "OKArchived", Given: append(withCard(), archived()), When: mark, Then: events(failed)},
		{Name: "ErrNoReason", Given: withCard(), When: noReason, Err: decidertest.ThenErr(domain.EINVALID, "reason")},
		{Name: "ErrMethodNotFound", Given: events(created()), When: mark, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: mark, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}
