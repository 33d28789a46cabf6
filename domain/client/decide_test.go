package client_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

func createCmd() client.CreateClient {
	return client.CreateClient{
		ClientID:         clientID,
		Name:             "  Acme Pty Ltd ",
		Kind:             client.KindBusiness,
		Contacts:         []client.Contact{alice()},
		Address:          acmeAddress(),
		TaxNumber:        "51 824 753 556",
		Currency:         aud,
		PaymentTermsDays: intPtr(14),
		Now:              now,
	}
}

func detailsCmd() client.ChangeClientDetails {
	c := created()
	return client.ChangeClientDetails{
		ClientID: clientID, Name: c.Name, Kind: c.Kind, Address: c.Address,
		TaxNumber: c.TaxNumber, Currency: c.Currency, PaymentTermsDays: c.PaymentTermsDays, Now: later,
	}
}

func TestCreateClient(t *testing.T) {
	twoContacts := createCmd()
	twoContacts.Contacts = []client.Contact{alice(), bob()}
	twoContacts.PrimaryContactID = bobID
	twoCreated := created()
	twoCreated.Contacts = []client.Contact{alice(), bob()}
	twoCreated.PrimaryContactID = bobID

	noPrimary := twoContacts
	noPrimary.PrimaryContactID = uuid.Nil

	strangerPrimary := createCmd()
	strangerPrimary.PrimaryContactID = carolID

	primaryNoEmail := createCmd()
	primaryNoEmail.Contacts = []client.Contact{{ID: aliceID, Name: "Alice Ng"}}

	everythingWrong := client.CreateClient{
		ClientID: clientID,
		Name:     "   ",
		Kind:     "company",
		Contacts: []client.Contact{
			{ID: aliceID, Name: "Alice", Email: "alice@"},
			{ID: aliceID, Name: "", Email: "not an email", Phone: "call me"},
		},
		PrimaryContactID: aliceID,
		Address:          domain.Address{Country: "Australia"},
		PaymentTermsDays: intPtr(-1),
		Now:              now,
	}

	unknownCurrency := createCmd()
	unknownCurrency.Currency = domain.Currency{Code: "XXX", MinorUnits: 2}

	individual := createCmd()
	individual.Kind = client.KindIndividual
	individual.Address = domain.Address{}
	individual.TaxNumber = ""
	individual.PaymentTermsDays = nil
	individualCreated := created()
	individualCreated.Kind = client.KindIndividual
	individualCreated.Address = domain.Address{}
	individualCreated.TaxNumber = ""
	individualCreated.PaymentTermsDays = nil

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", When: createCmd(), Then: events(created())},
		{Name: "OKIndividualWithoutOptionalDetails", When: individual, Then: events(individualCreated)},
		{Name: "OKSeveralContacts", When: twoContacts, Then: events(twoCreated)},
		{Name: "ErrAlreadyExists", Given: events(created()), When: createCmd(), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNoID", When: func() client.CreateClient { c := createCmd(); c.ClientID = uuid.Nil; return c }(), Err: decidertest.ThenErr(domain.EINVALID, "client_id")},
		{Name: "ErrNoContacts", When: func() client.CreateClient { c := createCmd(); c.Contacts = nil; return c }(), Err: decidertest.ThenErr(domain.EINVALID, "contacts")},
		{Name: "ErrNoPrimaryAmongSeveral", When: noPrimary, Err: decidertest.ThenErr(domain.EINVALID, "primary_contact_id")},
		{Name: "ErrPrimaryNotAContact", When: strangerPrimary, Err: decidertest.ThenErr(domain.EINVALID, "primary_contact_id")},
		{Name: "ErrPrimaryWithoutEmail", When: primaryNoEmail, Err: decidertest.ThenErr(domain.EINVALID, "contacts[0].email")},
		{Name: "ErrUnknownCurrency", When: unknownCurrency, Err: decidertest.ThenErr(domain.EINVALID, "currency")},
		{Name: "ErrEveryBadFieldAtOnce", When: everythingWrong, Err: decidertest.ThenErr(domain.EINVALID,
			"name", "kind", "currency", "payment_terms_days", "address.country",
			"contacts[0].email", "contacts[1].id", "contacts[1].name", "contacts[1].email", "contacts[1].phone",
		)},
	})
}

