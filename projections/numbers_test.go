package projections

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/numbering"
)

// numberMismatches reconciles a fresh replay of the whole log and returns its
// invoice-number mismatches as "subject: detail" lines.
func numberMismatches(t *testing.T, e *env) (Report, []string) {
	t.Helper()
	rep, err := Reconcile(context.Background(), e.store, e.MustModels())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range rep.Mismatches {
		if m.Check != "invoice-number" {
			t.Errorf("unexpected mismatch %+v", m)
			continue
		}
		out = append(out, m.Subject+": "+m.Detail)
	}
	return rep, out
}

// TestReconcileNamesNumberGaps: reconciliation checks that every invoice
// number from the first to the last is one issued invoice or one recorded
// void, and names every number that is not: a number no one was given, a
// number reserved for an invoice never issued, a number given twice. (It used
// to check only that each invoice adds up, so a gap passed unseen.)
func TestModelsReconcileNamesNumberGaps(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	rep, got := numberMismatches(t, e)
	if len(got) != 0 || rep.Numbers != 5 || rep.NumbersVoided != 0 {
		t.Fatalf("clean log: %d numbers, %d void, mismatches %q", rep.Numbers, rep.NumbersVoided, got)
	}

	// A planted gap: INV-000007 reserved for an invoice never issued, and
	// INV-000006 given to no one.
	ghost := id("invoice/ghost")
	e.MustAppend(numbering.StreamName(), "planted", numbering.InvoiceNumberReserved{Number: "INV-000007", Sequence: 7, InvoiceID: ghost, At: e.clock.Now()})
	_, got = numberMismatches(t, e)
	if len(got) != 2 || !strings.HasPrefix(got[0], "INV-000006: missing") || !strings.HasPrefix(got[1], "INV-000007: reserved for invoice "+ghost.String()) {
		t.Fatalf("after planting a gap: %q", got)
	}

	// Its void explains INV-000007; INV-000006 stays an unexplained hole.
	e.MustAppend(invoice.StreamName(ghost), "repair", invoice.InvoiceAbandoned{InvoiceID: ghost, Number: "INV-000007", Reason: "never issued", At: e.clock.Now()})
	e.MustAppend(numbering.StreamName(), "repair", numbering.InvoiceNumberVoided{Number: "INV-000007", Sequence: 7, InvoiceID: ghost, Reason: "never issued", At: e.clock.Now()})
	rep, got = numberMismatches(t, e)
	if len(got) != 1 || !strings.HasPrefix(got[0], "INV-000006: missing") || rep.Numbers != 6 || rep.NumbersVoided != 1 {
		t.Fatalf("after the void: %d numbers, %d void, %q", rep.Numbers, rep.NumbersVoided, got)
	}

	// A number given twice, and a range of missing numbers.
	e.MustAppend(numbering.StreamName(), "planted",
		numbering.InvoiceNumberReserved{Number: "INV-000005", Sequence: 5, InvoiceID: id("invoice/twice"), At: e.clock.Now()},
		numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 10, InvoiceIDs: []uuid.UUID{inv5}, At: e.clock.Now()})
	_, got = numberMismatches(t, e)
	want := []string{"INV-000005: given twice", "INV-000006: missing", "INV-000008: missing, with the 2 numbers up to INV-000009", "INV-000010: reserved for invoice"}
	if len(got) != len(want) {
		t.Fatalf("mismatches %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("mismatch %d: %q, want %q…", i, got[i], want[i])
		}
	}
}
