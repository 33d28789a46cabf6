package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/eventstore/postgres/pgtest"
	"remit/eventstore/sqlite"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// fillBilling appends a small real history through the command handler: a
// firm, a client, a proposal of 690 a month, and more clients after it.
func fillBilling(tb testing.TB, dir string) {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	svc := billing.New(billing.Config{Store: s})
	ok := mustOK(tb)
	ok(svc.SetUpFirm(ctx, testFirm, billing.Meta{Actor: "staff", CommandID: "firm"}))
	contacts := func() []client.Contact {
		return []client.Contact{{ID: uuid.New(), Name: "Ana Lima", Email: "ana@harbour.example"}}
	}
	cl := ok(svc.CreateClient(ctx, billing.ClientRequest{Name: "Harbour Cafe", Kind: client.KindBusiness, Contacts: contacts()}, billing.Meta{Actor: "staff", CommandID: "c1"})).ID
	ok(svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: cl, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}},
	}}, billing.Meta{Actor: "staff", CommandID: "p1"}))
	for i := range 3 {
		ok(svc.CreateClient(ctx, billing.ClientRequest{Name: "Client " + uuid.NewString(), Kind: client.KindBusiness, Contacts: contacts()}, billing.Meta{Actor: "staff", CommandID: "more" + string(rune('a'+i))}))
	}
}

// rechain does what the docs say anyone who can write the data folder can
// do: rewrite the proposal's amount (690 to 960) in events.db and recompute
// the hash of that event and of every later one, so the chain is intact again.
func rechain(tb testing.TB, dir string) {
	tb.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var pos uint64
	if err := db.QueryRow(`SELECT position FROM events WHERE type LIKE 'Proposal%' ORDER BY position LIMIT 1`).Scan(&pos); err != nil {
		tb.Fatal(err)
	}
	res, err := db.Exec(`UPDATE events SET envelope = CAST(replace(envelope, CAST('690' AS BLOB), CAST('960' AS BLOB)) AS BLOB) WHERE position = ? AND instr(envelope, CAST('690' AS BLOB)) > 0`, pos)
	if err != nil {
		tb.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		tb.Fatalf("the amount 690 is not in event %d", pos)
	}
	var prev []byte
	if err := db.QueryRow(`SELECT hash FROM events WHERE position = ?`, pos-1).Scan(&prev); err != nil {
		tb.Fatal(err)
	}
	rows, err := db.Query(`SELECT position, envelope FROM events WHERE position >= ? ORDER BY position`, pos)
	if err != nil {
		tb.Fatal(err)
	}
	type row struct {
		pos uint64
		env []byte
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.pos, &r.env); err != nil {
			tb.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		h := eventstore.ChainHash(prev, r.pos, r.env)
		if _, err := db.Exec(`UPDATE events SET hash = ? WHERE position = ?`, h[:], r.pos); err != nil {
			tb.Fatal(err)
		}
		prev = h[:]
	}
}

// copyStore copies a closed store's events.db into a new folder.
func copyStore(tb testing.TB, dir string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, sqlite.FileName))
	if err != nil {
		tb.Fatal(err)
	}
	to := tb.TempDir()
	if err := os.WriteFile(filepath.Join(to, sqlite.FileName), b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return to
}

// newAnchorKey makes a key pair outside any data folder.
func newAnchorKey(tb testing.TB) string {
	tb.Helper()
	key := filepath.Join(tb.TempDir(), "anchor.key")
	if code, out, errOut := run(tb, "audit", "anchor", "--new-key", key); code != cli.ExitOK || !strings.Contains(out, "public key") {
		tb.Fatalf("new key: exit %d %s %s", code, out, errOut)
	}
	return key
}