func TestChangeClientDetails(t *testing.T) {
	rename := detailsCmd()
	rename.Name = "Acme Holdings"
	rename.PaymentTermsDays = nil
	renamed := client.ClientDetailsChanged{
		ClientID: clientID, Name: "Acme Holdings", Kind: client.KindBusiness, Address: acmeAddress(),
		TaxNumber: "51 824 753 556", Currency: aud, At: later,
	}
	sameTerms := detailsCmd()
	sameTerms.PaymentTermsDays = intPtr(14) // a different pointer, the same value
	bad := detailsCmd()
	bad.Name = ""
	bad.Currency = domain.Currency{}

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: rename, Then: events(renamed)},
		{Name: "OKNothingChanged", Given: events(created()), When: sameTerms, Then: nil},
		{Name: "ErrNotFound", When: rename, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), archived()), When: rename, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrInvalid", Given: events(created()), When: bad, Err: decidertest.ThenErr(domain.EINVALID, "name", "currency")},
	})
}

func TestAddContact(t *testing.T) {
	add := client.AddContact{ClientID: clientID, Contact: client.Contact{ID: bobID, Name: " Bob Li ", Email: "bob@acme.example"}, Now: later}
	addedBob := client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: later}
	noEmail := client.AddContact{ClientID: clientID, Contact: client.Contact{ID: carolID, Name: "Carol", Role: "Director"}, Now: later}
	otherBob := add
	otherBob.Contact.Name = "Robert Li"

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: add, Then: events(addedBob)},
		{Name: "OKWithoutEmail", Given: events(created()), When: noEmail, Then: events(client.ClientContactAdded{ClientID: clientID, Contact: client.Contact{ID: carolID, Name: "Carol", Role: "Director"}, At: later})},
		{Name: "OKRetried", Given: events(created(), addedBob), When: add, Then: nil},
		{Name: "ErrIDTaken", Given: events(created(), addedBob), When: otherBob, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: add, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), archived()), When: add, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrInvalid", Given: events(created()), When: client.AddContact{ClientID: clientID, Contact: client.Contact{Email: "bob at acme"}, Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "contact.id", "contact.name", "contact.email")},
	})
}

func TestChangeContact(t *testing.T) {
	newEmail := alice()
	newEmail.Email = "accounts@acme.example"
	noEmail := alice()
	noEmail.Email = ""
	bobNoEmail := bob()
	bobNoEmail.Email = ""
	bobAdded := client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now}

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: client.ChangeContact{ClientID: clientID, Contact: newEmail, Now: later},
			Then: events(client.ClientContactChanged{ClientID: clientID, Contact: newEmail, At: later})},
		{Name: "OKNothingChanged", Given: events(created()), When: client.ChangeContact{ClientID: clientID, Contact: alice(), Now: later}, Then: nil},
		{Name: "OKOtherContactWithoutEmail", Given: events(created(), bobAdded), When: client.ChangeContact{ClientID: clientID, Contact: bobNoEmail, Now: later},
			Then: events(client.ClientContactChanged{ClientID: clientID, Contact: bobNoEmail, At: later})},
		{Name: "ErrPrimaryNeedsEmail", Given: events(created()), When: client.ChangeContact{ClientID: clientID, Contact: noEmail, Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "contact.email")},
		{Name: "ErrContactNotFound", Given: events(created()), When: client.ChangeContact{ClientID: clientID, Contact: bob(), Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: client.ChangeContact{ClientID: clientID, Contact: alice(), Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), archived()), When: client.ChangeContact{ClientID: clientID, Contact: newEmail, Now: later}, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestRemoveContact(t *testing.T) {
	bobAdded := client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now}
	carolAdded := client.ClientContactAdded{ClientID: clientID, Contact: client.Contact{ID: carolID, Name: "Carol"}, At: now}
	removeBob := client.RemoveContact{ClientID: clientID, ContactID: bobID, Now: later}
	removeAlice := client.RemoveContact{ClientID: clientID, ContactID: aliceID, Now: later}
	handOver := removeAlice
	handOver.NewPrimaryContactID = bobID
	toCarol := removeAlice
	toCarol.NewPrimaryContactID = carolID
	toSelf := removeAlice
	toSelf.NewPrimaryContactID = aliceID

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created(), bobAdded), When: removeBob,
			Then: events(client.ClientContactRemoved{ClientID: clientID, ContactID: bobID, At: later})},
		{Name: "OKPrimaryHandedOver", Given: events(created(), bobAdded), When: handOver, Then: events(
			client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: bobID, PreviousContactID: aliceID, At: later},
			client.ClientContactRemoved{ClientID: clientID, ContactID: aliceID, At: later},
		)},
		{Name: "ErrPrimaryWithoutSuccessor", Given: events(created(), bobAdded), When: removeAlice, Err: decidertest.ThenErr(domain.EINVALID, "new_primary_contact_id")},
		{Name: "ErrSuccessorIsTheSame", Given: events(created(), bobAdded), When: toSelf, Err: decidertest.ThenErr(domain.EINVALID, "new_primary_contact_id")},
		{Name: "ErrSuccessorUnknown", Given: events(created(), bobAdded), When: toCarol, Err: decidertest.ThenErr(domain.EINVALID, "new_primary_contact_id")},
		{Name: "ErrSuccessorWithoutEmail", Given: events(created(), carolAdded), When: toCarol, Err: decidertest.ThenErr(domain.EINVALID, "new_primary_contact_id")},
		{Name: "ErrLastContact", Given: events(created()), When: handOver, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrContactNotFound", Given: events(created()), When: removeBob, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: removeBob, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), bobAdded, archived()), When: removeBob, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestSetPrimaryContact(t *testing.T) {
	bobAdded := client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now}
	carolAdded := client.ClientContactAdded{ClientID: clientID, Contact: client.Contact{ID: carolID, Name: "Carol"}, At: now}
	toBob := client.SetPrimaryContact{ClientID: clientID, ContactID: bobID, Now: later}

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created(), bobAdded), When: toBob,
			Then: events(client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: bobID, PreviousContactID: aliceID, At: later})},
		{Name: "OKAlreadyPrimary", Given: events(created()), When: client.SetPrimaryContact{ClientID: clientID, ContactID: aliceID, Now: later}, Then: nil},
		{Name: "ErrWithoutEmail", Given: events(created(), carolAdded), When: client.SetPrimaryContact{ClientID: clientID, ContactID: carolID, Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "contact_id")},
		{Name: "ErrContactNotFound", Given: events(created()), When: toBob, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: toBob, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrArchived", Given: events(created(), bobAdded, archived()), When: toBob, Err: decidertest.ThenErr(domain.ECONFLICT)},
	})
}

