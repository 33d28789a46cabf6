package pii_test

import (
	"context"
	"testing"
	"time"

	"remit/billing"
	"remit/domain/client"
	"remit/eventstore"
	"remit/projections/follow"
)

// A follower with a filter subscribes to the sealed events and opens only
// those it keeps: what it is handed reads as plain as before.
func TestFilteredFollowerGetsOpenedEvents(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	head, err := f.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan client.ClientCreated, 1)
	// From the head: the next client comes through the live subscription.
	fl := follow.New(f.store, func(_ context.Context, e follow.Event) error {
		if c, ok := e.Data.(client.ClientCreated); ok {
			got <- c
		}
		return nil
	}, follow.Options{From: head, Filter: eventstore.Filter{EventTypes: []string{"ClientCreated"}}})
	done := make(chan error, 1)
	go func() { done <- fl.Run(ctx) }()
	if _, err := f.svc.CreateClient(ctx, billing.ClientRequest{
		Name: "Bondi Bakery", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Bea Smith", Email: "bea@bondi.example"}},
	}, billing.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		if c.Name != "Bondi Bakery" || len(c.Contacts) != 1 || c.Contacts[0].Email != "bea@bondi.example" {
			t.Errorf("the follower was handed %+v, not the opened event", c)
		}
	case err := <-done:
		t.Fatalf("the follower stopped: %v", err)
	case <-ctx.Done():
		t.Fatal("the follower was handed nothing")
	}
	cancel()
	<-done
}
