package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"remit/billing"
	"remit/domain/user"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/internal/logtest"
	"remit/internal/metrics"
	"remit/projections"
	"remit/web/api"
	"remit/web/auth"
)

// opsServer is the server with sign-in on, metrics, a readiness check the
// test controls, the given limits and a log the test reads.
type opsServer struct {
	*secured
	metrics *metrics.Metrics
	ready   *readiness
	logs    *logtest.Buffer
}

type readiness struct {
	mu     sync.Mutex
	checks []api.ReadyCheck
}

func (r *readiness) set(c ...api.ReadyCheck) { r.mu.Lock(); r.checks = c; r.mu.Unlock() }
func (r *readiness) get(context.Context) []api.ReadyCheck {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checks
}

func newOpsServer(tb testing.TB, limits api.Limits) *opsServer {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	c := &clock{t: now}
	authn, err := auth.New(auth.Config{Store: st, Now: c.Now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		tb.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: st, Now: c.Now})
	models := projections.NewModels(mustReadModels(tb))
	runner, err := projections.NewRunner(context.Background(), st, models, projections.RunnerOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	o := &opsServer{metrics: metrics.New(), ready: &readiness{}, logs: &logtest.Buffer{}}
	srv := api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: st, Billing: svc, Models: models, Runner: runner, Now: c.Now, Auth: authn,
		Metrics: o.metrics, Ready: o.ready.get, Limits: limits, Logger: slog.New(slog.NewJSONHandler(o.logs, nil))})
	if err := srv.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		srv.Close()
		runner.Close()
		st.Close()
	})
	o.secured = &secured{tb: tb, store: st, server: srv, authn: authn, clock: c, hc: &http.Client{Timeout: 30 * time.Second}, users: map[user.Role]string{}}
	for _, r := range user.Roles() {
		email := string(r) + "@firm.example"
		if _, err := authn.AddUser(context.Background(), auth.NewUser{Email: email, Name: string(r), Role: r, Password: password}, "test"); err != nil {
			tb.Fatal(err)
		}
		o.users[r] = email
	}
	return o
}

func TestHealthAndReadiness(t *testing.T) {
	s := newOpsServer(t, api.Limits{})
	if r := s.send(creds{}, "GET", "/healthz", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), `"ok"`) {
		t.Fatalf("GET /healthz without sign-in: %d %s", r.status, r.body)
	}
	s.ready.set(api.ReadyCheck{Name: "store", OK: true}, api.ReadyCheck{Name: "projection:invoices", OK: true})
	r := s.send(creds{}, "GET", "/readyz", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /readyz with every check passing: %d %s", r.status, r.body)
	}
	s.ready.set(api.ReadyCheck{Name: "store", OK: true}, api.ReadyCheck{Name: "projection:invoices", Detail: "5000 events behind the head (at most 1000)"})
	r = s.send(creds{}, "GET", "/readyz", "")
	var v api.ReadyView
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusServiceUnavailable || v.Status != "not ready" {
		t.Fatalf("GET /readyz with a read model behind: %d %s, want 503 not ready", r.status, r.body)
	}
	if len(v.Checks) != 2 || v.Checks[1].OK || !strings.Contains(v.Checks[1].Detail, "behind") {
		t.Errorf("the answer does not name the failed check: %s", r.body)
	}
}

