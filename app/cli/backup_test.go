package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"remit/app/cli"
	"remit/billing"
	"remit/domain/client"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
	"remit/eventstore/storeurl"

	"github.com/google/uuid"
)

// TestBackupUnderWriteLoad: a backup taken while writers append through
// the command handler restores into a store whose chain verifies and that
// holds every event acknowledged before the backup started.
func TestBackupUnderWriteLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Opened as remit serve opens it: personal data sealed with keys in DATA/keys.
	s, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A larger log, so the backup takes a while.
	for i := range 200 {
		evs := make([]eventstore.EventData, 50)
		for j := range evs {
			evs[j] = storetest.Event("ClientRenamed", i*50+j)
		}
		storetest.MustAppend(t, s, "filler-"+uuid.NewString(), eventstore.NoStream, evs...)
	}
	svc := billing.New(billing.Config{Store: s})
	mustOK(t)(svc.SetUpFirm(ctx, testFirm, billing.Meta{Actor: "staff", CommandID: "firm"}))

	type ack struct {
		stream string
		pos    uint64
	}
	var mu sync.Mutex
	var acked []ack
	stop := make(chan struct{})
	var during atomic.Int64
	var backingUp atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := svc.CreateClient(ctx, billing.ClientRequest{Name: "Client " + uuid.NewString(), Kind: client.KindBusiness,
					Contacts: []client.Contact{{ID: uuid.New(), Name: "Ana Lima", Email: "ana@example.com"}}}, billing.Meta{Actor: "staff", CommandID: uuid.NewString()})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if backingUp.Load() {
					during.Add(1)
				}
				mu.Lock()
				acked = append(acked, ack{res.Stream, res.Position})
				mu.Unlock()
			}
		}()
	}
	// Let the writers get going, then back up while they append.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 {
			break
		}
	}
	mu.Lock()
	before := append([]ack(nil), acked...)
	mu.Unlock()
	dest := filepath.Join(t.TempDir(), "backup")
	backingUp.Store(true)
	code, out, errOut := run(t, "backup", "--data", dir, dest)
	backingUp.Store(false)
	close(stop)
	wg.Wait()
	if code != cli.ExitOK || !strings.Contains(out, "backed up and verified") {
		t.Fatalf("backup: exit %d %s %s", code, out, errOut)
	}
	if during.Load() == 0 {
		t.Log("no write was acknowledged while the backup ran (a fast machine); the test still checks the snapshot")
	}
	for _, name := range []string{sqlite.FileName, pii.KeyDir} {
		want := os.FileMode(0o600)
		if name == pii.KeyDir {
			want = 0o700
		}
		if m := mode(t, filepath.Join(dest, name)); m != want {
			t.Errorf("%s mode %v, want %v", name, m, want)
		}
	}

	data := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := run(t, "restore", dest, "--data", data); code != cli.ExitOK || !strings.Contains(out, "restored and verified") {
		t.Fatalf("restore: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "audit", "verify", "--data", data); code != cli.ExitOK {
		t.Fatalf("verify the restored store: exit %d %s %s", code, out, errOut)
	}
	// remit serve's writer opens it.
	if code, out, errOut := run(t, "info", "--data", data); code != cli.ExitOK || !strings.Contains(out, "chain:    verified") {
		t.Fatalf("info on the restored store: exit %d %s %s", code, out, errOut)
	}
	r, err := sqlite.Open(data, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, a := range before {
		evs, err := r.ReadStream(ctx, a.stream, 0, eventstore.Forward, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[len(evs)-1].Position > a.pos {
			t.Fatalf("client stream %s acknowledged at position %d before the backup is missing from the restored store", a.stream, a.pos)
		}
	}
	// The restored clients' personal data is readable: their keys came too.
	keys, err := pii.OpenKeyStore(data)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	for _, a := range before {
		id := uuid.MustParse(strings.TrimPrefix(a.stream, "client-"))
		if key, err := keys.Key(id, false); err != nil || key == nil {
			t.Fatalf("the restored key of %s: %v, %v", a.stream, key, err)
		}
	}
}

func TestBackupRestoreUsage(t *testing.T) {
	dir := t.TempDir()
	mustFill(t, dir, 3)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bk := filepath.Join(t.TempDir(), "bk")
	if code, _, errOut := run(t, "backup", "--data", dir, bk); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	for name, args := range map[string][]string{
		"ErrNoDest":           {"backup", "--data", dir},
		"ErrDestNotEmpty":     {"backup", "--data", dir, full},
		"ErrDestInData":       {"backup", "--data", dir, filepath.Join(dir, "bk")},
		"ErrNoStore":          {"backup", "--data", t.TempDir(), filepath.Join(t.TempDir(), "b")},
		"ErrPostgres":         {"backup", "--store", "postgres://127.0.0.1/test", filepath.Join(t.TempDir(), "b")},
		"ErrRestoreNoData":    {"restore", bk},
		"ErrRestoreNotEmpty":  {"restore", bk, "--data", full},
		"ErrRestoreNoBackup":  {"restore", t.TempDir(), "--data", filepath.Join(t.TempDir(), "d")},
		"ErrRestoreTwoSource": {"restore", bk, bk, "--data", filepath.Join(t.TempDir(), "d")},
	} {
		t.Run(name, func(t *testing.T) {
			if code, _, errOut := run(t, args...); code != cli.ExitUsage || errOut == "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
	if ents, _ := os.ReadDir(full); len(ents) != 1 {
		t.Errorf("a refused restore wrote into the folder: %d entries", len(ents))
	}
}

// TestRestoreRefusesBrokenBackup: a backup whose chain was altered is not
// restored.
func TestRestoreRefusesBrokenBackup(t *testing.T) {
	dir := t.TempDir()
	fillBilling(t, dir)
	bk := filepath.Join(t.TempDir(), "bk")
	if code, _, errOut := run(t, "backup", "--data", dir, bk); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	b, err := os.ReadFile(filepath.Join(bk, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("690")) {
		t.Fatal("the amount is not in the backup")
	}
	if err := os.WriteFile(filepath.Join(bk, sqlite.FileName), bytes.Replace(b, []byte("690"), []byte("960"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "d")
	code, _, errOut := run(t, "restore", bk, "--data", data)
	if code != cli.ExitProblem || !strings.Contains(errOut, "broken") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("a broken backup was restored")
	}
}
