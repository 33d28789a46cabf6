package billing_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/service"
	"remit/eventstore"
)

// countingStore records the appends made to each stream and where each read
// of a stream began.
type countingStore struct {
	eventstore.Store
	mu      sync.Mutex
	appends map[string]int
	reads   map[string][]uint64
}

func counting(s eventstore.Store) *countingStore {
	return &countingStore{Store: s, appends: map[string]int{}, reads: map[string][]uint64{}}
}

func (c *countingStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	c.mu.Lock()
	c.appends[stream]++
	c.mu.Unlock()
	return c.Store.Append(ctx, stream, exp, evs...)
}

func (c *countingStore) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	c.mu.Lock()
	c.reads[stream] = append(c.reads[stream], from)
	c.mu.Unlock()
	return c.Store.ReadStream(ctx, stream, from, dir, limit)
}

// TestHandleBatch: commands on several streams are decided in order per
// stream, each stream's events go in one append, a refused command leaves
// the others of its stream alone, and the same batch run again is answered
// as already applied and appends nothing.
func TestHandleBatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := counting(f.store)
	env := billing.Env{Store: store, Catalog: catalog.New()}
	a, b := uuid.New(), uuid.New()
	create := func(id uuid.UUID, name string) client.Command {
		return client.CreateClient{ClientID: id, Name: name, Kind: client.KindBusiness, Currency: domain.MustCurrency("AUD"),
			Contacts: []client.Contact{{ID: uuid.New(), Name: "Accounts", Email: "accounts@" + name + ".test"}}}
	}
	cmds := []billing.Command[client.Command]{
		{Stream: client.StreamName(a), Command: create(a, "acme"), Meta: meta("create-a")},
		{Stream: client.StreamName(b), Command: create(b, "brick"), Meta: meta("create-b")},
		// Refused: the client exists by now (decided after the command before it).
		{Stream: client.StreamName(a), Command: create(a, "acme"), Meta: meta("create-a-again")},
		{Stream: client.StreamName(a), Command: client.AddContact{ClientID: a, Contact: client.Contact{ID: uuid.New(), Name: "Bob"}}, Meta: meta("contact-a")},
	}
	d := clientDecider(client.Decide)
	outs, err := billing.HandleBatch(ctx, env, d, cmds, billing.HandleOptions[client.State]{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Err != nil || outs[1].Err != nil || outs[3].Err != nil {
		t.Fatalf("outcomes %+v", outs)
	}
	if domain.ErrorCode(outs[2].Err) == domain.EINTERNAL {
		t.Errorf("creating a client twice: %v, want a refusal", outs[2].Err)
	}
	if outs[0].Revision != 0 || outs[3].Revision != 1 || outs[1].Revision != 0 || len(outs[3].State.Contacts) != 2 {
		t.Errorf("revisions %d, %d, %d; contacts %d", outs[0].Revision, outs[3].Revision, outs[1].Revision, len(outs[3].State.Contacts))
	}
	if store.appends[client.StreamName(a)] != 1 || store.appends[client.StreamName(b)] != 1 {
		t.Errorf("appends %v, want one per stream", store.appends)
	}
	recs := f.events()
	if len(recs) != 3 || recs[1].ID != billing.EventID("contact-a", client.StreamName(a), 0) && recs[2].ID != billing.EventID("contact-a", client.StreamName(a), 0) {
		t.Errorf("stored %d events: %+v", len(recs), recs)
	}
	f.checkMetadata()

	head := f.head()
	again, err := billing.HandleBatch(ctx, env, d, []billing.Command[client.Command]{cmds[0], cmds[1], cmds[3]}, billing.HandleOptions[client.State]{})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range again {
		if o.Err != nil || !o.AlreadyApplied {
			t.Errorf("again %d: %+v", i, o)
		}
	}
	if h := f.head(); h != head {
		t.Errorf("a repeated batch appended %d events", h-head)
	}
}

// TestHandleBatchKnownState: a batch decided from a state the caller folded
// reads nothing; when that state is stale, the append conflicts and the
// stream is read and decided again.
func TestHandleBatchKnownState(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := counting(f.store)
	env := billing.Env{Store: store, Catalog: catalog.New()}
	id := uuid.New()
	stream := client.StreamName(id)
	d := clientDecider(client.Decide)
	created, err := billing.Handle(ctx, env, d, stream, client.Command(client.CreateClient{ClientID: id, Name: "Acme", Kind: client.KindBusiness,
		Currency: domain.MustCurrency("AUD"), Contacts: []client.Contact{{ID: uuid.New(), Name: "Accounts", Email: "a@acme.test"}}}), meta("create"))
	if err != nil {
		t.Fatal(err)
	}
	known := func(string) (client.State, uint64, bool, bool) { return created.State, created.Revision, true, true }
	add := func(cmd string) []billing.Command[client.Command] {
		return []billing.Command[client.Command]{{Stream: stream, Command: client.AddContact{ClientID: id, Contact: client.Contact{ID: uuid.New(), Name: cmd}}, Meta: meta(cmd)}}
	}
	delete(store.reads, stream)
	outs, err := billing.HandleBatch(ctx, env, d, add("bob"), billing.HandleOptions[client.State]{Known: known})
	if err != nil || outs[0].Err != nil || outs[0].Revision != 1 {
		t.Fatalf("%v %+v", err, outs)
	}
	if len(store.reads[stream]) != 0 {
		t.Errorf("reads %v of a stream whose state was given", store.reads[stream])
	}
	// Stale now: the known state is at revision 0.
	outs, err = billing.HandleBatch(ctx, env, d, add("carol"), billing.HandleOptions[client.State]{Known: known})
	if err != nil || outs[0].Err != nil || outs[0].Revision != 2 || len(outs[0].State.Contacts) != 3 {
		t.Fatalf("%v %+v", err, outs)
	}
	if len(store.reads[stream]) != 1 {
		t.Errorf("reads %v, want one after the conflict", store.reads[stream])
	}
	// With no more attempts than one, the conflict is the caller's.
	outs, err = billing.HandleBatch(ctx, env, d, add("dave"), billing.HandleOptions[client.State]{Known: known, Attempts: 1})
	if err != nil || !errors.Is(outs[0].Err, eventstore.ErrWrongExpectedVersion) || domain.ErrorCode(outs[0].Err) != domain.ECONFLICT {
		t.Errorf("%v %+v, want a conflict", err, outs)
	}
}

// TestServiceStateCache: a command on a service reads only the events after
// the state this Service folded last, not its whole history.
func TestServiceStateCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := counting(f.store)
	f.svc = billing.New(billing.Config{Store: store, Now: f.clock, NewID: f.newID})
	f.mustSetUpFirm()
	acme := f.mustCreateClient("Acme")
	id := f.mustActivate(acme, "Bookkeeping", false)
	stream := service.StreamName(id)
	for i := range 5 {
		f.ok(f.svc.SkipItem(ctx, billing.ItemRequest{ItemKey: service.ItemKey(id, i+1)}, meta("skip-"+string(rune('a'+i)))))
	}
	rev := f.ok(f.svc.SwitchItemToAutomatic(ctx, billing.ItemRequest{ItemKey: service.ItemKey(id, 7)}, meta("auto"))).Revision
	delete(store.reads, stream)
	f.ok(f.svc.SwitchItemToManual(ctx, billing.ItemRequest{ItemKey: service.ItemKey(id, 7)}, meta("manual")))
	reads := store.reads[stream]
	if len(reads) == 0 {
		t.Fatal("the command read nothing")
	}
	for _, from := range reads {
		if from != rev+1 {
			t.Errorf("the command read %s from revision %d, want %d (after the cached state)", stream, from, rev+1)
		}
	}
	// Another Service (another process) has no cache: it folds the stream.
	other := billing.New(billing.Config{Store: store, Now: f.clock, NewID: f.newID})
	delete(store.reads, stream)
	if _, err := other.SwitchItemToAutomatic(ctx, billing.ItemRequest{ItemKey: service.ItemKey(id, 7)}, meta("auto-again")); err != nil {
		t.Fatal(err)
	}
	if got := store.reads[stream]; len(got) == 0 || got[0] != 0 {
		t.Errorf("a fresh Service read %s from %v, want from 0", stream, got)
	}
}

