package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"remit/eventstore/kurrent/kurrenttest"
	"remit/eventstore/postgres/pgtest"
)

// getJSON fetches url and decodes its JSON object.
func getJSON(tb testing.TB, url, token string) map[string]any {
	tb.Helper()
	resp, err := authGet(tb, url, token)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("GET %s: %v\n%s", url, err, raw)
	}
	return out
}

// twoServers runs the multi-process scenario: two `remit serve` processes
// on one shared store take commands at the same time; every command is
// applied once, invoice numbers stay gapless across both, and both
// processes' read models converge on the same data.
func twoServers(t *testing.T, storeURL string) {
	bin := MustBuild(t)
	token := MustToken(t, bin, "--store", storeURL)
	a := MustServe(t, bin, filepath.Join(t.TempDir(), "a"), "--store", storeURL)
	b := MustServe(t, bin, filepath.Join(t.TempDir(), "b"), "--store", storeURL)
	servers := []serveProc{a, b}
	t.Cleanup(func() {
		if t.Failed() {
			for i, p := range servers {
				p.mu.Lock()
				t.Logf("server %c's log:\n%s", 'A'+i, p.out.String())
				p.mu.Unlock()
			}
		}
	})
	// One invoice per item: grouped, the weekly catch-up items below would
	// make one invoice dated today.
	if code, body := post(t, a.url+"/api/firm", token, map[string]any{
		"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "group_items": false,
	}); code != http.StatusCreated {
		t.Fatalf("set up firm: %d %v", code, body)
	}
	code, body := post(t, b.url+"/api/clients", token, map[string]any{
		"name": "Acme Pty Ltd", "kind": "business", "contacts": []map[string]any{{"name": "Jo", "email": "jo@acme.example"}},
	})
	if code != http.StatusCreated {
		t.Fatalf("create client on B (the firm was set up on A): %d %v", code, body)
	}
	clientID, _ := body["id"].(string)

	const perServer = 6
	var mu sync.Mutex
	var numbers []string
	var wg sync.WaitGroup
	for i := 0; i < 2*perServer; i++ {
		srv := servers[i%2]
		wg.Go(func() {
			code, body := post(t, srv.url+"/api/invoices", token, map[string]any{
				"client_id": clientID,
				"lines":     []map[string]any{{"description": fmt.Sprintf("Advice %d", i), "quantity": "1", "unit_price": "100", "tax_rate": "10"}},
			})
			if code != http.StatusCreated {
				t.Errorf("issue invoice %d: %d %v", i, code, body)
				return
			}
			mu.Lock()
			numbers = append(numbers, body["number"].(string))
			mu.Unlock()
		})
		wg.Go(func() {
			if code, body := post(t, srv.url+"/api/clients", token, map[string]any{
				"name": fmt.Sprintf("Client %02d", i), "kind": "business",
				"contacts": []map[string]any{{"name": "Bo", "email": "bo@example.com"}},
			}); code != http.StatusCreated {
				t.Errorf("create client %d: %d %v", i, code, body)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if want := fmt.Sprintf("INV-%06d", i+1); n != want {
			t.Fatalf("invoice numbers %v are not 1..%d without gaps", numbers, 2*perServer)
		}
	}
	// A weekly automatic service that started ten weeks ago has catch-up
	// items due; both processes run billing at the same moment, twice.
	start := time.Now().AddDate(0, 0, -70).Format(time.DateOnly)
	if code, body := post(t, a.url+"/api/clients/"+clientID+"/services", token, map[string]any{
		"name": "Weekly bookkeeping", "unit_price": "100", "quantity": "1", "tax_rate": "10", "automatic": true,
		"billing_rule": map[string]any{"frequency": "weeks", "interval": 1, "start": "on_date", "start_date": start, "end": "never"},
	}); code != http.StatusCreated {
		t.Fatalf("weekly service: %d %v", code, body)
	}
	var runs sync.WaitGroup
	for i := 0; i < 4; i++ {
		srv := servers[i%2]
		runs.Go(func() {
			if code, body := post(t, srv.url+"/api/billing-runs", token, nil); code != http.StatusOK {
				t.Errorf("billing run on %s: %d %v", srv.url, code, body)
			}
		})
	}
	runs.Wait()
	if t.Failed() {
		return
	}
	// Both processes' read models converge on the same invoices: each
	// due item invoiced once (10 or 11 weekly items, one invoice each),
	// numbers 1..N without a gap or a repeat.
	var want float64
	deadline := time.Now().Add(30 * time.Second)
	for _, srv := range servers {
		for {
			clients := getJSON(t, srv.url+"/api/clients?limit=100", token)
			invoices := getJSON(t, srv.url+"/api/invoices?limit=100", token)
			total, _ := invoices["total"].(float64)
			if clients["total"] == float64(2*perServer+1) && total >= float64(2*perServer+10) && (want == 0 || total == want) {
				if want == 0 {
					want = total
				}
				var nums []string
				for _, it := range invoices["items"].([]any) {
					nums = append(nums, it.(map[string]any)["number"].(string))
				}
				slices.Sort(nums)
				for i, n := range nums {
					if w := fmt.Sprintf("INV-%06d", i+1); n != w {
						t.Fatalf("%s: invoice numbers %v are not 1..%d without gaps or repeats", srv.url, nums, len(nums))
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never converged: %v clients, %v invoices (want %d clients, %v invoices)",
					srv.url, clients["total"], total, 2*perServer+1, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if want > float64(2*perServer+11) {
		t.Fatalf("%v invoices: the weekly items were billed more than once", want)
	}
}

func TestTwoServersOnPostgres(t *testing.T) {
	twoServers(t, pgtest.MustDatabase(t))
}

func TestTwoServersOnKurrentDB(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	twoServers(t, srv.ConnString())
}

// TestTwoBillProcessesOnPostgres: two `remit bill` processes run on one
// PostgreSQL database at the same moment; each due item is invoiced once
// and the numbers stay gapless.
func TestTwoBillProcessesOnPostgres(t *testing.T) {
	pg := pgtest.MustDatabase(t)
	bin := MustBuild(t)
	a := MustServe(t, bin, filepath.Join(t.TempDir(), "a"), "--store", pg, "--no-auth")
	// One invoice per item (grouped, each client's catch-up would be one).
	if code, body := post(t, a.url+"/api/firm", "", map[string]any{"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "group_items": false}); code != http.StatusCreated {
		t.Fatalf("firm: %d %v", code, body)
	}
	var clients []string
	for i := 0; i < 3; i++ {
		code, body := post(t, a.url+"/api/clients", "", map[string]any{"name": fmt.Sprintf("Client %d", i), "kind": "business",
			"contacts": []map[string]any{{"name": "Jo", "email": "jo@example.com"}}})
		if code != http.StatusCreated {
			t.Fatalf("client: %d %v", code, body)
		}
		clients = append(clients, body["id"].(string))
	}
	start := time.Now().AddDate(0, 0, -56).Format(time.DateOnly)
	for _, c := range clients {
		if code, body := post(t, a.url+"/api/clients/"+c+"/services", "", map[string]any{
			"name": "Weekly bookkeeping", "unit_price": "100", "quantity": "1", "tax_rate": "10", "automatic": true,
			"billing_rule": map[string]any{"frequency": "weeks", "interval": 1, "start": "on_date", "start_date": start, "end": "never"},
		}); code != http.StatusCreated {
			t.Fatalf("service: %d %v", code, body)
		}
	}
	a.cmd.Process.Signal(syscall.SIGTERM) // nobody else bills: only the two processes below
	a.cmd.Wait()

	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			codes[i], outs[i] = runBin(t, bin, "bill", "--store", pg, "--data", filepath.Join(t.TempDir(), fmt.Sprintf("bill-%d", i)))
		})
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Fatalf("remit bill %d: exit %d\n%s", i, codes[i], outs[i])
		}
	}
	b := MustServe(t, bin, filepath.Join(t.TempDir(), "b"), "--store", pg, "--no-auth")
	var invoices map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		invoices = getJSON(t, b.url+"/api/invoices?limit=100", "")
		if total, _ := invoices["total"].(float64); total >= 3*8 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var nums []string
	for _, it := range invoices["items"].([]any) {
		nums = append(nums, it.(map[string]any)["number"].(string))
	}
	slices.Sort(nums)
	if len(nums) < 3*8 || len(nums) > 3*9 {
		t.Fatalf("%d invoices for 3 weekly services over 8 weeks (want 24 to 27): the two runs double-billed or missed items\n%s\n%s", len(nums), outs[0], outs[1])
	}
	for i, n := range nums {
		if w := fmt.Sprintf("INV-%06d", i+1); n != w {
			t.Fatalf("invoice numbers %v are not 1..%d without gaps or repeats", nums, len(nums))
		}
	}
}
