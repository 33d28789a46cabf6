package projections

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestModelsBuildAsOf(t *testing.T) {
	e := newEnv(t)
	marks := e.fixture()
	ctx := context.Background()

	t.Run("ByPosition", func(t *testing.T) {
		m, pos, err := BuildAsOf(ctx, e.store, Bound{Position: marks["may"]})
		if err != nil {
			t.Fatal(err)
		}
		if pos != marks["may"] {
			t.Errorf("replayed to %d, want %d", pos, marks["may"])
		}
		// INV-000002 was issued in June: not there yet.
		if _, err := m.Invoice(t.Context(), inv2, today); err == nil {
			t.Error("INV-000002 exists as of May")
		}
		s, _ := m.Summary(t.Context(), acme, today)
		if got := moneyStrings(s.Outstanding); len(got) != 1 || got[0] != "AUD 60.00" {
			t.Errorf("outstanding as of May = %v, want [AUD 60.00]", got)
		}
	})
	t.Run("ByTime", func(t *testing.T) {
		// Everything recorded by the end of April: the proposal accepted,
		// no invoice yet (the first was recorded on 1 May).
		m, _, err := BuildAsOf(ctx, e.store, Bound{Time: time.Date(2025, 4, 30, 23, 59, 59, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := m.Summary(t.Context(), acme, today)
		if len(s.Proposals) != 1 || s.Proposals[0].Status != "accepted" || len(s.Outstanding) != 0 {
			t.Errorf("as of April: proposals %+v outstanding %v", s.Proposals, moneyStrings(s.Outstanding))
		}
		if len(s.Contacts) != 2 {
			t.Errorf("as of April: %d contacts, want 2 (Carol was added in May)", len(s.Contacts))
		}
		m, _, _ = BuildAsOf(ctx, e.store, Bound{Time: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)})
		s, _ = m.Summary(t.Context(), acme, today)
		if s.Proposals[0].Status != "sent" {
			t.Errorf("as of January the proposal is %s, want sent", s.Proposals[0].Status)
		}
		lines, _ := m.ActivityOf(t.Context(), SubjectClient, acme)
		for _, l := range lines {
			if strings.Contains(l.Text, "accepted") {
				t.Errorf("January activity shows %q", l.Text)
			}
		}
	})
}

func TestModelsReconcile(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	ctx := context.Background()
	m, r := e.mustLiveModels(RunnerOptions{})
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := Reconcile(ctx, e.store, m)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Projections != len(m.Specs()) || rep.Invoices != 5 {
		t.Fatalf("clean report = %+v", rep)
	}

	corruptInvoice(t, m, inv1)
	tamperDoc(t, m, "clients", "clients", beta.String(), func(r *clientRecord) { r.State.Name = "Beta Bakery (tampered)" })

	rep, err = Reconcile(ctx, e.store, m)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mm := range rep.Mismatches {
		switch {
		case mm.Check == "replay" && mm.Projection == "invoices" && strings.Contains(mm.Subject, inv1.String()):
			found["invoice replay"] = true
		case mm.Check == "replay" && mm.Projection == "clients" && strings.Contains(mm.Subject, beta.String()+"/state/Name"):
			found["client replay"] = true
			if !strings.Contains(mm.Detail, `live "Beta Bakery (tampered)", replay "Beta Bakery"`) {
				t.Errorf("detail = %q", mm.Detail)
			}
		case mm.Check == "invoice-balance" && strings.Contains(mm.Subject, "INV-000001"):
			found["balance"] = true
		}
	}
	for _, want := range []string{"invoice replay", "client replay", "balance"} {
		if !found[want] {
			t.Errorf("report lacks the %s mismatch: %+v", want, rep.Mismatches)
		}
	}
}
