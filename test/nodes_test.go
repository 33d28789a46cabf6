package test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/postgres/pgtest"
	"remit/eventstore/storeurl"
)

// sessionsShared says whether a session started on one node is good on
// the others (sessions, CSRF and the login lockout kept in the database):
// TestThreeNodes then also signs in through one node and uses the session
// cookie on the other two.
const sessionsShared = true

// rrProxy is the reverse proxy in front of the nodes: round-robin over
// their addresses, which change when a node is restarted. A request to a
// node that does not answer gets 502, as from a real proxy without retries.
type rrProxy struct {
	mu       sync.Mutex
	backends []*url.URL
	next     atomic.Uint64
	srv      *httptest.Server
}

func newProxy(tb testing.TB, urls []string) *rrProxy {
	p := &rrProxy{}
	for _, u := range urls {
		p.set(len(p.backends), u)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(p.pick())
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	p.srv = httptest.NewServer(rp)
	tb.Cleanup(p.srv.Close)
	return p
}

func (p *rrProxy) set(i int, raw string) {
	u, _ := url.Parse(raw)
	p.mu.Lock()
	defer p.mu.Unlock()
	if i == len(p.backends) {
		p.backends = append(p.backends, u)
		return
	}
	p.backends[i] = u
}

func (p *rrProxy) pick() *url.URL {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.backends[int(p.next.Add(1)%uint64(len(p.backends)))]
}

// call is one request of the load: its method, path and body, and how
// it was answered (0: no answer).
func call(method, u, token string, body any, header ...string) (int, http.Header, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

// ack is an acknowledged write: the stream it wrote and the revision it
// reached at least (from its ETag; 0 when it gave none).
type ack struct {
	stream string
	rev    uint64
}

// loadLog is what the load saw.
type loadLog struct {
	mu          sync.Mutex
	acks        []ack
	invoices    map[string]string // id → number, of instant bills answered 201
	requests    atomic.Int64
	acked       atomic.Int64
	failed      atomic.Int64 // 5xx or no answer
	refused     atomic.Int64 // 4xx: a stale If-Match after a failed edit, a conflict
	failedKill  atomic.Int64 // failed while a node was down
	nodeDown    atomic.Bool
	lastName    map[string]string   // client id → name of its last acknowledged edit
	unsureNames map[string][]string // client id → names sent after it without an answer
}

func (l *loadLog) record(code int, a ack) bool {
	l.requests.Add(1)
	switch {
	case code >= 200 && code < 300:
		l.acked.Add(1)
		if a.stream != "" {
			l.mu.Lock()
			l.acks = append(l.acks, a)
			l.mu.Unlock()
		}
		return true
	case code >= 400 && code < 500:
		l.refused.Add(1)
	default:
		l.failed.Add(1)
		if l.nodeDown.Load() {
			l.failedKill.Add(1)
		}
	}
	return false
}

func etagRev(h http.Header) uint64 {
	n, _ := strconv.ParseUint(strings.Trim(h.Get("ETag"), `"`), 10, 64)
	return n
}

// worker runs the mixed load through the proxy until stop: it creates
// clients, adds services that started months ago (catch-up billings),
// issues instant bills, runs billing and edits its own clients with
// If-Match. Its clients are edited by it alone, one edit at a time.
func (l *loadLog) worker(base, token string, w int, stop <-chan struct{}) {
	type own struct {
		id, etag string
	}
	var clients []own
	start := time.Now().AddDate(0, -3, 0).Format(time.DateOnly)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		switch {
		case len(clients) == 0 || i%5 == 0:
			code, h, body := call("POST", base+"/api/clients", token, map[string]any{"name": fmt.Sprintf("Client %d-%d", w, i), "kind": "business",
				"contacts": []map[string]any{{"name": "Jo", "email": fmt.Sprintf("jo%d-%d@example.com", w, i)}}})
			id, _ := body["id"].(string)
			if l.record(code, ack{stream: "client-" + id}) {
				clients = append(clients, own{id: id, etag: cmp.Or(h.Get("ETag"), `"0"`)})
			}
		case i%5 == 1:
			c := clients[i%len(clients)]
			code, _, body := call("POST", base+"/api/clients/"+c.id+"/services", token, map[string]any{
				"name": "Monthly bookkeeping", "unit_price": "100", "quantity": "1", "tax_rate": "10", "automatic": true,
				"billing_rule": map[string]any{"frequency": "months", "interval": 1, "start": "on_date", "start_date": start, "end": "never"}})
			id, _ := body["id"].(string)
			l.record(code, ack{stream: "service-" + id})
		case i%5 == 2:
			c := clients[i%len(clients)]
			code, _, body := call("POST", base+"/api/invoices", token, map[string]any{"client_id": c.id,
				"lines": []map[string]any{{"description": fmt.Sprintf("Advice %d-%d", w, i), "quantity": "1", "unit_price": "100", "tax_rate": "10"}}})
			id, _ := body["id"].(string)
			if l.record(code, ack{stream: "invoice-" + id}) {
				l.mu.Lock()
				l.invoices[id], _ = body["number"].(string)
				l.mu.Unlock()
			}
		case i%5 == 3 && w == 0:
			code, _, _ := call("POST", base+"/api/billing-runs", token, nil)
			l.record(code, ack{})
		default:
			k := i % len(clients)
			c := &clients[k]
			name := fmt.Sprintf("Client %d-%d edited %d", w, k, i)
			code, h, _ := call("PUT", base+"/api/clients/"+c.id, token, map[string]any{"name": name, "kind": "business"}, "If-Match", c.etag)
			l.mu.Lock()
			switch {
			case code == http.StatusOK:
				c.etag = h.Get("ETag")
				l.lastName[c.id] = name
				delete(l.unsureNames, c.id)
			case code == 0 || code >= 500:
				l.unsureNames[c.id] = append(l.unsureNames[c.id], name)
			}
			l.mu.Unlock()
			if l.record(code, ack{stream: "client-" + c.id, rev: etagRev(h)}) {
				continue
			}
			if code == http.StatusPreconditionFailed || code == 0 || code >= 500 {
				// An edit without an answer may have been applied: read
				// the client again for its ETag.
				if code, h, _ := call("GET", base+"/api/clients/"+c.id, token, nil); code == http.StatusOK {
					c.etag = h.Get("ETag")
				}
			}
		}
	}
}

// readyz reads a node's GET /readyz checks by name.
func readyz(u string) (int, map[string]map[string]any) {
	resp, err := http.Get(u + "/readyz")
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var v struct {
		Checks []map[string]any `json:"checks"`
	}
	json.NewDecoder(resp.Body).Decode(&v)
	out := map[string]map[string]any{}
	for _, c := range v.Checks {
		out[c["name"].(string)] = c
	}
	return resp.StatusCode, out
}

// schedulerHolder is the index of the node whose /readyz says it holds
// the scheduler's lease (-1: none says so).
func schedulerHolder(nodes []serveProc) int {
	for i, n := range nodes {
		if _, c := readyz(n.url); c != nil {
			if d, _ := c["lease:scheduler"]["detail"].(string); strings.HasPrefix(d, "held by this node") {
				return i
			}
		}
	}
	return -1
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, limit time.Duration, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			tb.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// TestThreeNodes runs three `remit serve` on one PostgreSQL database behind
// a round-robin proxy, sets the firm up through the proxy and runs a mixed
// load (clients, services, instant bills, billing runs, edits with
// If-Match) while the node holding the scheduler's lease is SIGKILLed and
// restarted. Every acknowledged write is in the log, invoice numbers have
// no gap, each schedule item is billed once, the hash chain verifies, and
// another node takes the scheduler's lease over.
func TestThreeNodes(t *testing.T) {
	pg := pgtest.MustDatabase(t)
	bin := MustBuild(t)
	token := MustToken(t, bin, "--store", pg)
	dirs := make([]string, 3)
	nodes := make([]serveProc, 3)
	serve := func(i int) serveProc {
		return MustServe(t, bin, dirs[i], "--store", pg, "--node-name", fmt.Sprintf("node-%d", i))
	}
	var urls []string
	for i := range nodes {
		dirs[i] = filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i))
		nodes[i] = serve(i)
		urls = append(urls, nodes[i].url)
	}
	proxy := newProxy(t, urls)
	base := proxy.srv.URL
	if code, _, body := call("POST", base+"/api/firm", token, map[string]any{"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "group_items": false}); code != http.StatusCreated {
		t.Fatalf("set up the firm through the proxy: %d %v", code, body)
	}
	if sessionsShared {
		signInOnOneUseOnAll(t, nodes)
	}
	// Exactly one node holds the scheduler's lease; the others name it.
	var holder int
	waitFor(t, "a node takes the scheduler's lease", time.Minute, func() bool { holder = schedulerHolder(nodes); return holder >= 0 })
	for i, n := range nodes {
		if i == holder {
			continue
		}
		_, c := readyz(n.url)
		if d, _ := c["lease:scheduler"]["detail"].(string); d != fmt.Sprintf("held by node-%d", holder) {
			t.Errorf("node-%d's /readyz says of the scheduler's lease %q, want it held by node-%d", i, d, holder)
		}
	}

	l := &loadLog{invoices: map[string]string{}, lastName: map[string]string{}, unsureNames: map[string][]string{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() { l.worker(base, token, w, stop) })
	}
	// Mid-load, the scheduler's holder is killed and started again.
	waitFor(t, "load before the kill", 2*time.Minute, func() bool { return l.acked.Load() >= 60 })
	killed := holder
	l.nodeDown.Store(true)
	kill := time.Now()
	nodes[killed].cmd.Process.Signal(syscall.SIGKILL)
	nodes[killed].cmd.Wait()
	// Another node takes the scheduler's lease over.
	var next int
	takeover := waitFor(t, "another node takes the scheduler's lease", time.Minute, func() bool {
		next = schedulerHolder(slices.Delete(slices.Clone(nodes), killed, killed+1))
		return next >= 0
	})
	nodes[killed] = serve(killed)
	proxy.set(killed, nodes[killed].url)
	waitFor(t, "the restarted node is ready", time.Minute, func() bool { code, _ := readyz(nodes[killed].url); return code == http.StatusOK })
	recovered := time.Since(kill)
	l.nodeDown.Store(false)
	after := l.acked.Load()
	waitFor(t, "load after the restart", 2*time.Minute, func() bool { return l.acked.Load() >= after+60 })
	close(stop)
	wg.Wait()

	t.Logf("%d requests, %d acknowledged, %d refused (4xx), %d failed (%d while node-%d was down); node-%d recovered %s after SIGKILL; the scheduler's lease moved in %s",
		l.requests.Load(), l.acked.Load(), l.refused.Load(), l.failed.Load(), l.failedKill.Load(), killed, killed, recovered.Round(time.Millisecond), takeover.Round(time.Millisecond))
	if l.failed.Load() != l.failedKill.Load() {
		t.Errorf("%d requests failed while every node was up", l.failed.Load()-l.failedKill.Load())
	}

	st, err := storeurl.Open(context.Background(), pg, storeurl.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkAcksInLog(t, st, l)
	checkNumbersAndItems(t, st, l.invoices)
	checkLastEdits(t, nodes, token, l)
	clientLinksOnAll(t, nodes, token, l.invoices)
	if code, out := runBin(t, bin, "audit", "verify", "--store", pg); code != 0 {
		t.Fatalf("remit audit verify: exit %d\n%s", code, out)
	}
}

// checkAcksInLog: every acknowledged write's stream is in the log, at
// least at the revision its answer's ETag named.
func checkAcksInLog(tb testing.TB, st eventstore.Store, l *loadLog) {
	tb.Helper()
	ctx := context.Background()
	for _, a := range l.acks {
		recs, err := st.ReadStream(ctx, a.stream, 0, eventstore.Forward, 0)
		if err != nil || len(recs) == 0 {
			tb.Errorf("acknowledged write to %s is not in the log: %v", a.stream, err)
			continue
		}
		if last := recs[len(recs)-1].Revision; last < a.rev {
			tb.Errorf("%s is at revision %d, but a write to it was acknowledged at %d", a.stream, last, a.rev)
		}
	}
}

// checkNumbersAndItems: the invoice numbers run 1..N without a gap or a
// repeat, every acknowledged instant bill is issued with the number it was
// answered, and no schedule item is on two invoices or marked billed on an
// invoice that does not have it.
func checkNumbersAndItems(tb testing.TB, st eventstore.Store, acked map[string]string) {
	tb.Helper()
	ctx := context.Background()
	cat := catalog.New()
	recs, err := st.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceIssued", "ScheduleItemBilled", "ScheduleItemReleased"}})
	if err != nil {
		tb.Fatal(err)
	}
	numbers := map[string]string{}
	itemOn := map[string]string{}
	billed := map[string]string{}
	var ns []int
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		switch e := e.(type) {
		case invoice.InvoiceIssued:
			id := e.InvoiceID.String()
			if _, dup := numbers[id]; dup {
				tb.Errorf("invoice %s issued twice", id)
			}
			numbers[id] = e.Number
			n, _ := strconv.Atoi(strings.TrimLeft(strings.TrimPrefix(e.Number, "INV-"), "0"))
			ns = append(ns, n)
			for _, line := range e.Lines {
				if line.ItemKey == "" {
					continue
				}
				if other, ok := itemOn[line.ItemKey]; ok {
					tb.Errorf("item %s billed on %s and on %s", line.ItemKey, other, id)
				}
				itemOn[line.ItemKey] = id
			}
		case service.ScheduleItemBilled:
			billed[e.ItemKey] = e.InvoiceID.String()
		case service.ScheduleItemReleased:
			delete(billed, e.ItemKey)
		}
	}
	slices.Sort(ns)
	for i, n := range ns {
		if n != i+1 {
			tb.Fatalf("invoice numbers are not 1..%d without gaps or repeats: %d in place %d", len(ns), n, i+1)
		}
	}
	for id, n := range acked {
		if numbers[id] != n {
			tb.Errorf("invoice %s was answered number %s, the log has %q", id, n, numbers[id])
		}
	}
	for k, inv := range billed {
		if itemOn[k] != inv {
			tb.Errorf("item %s is marked billed on %s, which does not have it", k, inv)
		}
	}
	tb.Logf("%d invoices numbered 1..%d without a gap; %d schedule items, each billed once", len(ns), len(ns), len(itemOn))
}

// checkLastEdits: every node shows each client with the name of its last
// acknowledged edit (or of an edit sent after it that got no answer and
// may have been applied).
func checkLastEdits(tb testing.TB, nodes []serveProc, token string, l *loadLog) {
	tb.Helper()
	for _, n := range nodes {
		for id, want := range l.lastName {
			ok := append([]string{want}, l.unsureNames[id]...)
			var got string
			waitFor(tb, fmt.Sprintf("%s shows client %s as %q", n.url, id, want), time.Minute, func() bool {
				code, _, body := call("GET", n.url+"/api/clients/"+id, token, nil)
				got, _ = body["name"].(string)
				return code == http.StatusOK && slices.Contains(ok, got)
			})
		}
	}
}

// signInOnOneUseOnAll signs in through the first node's login form (with
// its CSRF token, when the form has one) and uses the session cookie on
// the other two: each answers a signed-in page, not the login form.
func signInOnOneUseOnAll(tb testing.TB, nodes []serveProc) {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(nodes[0].url + "/login")
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"email": {"owner@test.example"}, "password": {"correct horse battery staple"}}
	if m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page); m != nil {
		form.Set("csrf_token", string(m[1]))
	}
	resp, err = c.PostForm(nodes[0].url+"/login", form)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign in on node-0: %d, want 303", resp.StatusCode)
	}
	for i, n := range nodes {
		// The cookie was set for node-0's host and port; the others are on
		// the same host, so the jar sends it to them too.
		resp, err := c.Get(n.url + "/clients/new")
		if err != nil {
			tb.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			tb.Errorf("node-%d with node-0's session: %d (%s), want the signed-in page", i, resp.StatusCode, resp.Header.Get("Location"))
			continue
		}
		if i == 0 {
			continue
		}
		// A CSRF-checked form post on another node: the new-client form.
		form := url.Values{"name": {fmt.Sprintf("Signed in on node-0, made on node-%d", i)}, "kind": {"business"},
			"contacts[0].name": {"Jo"}, "contacts[0].email": {fmt.Sprintf("jo-ui-%d@example.com", i)}}
		for _, f := range []string{"_token", "csrf_token"} {
			if m := regexp.MustCompile(`name="` + f + `" value="([^"]+)"`).FindSubmatch(page); m != nil {
				form.Set(f, string(m[1]))
			}
		}
		if form.Get("csrf_token") == "" {
			tb.Errorf("node-%d's new-client form has no CSRF field", i)
		}
		resp, err = c.PostForm(n.url+"/clients/new", form)
		if err != nil {
			tb.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/clients/") {
			tb.Errorf("create a client through node-%d's form with node-0's session: %d (%s), want 303 to the client", i, resp.StatusCode, loc)
		}
		form.Set("csrf_token", "wrong")
		form.Set("_token", "another")
		if resp, err = c.PostForm(n.url+"/clients/new", form); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				tb.Errorf("node-%d took a form with a wrong CSRF token: %d, want 403", i, resp.StatusCode)
			}
		}
	}
}

// clientLinksOnAll makes a pay-now link for an invoice on node-0 (through
// the API) and opens it on every node: each shows the invoice, as the key
// links are signed with is shared through the database.
func clientLinksOnAll(tb testing.TB, nodes []serveProc, token string, invoices map[string]string) {
	tb.Helper()
	var id string
	for id = range invoices {
		break
	}
	if id == "" {
		tb.Fatal("no invoice to make a link for")
	}
	code, _, body := call("POST", nodes[0].url+"/api/invoices/"+id+"/payment-link", token, nil)
	link, _ := body["url"].(string)
	if code != http.StatusOK || link == "" {
		tb.Fatalf("pay-now link on node-0: %d %v", code, body)
	}
	u, err := url.Parse(link)
	if err != nil {
		tb.Fatal(err)
	}
	for i, n := range nodes {
		resp, err := http.Get(n.url + u.Path)
		if err != nil {
			tb.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(invoices[id])) {
			tb.Errorf("node-0's pay-now link for %s on node-%d: %d, want the invoice's page", invoices[id], i, resp.StatusCode)
		}
	}
}
