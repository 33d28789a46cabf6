package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storeurl"
)

// numberLog is what the log says of invoice numbers: the reservations, the
// numbers issued and the voids, by number.
type numberLog struct {
	reserved map[string]uuid.UUID
	issued   map[string]uuid.UUID
	voided   map[string]string
	last     int64
}

func readNumbers(tb testing.TB, dir string) numberLog {
	tb.Helper()
	st, err := storeurl.Open(context.Background(), "", storeurl.Options{DataDir: dir, ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceNumberReserved", "InvoiceNumbersReserved", "InvoiceNumberVoided", "InvoiceIssued"}})
	if err != nil {
		tb.Fatal(err)
	}
	l := numberLog{reserved: map[string]uuid.UUID{}, issued: map[string]uuid.UUID{}, voided: map[string]string{}}
	cat := catalog.New()
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		rsvs := numbering.ReservationsOf(e)
		switch e := e.(type) {
		case numbering.InvoiceNumberVoided:
			l.voided[e.Number] = e.Reason
		case invoice.InvoiceIssued:
			l.issued[e.Number] = e.InvoiceID
		}
		for _, rsv := range rsvs {
			l.reserved[rsv.Number] = rsv.InvoiceID
			l.last = max(l.last, rsv.Sequence)
		}
	}
	return l
}

// checkNoGap asserts that INV-000001 … the last number given are each one
// issued invoice or one void.
func (l numberLog) checkNoGap(tb testing.TB) {
	tb.Helper()
	for seq := int64(1); seq <= l.last; seq++ {
		n := numbering.FormatNumber("INV-", seq)
		_, issued := l.issued[n]
		_, voided := l.voided[n]
		if issued == voided {
			tb.Errorf("%s: issued %v, voided %v (reserved for %s)", n, issued, voided, l.reserved[n])
		}
	}
}

// TestInvoiceNumbersHaveNoGaps walks what issue 15 found, through the binary
// and the HTTP API as a firm's systems would: `remit bill` killed once its
// invoice numbers are reserved, then run again, leaves every number issued;
// an instant bill too large to record is refused with 422 and takes no
// number, so the next one takes the next; `remit reconcile` agrees; and a
// gap planted in the log (a number no invoice has) makes `remit reconcile`
// exit 1 naming the number.
func TestInvoiceNumbersHaveNoGaps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and bills 800 invoices")
	}
	bin := MustBuild(t)
	dir := filepath.Join(t.TempDir(), "data")
	items := seedDueItems(t, "", dir, 800)

	// A run killed right after it reserved its numbers, before (most of)
	// its invoices are appended.
	ro, err := storeurl.Open(context.Background(), "", storeurl.Options{DataDir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	p := startBill(t, bin, dir)
	killed := false
	for !killed {
		select {
		case <-p.done:
			t.Logf("the run finished before it could be killed:\n%s", p.out.String())
			killed = true
			continue
		default:
		}
		recs, err := ro.ReadStream(context.Background(), numbering.StreamName(), 0, eventstore.Forward, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
			killed = true
		}
		time.Sleep(time.Millisecond)
	}
	ro.Close()
	after := readNumbers(t, dir)
	t.Logf("killed with %d numbers reserved and %d invoices issued", len(after.reserved), len(after.issued))

	out := startBill(t, bin, dir).finish(t)
	t.Logf("the next run: %s", lastLines(out, 2))
	billed := readNumbers(t, dir)
	billed.checkNoGap(t)
	// seedDueItems sets the firm to one invoice per item.
	if len(billed.issued) != items || len(billed.voided) != 0 {
		t.Fatalf("%d invoices issued, %d numbers voided for %d items; want one invoice per item and no void", len(billed.issued), len(billed.voided), items)
	}
	if code, out := runBin(t, bin, "reconcile", "--data", dir); code != 0 || !strings.Contains(out, fmt.Sprintf("%d invoice numbers (0 void)", items)) {
		t.Fatalf("reconcile after the killed run: exit %d\n%s", code, out)
	}

	// Through the API: an instant bill of 3,600 lines (its event would be
	// over the store's 1 MiB limit) is refused before a number is taken.
	token := MustToken(t, bin, "--data", dir)
	srv := MustServe(t, bin, dir)
	code, body := post(t, srv.url+"/api/clients", token, map[string]any{
		"name": "Harbour Cafe", "kind": "business", "contacts": []map[string]any{{"name": "Mia", "email": "mia@harbour.example"}},
	})
	if code != http.StatusCreated {
		t.Fatalf("create client: %d %v", code, body)
	}
	clientID := body["id"]
	lines := make([]map[string]any, 3600)
	for i := range lines {
		lines[i] = map[string]any{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "0"}
	}
	code, body = post(t, srv.url+"/api/invoices", token, map[string]any{"client_id": clientID, "lines": lines})
	if problem, _ := json.Marshal(body); code != http.StatusUnprocessableEntity || !strings.Contains(string(problem), "lines") {
		t.Fatalf("an oversize instant bill: %d %s; want 422 naming the lines", code, problem)
	}
	code, body = post(t, srv.url+"/api/invoices", token, map[string]any{"client_id": clientID,
		"lines": []map[string]any{{"description": "Catering advice", "quantity": "2", "unit_price": "150", "tax_rate": "10"}}})
	if want := numbering.FormatNumber("INV-", int64(items)+1); code != http.StatusCreated || body["number"] != want {
		t.Fatalf("the next instant bill: %d %v; want %s", code, body, want)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()

	final := readNumbers(t, dir)
	final.checkNoGap(t)
	if final.last != int64(items)+1 {
		t.Fatalf("last number given %d, want %d", final.last, items+1)
	}
	if code, out := runBin(t, bin, "reconcile", "--data", dir); code != 0 || !strings.Contains(out, "OK: everything agrees") {
		t.Fatalf("reconcile: exit %d\n%s", code, out)
	}

	// A gap planted in the log: the number after next given to an invoice
	// never issued, so the next is given to no one.
	st, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	skipped, planted := numbering.FormatNumber("INV-", int64(items)+2), numbering.FormatNumber("INV-", int64(items)+3)
	plantedEvent, _ := json.Marshal(numbering.InvoiceNumberReserved{Number: planted, Sequence: int64(items) + 3, InvoiceID: uuid.New(), At: time.Now()})
	if _, err := st.Append(context.Background(), numbering.StreamName(), eventstore.Any, eventstore.EventData{
		ID: uuid.New(), Type: "InvoiceNumberReserved", SchemaVersion: 1, Data: plantedEvent, Metadata: eventstore.Metadata{Actor: "test:planted"},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out = runBin(t, bin, "reconcile", "--data", dir)
	if code != 1 || !strings.Contains(out, skipped) || !strings.Contains(out, "missing") || !strings.Contains(out, planted) {
		t.Fatalf("reconcile with a planted gap: exit %d, want 1 naming %s and %s\n%s", code, skipped, planted, out)
	}
	t.Log(lastLines(out, 4))
}
