package app_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/app"
	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/pii"
	"remit/web/api"
)

// TestFilesAtRestArePrivate loads the demo into a data folder the operator
// made 0755, under a umask that takes nothing away, then serves it: a
// billing run charges a card that declines (sandbox charges, an email in
// the outbox), a client is created (a personal-data key). Every file in the
// folder is then 0600 and every folder 0700.
func TestFilesAtRestArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A file an earlier version left readable by others.
	if err := os.WriteFile(filepath.Join(dir, "link.key"), []byte("0123456789abcdef0123456789abcdef"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if code := cli.Main(context.Background(), []string{"demo", "--load-only", "--clients", "12", "--data", dir},
		cli.Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string {
			if k == "REMIT_PASSWORD" {
				return "a long demo password"
			}
			return ""
		}}); code != 0 {
		t.Fatalf("remit demo --load-only: exit %d\n%s", code, out.String())
	}
	rejectedPaymentEmailed(t, dir)

	checked := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", strings.TrimPrefix(path, dir), info.Mode().Perm(), want)
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"events.db", "readmodels.db", "payments-sandbox.db", "idempotency.db", "keys", "outbox", "link.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the run left no %s to check: %v", name, err)
		}
	}
	t.Logf("%d files and folders checked", checked)
}

// rejectedPaymentEmailed serves dir until a declined card's rejection email
// is in its outbox.
func rejectedPaymentEmailed(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	meta, must := commandHelpers(t)
	svc := a.Billing
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Files Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@files.example"}}}, meta("files-client"))).ID
	pm := must(svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_chargeDeclined", Brand: "visa", Last4: "0002", ExpiryMonth: 12, ExpiryYear: 2035,
	}}, meta("files-card"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, PaymentMethodID: pm,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("files-invoice"))).ID
	today := domain.DateOf(now, a.Sched.Index.Location())
	must(svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: today, PaymentMethodID: pm}, meta("files-collect")))
	if res := a.Sched.RunOnce(ctx, a.Sched.Index, now); res.Err != nil {
		t.Fatalf("billing run: %+v", res)
	}
	// The outbox sends the demo's emails (a PDF each) before this one: on a
	// loaded machine that took over 30 s.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range files {
			if raw, _ := os.ReadFile(f); strings.Contains(string(raw), "declined") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rejection email in %s/outbox", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKeysOutsideTheDataFolder keeps the personal-data keys in their own
// folder: the data folder holds none, and a data folder that still holds
// keys is refused with --keys rather than read as erased.
func TestKeysOutsideTheDataFolder(t *testing.T) {
	ctx := context.Background()
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "keys")
	a, err := app.Open(ctx, app.Config{DataDir: dir, KeysDir: keys, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true})
	if err != nil {
		t.Fatal(err)
	}
	meta, must := commandHelpers(t)
	id := must(a.Billing.CreateClient(ctx, billing.ClientRequest{Name: "Private Pty Ltd", Kind: client.KindBusiness, Currency: "AUD",
		Contacts: []client.Contact{{Name: "Jo Secret", Email: "jo@private.example"}}}, meta("client"))).ID
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	ks, err := pii.OpenKeyStoreIn(keys)
	if err != nil {
		t.Fatal(err)
	}
	if key, err := ks.Key(id, false); err != nil || key == nil {
		t.Errorf("the client's key is not in the keys folder: %v", err)
	}
	ks.Close()
	if _, err := os.Stat(filepath.Join(dir, "keys")); err == nil {
		t.Error("the data folder has a keys folder")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "jo@private.example") || strings.Contains(string(raw), "Jo Secret") {
		t.Error("the data folder's log holds the contact in clear")
	}

	// The data folder of a store that kept its keys inside, started with
	// --keys pointing elsewhere: refused, naming the move to make.
	other := t.TempDir()
	b, err := app.Open(ctx, app.Config{DataDir: other, Addr: "127.0.0.1:0", NoAuth: true, NoOutbox: true, NoBillingRun: true})
	if err != nil {
		t.Fatal(err)
	}
	must(b.Billing.CreateClient(ctx, billing.ClientRequest{Name: "Inside Pty Ltd", Kind: client.KindBusiness, Currency: "AUD",
		Contacts: []client.Contact{{Name: "Al", Email: "al@inside.example"}}}, meta("client2")))
	b.Close()
	_, err = app.Open(ctx, app.Config{DataDir: other, KeysDir: filepath.Join(t.TempDir(), "k"), Addr: "127.0.0.1:0", NoAuth: true})
	if err == nil || !strings.Contains(err.Error(), "move them") {
		t.Fatalf("--keys with keys left in the data folder: %v, want a refusal saying to move them", err)
	}
}

// TestMetricsAndReadinessOfTheWiredApp scrapes the app's own metrics
// listener and asks /readyz: the read models' lag, the log's size and the
// outbox are reported, and the app is ready.
func TestMetricsAndReadinessOfTheWiredApp(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", NoAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A command through the API is counted.
	resp, err := http.Post(a.URL()+"/api/firm", "application/json", strings.NewReader(
		`{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney","address":{"line1":"1 George St","city":"Sydney","country":"AU"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/firm: %d", resp.StatusCode)
	}

	resp, err = http.Get(a.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var v api.ReadyView
	err = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || v.Status != "ready" {
		t.Fatalf("GET /readyz: %d %+v %v", resp.StatusCode, v, err)
	}
	names := map[string]bool{}
	for _, c := range v.Checks {
		names[c.Name] = true
	}
	for _, want := range []string{"store", "projection:invoices", "outbox", "ledger_sync", "lease:scheduler"} {
		if !names[want] {
			t.Errorf("/readyz does not check %s: %+v", want, v.Checks)
		}
	}
	if resp, err := http.Get(a.URL() + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /metrics on the public listener: %d, want it not served there", resp.StatusCode)
		}
	}
	resp, err = http.Get(a.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`remit_events `, `remit_projection_lag_events{projection="invoices"}`, `remit_outbox_queued_emails`,
		`remit_ledger_pushes_waiting`, `remit_lease_held{lease="scheduler"}`, `remit_query_cache_hits_total`, `remit_query_cache_bytes`, `remit_commands_total{command="firm.SetUp",outcome="ok"} 1`, `remit_store_append_duration_seconds_bucket`, `go_goroutines`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The operator's heap profile is on the metrics address, not on the
	// public one; the command line (a database URL's password) is nowhere.
	for _, c := range []struct {
		url    string
		served bool
	}{
		{a.MetricsURL() + "/debug/pprof/heap", true},
		{a.MetricsURL() + "/debug/pprof/cmdline", false},
		{a.URL() + "/debug/pprof/heap", false},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// A profile is binary; the public listener may answer a sign-in page.
		served := resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == "application/octet-stream"
		if served != c.served {
			t.Errorf("GET %s: %d %s, want a profile served: %v", c.url, resp.StatusCode, resp.Header.Get("Content-Type"), c.served)
		}
	}
	// The Grafana dashboard draws series the app exports (the 429 count
	// appears with the first refusal, tested in web/api).
	dash, err := os.ReadFile(filepath.Join("..", "docs", "grafana", "remit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(dash) {
		t.Fatal("docs/grafana/remit.json is not JSON")
	}
	for _, name := range regexp.MustCompile(`remit_[a-z_]+`).FindAllString(string(dash), -1) {
		if name == "remit_http_requests_limited_total" {
			continue
		}
		if !strings.Contains(string(body), "\n"+name) {
			t.Errorf("the dashboard draws %s, which the app does not export", name)
		}
	}
}
