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
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
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
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
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
		e, _ := cat.Decode(r.Type, r.SchemaVersion, r.Data)
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
	f.MustSetUpFirm(false, 0) // one invoice per item, for many invoices
	f.names = nil             // MustManyDueItems creates clients from several goroutines
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
	if invoices != 30*4 { // per client: 1 March (service 0), 2 March (service 1), 1 April, 2 April, each on its own
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
	numbered := func() {
		fmt.Fprintln(os.Stdout, "numbered")
		if os.Getenv(crashChildPauseEnv) != "" {
			time.Sleep(time.Minute) // the parent kills us here
		}
	}
	if _, err := billingrun.Run(context.Background(), f.store, f.svc, crashAsOf, billingrun.Options{Progress: progress, AfterNumbers: numbered}); err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	if _, err := billingrun.Collect(context.Background(), f.store, f.svc, f.gw, crashAsOf, billingrun.CollectOptions{Progress: progress}); err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	fmt.Println("done")
}

// crashChildPauseEnv, when set, makes TestCrashChild wait once its numbers
// are reserved, to be killed there.
const crashChildPauseEnv = "REMIT_TEST_BILLINGRUN_CHILD_PAUSE"

// TestKilledRunCompletes SIGKILLs a real child process running the billing
// run and collection at several moments (first right after it reserved its
// invoice numbers, before it appended any invoice; then while it appends
// invoices or collects), restarts it, and finally lets it finish: each item
// is invoiced once, numbers are gapless and all used, each invoice is charged
// once and paid once.
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
	// killAfter 0: kill once the numbers are reserved.
	for round, killAfter := range []int{0, 5, 40, 100, 100, 100, 100, -1} {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+f.dir)
		if killAfter == 0 {
			cmd.Env = append(cmd.Env, crashChildPauseEnv+"=1")
		}
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
			case line == "numbered" && killAfter == 0:
				cmd.Process.Kill()
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
		if killAfter == 0 && round == 0 {
			// Killed between reserving numbers and appending invoices: the
			// numbers are there, no invoice is.
			ro, err := sqlite.Open(f.dir, sqlite.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if n, issued := len(reservations(t, ro)), checkIssued(t, ro); n == 0 || issued != 0 {
				t.Errorf("killed after numbering: %d numbers reserved, %d invoices issued", n, issued)
			}
			ro.Close()
		}
		t.Logf("round %d: %d progress lines, finished %v", round, lines, finished)
	}

	st, err := sqlite.Open(f.dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	invoices := checkExactlyOnce(t, st, wantItems)
	checkEveryNumberUsed(t, st, invoices)
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

// reservations returns the invoice ids that have a number in the store.
func reservations(tb testing.TB, store eventstore.Store) map[uuid.UUID]bool {
	tb.Helper()
	recs, err := store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceNumberReserved", "InvoiceNumbersReserved"}})
	if err != nil {
		tb.Fatal(err)
	}
	cat := catalog.New()
	out := map[uuid.UUID]bool{}
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		var ids []uuid.UUID
		switch e := e.(type) {
		case numbering.InvoiceNumberReserved:
			ids = []uuid.UUID{e.InvoiceID}
		case numbering.InvoiceNumbersReserved:
			ids = e.InvoiceIDs
		}
		for _, id := range ids {
			if out[id] {
				tb.Errorf("invoice %s numbered twice", id)
			}
			out[id] = true
		}
	}
	return out
}

// checkEveryNumberUsed asserts that every reserved number is on an issued
// invoice: none was burned.
func checkEveryNumberUsed(tb testing.TB, store eventstore.Store, invoices int) {
	tb.Helper()
	if n := len(reservations(tb, store)); n != invoices {
		tb.Errorf("%d numbers reserved for %d invoices issued", n, invoices)
	}
}

// TestRunStoppedAfterNumbers stops a run once its numbers are reserved and
// before any invoice is appended (as a crash there would), then runs again
// with a fresh Service and Index, as a restarted process: the invoices
// numbered by the first run are issued with exactly those numbers, each item
// once, numbers gapless, no number unused.
func TestRunStoppedAfterNumbers(t *testing.T) {
	f := newFixture(t, crashAsOf)
	f.MustSetUpFirm(false, 0) // one invoice per item, for many invoices
	f.names = nil
	wantItems := f.MustManyDueItems(20, 2, crashAsOf)

	ctx, cancel := context.WithCancel(context.Background())
	_, err := billingrun.Run(ctx, f.store, f.svc, crashAsOf, billingrun.Options{AfterNumbers: cancel})
	if err == nil {
		t.Fatal("the stopped run reported no error")
	}
	numbered := reservations(t, f.store)
	if len(numbered) != 20*4 || checkIssued(t, f.store) != 0 {
		t.Fatalf("after the stop: %d numbers reserved, %d invoices issued; want 80 and 0", len(numbered), checkIssued(t, f.store))
	}

	rep, err := billingrun.Run(context.Background(), f.store, f.newService(), crashAsOf, billingrun.Options{})
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("re-run: %v %v", err, rep.Errors)
	}
	if rep.Interrupted != 80 || rep.Issued != 80 || rep.Items != 0 {
		t.Errorf("re-run: %+v, want the 80 interrupted invoices issued", rep)
	}
	invoices := checkExactlyOnce(t, f.store, wantItems)
	checkEveryNumberUsed(t, f.store, invoices)
	for id := range reservations(t, f.store) {
		if !numbered[id] {
			t.Errorf("the re-run numbered invoice %s, which the first run had not", id)
		}
	}
}

