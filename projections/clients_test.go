package projections

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
	"remit/domain/proposal"
	"remit/projections/rmdb"
)

// clientsLog feeds a projection (generation 1, served by the views) as the
// runner would: each add is one batch in one transaction, at increasing
// positions, with each stream's revisions counted.
type clientsLog struct {
	t    *testing.T
	db   *rmdb.DB
	p    Projection
	pos  uint64
	revs map[string]uint64
}

// newClientsLog creates p's tables (generation 1) and serves them.
func newClientsLog(t *testing.T, db *rmdb.DB, p Projection) *clientsLog {
	t.Helper()
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		tx.CreateTables(1, p.Tables())
		tx.ServeViews(1, p.Tables())
		return tx.Err()
	})
	if err != nil {
		t.Fatalf("create tables: %v", err)
	}
	return &clientsLog{t: t, db: db, p: p, revs: map[string]uint64{}}
}

// add applies events of one stream as one batch and returns the position
// of the last.
func (l *clientsLog) add(stream string, events ...domain.Event) uint64 {
	l.t.Helper()
	tx, err := l.db.Begin(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	for _, ev := range events {
		l.pos++
		rev, seen := l.revs[stream]
		if seen {
			rev++
		}
		l.revs[stream] = rev
		l.p.Apply(tx, Event{ID: uuid.New(), Position: l.pos, Stream: stream, Revision: rev, Type: ev.EventType(), Data: ev})
	}
	l.p.Flush(tx)
	if err := tx.Commit(); err != nil {
		l.p.Discard()
		l.t.Fatalf("apply to %s: %v", stream, err)
	}
	return l.pos
}

var (
	clientsAUD                   = domain.MustCurrency("AUD")
	clientsAcme, clientsBeta     = id("client/acme"), id("client/beta")
	clientsZeta                  = id("client/zeta")
	clientsJane, clientsBob      = id("contact/jane"), id("contact/bob")
	clientsZed, clientsBetty     = id("contact/zed"), id("contact/betty")
	clientsVisa, clientsProposal = id("pm/visa"), id("proposal/1")
)

// clientsFixture writes the clients part of the old models fixture: three
// clients (one archived), Acme's proposal, sent then accepted, and a
// contact added later.
func clientsFixture(l *clientsLog) {
	l.add(client.StreamName(clientsAcme),
		client.ClientCreated{ClientID: clientsAcme, Name: "Acme Pty Ltd", Kind: client.KindBusiness, Currency: clientsAUD, PrimaryContactID: clientsJane,
			Contacts: []client.Contact{{ID: clientsJane, Name: "Jane Doe", Email: "jane@acme.test"}, {ID: clientsBob, Name: "Bob Roe", Email: "bob@acme.test"}}},
		client.PaymentMethodAdded{ClientID: clientsAcme, PaymentMethodID: clientsVisa, Method: client.PaymentMethodDetails{Kind: client.MethodCard,
			Gateway: "sandbox", GatewayToken: "tok_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 8, ExpiryYear: 2027}},
		client.PaymentMethodSetAsDefault{ClientID: clientsAcme, PaymentMethodID: clientsVisa},
	)
	l.add(client.StreamName(clientsBeta),
		client.ClientCreated{ClientID: clientsBeta, Name: "Beta Bakery", Kind: client.KindBusiness, Currency: clientsAUD, PrimaryContactID: clientsBetty,
			Contacts: []client.Contact{{ID: clientsBetty, Name: "Betty Baker", Email: "betty@beta.test"}}},
	)
	l.add(client.StreamName(clientsZeta),
		client.ClientCreated{ClientID: clientsZeta, Name: "Zeta Zinc", Kind: client.KindBusiness, Currency: clientsAUD, PrimaryContactID: clientsZed,
			Contacts: []client.Contact{{ID: clientsZed, Name: "Zed Zane", Email: "zed@zeta.test"}}},
		client.ClientArchived{ClientID: clientsZeta, Reason: "moved to another firm"},
	)
	l.add(proposal.StreamName(clientsProposal),
		proposal.ProposalDrafted{ProposalID: clientsProposal, ClientID: clientsAcme, Title: "Monthly bookkeeping", Currency: clientsAUD,
			Lines: []proposal.Line{{ID: id("pline/1"), Name: "Bookkeeping", UnitPrice: decidertest.Dec("100"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("10"), Automatic: true}}},
		proposal.ProposalSent{ProposalID: clientsProposal, RecipientEmail: "jane@acme.test"},
	)
	l.add(proposal.StreamName(clientsProposal),
		proposal.ProposalAccepted{ProposalID: clientsProposal, ClientID: clientsAcme, AcceptedByName: "Jane Doe", AcceptedByEmail: "jane@acme.test",
			SignatureName: "Jane Doe", AcceptedOn: domain.MustDate(2025, 4, 20), PaymentMethodID: clientsVisa, Currency: clientsAUD},
	)
	l.add(client.StreamName(clientsAcme),
		client.ClientContactAdded{ClientID: clientsAcme, Contact: client.Contact{ID: id("contact/carol"), Name: "Carol Coe", Email: "carol@acme.test"}})
}

// clientsInvoicesTable stands in for the invoices projection's table: the
// columns the clients list's has_overdue filter reads.
func clientsInvoicesTable(t *testing.T, db *rmdb.DB, rows ...[]any) {
	t.Helper()
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		tables := []rmdb.Table{{Name: "invoices", Columns: []string{"key TEXT PRIMARY KEY", "doc TEXT NOT NULL", "client_id TEXT",
			"issued BIGINT", "issue_date TEXT", "number TEXT", "due_date TEXT", "status TEXT", "open BIGINT", "currency TEXT", "outstanding TEXT"}}}
		tx.CreateTables(1, tables)
		tx.ServeViews(1, tables)
		for _, r := range rows {
			tx.Exec(`INSERT INTO rm_invoices_g1 (key, doc, client_id, issued, due_date, open) VALUES (?, '{}', ?, 1, ?, ?)`, r...)
		}
		// And each client's earliest open due date, as the projection keeps it.
		due := []rmdb.Table{invoicesDueSpec()}
		tx.CreateTables(1, due)
		tx.ServeViews(1, due)
		tx.Exec(`INSERT INTO rm_invoices_due_g1 (client_id, first_due) SELECT client_id, MIN(due_date) FROM rm_invoices_g1 WHERE open = 1 GROUP BY client_id`)
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestClientsGet(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		clientsFixture(newClientsLog(t, db, newClients(db, 1)))
		p := newClients(db, 0)

		rec, props, ok, err := p.get(ctx, clientsAcme)
		if err != nil || !ok {
			t.Fatalf("get acme: ok=%v err=%v", ok, err)
		}
		st := rec.State
		if st.Name != "Acme Pty Ltd" || st.Currency != clientsAUD || st.Archived || rec.Revision != 3 {
			t.Errorf("details = %q %s archived=%v revision=%d", st.Name, st.Currency, st.Archived, rec.Revision)
		}
		var contacts []string
		for _, c := range st.Contacts {
			contacts = append(contacts, c.Name+map[bool]string{true: "*"}[c.ID == st.PrimaryContactID])
		}
		if want := []string{"Jane Doe*", "Bob Roe", "Carol Coe"}; !slices.Equal(contacts, want) {
			t.Errorf("contacts = %v, want %v (primary starred)", contacts, want)
		}
		if len(st.PaymentMethods) != 1 || st.DefaultPaymentMethodID != clientsVisa ||
			methodView(st.PaymentMethods[0], st.DefaultPaymentMethodID).Label != "Visa •••• 4242, expires 08/2027" {
			t.Errorf("payment methods = %+v", st.PaymentMethods)
		}
		if len(props) != 1 || props[0].State.Status != proposal.StatusAccepted || props[0].State.Title != "Monthly bookkeeping" || props[0].Revision != 2 {
			t.Errorf("proposals = %+v", props)
		}

		if _, _, ok, err := p.get(ctx, id("client/nobody")); ok || err != nil {
			t.Errorf("unknown client: ok=%v err=%v", ok, err)
		}
		if ok, err := p.exists(ctx, clientsAcme); !ok || err != nil {
			t.Errorf("exists(acme) = %v, %v", ok, err)
		}
		if ok, err := p.exists(ctx, id("client/nobody")); ok || err != nil {
			t.Errorf("exists(nobody) = %v, %v", ok, err)
		}
		if def, err := p.defaultMethod(ctx, clientsAcme); def != clientsVisa || err != nil {
			t.Errorf("defaultMethod(acme) = %v, %v", def, err)
		}
		if def, err := p.defaultMethod(ctx, clientsBeta); def != uuid.Nil || err != nil {
			t.Errorf("defaultMethod(beta) = %v, %v", def, err)
		}
		if def, err := p.defaultMethod(ctx, id("client/nobody")); def != uuid.Nil || err != nil {
			t.Errorf("defaultMethod(nobody) = %v, %v", def, err)
		}
		names := map[uuid.UUID]string{clientsAcme: "", clientsZeta: "", id("client/nobody"): ""}
		if err := p.names(ctx, names); err != nil {
			t.Fatal(err)
		}
		want := map[uuid.UUID]string{clientsAcme: "Acme Pty Ltd", clientsZeta: "Zeta Zinc", id("client/nobody"): ""}
		for id, n := range want {
			if names[id] != n {
				t.Errorf("names[%s] = %q, want %q", id, names[id], n)
			}
		}
		if err := p.names(ctx, map[uuid.UUID]string{}); err != nil {
			t.Errorf("names of none: %v", err)
		}
	})
}

// A proposal drafted for a client not yet seen lists under it once the
// client exists; a client's proposals come in drafting order.
func TestClientsProposalsInDraftingOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		l := newClientsLog(t, db, newClients(db, 1))
		late := id("client/late")
		draft := func(pid uuid.UUID, title string) {
			l.add(proposal.StreamName(pid), proposal.ProposalDrafted{ProposalID: pid, ClientID: late, Title: title, Currency: clientsAUD})
		}
		// Drafted in the order b, a, c: ids sort otherwise.
		pa, pb, pc := id("proposal/a"), id("proposal/b"), id("proposal/c")
		draft(pb, "first")
		p := newClients(db, 0)
		if _, _, ok, err := p.get(ctx, late); ok || err != nil {
			t.Fatalf("a client known only from a proposal: ok=%v err=%v", ok, err)
		}
		if ok, _ := p.exists(ctx, late); ok {
			t.Fatal("a client known only from a proposal exists")
		}
		draft(pa, "second")
		l.add(client.StreamName(late), client.ClientCreated{ClientID: late, Name: "Late Ltd", Currency: clientsAUD})
		draft(pc, "third")
		l.add(proposal.StreamName(pb), proposal.ProposalSent{ProposalID: pb, RecipientEmail: "x@late.test"})
		_, props, ok, err := p.get(ctx, late)
		if err != nil || !ok {
			t.Fatalf("get: ok=%v err=%v", ok, err)
		}
		var titles []string
		for _, pr := range props {
			titles = append(titles, pr.State.Title+"/"+string(pr.State.Status))
		}
		if want := []string{"first/sent", "second/draft", "third/draft"}; !slices.Equal(titles, want) {
			t.Errorf("proposals = %v, want %v", titles, want)
		}
		// A client without proposals has an empty list.
		l.add(client.StreamName(clientsBeta), client.ClientCreated{ClientID: clientsBeta, Name: "Beta", Currency: clientsAUD})
		if _, props, _, _ := p.get(ctx, clientsBeta); props == nil || len(props) != 0 {
			t.Errorf("beta's proposals = %#v, want empty", props)
		}
	})
}

