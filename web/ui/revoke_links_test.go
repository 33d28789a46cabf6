package ui_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"remit/domain/client"
	"remit/eventstore"
	"remit/web/auth"
)

// TestRevokeClientLinks: "Revoke client links" on the client's edit page
// ends every link issued to the client before it; later links, and other
// clients' links, still work.
func TestRevokeClientLinks(t *testing.T) {
	a, links := newLinkApp(t)
	acme := a.mustClient("Acme")
	globex := a.mustClient("Globex")
	link := func(client string, issued time.Time) string {
		id := acme
		if client == "globex" {
			id = globex
		}
		return "/c/m/" + links.Sign(auth.Link{ClientID: id, Purpose: auth.PurposePaymentMethod, Expires: now.Add(time.Hour), Issued: issued})
	}
	before, other := link("acme", now.Add(-time.Minute)), link("globex", now.Add(-time.Minute))
	if p := a.get(before); p.Status != http.StatusOK {
		t.Fatalf("a link before the revocation = %d", p.Status)
	}
	edit := a.get("/clients/" + acme.String() + "/edit")
	mustContain(t, edit, "Revoke client links")
	a.mustPost("/clients/"+acme.String()+"/revoke-links", nil, "Client links revoked")
	if p := a.get(before); p.Status != http.StatusForbidden {
		t.Errorf("a link issued before the revocation = %d, want 403", p.Status)
	}
	if p := a.get(link("acme", now.Add(time.Minute))); p.Status != http.StatusOK {
		t.Errorf("a link issued after the revocation = %d, want 200", p.Status)
	}
	if p := a.get(other); p.Status != http.StatusOK {
		t.Errorf("another client's link = %d, want 200", p.Status)
	}
	recs, err := a.store.ReadStream(context.Background(), client.StreamName(acme), eventstore.End, eventstore.Backward, 1)
	if err != nil || len(recs) != 1 || recs[0].Type != "ClientLinksRevoked" {
		t.Errorf("the client's last event: %v %v", recs, err)
	}
}
