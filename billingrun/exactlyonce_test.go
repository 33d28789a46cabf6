package billingrun_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billingrun"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
)

// MustManyDueItems sets up clients×services automatic monthly services
// from 1 March, each with its client's card, and returns the number of
// items due on asOf.
func (f *fixture) MustManyDueItems(clients, services int, asOf domain.Date) int {
	f.tb.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for c := range clients {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			id := f.MustClient(fmt.Sprintf("Client %d", c), sandbox.TokenCardSucceeds)
			for s := range services {
				f.MustService(id, fmt.Sprintf("Service %d", s), every(domain.FrequencyMonths, domain.MustDate(2025, 3, 1+s%2)), true)
			}
		})
	}
	wg.Wait()
	return clients * services * (int(asOf.Month()) - 2)
}

// checkExactlyOnce asserts that every schedule item billed is on exactly
// one issued invoice, that the numbers are gapless from 1, that no invoice
// was issued twice, and returns the number of invoices.
func checkExactlyOnce(tb testing.TB, store eventstore.Store, wantItems int) int {
	tb.Helper()
	recs, err := store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceIssued"}})
	if err != nil {
		tb.Fatal(err)
	}
	cat := catalog.New()
	items := map[string]uuid.UUID{}
	var numbers []int
	seen := map[uuid.UUID]bool{}
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		iss := e.(invoice.InvoiceIssued)
		if seen[iss.InvoiceID] {
			tb.Errorf("invoice %s issued twice", iss.InvoiceID)
		}
		seen[iss.InvoiceID] = true
		n, err := strconv.Atoi(strings.TrimLeft(iss.Number, "INV-0"))
		if err != nil {
			tb.Fatalf("number %q: %v", iss.Number, err)
		}
		numbers = append(numbers, n)
		for _, l := range iss.Lines {
			if other, ok := items[l.ItemKey]; ok {
				tb.Errorf("item %s invoiced on %s and %s", l.ItemKey, other, iss.InvoiceID)
			}
			items[l.ItemKey] = iss.InvoiceID
		}
	}
	if len(items) != wantItems {
		tb.Errorf("%d items invoiced, want %d", len(items), wantItems)
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if n != i+1 {
			tb.Fatalf("invoice numbers are not gapless: %d at place %d (numbers %v…)", n, i+1, numbers[:min(len(numbers), 20)])
		}
	}
	// Every item billed on the service side is billed on that invoice.
	billed, err := store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"ScheduleItemBilled", "ScheduleItemReleased"}})
	if err != nil {
		tb.Fatal(err)
	}
	open := map[string]uuid.UUID{}
	for _, r := range billed {
		e, _ := cat.Decode(r.Type, r.Data)
		switch e := e.(type) {
		case service.ScheduleItemBilled:
			open[e.ItemKey] = e.InvoiceID
		case service.ScheduleItemReleased:
			delete(open, e.ItemKey)
		}
	}
	for k, inv := range open {
		if items[k] != inv {
			tb.Errorf("item %s is marked billed on %s, which did not invoice it", k, inv)
		}
	}
	return len(seen)
}