func TestClientsList(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		l := newClientsLog(t, db, newClients(db, 1))
		clientsFixture(l)
		// Ten more clients, for paging.
		for i := range 10 {
			cid := id("client/extra/" + string(rune('a'+i)))
			l.add(client.StreamName(cid), client.ClientCreated{ClientID: cid, Name: "Extra " + string(rune('A'+i)), Currency: clientsAUD})
		}
		// The fixture's invoices as the invoices table has them: INV-1 half
		// paid and due 2025-05-15, INV-2 due 2025-06-30, INV-3 void and INV-4
		// paid (both due in May, closed), Beta's INV-5 due 2025-07-02.
		clientsInvoicesTable(t, db,
			[]any{id("invoice/1").String(), clientsAcme.String(), "2025-05-15", 1},
			[]any{id("invoice/2").String(), clientsAcme.String(), "2025-06-30", 1},
			[]any{id("invoice/3").String(), clientsAcme.String(), "2025-05-16", 0},
			[]any{id("invoice/4").String(), clientsAcme.String(), "2025-05-17", 0},
			[]any{id("invoice/5").String(), clientsBeta.String(), "2025-07-02", 1},
		)
		p := newClients(db, 0)
		today := domain.MustDate(2025, 6, 15)
		tests := []struct {
			name  string
			q     ClientQuery
			want  []string
			total int
		}{
			{"SearchByName", ClientQuery{Search: "acme"}, []string{"Acme Pty Ltd"}, 1},
			{"SearchByContactEmail", ClientQuery{Search: "BETTY@beta"}, []string{"Beta Bakery"}, 1},
			{"SearchByContactName", ClientQuery{Search: " carol "}, []string{"Acme Pty Ltd"}, 1},
			{"SearchAcrossFieldsMatchesNothing", ClientQuery{Search: "ltd\njane"}, nil, 0},
			{"Archived", ClientQuery{Filter: ClientsArchived}, []string{"Zeta Zinc"}, 1},
			{"ActiveExcludesArchived", ClientQuery{Filter: ClientsActive, Search: "z"}, nil, 0},
			{"HasOverdue", ClientQuery{Filter: ClientsHasOverdue, Today: today}, []string{"Acme Pty Ltd"}, 1},
			{"HasOverdueBeforeDue", ClientQuery{Filter: ClientsHasOverdue, Today: domain.MustDate(2025, 5, 1)}, nil, 0},
			{"HasOverdueOnTheDueDate", ClientQuery{Filter: ClientsHasOverdue, Today: domain.MustDate(2025, 5, 15)}, nil, 0},
			{"HasOverdueLater", ClientQuery{Filter: ClientsHasOverdue, Today: domain.MustDate(2025, 7, 3)}, []string{"Acme Pty Ltd", "Beta Bakery"}, 2},
			{"FirstPage", ClientQuery{Paging: Paging{Limit: 3}}, []string{"Acme Pty Ltd", "Beta Bakery", "Extra A"}, 13},
			{"SecondPage", ClientQuery{Paging: Paging{Offset: 3, Limit: 3}}, []string{"Extra B", "Extra C", "Extra D"}, 13},
			{"LastPage", ClientQuery{Paging: Paging{Offset: 11, Limit: 3}}, []string{"Extra J", "Zeta Zinc"}, 13},
			{"PastTheEnd", ClientQuery{Paging: Paging{Offset: 20, Limit: 3}}, nil, 13},
			{"NegativeOffset", ClientQuery{Search: "bakery", Paging: Paging{Offset: -4}}, []string{"Beta Bakery"}, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				states, total, err := p.list(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, st := range states {
					got = append(got, st.Name)
				}
				if !slices.Equal(got, tt.want) || total != tt.total {
					t.Errorf("got %v (total %d), want %v (total %d)", got, total, tt.want, tt.total)
				}
			})
		}
		states, _, err := p.list(ctx, ClientQuery{Search: "acme", Today: today})
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := states[0].PrimaryContact(); !ok || c.Email != "jane@acme.test" || states[0].ID != clientsAcme {
			t.Errorf("acme row = %+v", states[0])
		}
	})
}

