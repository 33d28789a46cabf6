package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/eventstore"
)

// gate is the store billing writes through in these tests. Armed, it holds
// the appends to streams starting with a prefix until n of them wait at
// once (or gateTimeout passes), so a test can tell whether commands reach
// the store together or one after another.
type gate struct {
	eventstore.Store

	mu       sync.Mutex
	prefix   string
	n        int
	waiting  int
	open     chan struct{} // nil when disarmed
	timedOut bool
}

const gateTimeout = 20 * time.Second

// arm holds the next n appends to streams starting with prefix.
func (g *gate) arm(prefix string, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prefix, g.n, g.waiting, g.open, g.timedOut = prefix, n, 0, make(chan struct{}), false
}

// filled reports whether the armed appends all waited at once.
func (g *gate) filled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.timedOut && g.waiting == g.n
}

func (g *gate) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	g.mu.Lock()
	ch := g.open
	if ch == nil || !strings.HasPrefix(stream, g.prefix) {
		g.mu.Unlock()
		return g.Store.Append(ctx, stream, expected, events...)
	}
	g.waiting++
	if g.waiting == g.n {
		close(ch)
		g.open = nil
	}
	g.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(gateTimeout):
		g.mu.Lock()
		if g.open == ch { // never filled: let everyone through
			close(ch)
			g.open, g.timedOut = nil, true
		}
		g.mu.Unlock()
	}
	return g.Store.Append(ctx, stream, expected, events...)
}

// concurrently sends the requests at once and returns their replies.
func (a *app) concurrently(n int, req func(i int) reply) []reply {
	out := make([]reply, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i] = req(i) })
	}
	wg.Wait()
	return out
}

// TestCommandsOnDifferentClientsRunConcurrently: commands on different
// clients are not serialised by the server. More clients than a striped
// lock could tell apart edit at once, and every one of them must reach the
// store before any is appended.
func TestCommandsOnDifferentClientsRunConcurrently(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	const clients = 65
	ids := make([]string, clients)
	for i := range ids {
		ids[i] = a.mustCreateClient(fmt.Sprintf("Client %d", i))
	}
	a.gate.arm("client-", clients)
	replies := a.concurrently(clients, func(i int) reply {
		return a.do("PUT", "/api/clients/"+ids[i], map[string]any{"name": fmt.Sprintf("Client %d renamed", i), "kind": "business"})
	})
	if !a.gate.filled() {
		t.Errorf("the %d commands did not reach the store together within %s: the server serialises commands on different clients", clients, gateTimeout)
	}
	for i, r := range replies {
		if r.Status != http.StatusOK {
			t.Fatalf("edit %d: %d %s", i, r.Status, r.Body)
		}
	}
}

// TestConcurrentCommandsOnOneClient: commands racing on one stream lose
// nothing (the store's expected revision refuses all but one append of each
// round, and billing decides the others again), and If-Match still means
// "only on top of what I saw": of changes all sent with the same ETag, one
// is applied and the others answer 412, also when they all passed the
// server's check of the ETag before any was appended.
func TestConcurrentCommandsOnOneClient(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	base := "/api/clients/" + a.mustCreateClient("Acme")
	const racers = 8

	a.gate.arm("client-", racers)
	replies := a.concurrently(racers, func(i int) reply {
		return a.do("POST", base+"/contacts", map[string]any{"name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d@acme.test", i)})
	})
	if !a.gate.filled() {
		t.Errorf("the %d commands did not reach the store together within %s", racers, gateTimeout)
	}
	for i, r := range replies {
		if r.Status != http.StatusCreated {
			t.Fatalf("add contact %d: %d %s", i, r.Status, r.Body)
		}
	}
	c := a.do("GET", base, nil)
	if tag := c.Header.Get("ETag"); tag != fmt.Sprintf(`"%d"`, racers) {
		t.Errorf("ETag %s after %d contacts added, want %q", tag, racers, fmt.Sprintf(`"%d"`, racers))
	}
	contacts := a.must(http.StatusOK, "GET", base+"/contacts", nil)
	if n := len(items(t, contacts)); n != racers+1 {
		t.Fatalf("%d contacts, want %d (the first and the %d added at once)\n%v", n, racers+1, racers, contacts)
	}

	tag := c.Header.Get("ETag")
	before := a.head()
	a.gate.arm("client-", racers)
	replies = a.concurrently(racers, func(i int) reply {
		return a.do("PUT", base, map[string]any{"name": fmt.Sprintf("Acme %d", i), "kind": "business"}, "If-Match", tag)
	})
	if !a.gate.filled() {
		t.Errorf("the %d commands did not reach the store together within %s", racers, gateTimeout)
	}
	won := -1
	for i, r := range replies {
		switch r.Status {
		case http.StatusOK:
			if won >= 0 {
				t.Fatalf("edits %d and %d both applied on ETag %s", won, i, tag)
			}
			won = i
		case http.StatusPreconditionFailed:
		default:
			t.Fatalf("edit %d: %d %s", i, r.Status, r.Body)
		}
	}
	if won < 0 {
		t.Fatal("no edit applied")
	}
	if h := a.head(); h != before+1 {
		t.Errorf("head moved from %d to %d, want one event", before, h)
	}
	if got := str(t, a.must(http.StatusOK, "GET", base, nil), "name"); got != fmt.Sprintf("Acme %d", won) {
		t.Errorf("name %q, want the applied edit's %q", got, fmt.Sprintf("Acme %d", won))
	}
}
