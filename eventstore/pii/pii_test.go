package pii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/sqlite"
	"remit/projections"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	raw    *sqlite.Store
	keys   *pii.KeyStore
	store  *pii.Store
	svc    *billing.Service
	client uuid.UUID
}

// newFixture opens a real embedded store wrapped with sealing, sets the firm
// up and creates one client with personal details through billing.
func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	raw, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	st := pii.Wrap(raw, pii.NewSealer(keys))
	svc := billing.New(billing.Config{Store: st, Now: func() time.Time { return now }})
	ctx := context.Background()
	if _, err := svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, billing.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.CreateClient(ctx, billing.ClientRequest{
		Name: "Harbour Cafe", Kind: client.KindBusiness, TaxNumber: "51 824 753 556",
		Address:  domain.Address{Line1: "1 Quay St", City: "Sydney", Postcode: "2000", Country: "AU"},
		Contacts: []client.Contact{{Name: "Ana Lima", Email: "ana@harbour.example", Phone: "+61 2 9000 0000"}},
	}, billing.Meta{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{raw: raw, keys: keys, store: st, svc: svc, client: res.ID}
}

var personal = []string{"Harbour Cafe", "Ana Lima", "ana@harbour.example", "+61 2 9000 0000", "1 Quay St", "51 824 753 556"}

func allData(t *testing.T, s eventstore.Store) []byte {
	t.Helper()
	recs, err := s.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, r := range recs {
		b = append(b, r.Data...)
	}
	return b
}

func summary(t *testing.T, f fixture) projections.ClientSummary {
	t.Helper()
	m, _, err := projections.BuildAsOf(context.Background(), f.store, projections.Bound{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.Summary(context.Background(), f.client, domain.MustDate(2026, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPersonalFieldsAreSealedInTheLog(t *testing.T) {
	f := newFixture(t)
	raw := allData(t, f.raw)
	for _, p := range personal {
		if bytes.Contains(raw, []byte(p)) {
			t.Errorf("the log holds %q in plain text", p)
		}
	}
	if !bytes.Contains(raw, []byte(`"AU"`)) || !bytes.Contains(raw, []byte(`"AUD"`)) {
		t.Error("fields that are not personal were sealed too")
	}
	opened := allData(t, f.store)
	for _, p := range personal {
		if !bytes.Contains(opened, []byte(p)) {
			t.Errorf("reading through the wrapper does not give back %q", p)
		}
	}
	s := summary(t, f)
	if s.Name != "Harbour Cafe" || s.Address.Line1 != "1 Quay St" || len(s.Contacts) != 1 || s.Contacts[0].Email != "ana@harbour.example" {
		t.Errorf("read models see %+v", s)
	}
}

func TestForgetErasesButKeepsTheChain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before := allData(t, f.raw)
	if err := f.keys.Forget(f.client); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, allData(t, f.raw)) {
		t.Fatal("forgetting changed the log")
	}
	rep, err := f.raw.Verify(ctx)
	if err != nil {
		t.Fatalf("the hash chain no longer verifies after forgetting: %v (%+v)", err, rep)
	}
	opened := allData(t, f.store)
	for _, p := range personal {
		if bytes.Contains(opened, []byte(p)) {
			t.Errorf("after forget, a replay still shows %q", p)
		}
	}
	s := summary(t, f)
	if s.Name != pii.Erased || s.TaxNumber != "" || s.Address.Line1 != "" || s.Address.Country != "AU" || s.Currency.String() != "AUD" {
		t.Errorf("after forget the summary is %+v", s)
	}
	if len(s.Contacts) != 1 || s.Contacts[0].Name != pii.Erased || s.Contacts[0].Email != "" {
		t.Errorf("after forget the contacts are %+v", s.Contacts)
	}
	// New personal data for a forgotten client is refused; the rest is not.
	_, err = f.svc.EditClient(ctx, billing.ClientRequest{ClientID: f.client, Name: "Harbour Cafe again", Kind: client.KindBusiness}, billing.Meta{Actor: "test"})
	if !errors.Is(err, pii.ErrForgotten) || domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("new personal data for a forgotten client: err = %v", err)
	}
	if err := f.keys.Forget(f.client); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
}

func TestSealIsDeterministicAndBound(t *testing.T) {
	keys, err := pii.OpenKeyStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	s := pii.NewSealer(keys)
	a, b := uuid.New(), uuid.New()
	ev := func(id uuid.UUID) []byte {
		d, _ := json.Marshal(client.ClientContactAdded{ClientID: id, Contact: client.Contact{ID: uuid.Max, Name: "Ben", Email: "ben@example.com"}, At: now})
		return d
	}
	s1, err := s.Seal("ClientContactAdded", ev(a))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := s.Seal("ClientContactAdded", ev(a))
	if !bytes.Equal(s1, s2) {
		t.Error("sealing the same event twice gives different bytes: idempotent appends would fail")
	}
	if bytes.Contains(s1, []byte("ben@example.com")) {
		t.Fatal("the email is not sealed")
	}
	// A sealed value moved to another client's event is refused.
	var m map[string]any
	_ = json.Unmarshal(s1, &m)
	m["client_id"] = b.String()
	moved, _ := json.Marshal(m)
	if _, err := s.Seal("ClientContactAdded", ev(b)); err != nil { // b has a key too
		t.Fatal(err)
	}
	if _, err := s.Open("ClientContactAdded", moved); err == nil {
		t.Error("a sealed value moved to another client opened")
	}
	// Events without personal fields pass through untouched.
	plain := []byte(`{"client_id":"` + a.String() + `","at":"2026-03-02T09:00:00Z"}`)
	if out, err := s.Seal("ClientRestored", plain); err != nil || !bytes.Equal(out, plain) {
		t.Errorf("Seal(ClientRestored) = %s, %v", out, err)
	}
}

// The recipients of proposals, invoices and emails are personal data too:
// sealed under the client's key, erased when it is forgotten.
func TestRecipientsAreSealedAndErased(t *testing.T) {
	f := newFixture(t)
	sealer := pii.NewSealer(f.keys)
	events := map[string]string{
		"ProposalSent": `{"proposal_id":"` + uuid.NewString() + `","client_id":"` + f.client.String() + `","recipient_email":"ana@harbour.example",` +
			`"recipients":[{"name":"Ana Lima","email":"ana@harbour.example"}],"at":"2026-03-02T09:00:00Z"}`,
		"InvoiceSent": `{"invoice_id":"` + uuid.NewString() + `","client_id":"` + f.client.String() + `","recipient":"ana@harbour.example","resent":false,"at":"2026-03-02T09:00:00Z"}`,
		"EmailQueued": `{"email_id":"` + uuid.NewString() + `","kind":"invoice_issued","to":"ana@harbour.example","to_name":"Ana Lima","subject":"Invoice INV-1","client_id":"` + f.client.String() + `","at":"2026-03-02T09:00:00Z"}`,
	}
	sealed := map[string][]byte{}
	for typ, data := range events {
		out, err := sealer.Seal(typ, []byte(data))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if bytes.Contains(out, []byte("ana@harbour.example")) || bytes.Contains(out, []byte("Ana Lima")) {
			t.Errorf("%s keeps its recipient in plain text: %s", typ, out)
		}
		if !bytes.Contains(out, []byte(f.client.String())) {
			t.Errorf("%s lost its client id: %s", typ, out)
		}
		sealed[typ] = out
	}
	if err := f.keys.Forget(f.client); err != nil {
		t.Fatal(err)
	}
	for typ, data := range sealed {
		out, err := sealer.Open(typ, data)
		if err != nil {
			t.Fatalf("%s after forget: %v", typ, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"recipient_email", "recipient", "to"} {
			if v, ok := doc[field]; ok && v != "" {
				t.Errorf("%s.%s after forget = %v, want erased", typ, field, v)
			}
		}
		if v, ok := doc["to_name"]; ok && v != pii.Erased {
			t.Errorf("%s.to_name after forget = %v, want %q", typ, v, pii.Erased)
		}
		if rs, ok := doc["recipients"].([]any); ok {
			r := rs[0].(map[string]any)
			if r["email"] != "" || r["name"] != pii.Erased {
				t.Errorf("%s.recipients after forget = %v, want erased", typ, r)
			}
		}
	}
}

// TestForgetByAnotherProcessTakesEffectAtOnce: a key this process holds in
// memory is refused the moment another process (remit client forget while
// remit serve runs) forgets the client.
func TestForgetByAnotherProcessTakesEffectAtOnce(t *testing.T) {
	dir := t.TempDir()
	serve, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Close() })
	cli, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	id := uuid.New()
	key, err := serve.Key(id, true)
	if err != nil || len(key) != 32 {
		t.Fatalf("make the key: %v (%d bytes)", err, len(key))
	}
	if again, err := serve.Key(id, false); err != nil || string(again) != string(key) {
		t.Fatalf("read the key again: %v", err)
	}
	if err := cli.Forget(id); err != nil {
		t.Fatal(err)
	}
	if got, err := serve.Key(id, false); !errors.Is(err, pii.ErrForgotten) || got != nil {
		t.Fatalf("after another process forgot the client: key %d bytes, err %v; want ErrForgotten", len(got), err)
	}
}

// A block of appends (what a billing run hands the store) goes through the
// wrapper in one request, sealed as any append: the wrapper is itself a
// MultiAppender, and the log holds no personal field in plain text.
func TestBlocksOfAppendsAreSealed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, err := f.store.ReadStream(ctx, client.StreamName(f.client), 0, eventstore.Forward, 1)
	if err != nil || len(created) != 1 {
		t.Fatalf("read the client's first event: %v %v", created, err)
	}
	if _, ok := eventstore.Store(f.store).(eventstore.MultiAppender); !ok {
		t.Fatal("the sealing store does not take blocks of appends")
	}
	var block []eventstore.StreamAppend
	for range 3 {
		e := eventstore.EventData{ID: uuid.New(), Type: created[0].Type, SchemaVersion: created[0].SchemaVersion, Data: created[0].Data}
		block = append(block, eventstore.StreamAppend{Stream: client.StreamName(uuid.New()), Expected: eventstore.NoStream, Events: []eventstore.EventData{e}})
	}
	head, err := f.raw.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := eventstore.AppendMany(ctx, f.store, block)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.Err != nil {
			t.Fatalf("append %d: %v", i, o.Err)
		}
	}
	recs, err := f.raw.ReadAll(ctx, head+1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil || len(recs) != 3 {
		t.Fatalf("the block wrote %d events (%v), want 3", len(recs), err)
	}
	for _, r := range recs {
		for _, p := range personal {
			if bytes.Contains(r.Data, []byte(p)) {
				t.Errorf("the block's event in %s holds %q in plain text", r.Stream, p)
			}
		}
		opened, err := f.store.ReadStream(ctx, r.Stream, 0, eventstore.Forward, 0)
		if err != nil || len(opened) != 1 || !bytes.Contains(opened[0].Data, []byte("Ana Lima")) {
			t.Errorf("reading %s through the wrapper: %v", r.Stream, err)
		}
	}
}