func TestArchiveAndRestoreClient(t *testing.T) {
	archive := client.ArchiveClient{ClientID: clientID, Reason: " moved overseas ", Now: later}
	restore := client.RestoreClient{ClientID: clientID, Now: later}
	busy := archive
	busy.ActiveServices = []uuid.UUID{serviceID}

	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: archive, Then: events(client.ClientArchived{ClientID: clientID, Reason: "moved overseas", At: later})},
		{Name: "OKAlreadyArchived", Given: events(created(), archived()), When: archive, Then: nil},
		{Name: "ErrActiveServices", Given: events(created()), When: busy, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: archive, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "OKRestore", Given: events(created(), archived()), When: restore, Then: events(client.ClientRestored{ClientID: clientID, At: later})},
		{Name: "OKRestoreNotArchived", Given: events(created()), When: restore, Then: nil},
		{Name: "ErrRestoreNotFound", When: restore, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "OKChangesAfterRestore", Given: events(created(), archived(), client.ClientRestored{ClientID: clientID, At: now}),
			When: client.AddContact{ClientID: clientID, Contact: bob(), Now: later}, Then: events(client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: later})},
	})
}

// TestArchivedClientIsReadOnly checks that every change a person makes is
// refused while the client is archived, and that gateway facts still land.
func TestArchivedClientIsReadOnly(t *testing.T) {
	given := append(withTwoMethods(), client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now}, archived())
	s := client.Fold(given)
	refused := []client.Command{
		detailsCmd(),
		client.AddContact{ClientID: clientID, Contact: client.Contact{ID: carolID, Name: "Carol"}, Now: later},
		client.ChangeContact{ClientID: clientID, Contact: client.Contact{ID: bobID, Name: "Bobby", Email: "bob@acme.example"}, Now: later},
		client.RemoveContact{ClientID: clientID, ContactID: bobID, Now: later},
		client.SetPrimaryContact{ClientID: clientID, ContactID: bobID, Now: later},
		client.AddPaymentMethod{ClientID: clientID, PaymentMethodID: card2ID, Method: visa("tok_2"), Now: later},
		client.SetDefaultPaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Now: later},
		client.ReplacePaymentMethod{ClientID: clientID, PaymentMethodID: cardID, NewPaymentMethodID: card2ID, Method: visa("tok_2"), Now: later},
		client.RemovePaymentMethod{ClientID: clientID, PaymentMethodID: bankID, Now: later},
	}
	for _, c := range refused {
		_, err := client.Decide(s, c)
		if domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("%T on an archived client: error %v, want conflict", c, err)
		}
	}
	for _, c := range []client.Command{
		client.MarkPaymentMethodExpired{ClientID: clientID, PaymentMethodID: cardID, Now: later},
		client.MarkPaymentMethodFailed{ClientID: clientID, PaymentMethodID: bankID, Reason: "mandate cancelled", Now: later},
	} {
		if es, err := client.Decide(s, c); err != nil || len(es) != 1 {
			t.Errorf("%T on an archived client: %v, %v; want one event", c, es, err)
		}
	}
}
