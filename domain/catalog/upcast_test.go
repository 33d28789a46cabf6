package catalog_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"remit/domain/catalog"
	"remit/domain/proposal"
)

// TestDecodeUpcastsProposalSentV1 reads ProposalSent as version 1 stored it
// before recipients existed (one recipient_email) and gets the version 2
// shape, whose Recipients name that address.
func TestDecodeUpcastsProposalSentV1(t *testing.T) {
	c := catalog.New()
	if got := c.SchemaVersion("ProposalSent"); got != 2 {
		t.Fatalf("SchemaVersion(ProposalSent) = %d, want 2", got)
	}
	id := uuid.MustParse("0b8f4a51-3c0e-4a8e-9d43-5b7f1c2e9a10")
	v1 := []byte(`{"proposal_id":"` + id.String() + `","recipient_email":"ana@harbour.example","at":"2026-03-02T09:30:00Z"}`)
	for _, version := range []int{0, 1} { // a store records 0 as 1
		e, err := c.Decode("ProposalSent", version, v1)
		if err != nil {
			t.Fatalf("Decode v%d: %v", version, err)
		}
		sent, ok := e.(proposal.ProposalSent)
		if !ok {
			t.Fatalf("Decode v%d = %T", version, e)
		}
		want := []proposal.Recipient{{Email: "ana@harbour.example"}}
		if !reflect.DeepEqual(sent.Recipients, want) || sent.RecipientEmail != "ana@harbour.example" || sent.ProposalID != id {
			t.Errorf("Decode v%d = %+v, want recipients %+v", version, sent, want)
		}
	}
	// Without the upcaster the old shape has no recipients: the upcast is
	// what fills them in.
	raw, err := proposal.DecodeEvent("ProposalSent", v1)
	if err != nil {
		t.Fatal(err)
	}
	if r := raw.(proposal.ProposalSent).Recipients; len(r) != 0 {
		t.Fatalf("the v1 sample already has recipients %+v", r)
	}
}

// TestDecodeKeepsListedRecipients: version 1 events recorded after
// recipients were added (and version 2 events) already list everyone; the
// upcast leaves them as they are.
func TestDecodeKeepsListedRecipients(t *testing.T) {
	c := catalog.New()
	contact := uuid.MustParse("5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6")
	data := []byte(`{"proposal_id":"0b8f4a51-3c0e-4a8e-9d43-5b7f1c2e9a10","recipient_email":"ana@harbour.example",` +
		`"recipients":[{"contact_id":"` + contact.String() + `","name":"Ana","email":"ana@harbour.example"},{"email":"ops@harbour.example"}],"at":"2026-03-02T09:30:00Z"}`)
	want := []proposal.Recipient{{ContactID: contact, Name: "Ana", Email: "ana@harbour.example"}, {Email: "ops@harbour.example"}}
	for _, version := range []int{1, 2} {
		e, err := c.Decode("ProposalSent", version, data)
		if err != nil {
			t.Fatalf("Decode v%d: %v", version, err)
		}
		if got := e.(proposal.ProposalSent).Recipients; !reflect.DeepEqual(got, want) {
			t.Errorf("Decode v%d recipients = %+v, want %+v", version, got, want)
		}
	}
}

func TestDecodeNewerSchemaVersion(t *testing.T) {
	c := catalog.New()
	if _, err := c.Decode("ClientCreated", 2, []byte(`{}`)); !errors.Is(err, catalog.ErrNewerSchemaVersion) {
		t.Errorf("ClientCreated v2: %v, want ErrNewerSchemaVersion", err)
	}
	if _, err := c.Decode("ProposalSent", 3, []byte(`{}`)); !errors.Is(err, catalog.ErrNewerSchemaVersion) {
		t.Errorf("ProposalSent v3: %v, want ErrNewerSchemaVersion", err)
	}
}

// TestUpcastersChain: every aggregate's upcasters chain from version 1, one
// version at a time, for types the aggregate declares (New panics otherwise),
// and each type's current version is one more than its upcasters.
func TestUpcastersChain(t *testing.T) {
	c := catalog.New()
	n := map[string]int{}
	for _, a := range c.Aggregates() {
		for _, u := range a.Upcasters {
			n[u.Type]++
		}
	}
	for _, typ := range c.EventTypes() {
		if got := c.SchemaVersion(typ); got != n[typ]+1 {
			t.Errorf("SchemaVersion(%s) = %d, want %d", typ, got, n[typ]+1)
		}
	}
}