// TestRecord: a process's own event is recorded through the handler under
// the id it names, only on the stream the process expects, and once.
func TestRecord(t *testing.T) {
	ctx, f, env, _, stream, e, eventID := recordCase(t)
	m := meta("record")
	res, err := billing.Record(ctx, env, stream, eventstore.NoStream, eventID, e, m)
	if err != nil || res.Appended != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if recs := f.events(); len(recs) != 1 || recs[0].ID != eventID || recs[0].Type != "ClientCreated" {
		t.Fatalf("stored %+v", recs)
	}
	f.checkMetadata()
	// The same record again: the stream is no longer as expected.
	if _, err := billing.Record(ctx, env, stream, eventstore.NoStream, eventID, e, m); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Errorf("recorded on a stream that exists: %v", err)
	}
	// Expecting any revision, the same id is answered as recorded before.
	res, err = billing.Record(ctx, env, stream, eventstore.Any, eventID, e, m)
	if err != nil || !res.AlreadyApplied {
		t.Errorf("the same event again: %+v %v", res, err)
	}
	if n := len(f.events()); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
	// Text from another system is recorded as it came (a ledger's error
	// quoting a 16-digit id that passes the card check, say).
	other := uuid.New()
	quoted := client.ClientCreated{ClientID: other, Name: "realm 4111 1111 1111 1111", Kind: client.KindBusiness}
	if _, err := billing.Record(ctx, env, client.StreamName(other), eventstore.NoStream, uuid.NewSHA1(other, []byte("created")), quoted, m); err != nil {
		t.Errorf("recording another system's text: %v", err)
	}
}

