package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestIdempotencyKey checks that a retried POST gets the first response
// back and appends nothing, also after a restart and when the retries race;
// and that a key reused for another request is refused.
func TestIdempotencyKey(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	body := map[string]any{"name": "Acme", "kind": "business", "contacts": []any{map[string]any{"name": "Alice", "email": "alice@acme.test"}}}
	key := []string{"Idempotency-Key", "create-acme-1", "X-Remit-Actor", "staff@firm.test"}

	first := a.do("POST", "/api/clients", body, key...)
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	head := a.head()
	check := func(name string, r reply) {
		t.Helper()
		if r.Status != first.Status || !bytes.Equal(r.Body, first.Body) || r.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("%s: %d %s, want the first response %d %s", name, r.Status, r.Body, first.Status, first.Body)
		}
		if r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s: not marked as replayed", name)
		}
		if h := a.head(); h != head {
			t.Fatalf("%s: head moved from %d to %d", name, head, h)
		}
	}
	check("retry", a.do("POST", "/api/clients", body, key...))

	a.restart()
	check("retry after restart", a.do("POST", "/api/clients", body, key...))

	// Another actor's same key is another request.
	other := a.do("POST", "/api/clients", body, "Idempotency-Key", "create-acme-1", "X-Remit-Actor", "someone@else.test")
	if other.Status != http.StatusCreated || bytes.Equal(other.Body, first.Body) {
		t.Fatalf("another actor's key: %d %s", other.Status, other.Body)
	}
	head = a.head()

	// The same key for another body is refused and appends nothing.
	r := a.do("POST", "/api/clients", map[string]any{"name": "Other", "kind": "business"}, key...)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("key reused for another body: %d, want 422\n%s", r.Status, r.Body)
	}
	if a.head() != head {
		t.Fatal("a refused key reuse appended events")
	}

	// Racing retries of a new request: one client, one response.
	race := []string{"Idempotency-Key", "create-zenith", "X-Remit-Actor", "staff@firm.test"}
	zenith := map[string]any{"name": "Zenith", "kind": "individual", "contacts": []any{map[string]any{"name": "Zed", "email": "zed@zenith.test"}}}
	var wg sync.WaitGroup
	replies := make([]reply, 8)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = a.do("POST", "/api/clients", zenith, race...)
		}()
	}
	wg.Wait()
	for i, r := range replies {
		if r.Status != http.StatusCreated || !bytes.Equal(r.Body, replies[0].Body) {
			t.Fatalf("racing retry %d: %d %s, want %d %s", i, r.Status, r.Body, replies[0].Status, replies[0].Body)
		}
	}
	list := a.must(http.StatusOK, "GET", "/api/clients?search=zenith", nil)
	if n := len(items(t, list)); n != 1 {
		t.Fatalf("%d Zenith clients after racing retries, want 1", n)
	}
}

// TestListPaging walks a list by its next links.
func TestListPaging(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	for _, n := range []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo"} {
		a.mustCreateClient(n)
	}
	var names []string
	next := "/api/clients?limit=2"
	pages := 0
	for next != "" {
		r := a.do("GET", next, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.Status, r.Body)
		}
		page := r.JSON(t)
		if get(t, page, "total").(float64) != 5 || get(t, page, "limit").(float64) != 2 {
			t.Fatalf("page: %s", r.Body)
		}
		for _, it := range items(t, page) {
			names = append(names, str(t, it, "name"))
		}
		next, _ = page["next"].(string)
		if next != "" && r.Header.Get("Link") != "<"+next+`>; rel="next"` {
			t.Fatalf("Link header %q", r.Header.Get("Link"))
		}
		pages++
	}
	if pages != 3 || len(names) != 5 || names[0] != "Alpha" || names[4] != "Echo" {
		t.Fatalf("%d pages, names %v", pages, names)
	}
}

// TestIdempotencyKeyRaceWithAnotherBody: two requests with one key and
// different bodies that both miss the lookup (they race) do not share an
// answer: the one recorded second is refused as a reused key, with 422,
// instead of being handed the first one's response as its own.
func TestIdempotencyKeyRaceWithAnotherBody(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	created := a.do("POST", "/api/clients", map[string]any{"name": "Acme", "kind": "business",
		"contacts": []any{map[string]any{"name": "Alice", "email": "alice@acme.test"}}})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	path := created.Header.Get("Location")
	a.blindRecords = true
	a.restart()
	key := []string{"Idempotency-Key", "rename-1", "X-Remit-Actor", "staff@firm.test"}
	first := a.do("PUT", path, map[string]any{"name": "Acme One", "kind": "business"}, key...)
	if first.Status != http.StatusOK {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	second := a.do("PUT", path, map[string]any{"name": "Acme Two", "kind": "business"}, key...)
	if second.Status != http.StatusUnprocessableEntity || !strings.Contains(string(second.Body), "Idempotency-Key") {
		t.Fatalf("second, another body under the same key: %d %s; want 422 naming Idempotency-Key", second.Status, second.Body)
	}
}
