package client_test

import (
	"testing"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

func TestRecordErasure(t *testing.T) {
	erase := client.RecordErasure{ClientID: clientID, Now: later}
	erased := client.ClientErased{ClientID: clientID, At: now}
	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: erase, Then: events(client.ClientErased{ClientID: clientID, At: later})},
		{Name: "OKArchived", Given: events(created(), archived()), When: erase, Then: events(client.ClientErased{ClientID: clientID, At: later})},
		{Name: "OKAlreadyErased", Given: events(created(), erased), When: erase, Then: nil},
		{Name: "ErrNotFound", When: erase, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestRevokeLinks(t *testing.T) {
	revoke := client.RevokeLinks{ClientID: clientID, Now: later}
	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OKFirst", Given: events(created()), When: revoke, Then: events(client.ClientLinksRevoked{ClientID: clientID, Generation: 1, At: later})},
		{Name: "OKNext", Given: events(created(), client.ClientLinksRevoked{ClientID: clientID, Generation: 1, At: now}), When: revoke,
			Then: events(client.ClientLinksRevoked{ClientID: clientID, Generation: 2, At: later})},
		{Name: "ErrNotFound", When: revoke, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
	s := client.Fold(events(created(), client.ClientLinksRevoked{ClientID: clientID, Generation: 3, At: now}))
	if s.LinkGeneration != 3 {
		t.Errorf("LinkGeneration = %d, want 3", s.LinkGeneration)
	}
}