// TestRetryOnACachedServiceIsAlreadyApplied: a command retried under its
// command id on a Service whose cache holds the state after its first run
// is answered with the first run's result, not refused for what the first
// run did ("already ended").
func TestRetryOnACachedServiceIsAlreadyApplied(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	acme := f.mustCreateClient("Acme")
	id := f.mustActivate(acme, "Bookkeeping", false)
	first := f.ok(f.svc.EndService(ctx, billing.ServiceRef{ServiceID: id}, meta("end")))
	again, err := f.svc.EndService(ctx, billing.ServiceRef{ServiceID: id}, meta("end"))
	if err != nil {
		t.Fatalf("the retry was refused: %v", err)
	}
	if !again.AlreadyApplied || again.Revision != first.Revision || again.Position != first.Position {
		t.Errorf("retry: %+v, want the first run's result %+v, already applied", again, first)
	}
}

// TestHandleBatchKnownStates: a batch decided from states the caller knows
// (in blocks) leaves each stream's state after all its commands in the
// Decider's cache, and answers each command's state after it; with
// NoStates it answers where each command's events landed and no state.
func TestHandleBatchKnownStates(t *testing.T) {
	for _, noStates := range []bool{false, true} {
		ctx := context.Background()
		f := newFixture(t)
		env := billing.Env{Store: f.store, Catalog: catalog.New()}
		d := clientDecider(client.Decide)
		d.Cache = billing.NewStreamsCache[client.State](16)
		a, b := uuid.New(), uuid.New()
		var cmds []billing.Command[client.Command]
		for _, id := range []uuid.UUID{a, b} {
			cmds = append(cmds,
				billing.Command[client.Command]{Stream: client.StreamName(id), Meta: meta("create-" + id.String()), Command: client.CreateClient{
					ClientID: id, Name: "Acme", Kind: client.KindBusiness, Currency: domain.MustCurrency("AUD"),
					Contacts: []client.Contact{{ID: uuid.New(), Name: "Accounts", Email: "accounts@acme.test"}}}},
				billing.Command[client.Command]{Stream: client.StreamName(id), Meta: meta("contact-" + id.String()),
					Command: client.AddContact{ClientID: id, Contact: client.Contact{ID: uuid.New(), Name: "Bob"}}})
		}
		known := func(string) (client.State, uint64, bool, bool) { return client.State{}, 0, false, true }
		outs, err := billing.HandleBatch(ctx, env, d, cmds, billing.HandleOptions[client.State]{Workers: 4, Known: known, NoStates: noStates})
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if o.Err != nil || o.Revision != uint64(i%2) || o.Appended != 1 || !o.Exists || o.Position == 0 || len(o.Events) != 1 {
				t.Fatalf("NoStates %v: outcome %d: %+v", noStates, i, o.Result)
			}
			switch contacts := len(o.State.Contacts); {
			case noStates && (contacts != 0 || o.State.ID != uuid.Nil):
				t.Errorf("NoStates: outcome %d has a state (%d contacts)", i, contacts)
			case !noStates && contacts != 1+i%2:
				t.Errorf("outcome %d: %d contacts, want %d", i, contacts, 1+i%2)
			}
		}
		for _, id := range []uuid.UUID{a, b} {
			st, rev, ok := d.Cache.Get(client.StreamName(id))
			if !ok || rev != 1 || len(st.Contacts) != 2 {
				t.Errorf("NoStates %v: cached %v at %d with %d contacts, want the state after both commands at 1", noStates, ok, rev, len(st.Contacts))
			}
		}
	}
}

// recordCase is what the record tests record: a new client's ClientCreated
// on its own stream, under an id derived from the client's.
func recordCase(t *testing.T) (context.Context, *fixture, billing.Env, uuid.UUID, string, client.ClientCreated, uuid.UUID) {
	t.Helper()
	f := newFixture(t)
	id := uuid.New()
	return context.Background(), f, billing.Env{Store: f.store, Catalog: catalog.New()}, id, client.StreamName(id),
		client.ClientCreated{ClientID: id, Name: "Acme", Kind: client.KindBusiness}, uuid.NewSHA1(id, []byte("created"))
}