// The list sorts by name case-insensitively then by id; the search takes
// % and _ literally and folds case beyond ASCII as Go does; an edit or a
// removed contact changes what the search finds.
func TestClientsListSortAndSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		l := newClientsLog(t, db, newClients(db, 1))
		mk := func(key, name string, contacts ...client.Contact) uuid.UUID {
			cid := id("client/" + key)
			l.add(client.StreamName(cid), client.ClientCreated{ClientID: cid, Name: name, Currency: clientsAUD, Contacts: contacts})
			return cid
		}
		mk("b", "beta")
		mk("a", "Alpha")
		mk("c", "ÉCOLE 100% Sud")
		twin1, twin2 := mk("t1", "Twin"), mk("t2", "twin")
		under := mk("u", "under_score", client.Contact{ID: id("contact/u"), Name: "Ünal", Email: "u@x.test"})
		mk("zz", "zz", client.Contact{ID: id("contact/z"), Name: "Zed", Email: "zed@x.test"})
		p := newClients(db, 0)
		list := func(search string) []string {
			t.Helper()
			states, total, err := p.list(ctx, ClientQuery{Search: search})
			if err != nil {
				t.Fatal(err)
			}
			if total != len(states) {
				t.Errorf("search %q: total %d, %d rows", search, total, len(states))
			}
			var out []string
			for _, st := range states {
				out = append(out, st.Name)
			}
			return out
		}
		twins := []string{"Twin", "twin"}
		if twin2.String() < twin1.String() {
			twins = []string{"twin", "Twin"}
		}
		want := append(append([]string{"Alpha", "beta"}, twins...), "under_score", "zz", "ÉCOLE 100% Sud")
		if got := list(""); !slices.Equal(got, want) {
			t.Errorf("order = %v, want %v", got, want)
		}
		for search, want := range map[string][]string{
			"%":       {"ÉCOLE 100% Sud"},
			"0% s":    {"ÉCOLE 100% Sud"},
			"_":       {"under_score"},
			"r_s":     {"under_score"},
			"école":   {"ÉCOLE 100% Sud"},
			"ünal":    {"under_score"},
			"ZED@X":   {"zz"},
			`\`:       nil,
			"a":       {"Alpha", "beta", "under_score"},
			"nothing": nil,
		} {
			if got := list(search); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", search, got, want)
			}
		}
		l.add(client.StreamName(under), client.ClientContactRemoved{ClientID: under, ContactID: id("contact/u")},
			client.ClientDetailsChanged{ClientID: under, Name: "Other", Currency: clientsAUD})
		if got := list("ünal"); got != nil {
			t.Errorf("after the contact was removed: %v", got)
		}
		if got := list("other"); !slices.Equal(got, []string{"Other"}) {
			t.Errorf("after the rename: %v", got)
		}
		l.add(client.StreamName(under), client.ClientArchived{ClientID: under}, client.ClientRestored{ClientID: under})
		if states, _, _ := p.list(ctx, ClientQuery{Filter: ClientsArchived}); len(states) != 0 {
			t.Errorf("archived after restore: %v", states)
		}
	})
}

// A batch that rolls back leaves nothing behind, in the tables or in the
// writer's cache.
func TestClientsDiscard(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		w := newClients(db, 1)
		l := newClientsLog(t, db, w)
		l.add(client.StreamName(clientsAcme), client.ClientCreated{ClientID: clientsAcme, Name: "Acme", Currency: clientsAUD})
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.Apply(tx, Event{Position: 99, Stream: client.StreamName(clientsAcme), Revision: 1,
			Data: client.ClientDetailsChanged{ClientID: clientsAcme, Name: "Renamed", Currency: clientsAUD}})
		w.Flush(tx)
		tx.Rollback()
		w.Discard()
		l.add(client.StreamName(clientsAcme), client.ClientArchived{ClientID: clientsAcme})
		rec, _, ok, err := newClients(db, 0).get(ctx, clientsAcme)
		if err != nil || !ok || rec.State.Name != "Acme" || !rec.State.Archived {
			t.Errorf("after a rolled back batch: %+v ok=%v err=%v", rec.State, ok, err)
		}
	})
}