func TestRequestIDLeadsFromTheLogToTheEvents(t *testing.T) {
	s := newOpsServer(t, api.Limits{})
	owner := s.token(user.RoleOwner, user.ScopeWrite)
	const id = "req-7f3a-checkout-0001"
	before := s.head()
	r := s.send(owner, "POST", "/api/firm", `{"name":"Ledger & Co","base_currency":"AUD","time_zone":"Australia/Sydney","address":{"line1":"1 George St","city":"Sydney","country":"AU"}}`,
		api.RequestIDHeader, id)
	if r.status != http.StatusCreated {
		t.Fatalf("set up the firm: %d %s", r.status, r.body)
	}
	if got := r.header.Get(api.RequestIDHeader); got != id {
		t.Errorf("X-Request-Id answered %q, want the one sent, %q", got, id)
	}
	recs, err := s.store.ReadAll(context.Background(), before+1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil || len(recs) == 0 {
		t.Fatalf("read the request's events: %v (%d)", err, len(recs))
	}
	for _, e := range recs {
		if e.Metadata.CorrelationID != id {
			t.Errorf("event %s at %d has correlation id %q, want the request id %q", e.Type, e.Position, e.Metadata.CorrelationID, id)
		}
	}
	var line map[string]any
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"http request"`) && strings.Contains(l, id) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no log line names request %s:\n%s", id, s.logs.String())
	}
	if line["route"] != "/api/firm" || line["method"] != "POST" || line["status"] != float64(201) || !strings.HasPrefix(line["actor"].(string), "token:") {
		t.Errorf("log line %v: want route /api/firm, POST, 201 and the token as actor", line)
	}
	if _, ok := line["duration_ms"]; !ok {
		t.Errorf("log line %v has no duration", line)
	}

	// An id a client should not send (too short, spaces, too long) is
	// replaced by one of the server's own.
	for _, bad := range []string{"x", "has spaces in it", strings.Repeat("a", 200)} {
		r := s.send(creds{}, "GET", "/healthz", "", api.RequestIDHeader, bad)
		if got := r.header.Get(api.RequestIDHeader); got == bad || len(got) != 36 {
			t.Errorf("incoming id %q answered as %q, want a fresh UUID", bad, got)
		}
	}
}

func TestMetricsCountRequestsByRouteAndCommandsByOutcome(t *testing.T) {
	s := newOpsServer(t, api.Limits{})
	owner := s.token(user.RoleOwner, user.ScopeWrite)
	s.setUpFirm(owner)
	s.send(owner, "GET", "/api/clients/0b5a3b06-58a5-4a3c-9b53-4a6f9b1f6c11", "")
	s.send(owner, "POST", "/api/clients", `{"name":"A","kind":"business","contacts":[]}`) // refused: no contact

	var out bytes.Buffer
	rec := &headerlessWriter{w: &out, h: http.Header{}}
	s.metrics.Handler().ServeHTTP(rec, mustRequest(t, "GET", "/metrics"))
	text := out.String()
	for _, want := range []string{
		`remit_http_requests_total{method="GET",route="/api/clients/{id}",status="404"} 1`,
		`remit_http_requests_total{method="POST",route="/api/firm",status="201"} 1`,
		`remit_commands_total{command="firm.SetUp",outcome="ok"} 1`,
		`remit_commands_total{command="client.CreateClient",outcome="invalid"} 1`,
		`remit_http_request_duration_seconds_count{method="POST",route="/api/firm"} 1`,
		`remit_store_append_events_count`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "0b5a3b06") {
		t.Error("a request's path (an id) became a label: series would grow with every id")
	}
}

type headerlessWriter struct {
	w    io.Writer
	h    http.Header
	code int
}

func (w *headerlessWriter) Header() http.Header         { return w.h }
func (w *headerlessWriter) Write(b []byte) (int, error) { return w.w.Write(b) }
func (w *headerlessWriter) WriteHeader(code int)        { w.code = code }

func mustRequest(tb testing.TB, method, target string) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(method, target, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// holdLogin starts a sign-in whose body never finishes: it holds one
// place of its address until the connection closes.
func holdLogin(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.WriteString(c, "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"em"); err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestUnauthenticatedRequestsInFlightPerAddressAreCapped(t *testing.T) {
	s := newOpsServer(t, api.Limits{PublicPerClient: 2})
	staff := s.token(user.RoleStaff, user.ScopeRead)
	addr := strings.TrimPrefix(s.server.URL(), "http://")
	held := []net.Conn{holdLogin(t, addr), holdLogin(t, addr)}
	// The two sign-ins are in their handlers once a third is refused.
	deadline := time.Now().Add(10 * time.Second)
	var r answer
	for {
		r = s.send(creds{}, "POST", "/api/login", `{"email":"owner@firm.example","password":"wrong"}`)
		if r.status == http.StatusTooManyRequests || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a third unauthenticated request with two held: %d %s, want 429 with Retry-After", r.status, r.body)
	}
	// A signed-in client at the same address is not held up.
	if r := s.send(staff, "GET", "/api/clients", ""); r.status != http.StatusOK {
		t.Errorf("a token's request while the address is at its cap: %d %s", r.status, r.body)
	}
	if m := s.metricsText(t); !strings.Contains(m, `remit_http_requests_limited_total{route="/api/login"}`) {
		t.Error("the refusal is not counted")
	}
	for _, c := range held {
		c.Close()
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		r = s.send(creds{}, "GET", "/api/openapi.json", "")
		if r.status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.status != http.StatusOK {
		t.Errorf("after the held requests ended: %d, want the address served again", r.status)
	}
}

func (s *opsServer) metricsText(tb testing.TB) string {
	var out bytes.Buffer
	s.metrics.Handler().ServeHTTP(&headerlessWriter{w: &out, h: http.Header{}}, mustRequest(tb, "GET", "/metrics"))
	return out.String()
}

// closedWithin reads c until the server closes it, failing after limit.
func closedWithin(tb testing.TB, c net.Conn, limit time.Duration, what string) {
	tb.Helper()
	if err := c.SetReadDeadline(time.Now().Add(limit)); err != nil {
		tb.Fatal(err)
	}
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Errorf("%s: the connection was still open after %s", what, limit)
	}
}

func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	const short = 300 * time.Millisecond
	s := newOpsServer(t, api.Limits{ReadHeaderTimeout: short, ReadTimeout: short, IdleTimeout: short})
	addr := strings.TrimPrefix(s.server.URL(), "http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	// Headers that never end.
	slowHeaders := dial()
	io.WriteString(slowHeaders, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	// A body that never ends.
	slowBody := holdLogin(t, addr)
	t.Cleanup(func() { slowBody.Close() })
	// A kept-alive connection after one answered request.
	idle := dial()
	io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first request on the idle connection: %v", err)
	}
	resp.Body.Close()

	var wg sync.WaitGroup
	for what, c := range map[string]net.Conn{"slow headers": slowHeaders, "slow body": slowBody, "idle": idle} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			closedWithin(t, c, 10*time.Second, what)
		}()
	}
	wg.Wait()
}
