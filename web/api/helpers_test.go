package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"remit/billing"
	"remit/eventstore/idempotency"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
	"remit/processes/refunds"
	"remit/projections"
	"remit/projections/rmdb"
	"remit/web/api"
)

// now is the test clock: a Monday morning in Sydney.
var now = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// app is the real program's parts: the embedded store, billing, the
// projections runner and the HTTP server on 127.0.0.1:0.
type app struct {
	tb     testing.TB
	dir    string
	store  *sqlite.Store
	idem   *idempotency.SQLite
	gate   *gate // the store billing and the server write through
	svc    *billing.Service
	rm     *rmdb.DB
	models *projections.Models
	runner *projections.Runner
	server *api.Server
	client *http.Client
	// gw is the sandbox gateway refunds go through (in dir).
	gw *sandbox.Gateway
	// blindRecords makes the server's idempotency lookups miss, as two
	// requests racing on one key both miss before either stores its answer.
	blindRecords bool
	// clock, when set before open, is the program's clock instead of now.
	clock func() time.Time
}

// blindGets is an idempotency store whose Get never finds a record.
type blindGets struct{ idempotency.Store }

func (blindGets) Get(context.Context, string) (idempotency.Record, bool, error) {
	return idempotency.Record{}, false, nil
}

func newApp(tb testing.TB) *app {
	tb.Helper()
	a := &app{tb: tb, dir: tb.TempDir(), client: &http.Client{Timeout: 30 * time.Second}}
	a.open()
	tb.Cleanup(a.close)
	return a
}

func (a *app) open() {
	a.tb.Helper()
	st, err := sqlite.Open(a.dir, sqlite.Options{})
	if err != nil {
		a.tb.Fatalf("open store: %v", err)
	}
	a.store = st
	clock := func() time.Time { return now }
	if a.clock != nil {
		clock = a.clock
	}
	a.gate = &gate{Store: st}
	a.svc = billing.New(billing.Config{Store: a.gate, Now: clock})
	a.rm, err = rmdb.OpenSQLite(filepath.Join(a.dir, "readmodels.db"))
	if err != nil {
		a.tb.Fatalf("read models: %v", err)
	}
	a.models = projections.NewModels(a.rm)
	a.runner, err = projections.NewRunner(context.Background(), st, a.models, projections.RunnerOptions{})
	if err != nil {
		a.tb.Fatalf("runner: %v", err)
	}
	if err := a.runner.Start(context.Background()); err != nil {
		a.tb.Fatalf("start runner: %v", err)
	}
	a.idem, err = idempotency.OpenSQLite(a.dir, idempotency.Options{Now: clock})
	if err != nil {
		a.tb.Fatalf("idempotency records: %v", err)
	}
	var records idempotency.Store = a.idem
	if a.blindRecords {
		records = blindGets{a.idem}
	}
	a.gw, err = sandbox.Open(a.dir, sandbox.Options{Now: clock})
	if err != nil {
		a.tb.Fatalf("sandbox gateway: %v", err)
	}
	a.server = api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: a.gate, TimeTravel: projections.NewTimeTravel(a.gate, a.models, 0), Idempotency: records, Billing: a.svc, Models: a.models, Runner: a.runner, Now: clock,
		Refunds: &refunds.Refunder{Billing: a.svc, Gateway: a.gw, Store: a.gate}})
	if err := a.server.Open(); err != nil {
		a.tb.Fatalf("open server: %v", err)
	}
}

func (a *app) close() {
	if a.server == nil {
		return
	}
	if err := a.server.Close(); err != nil {
		a.tb.Errorf("close server: %v", err)
	}
	if err := a.runner.Close(); err != nil {
		a.tb.Errorf("close runner: %v", err)
	}
	if err := a.rm.Close(); err != nil {
		a.tb.Errorf("close read models: %v", err)
	}
	if err := a.idem.Close(); err != nil {
		a.tb.Errorf("close idempotency records: %v", err)
	}
	if err := a.gw.Close(); err != nil {
		a.tb.Errorf("close sandbox gateway: %v", err)
	}
	if err := a.store.Close(); err != nil {
		a.tb.Errorf("close store: %v", err)
	}
	a.server = nil
}

// mustReadModels opens a read-model database in the test's temporary
// folder, closed when the test ends.
func mustReadModels(tb testing.TB) *rmdb.DB {
	tb.Helper()
	db, err := rmdb.OpenSQLite(filepath.Join(tb.TempDir(), "rm.db"))
	if err != nil {
		tb.Fatalf("read models: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// restart closes everything and opens it again on the same data folder.
func (a *app) restart() {
	a.tb.Helper()
	a.close()
	a.open()
}

func (a *app) head() uint64 {
	a.tb.Helper()
	h, err := a.store.Head(context.Background())
	if err != nil {
		a.tb.Fatalf("head: %v", err)
	}
	return h
}

// reply is an HTTP response with its body read.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r reply) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// do sends a request; body is a string (sent as is) or a value (JSON).
func (a *app) do(method, path string, body any, headers ...string) reply {
	a.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.tb.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.server.URL()+path, rd)
	if err != nil {
		a.tb.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.tb.Fatalf("read body: %v", err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// must sends a request and fails the test unless the status is want.
func (a *app) must(want int, method, path string, body any, headers ...string) map[string]any {
	a.tb.Helper()
	r := a.do(method, path, body, headers...)
	if r.Status != want {
		a.tb.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.JSON(a.tb)
}

// str walks a decoded JSON value by keys and indexes: str(m, "contacts", 0, "name").
func get(tb testing.TB, v any, path ...any) any {
	tb.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				tb.Fatalf("at %v: not an object: %v", path, v)
			}
			v, ok = m[k]
			if !ok {
				tb.Fatalf("at %v: no key %q in %v", path, k, m)
			}
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				tb.Fatalf("at %v: not an array with index %d: %v", path, k, v)
			}
			v = s[k]
		}
	}
	return v
}

func str(tb testing.TB, v any, path ...any) string {
	tb.Helper()
	s, ok := get(tb, v, path...).(string)
	if !ok {
		tb.Fatalf("at %v: not a string: %v", path, get(tb, v, path...))
	}
	return s
}

func items(tb testing.TB, v any) []any {
	tb.Helper()
	s, ok := get(tb, v, "items").([]any)
	if !ok {
		tb.Fatalf("no items array in %v", v)
	}
	return s
}

// mustSetUpFirm sets the firm up in Sydney, in AUD, 14 days' terms.
func (a *app) mustSetUpFirm() {
	a.tb.Helper()
	a.must(http.StatusCreated, "POST", "/api/firm", map[string]any{
		"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "payment_terms_days": 14,
		"address": map[string]any{"line1": "1 George St", "city": "Sydney", "country": "AU"},
	})
}

// mustCreateClient creates a business client with one contact; returns its id.
func (a *app) mustCreateClient(name string) string {
	a.tb.Helper()
	c := a.must(http.StatusCreated, "POST", "/api/clients", map[string]any{
		"name": name, "kind": "business", "contacts": []any{map[string]any{"name": "Alice " + name, "email": "alice@client.test"}},
	})
	return str(a.tb, c, "id")
}