// checkIssued counts the issued invoices.
func checkIssued(tb testing.TB, store eventstore.Store) int {
	tb.Helper()
	recs, err := store.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceIssued"}})
	if err != nil {
		tb.Fatal(err)
	}
	return len(recs)
}

// TestManyConcurrentRuns runs three billing runs at once on one store, each
// with its own Service (as separate processes would have), started a little
// apart and with different numbers of workers: each item is invoiced once,
// numbers run 1..N without a gap and no number is unused.
func TestManyConcurrentRuns(t *testing.T) {
	f := newFixture(t, crashAsOf)
	f.MustSetUpFirm(true, 0)
	f.names = nil
	wantItems := f.MustManyDueItems(50, 3, crashAsOf)
	var wg sync.WaitGroup
	for i, workers := range []int{1, 8, 64} {
		svc := f.newService()
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 3 * time.Millisecond)
			rep, err := billingrun.Run(context.Background(), f.store, svc, crashAsOf, billingrun.Options{Workers: workers})
			if err != nil {
				t.Errorf("run %d: %v", i, err)
			}
			for _, e := range rep.Errors {
				t.Errorf("run %d: %v", i, e)
			}
		})
	}
	wg.Wait()
	invoices := checkExactlyOnce(t, f.store, wantItems)
	checkEveryNumberUsed(t, f.store, invoices)
	if invoices != 50 {
		t.Errorf("%d invoices, want 50 (one a client: the 12 items of its 3 services, 8 of them caught up, on one invoice dated the run's date)", invoices)
	}
}

