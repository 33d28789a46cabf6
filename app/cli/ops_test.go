package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/sqlite"
	"remit/projections/rmdb"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// mustBilledStore sets up a firm with one client and two invoices (one
// paid), through the real billing service, and closes the store.
func mustBilledStore(tb testing.TB) (dir string, clientID, invoiceID uuid.UUID) {
	tb.Helper()
	ctx := context.Background()
	dir = tb.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	now := func() time.Time { return time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC) }
	svc := billing.New(billing.Config{Store: s, Now: now, NewID: uuid.New})
	meta := func(id string) billing.Meta { return billing.Meta{Actor: "user:test", CommandID: id} }
	must := mustOK(tb)
	must(svc.SetUpFirm(ctx, testFirm, meta("firm")))
	clientID = must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	line := []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}}
	invoiceID = must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: clientID, Lines: line}, meta("inv-1"))).ID
	paid := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: clientID, Lines: line}, meta("inv-2"))).ID
	must(svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: paid, Method: "bank_transfer", Reference: "EFT 1",
		Amount: decimal.NewFromInt(550), Date: domain.MustDate(2026, 3, 10)}, meta("pay")))
	return dir, clientID, invoiceID
}

func TestReplayAuditStreamReconcile(t *testing.T) {
	dir, _, invoiceID := mustBilledStore(t)

	code, out, errOut := run(t, "replay", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "clients:   1") || !strings.Contains(out, "invoices in all: 2") || !strings.Contains(out, "AUD 550.00") {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	// As of position 1 only the firm existed.
	if code, out, _ := run(t, "replay", "--data", dir, "--as-of", "1"); code != cli.ExitOK || !strings.Contains(out, "clients:   0") {
		t.Fatalf("replay as of 1: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "replay", "--data", dir, "--as-of", "last tuesday"); code != cli.ExitUsage || !strings.Contains(errOut, "--as-of") {
		t.Fatalf("bad --as-of: exit %d %s", code, errOut)
	}

	code, out, errOut = run(t, "audit", "stream", invoiceID.String(), "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "InvoiceIssued") || !strings.Contains(out, "user:test") || !strings.Contains(out, "stream invoice-"+invoiceID.String()) {
		t.Fatalf("audit stream: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := run(t, "audit", "stream", uuid.New().String(), "--data", dir); code != cli.ExitUsage {
		t.Fatalf("audit stream of an unknown id: exit %d", code)
	}

	code, out, errOut = run(t, "reconcile", "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "OK: everything agrees") {
		t.Fatalf("reconcile: exit %d\n%s\n%s", code, out, errOut)
	}
	// The read models were kept beside the store and are used again.
	if _, err := os.Stat(filepath.Join(dir, "readmodels.db")); err != nil {
		t.Fatalf("no read-model database: %v", err)
	}
	if code, out, _ := run(t, "reconcile", "--data", dir); code != cli.ExitOK {
		t.Fatalf("second reconcile: exit %d\n%s", code, out)
	}
}

func TestImportClientsCommand(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	good := filepath.Join(t.TempDir(), "contacts.csv")
	os.WriteFile(good, []byte("*ContactName,EmailAddress,FirstName,LastName\nBeta Co,ap@beta.example,Bo,Tan\nGamma Co,ap@gamma.example,,\n"), 0o600)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("ContactName,EmailAddress\nDelta Co,not-an-email\n"), 0o600)

	code, out, errOut := run(t, "import", "clients", bad, "--data", dir)
	if code != cli.ExitUsage || !strings.Contains(out, "row 2, column EmailAddress") {
		t.Fatalf("bad file: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "import", "clients", good, "--data", dir)
	if code != cli.ExitOK || !strings.Contains(out, "imported 2 clients") {
		t.Fatalf("good file: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run(t, "import", "clients", good, "--data", dir); code != cli.ExitOK || !strings.Contains(out, "imported 0 clients (2 already imported") {
		t.Fatalf("same file again: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "replay", "--data", dir); !strings.Contains(out, "clients:   3") {
		t.Fatalf("after import: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "import", "clients", filepath.Join(dir, "missing.csv"), "--data", dir); code != cli.ExitUsage || errOut == "" {
		t.Fatalf("missing file: exit %d %s", code, errOut)
	}
}

// TestReconcileReportsATamperedReadModel: a read model that no longer
// matches the log (its rows edited in the database) is reported, exit 1.
func TestReconcileReportsATamperedReadModel(t *testing.T) {
	dir, _, _ := mustBilledStore(t)
	if code, out, _ := run(t, "reconcile", "--data", dir); code != cli.ExitOK {
		t.Fatalf("first reconcile: exit %d\n%s", code, out)
	}
	if n := mustTamperReadModels(t, filepath.Join(dir, "readmodels.db"), "Acme Pty Ltd", "Acme Holdings"); n == 0 {
		t.Fatal("no read-model document holds the client's name as expected")
	}
	code, out, _ := run(t, "reconcile", "--data", dir)
	if code != cli.ExitProblem || !strings.Contains(out, "Acme Holdings") {
		t.Fatalf("tampered read model: exit %d\n%s", code, out)
	}
}

// mustTamperReadModels replaces from with to in the JSON documents of every
// read-model table (every table rm_… with a doc column) of the SQLite file
// at path, as someone editing the database behind Remit's back would, and
// returns how many documents changed.
func mustTamperReadModels(tb testing.TB, path, from, to string) int64 {
	tb.Helper()
	ctx := context.Background()
	db, err := rmdb.OpenSQLite(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, `SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name LIKE 'rm\_%' ESCAPE '\'
		AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'doc')`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var n int64
	err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		for _, table := range tables {
			n += tx.ExecCount(`UPDATE `+table+` SET doc = REPLACE(doc, ?, ?) WHERE doc LIKE ?`, from, to, "%"+from+"%")
		}
		return tx.Err()
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