// TestRecordNew: a record on a stream expected new is made without reading
// the stream, and still only once: a stream made meanwhile (by the same
// record or another) refuses it, and nothing more is appended.
func TestRecordNew(t *testing.T) {
	ctx, f, env, id, stream, e, eventID := recordCase(t)
	m := meta("record-new")
	res, err := billing.RecordNew(ctx, env, stream, []uuid.UUID{eventID}, []domain.Event{e}, m)
	if err != nil || res.Appended != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if recs := f.events(); len(recs) != 1 || recs[0].ID != eventID || recs[0].Type != "ClientCreated" {
		t.Fatalf("stored %+v", recs)
	}
	f.checkMetadata()
	// The same record again (a repeated trigger): the store answers it as
	// made (its ids, in order, are where it would write them) and stores
	// nothing more.
	if res, err := billing.RecordNew(ctx, env, stream, []uuid.UUID{eventID}, []domain.Event{e}, m); err != nil || res.Revision != 0 {
		t.Errorf("the same record again: %+v %v, want answered as made at revision 0", res, err)
	}
	// Another record on the stream (another process's): refused.
	renamed := client.ClientCreated{ClientID: id, Name: "Acme Two", Kind: client.KindBusiness}
	if _, err := billing.RecordNew(ctx, env, stream, []uuid.UUID{uuid.NewSHA1(id, []byte("other"))}, []domain.Event{renamed}, meta("record-other")); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Errorf("recorded on a stream that exists: %v", err)
	}
	// A longer record starting with the one stored (an earlier try that
	// recorded less): refused as the stream not being new, as RecordAll
	// refuses it.
	more := []uuid.UUID{eventID, uuid.NewSHA1(id, []byte("more"))}
	if _, err := billing.RecordNew(ctx, env, stream, more, []domain.Event{e, renamed}, m); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Errorf("a longer record over a shorter one: %v, want a wrong expected version", err)
	}
	if n := len(f.events()); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
}

// TestRecordNewMany: records on several new streams are made together,
// each answered as RecordNew answers it alone: a new stream is recorded,
// the same record made again is answered as made, a stream someone else
// made is refused, and a stream named twice in the group is refused the
// second time; nothing refused is stored, and nothing is read to record a
// new stream.
func TestRecordNewMany(t *testing.T) {
	f := newFixture(t)
	ctx, cs := context.Background(), counting(f.store)
	env := billing.Env{Store: cs, Catalog: catalog.New()}
	rec := func(name string) billing.NewRecord {
		id := uuid.NewSHA1(uuid.Nil, []byte(name))
		return billing.NewRecord{
			Stream: client.StreamName(id), IDs: []uuid.UUID{uuid.NewSHA1(id, []byte("created"))},
			Events: []domain.Event{client.ClientCreated{ClientID: id, Name: name, Kind: client.KindBusiness}}, Meta: meta("record-" + name),
		}
	}
	made, taken := rec("made before"), rec("taken")
	if _, err := billing.RecordNew(ctx, env, made.Stream, made.IDs, made.Events, made.Meta); err != nil {
		t.Fatal(err)
	}
	other := taken
	other.IDs = []uuid.UUID{uuid.NewSHA1(uuid.Nil, []byte("another process"))}
	if _, err := billing.RecordNew(ctx, env, other.Stream, other.IDs, other.Events, other.Meta); err != nil {
		t.Fatal(err)
	}
	fresh := rec("fresh")
	recs := []billing.NewRecord{rec("first"), made, taken, fresh, fresh}
	res, errs, err := billing.RecordNewMany(ctx, env, recs)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || res[0].Appended != 1 || errs[3] != nil || res[3].Appended != 1 {
		t.Errorf("new streams: %+v %v, %+v %v; want each recorded", res[0], errs[0], res[3], errs[3])
	}
	if errs[1] != nil || res[1].Revision != 0 {
		t.Errorf("the same record again: %+v %v, want answered as made at revision 0", res[1], errs[1])
	}
	if !errors.Is(errs[2], eventstore.ErrWrongExpectedVersion) {
		t.Errorf("a stream another process made: %v, want a wrong expected version", errs[2])
	}
	if errs[4] == nil {
		t.Error("a stream named twice was recorded twice")
	}
	if n := len(f.events()); n != 4 {
		t.Errorf("%d events stored, want 4 (two before, two new)", n)
	}
	for _, r := range []billing.NewRecord{recs[0], fresh} {
		if reads := cs.reads[r.Stream]; len(reads) != 0 {
			t.Errorf("%s was read %d times to record it new", r.Stream, len(reads))
		}
	}
}