// TestRefusedGroupBurnsNoNumber: a group the domain refuses (a service priced
// in another currency than its client's, after the client moved to US
// dollars) is reported, marks nothing and takes no number; the other
// groups' numbers stay gapless.
func TestRefusedGroupBurnsNoNumber(t *testing.T) {
	day := domain.MustDate(2025, 3, 1)
	f := newFixture(t, day)
	f.MustSetUpFirm(true, 0)
	for _, name := range []string{"Acme", "Brick", "Cobalt"} {
		id := f.MustClient(name, sandbox.TokenCardSucceeds)
		f.MustService(id, "Bookkeeping", every(domain.FrequencyMonths, day), true)
		if name == "Brick" {
			f.ok(f.svc.ActivateService(context.Background(), billing.ServiceRequest{ClientID: id, Name: "Audit", UnitPrice: dec("100"), Quantity: dec("1"),
				TaxRate: dec("10"), BillingRule: every(domain.FrequencyMonths, day), Automatic: true}, staff()))
			// A service in another currency than its client's is refused
			// when activated; a client can still change currency later.
			f.ok(f.svc.EditClient(context.Background(), billing.ClientRequest{ClientID: id, Name: name, Kind: client.KindBusiness, Currency: "USD"}, staff()))
		}
	}
	rep, err := billingrun.Run(context.Background(), f.store, f.svc, day, billingrun.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Issued != 2 || len(rep.Errors) != 1 || domain.ErrorCode(rep.Errors[0].Err) != domain.EINVALID {
		t.Fatalf("report %+v, want 2 issued and Brick's refused", rep)
	}
	invoices := checkExactlyOnce(t, f.store, 2)
	checkEveryNumberUsed(t, f.store, invoices)
}

// TestRunInNumberBlocks runs over more invoices than one block of numbers
// names, so each block's invoices are appended while the next block is
// reserved: each item once, numbers gapless and in date order, one
// numbering event per block. A run stopped once its first block is reserved
// is completed by the next run, which issues the invoices numbered in that
// block with those numbers and numbers the rest after them.
func TestRunInNumberBlocks(t *testing.T) {
	for _, stop := range []bool{false, true} {
		t.Run(map[bool]string{false: "OK", true: "StoppedAfterTheFirstBlock"}[stop], func(t *testing.T) {
			f := newFixture(t, crashAsOf)
			f.MustSetUpFirm(false, 0) // one invoice per item, for many invoices
			f.names = nil
			wantItems := f.MustManyDueItems(20, 2, crashAsOf)
			const block = 7 // 80 invoices: 12 blocks, the last of 3
			if stop {
				ctx, cancel := context.WithCancel(context.Background())
				if _, err := billingrun.Run(ctx, f.store, f.svc, crashAsOf, billingrun.Options{NumberBlock: block, AfterNumbers: cancel}); err == nil {
					t.Fatal("the stopped run reported no error")
				}
				if n, issued := len(reservations(t, f.store)), checkIssued(t, f.store); n < block || n%block != 0 || issued != 0 {
					t.Fatalf("after the stop: %d numbers reserved, %d invoices issued; want whole blocks of %d and none issued", n, issued, block)
				}
			}
			rep, err := billingrun.Run(context.Background(), f.store, f.newService(), crashAsOf, billingrun.Options{NumberBlock: block})
			if err != nil || len(rep.Errors) > 0 {
				t.Fatalf("run: %v %v", err, rep.Errors)
			}
			if rep.Issued != 80 {
				t.Errorf("run: %+v, want 80 invoices issued", rep)
			}
			invoices := checkExactlyOnce(t, f.store, wantItems)
			checkEveryNumberUsed(t, f.store, invoices)
			recs, err := f.store.ReadStream(context.Background(), numbering.StreamName(), 0, eventstore.Forward, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !stop && len(recs) != 12 {
				t.Errorf("%d numbering events, want 12 blocks", len(recs))
			}
			if again, err := billingrun.Run(context.Background(), f.store, f.newService(), crashAsOf, billingrun.Options{NumberBlock: block}); err != nil || again.Issued != 0 || again.Items != 0 {
				t.Errorf("re-run: %+v, %v; want nothing to do", again, err)
			}
		})
	}
}

// TestRunInChunks runs two runs at once, each issuing its invoices a few at
// a time (Options.Chunk: each chunk planned, marked, numbered and issued
// before the next), then a run stopped once its first chunk's numbers are
// reserved, completed by the next: each item once, numbers gapless, every
// number used, and each run heard one "planned" step per chunk.
func TestRunInChunks(t *testing.T) {
	t.Run("Concurrent", func(t *testing.T) {
		f := newFixture(t, crashAsOf)
		f.MustSetUpFirm(false, 0) // one invoice per item: 4 a client
		f.names = nil
		wantItems := f.MustManyDueItems(20, 2, crashAsOf)
		var wg sync.WaitGroup
		planned := make([]atomic.Int64, 2)
		for i, chunk := range []int{6, 11} {
			svc := f.newService()
			wg.Go(func() {
				step := func(name string) {
					if name == "planned" {
						planned[i].Add(1)
					}
				}
				rep, err := billingrun.Run(context.Background(), f.store, svc, crashAsOf, billingrun.Options{Chunk: chunk, NumberBlock: 5, Workers: 4, Step: step})
				if err != nil {
					t.Errorf("run %d: %v", i, err)
				}
				for _, e := range rep.Errors {
					t.Errorf("run %d: %v", i, e)
				}
				if rep.Groups != 80 || rep.Issued+rep.AlreadyIssued != 80 {
					t.Errorf("run %d: %+v, want 80 invoices issued by either run", i, rep)
				}
			})
		}
		wg.Wait()
		invoices := checkExactlyOnce(t, f.store, wantItems)
		checkEveryNumberUsed(t, f.store, invoices)
		// A client's 4 invoices stay in one chunk: 80 invoices in chunks of
		// 6 (rounded up to 8) and 11 (rounded up to 12).
		for i, want := range []int64{10, 7} {
			if n := planned[i].Load(); n != want {
				t.Errorf("run %d planned %d chunks, want %d", i, n, want)
			}
		}
	})
	t.Run("StoppedAfterTheFirstChunksNumbers", func(t *testing.T) {
		f := newFixture(t, crashAsOf)
		f.MustSetUpFirm(false, 0)
		f.names = nil
		wantItems := f.MustManyDueItems(10, 2, crashAsOf)
		ctx, cancel := context.WithCancel(context.Background())
		if _, err := billingrun.Run(ctx, f.store, f.svc, crashAsOf, billingrun.Options{Chunk: 8, AfterNumbers: cancel}); err == nil {
			t.Fatal("the stopped run reported no error")
		}
		if n, issued := len(reservations(t, f.store)), checkIssued(t, f.store); n != 8 || issued != 0 {
			t.Fatalf("after the stop: %d numbers reserved, %d invoices issued; want the first chunk's 8 and none issued", n, issued)
		}
		rep, err := billingrun.Run(context.Background(), f.store, f.newService(), crashAsOf, billingrun.Options{Chunk: 8})
		if err != nil || len(rep.Errors) > 0 || rep.Issued != 40 || rep.Interrupted != 8 {
			t.Fatalf("run: %+v %v, want 40 issued, 8 of them interrupted", rep, err)
		}
		invoices := checkExactlyOnce(t, f.store, wantItems)
		checkEveryNumberUsed(t, f.store, invoices)
		if again, err := billingrun.Run(context.Background(), f.store, f.newService(), crashAsOf, billingrun.Options{Chunk: 8}); err != nil || again.Issued != 0 || again.Items != 0 {
			t.Errorf("re-run: %+v, %v; want nothing to do", again, err)
		}
	})
}
