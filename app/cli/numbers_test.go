package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/app/cli"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// TestReconcileNamesInvoiceNumberGaps: `remit reconcile` checks that every
// invoice number is one issued invoice or one recorded void. A number
// reserved by a request that died before issuing its invoice makes it exit 1
// naming the number; `remit bill` then voids the number with its reason (it
// is older than 10 minutes), after which reconcile agrees again. A number no
// one was given is a gap no run can explain, named too.
func TestReconcileNamesInvoiceNumberGaps(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	if code, out, _ := run(t, "reconcile", "--data", dir); code != cli.ExitOK || !strings.Contains(out, "2 invoice numbers (0 void)") {
		t.Fatalf("reconcile: exit %d\n%s", code, out)
	}

	plant := func(e numbering.InvoiceNumberReserved) {
		t.Helper()
		s, err := sqlite.Open(dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		data, _ := json.Marshal(e)
		if _, err := s.Append(context.Background(), numbering.StreamName(), eventstore.Any, eventstore.EventData{
			ID: uuid.New(), Type: e.EventType(), SchemaVersion: 1, Data: data, Metadata: eventstore.Metadata{Actor: "user:test", CommandID: "killed"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	plant(numbering.InvoiceNumberReserved{Number: "INV-000003", Sequence: 3, InvoiceID: uuid.New(), At: time.Now().Add(-time.Hour)})
	code, out, _ := run(t, "reconcile", "--data", dir)
	if code != cli.ExitProblem || !strings.Contains(out, "INV-000003") || !strings.Contains(out, "no invoice was issued with it") {
		t.Fatalf("reconcile with a stranded number: exit %d\n%s", code, out)
	}

	if code, out, errOut := run(t, "bill", "--data", dir); code != cli.ExitOK || !strings.Contains(out, "1 stranded invoice number voided") {
		t.Fatalf("bill: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run(t, "reconcile", "--data", dir); code != cli.ExitOK || !strings.Contains(out, "3 invoice numbers (1 void)") {
		t.Fatalf("reconcile after the run voided it: exit %d\n%s", code, out)
	}

	plant(numbering.InvoiceNumberReserved{Number: "INV-000005", Sequence: 5, InvoiceID: uuid.New(), At: time.Now()})
	code, out, _ = run(t, "reconcile", "--data", dir)
	if code != cli.ExitProblem || !strings.Contains(out, "INV-000004") || !strings.Contains(out, "missing") {
		t.Fatalf("reconcile with a planted gap: exit %d, want 1 naming INV-000004\n%s", code, out)
	}
}