// TestConcurrentRuns runs two billing runs at once over one store, each
// with its own billing.Service (as two processes would have), then both
// collections at once: each item is invoiced once, numbers are gapless and
// each invoice is charged once.
func TestConcurrentRuns(t *testing.T) {
	asOf := domain.MustDate(2025, 4, 2)
	f := newFixture(t, asOf)
	f.MustSetUpFirm(true, 0)
	f.names = nil // MustManyDueItems creates clients from several goroutines
	wantItems := f.MustManyDueItems(30, 2, asOf)

	svcs := []*billingrunSvc{{f.svc}, {f.newService()}}
	var wg sync.WaitGroup
	reps := make([]billingrun.Report, 2)
	for i, s := range svcs {
		wg.Go(func() {
			rep, err := billingrun.Run(context.Background(), f.store, s.Service, asOf, billingrun.Options{Workers: 3})
			if err != nil {
				t.Errorf("run %d: %v", i, err)
			}
			for _, e := range rep.Errors {
				t.Errorf("run %d: %v", i, e)
			}
			reps[i] = rep
		})
	}
	wg.Wait()
	invoices := checkExactlyOnce(t, f.store, wantItems)
	for i, rep := range reps {
		if rep.Groups != invoices || rep.Issued+rep.AlreadyIssued != rep.Groups {
			t.Errorf("run %d: %+v for %d invoices in the store", i, rep, invoices)
		}
	}
	if invoices != 30*4 { // per client: 1 March (service 0), 2 March (service 1), 1 April, 2 April
		t.Errorf("%d invoices, want 120", invoices)
	}

	for i, s := range svcs {
		wg.Go(func() {
			if _, err := billingrun.Collect(context.Background(), f.store, s.Service, f.gw, asOf, billingrun.CollectOptions{Workers: 3}); err != nil {
				t.Errorf("collect %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := f.charges(); n != invoices {
		t.Errorf("%d charges for %d invoices", n, invoices)
	}
	paid, err := f.store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoicePaymentSucceeded"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paid) != invoices {
		t.Errorf("%d payments recorded for %d invoices", len(paid), invoices)
	}
}

// crashChildEnv names the data folder TestCrashChild bills; without it the
// child test skips itself.
const crashChildEnv = "REMIT_TEST_BILLINGRUN_CHILD_DIR"

var crashAsOf = domain.MustDate(2025, 4, 2)

// TestCrashChild is run by TestKilledRunCompletes in a child process, which
// it SIGKILLs mid-run: it runs billing and collection over the folder,
// saying "progress" after each invoice.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestKilledRunCompletes in a child process")
	}
	f := &fixture{tb: t, dir: dir, clk: &clock{}}
	f.clk.setDay(crashAsOf)
	f.open()
	defer f.store.Close()
	progress := func(p billingrun.Progress) { fmt.Fprintf(os.Stdout, "progress %d/%d\n", p.Done, p.Total) }
	if _, err := billingrun.Run(context.Background(), f.store, f.svc, crashAsOf, billingrun.Options{Progress: progress}); err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	if _, err := billingrun.Collect(context.Background(), f.store, f.svc, f.gw, crashAsOf, billingrun.CollectOptions{Progress: progress}); err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	fmt.Println("done")
}

// TestKilledRunCompletes SIGKILLs a real child process running the billing
// run and collection at several moments, restarts it, and finally lets it
// finish: each item is invoiced once, numbers are gapless, each invoice is
// charged once and paid once.
func TestKilledRunCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	f := newFixture(t, crashAsOf)
	f.MustSetUpFirm(true, 0)
	f.names = nil
	wantItems := f.MustManyDueItems(60, 2, crashAsOf)
	if err := f.store.Close(); err != nil { // the child writes; one writer per folder
		t.Fatal(err)
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Kill after this many progress lines, then let the last child finish.
	for round, killAfter := range []int{5, 40, 100, 100, 100, 100, -1} {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+f.dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		lines, finished := 0, false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "progress"):
				lines++
				if lines == killAfter {
					cmd.Process.Kill() // SIGKILL
				}
			case line == "done":
				finished = true
			case strings.HasPrefix(line, "error"):
				t.Errorf("round %d: child: %s", round, line)
			}
		}
		cmd.Wait()
		if killAfter < 0 && !finished {
			t.Fatalf("the last child did not finish")
		}
		t.Logf("round %d: %d progress lines, finished %v", round, lines, finished)
	}

	st, err := sqlite.Open(f.dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	invoices := checkExactlyOnce(t, st, wantItems)
	gw, err := sandbox.Open(f.dir, sandbox.Options{Now: func() time.Time { return f.clk.Now() }})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := gw.Charges()
	if len(cs) != invoices {
		t.Errorf("%d charges for %d invoices", len(cs), invoices)
	}
	paid, _ := st.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoicePaymentSucceeded"}})
	if len(paid) != invoices {
		t.Errorf("%d payments recorded for %d invoices", len(paid), invoices)
	}
}
