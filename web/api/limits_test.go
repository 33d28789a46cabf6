package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// problemCount decodes a problem and returns how many field errors it lists
// and its last message.
func problemCount(tb testing.TB, body []byte) (int, string) {
	tb.Helper()
	var p struct {
		Errors []struct{ Field, Message string }
	}
	if err := json.Unmarshal(body, &p); err != nil {
		tb.Fatalf("not a problem: %v\n%.300s", err, body)
	}
	if len(p.Errors) == 0 {
		return 0, ""
	}
	return len(p.Errors), p.Errors[len(p.Errors)-1].Message
}

// TestErrorListsAreBounded: a body full of mistakes gets at most 20 of them
// listed plus "and N more", never an answer bigger than the question
// (issue 15, defect 11: 1 MB of [1,1,…] answered 34.9 MB).
func TestErrorListsAreBounded(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	body := `{"client_id":"` + clientID + `","lines":[1` + strings.Repeat(",1", 400_000) + `]}`
	r := a.do("POST", "/api/invoices", body)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %.300s", r.Status, r.Body)
	}
	if len(r.Body) > 8<<10 {
		t.Errorf("a %d-byte body answered %d bytes", len(body), len(r.Body))
	}
	n, last := problemCount(t, r.Body)
	if n != 21 || last != "and 399981 more problems" {
		t.Errorf("%d problems listed, the last %q; want 20 and \"and 399981 more problems\"", n, last)
	}

	var keys strings.Builder
	keys.WriteString(`{"name":"Acme","kind":"business"`)
	for i := range 50_000 {
		fmt.Fprintf(&keys, `,"k%d":1`, i)
	}
	keys.WriteString("}")
	r = a.do("POST", "/api/clients", keys.String())
	if n, last := problemCount(t, r.Body); r.Status != http.StatusBadRequest || n != 21 || !strings.Contains(last, "more problems") || len(r.Body) > 8<<10 {
		t.Errorf("50,000 unknown keys: status %d, %d problems (last %q), %d bytes", r.Status, n, last, len(r.Body))
	}
}

// TestLoginBodyIsSmallAndCounted: a sign-in body is a few KB at most, and a
// malformed one counts toward the address's login limit like a wrong
// password (issue 15, defect 11).
func TestLoginBodyIsSmallAndCounted(t *testing.T) {
	s := newSecured(t)
	var keys strings.Builder
	keys.WriteString("{")
	for i := range 91_919 {
		if i > 0 {
			keys.WriteString(",")
		}
		fmt.Fprintf(&keys, `"k%d":1`, i)
	}
	keys.WriteString("}")
	r := s.send(creds{}, http.MethodPost, "/api/login", keys.String())
	if r.status != http.StatusRequestEntityTooLarge || len(r.body) > 2<<10 {
		t.Fatalf("a %d-byte login body: status %d, %d bytes; want 413 and a short answer", keys.Len(), r.status, len(r.body))
	}
	// Small malformed bodies: each refused, and soon rate limited.
	limited := false
	for i := 0; i < 100 && !limited; i++ {
		r := s.send(creds{}, http.MethodPost, "/api/login", `{"user":"x","pass":"y"}`)
		switch r.status {
		case http.StatusBadRequest:
		case http.StatusTooManyRequests:
			limited = true
		default:
			t.Fatalf("malformed login: status %d %s", r.status, r.body)
		}
	}
	if !limited {
		t.Fatal("100 malformed logins from one address were never rate limited")
	}
}