func mode(tb testing.TB, path string) fs.FileMode {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestAuditAnchorDetectsRechainedHistory: an amount rewritten with every
// later hash recomputed passes the chain walk, but not the signed anchor;
// a truncated tail fails too; serve refuses to start on either.
func TestAuditAnchorDetectsRechainedHistory(t *testing.T) {
	dir := t.TempDir()
	fillBilling(t, dir)
	key := newAnchorKey(t)
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")

	code, out, errOut := run(t, "audit", "anchor", "--data", dir, "--key", key, "--anchors", anchors)
	if code != cli.ExitOK {
		t.Fatalf("anchor: exit %d %s %s", code, out, errOut)
	}
	var a struct {
		Position  uint64 `json:"position"`
		Hash      string `json:"hash"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Position != 6 || len(a.Hash) != 64 || a.Signature == "" {
		t.Fatalf("printed anchor %q: %v", out, err)
	}
	if m := mode(t, anchors); m != 0o600 {
		t.Errorf("anchors file mode %v, want 0600", m)
	}
	if m := mode(t, key); m != 0o600 {
		t.Errorf("key file mode %v, want 0600", m)
	}
	// Anchoring an unchanged head again appends nothing.
	if code, out, _ := run(t, "audit", "anchor", "--data", dir, "--key", key, "--anchors", anchors); code != cli.ExitOK || !strings.Contains(out, "anchored already") {
		t.Fatalf("re-anchor: exit %d %q", code, out)
	}
	if code, out, errOut := run(t, "audit", "verify", "--data", dir, "--anchors", anchors, "--public-key", key+".pub"); code != cli.ExitOK || !strings.Contains(out, "anchors: 1 verified") {
		t.Fatalf("intact verify: exit %d %s %s", code, out, errOut)
	}

	t.Run("ErrRechained", func(t *testing.T) {
		tampered := copyStore(t, dir)
		rechain(t, tampered)
		if code, out, errOut := run(t, "audit", "verify", "--data", tampered); code != cli.ExitOK {
			t.Fatalf("the re-chained log should pass the chain walk alone (the attack): exit %d %s %s", code, out, errOut)
		}
		code, _, errOut := run(t, "audit", "verify", "--data", tampered, "--anchors", anchors, "--public-key", key+".pub")
		if code != cli.ExitProblem || !strings.Contains(errOut, "position 6") || !strings.Contains(errOut, "re-chained") {
			t.Fatalf("with anchors: exit %d %s", code, errOut)
		}
		code, _, errOut = run(t, "serve", "--data", tampered, "--anchors", anchors, "--addr", "127.0.0.1:0")
		if code != cli.ExitProblem || !strings.Contains(errOut, "refusing to serve a broken log") || !strings.Contains(errOut, "position 6") {
			t.Fatalf("serve on a re-chained log: exit %d %s", code, errOut)
		}
	})
	t.Run("ErrTruncated", func(t *testing.T) {
		cut := copyStore(t, dir)
		db, err := sql.Open("sqlite3", filepath.Join(cut, sqlite.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DELETE FROM events WHERE position >= 5`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		code, _, errOut := run(t, "audit", "verify", "--data", cut, "--anchors", anchors)
		if code != cli.ExitProblem || !strings.Contains(errOut, "truncated") || !strings.Contains(errOut, "position 6") {
			t.Fatalf("truncated: exit %d %s", code, errOut)
		}
		if code, _, errOut := run(t, "serve", "--data", cut, "--anchors", anchors, "--addr", "127.0.0.1:0"); code != cli.ExitProblem || !strings.Contains(errOut, "refusing to serve") {
			t.Fatalf("serve on a truncated log: exit %d %s", code, errOut)
		}
	})
	t.Run("ErrForgedAnchor", func(t *testing.T) {
		b, err := os.ReadFile(anchors)
		if err != nil {
			t.Fatal(err)
		}
		forged := filepath.Join(t.TempDir(), "forged.jsonl")
		if err := os.WriteFile(forged, bytes.Replace(b, []byte(`"position":6`), []byte(`"position":5`), 1), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := run(t, "audit", "verify", "--data", dir, "--anchors", forged); code != cli.ExitProblem || !strings.Contains(errOut, "signature does not verify") {
			t.Fatalf("forged: exit %d %s", code, errOut)
		}
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		other := newAnchorKey(t)
		if code, _, errOut := run(t, "audit", "verify", "--data", dir, "--anchors", anchors, "--public-key", other+".pub"); code != cli.ExitProblem || !strings.Contains(errOut, "another key") {
			t.Fatalf("other key: exit %d %s", code, errOut)
		}
	})
}

func TestAuditAnchorUsage(t *testing.T) {
	dir := t.TempDir()
	mustFill(t, dir, 2)
	key := newAnchorKey(t)
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")
	for name, args := range map[string][]string{
		"ErrNoKey":           {"audit", "anchor", "--data", dir, "--anchors", anchors},
		"ErrNoAnchors":       {"audit", "anchor", "--data", dir, "--key", key},
		"ErrKeyInData":       {"audit", "anchor", "--data", dir, "--new-key", filepath.Join(dir, "k")},
		"ErrKeyExists":       {"audit", "anchor", "--new-key", key},
		"ErrNotAKey":         {"audit", "anchor", "--data", dir, "--key", anchors + ".missing", "--anchors", anchors},
		"ErrMissingAnchors":  {"audit", "verify", "--data", dir, "--anchors", anchors + ".missing"},
		"ErrServeKeyNoFile":  {"serve", "--data", dir, "--anchor-key", key},
		"ErrServeEmailNoKey": {"serve", "--data", dir, "--anchor-email", "auditor@audit.example"},
		"ErrServeKeyInData":  {"serve", "--data", dir, "--anchor-key", filepath.Join(dir, "events.db"), "--anchors", anchors},
		"ErrBadPublicKeyArg": {"audit", "verify", "--data", dir, "--anchors", anchors, "--public-key", key},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "ErrBadPublicKeyArg" {
				if code, _, errOut := run(t, "audit", "anchor", "--data", dir, "--key", key, "--anchors", anchors); code != cli.ExitOK {
					t.Fatal(errOut)
				}
			}
			if code, _, errOut := run(t, args...); code != cli.ExitUsage || errOut == "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "k")); err == nil {
		t.Error("a key was written into the data folder")
	}
}

// TestServeAnchorsDaily: serve with --anchor-key anchors the head from its
// scheduler (at start, then daily) and appends it to --anchors.
func TestServeAnchorsDaily(t *testing.T) {
	dir := t.TempDir()
	fillBilling(t, dir)
	key := newAnchorKey(t)
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var code int
	var errOut bytes.Buffer
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = cli.Main(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--anchor-key", key, "--anchors", anchors},
			cli.Env{Stdout: &bytes.Buffer{}, Stderr: &errOut, Getenv: func(string) string { return "" }})
	}()
	deadline := time.Now().Add(60 * time.Second)
	var b []byte
	for time.Now().Before(deadline) {
		if b, _ = os.ReadFile(anchors); bytes.Count(b, []byte("\n")) >= 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if bytes.Count(b, []byte("\n")) < 1 {
		t.Fatalf("serve anchored nothing (exit %d): %s", code, errOut.String())
	}
	if code, out, errOut := run(t, "audit", "verify", "--data", dir, "--anchors", anchors, "--public-key", key+".pub"); code != cli.ExitOK || !strings.Contains(out, "anchors: 1 verified") {
		t.Fatalf("verify serve's anchor: exit %d %s %s", code, out, errOut)
	}
}

// TestAuditAnchorOnPostgres: anchors work on a PostgreSQL store too: an
// anchor signed there verifies, and a re-chained history migrated into
// PostgreSQL fails against the embedded store's anchor, as serve refuses it.
func TestAuditAnchorOnPostgres(t *testing.T) {
	dir := t.TempDir()
	fillBilling(t, dir)
	key := newAnchorKey(t)
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")
	if code, _, errOut := run(t, "audit", "anchor", "--data", dir, "--key", key, "--anchors", anchors); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	pg := pgtest.MustDatabase(t)
	if code, _, errOut := run(t, "migrate", "--from", dir, "--to", pg); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	if code, out, errOut := run(t, "audit", "anchor", "--store", pg, "--key", key, "--anchors", anchors); code != cli.ExitOK || !strings.Contains(out, "anchored already") {
		t.Fatalf("anchor on postgres: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "audit", "verify", "--store", pg, "--anchors", anchors, "--public-key", key+".pub"); code != cli.ExitOK || !strings.Contains(out, "anchors: 1 verified") {
		t.Fatalf("verify on postgres: exit %d %s %s", code, out, errOut)
	}

	tampered := copyStore(t, dir)
	rechain(t, tampered)
	pg2 := pgtest.MustDatabase(t)
	if code, _, errOut := run(t, "migrate", "--from", tampered, "--to", pg2); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	if code, _, errOut := run(t, "audit", "verify", "--store", pg2, "--anchors", anchors); code != cli.ExitProblem || !strings.Contains(errOut, "re-chained") {
		t.Fatalf("re-chained on postgres: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "serve", "--store", pg2, "--data", t.TempDir(), "--anchors", anchors, "--addr", "127.0.0.1:0"); code != cli.ExitProblem || !strings.Contains(errOut, "refusing to serve") {
		t.Fatalf("serve on a re-chained postgres log: exit %d %s", code, errOut)
	}
}
