package test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	mailbox "remit/domain/outbox"
	"remit/domain/service"
	"remit/eventstore"
	"remit/eventstore/postgres/pgtest"
	"remit/eventstore/storeurl"
	"remit/integrations/payments/sandbox"
	"remit/processes/billingrun"
	"remit/processes/emailer"
)

var (
	killItems = flag.Int("billkill.items", 10000, "due items in TestBillKilledAndRestarted (clients with two monthly services of 20 months each)")
	killSeed  = flag.Uint64("billkill.seed", 0, "seed of the kill moments (0: from the clock; the test logs the one it used)")
)

// The seeded firm: every client has a card that succeeds and two automatic
// monthly services on the 5th, 20 billings from January 2024, so the last
// item is dated killAsOf and nothing comes due after it (remit serve, which
// bills as of today, finds nothing more to do).
var (
	killStart = domain.MustDate(2024, 1, 5)
	killAsOf  = domain.MustDate(2025, 8, 5)
)

const (
	killMonths   = 20
	killServices = 2
)

// seedDueItems sets up the firm and enough clients for about items due
// items directly through billing (library calls; the API would be slow),
// and returns the number of items due on killAsOf. It also records the
// outbox's start (as remit serve's first start would), so only what billing
// does later is emailed.
func seedDueItems(tb testing.TB, storeURL, dataDir string, items int) int {
	tb.Helper()
	ctx := context.Background()
	st, err := storeurl.Open(ctx, storeURL, storeurl.Options{DataDir: dataDir})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	defer st.Close()
	svc := billing.New(billing.Config{Store: st, Now: time.Now, NewID: uuid.New})
	meta := billing.Meta{Actor: "test:seed"}
	// One invoice per item, for many invoices: grouped, each client's 40
	// items (38 of them missed billings caught up) would be one invoice.
	group := false
	if _, err := svc.SetUpFirm(ctx, billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}, GroupItems: &group,
	}, meta); err != nil {
		tb.Fatalf("set up firm: %v", err)
	}
	clients := items / (killMonths * killServices)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < clients; c = int(next.Add(1) - 1) {
				if err := seedClient(ctx, svc, meta, c); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatalf("seed: %v", err)
	}
	mailer, err := emailer.MailerFor("", dataDir)
	if err != nil {
		tb.Fatal(err)
	}
	ob, err := emailer.New(emailer.Config{Store: st, Mailer: mailer, From: "accounts@ledger.example", SkipHistory: true})
	if err != nil {
		tb.Fatal(err)
	}
	if err := ob.CatchUp(ctx); err != nil {
		tb.Fatalf("mark the outbox's start: %v", err)
	}
	return clients * killMonths * killServices
}

func seedClient(ctx context.Context, svc *billing.Service, meta billing.Meta, n int) error {
	res, err := svc.CreateClient(ctx, billing.ClientRequest{Name: fmt.Sprintf("Client %05d", n), Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Accounts", Email: fmt.Sprintf("accounts%d@client.example", n)}}}, meta)
	if err != nil {
		return fmt.Errorf("client %d: %w", n, err)
	}
	if _, err := svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: res.ID, Method: client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: sandbox.TokenCardSucceeds, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2035,
	}}, meta); err != nil {
		return fmt.Errorf("client %d: payment method: %w", n, err)
	}
	for s := range killServices {
		if _, err := svc.ActivateService(ctx, billing.ServiceRequest{
			ClientID: res.ID, Name: fmt.Sprintf("Service %d", s), UnitPrice: decimal.NewFromInt(int64(100 + 10*s)), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnDate, StartDate: killStart, End: domain.EndAfterN, EndAfter: killMonths},
			Automatic:   true,
		}, meta); err != nil {
			return fmt.Errorf("client %d: service %d: %w", n, s, err)
		}
	}
	return nil
}

// billProc is a running `remit bill` child process.
type billProc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func startBill(tb testing.TB, bin, dataDir string, storeArgs ...string) *billProc {
	tb.Helper()
	args := append([]string{"bill", "--as-of", killAsOf.String(), "--collect", "--data", dataDir}, storeArgs...)
	p := &billProc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "REMIT_DATA=", "REMIT_STORE=")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start remit bill: %v", err)
	}
	tb.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	return p
}

// killAt SIGKILLs p once the store's head reaches target (a random moment
// of the run, measured in events appended), unless p finishes first; it
// reports whether p was killed.
func (p *billProc) killAt(tb testing.TB, st eventstore.Store, target uint64) bool {
	tb.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return false
		case <-tick.C:
			h, err := st.Head(context.Background())
			if err != nil {
				tb.Errorf("head: %v", err) // may run on another goroutine: no Fatal
			}
			if err != nil || h >= target {
				p.cmd.Process.Kill() // SIGKILL: no deferred code, no flush
				<-p.done
				return !p.cmd.ProcessState.Success()
			}
		}
	}
}

// finish waits for p and fails unless it exited 0.
func (p *billProc) finish(tb testing.TB) string {
	tb.Helper()
	<-p.done
	if p.err != nil {
		tb.Fatalf("remit bill: %v\n%s", p.err, p.out.String())
	}
	return p.out.String()
}

func mustHead(tb testing.TB, st eventstore.Store) uint64 {
	tb.Helper()
	h, err := st.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func newRand(tb testing.TB) *rand.Rand {
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	tb.Logf("kill moments from seed %d (-billkill.seed=%d repeats them)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>1))
}

// TestBillKilledAndRestarted seeds 10,000 due items into an embedded store,
// then SIGKILLs `remit bill --collect` at random moments of its run (chosen
// as a random number of events into what is left of it), restarts it, and
// repeats, before a last run that completes. Each item is invoiced exactly
// once, numbers are gapless, each invoice is charged once (the sandbox's own
// record) and paid once. (Emails are checked on PostgreSQL below: remit bill
// sends none, remit serve's outbox does.)
func TestBillKilledAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the billing run over 10,000 items in child processes")
	}
	bin := MustBuild(t)
	rng := newRand(t)
	dir := filepath.Join(t.TempDir(), "data")
	t0 := time.Now()
	items := seedDueItems(t, "", dir, *killItems)
	t.Logf("seeded %d due items in %s", items, time.Since(t0).Round(time.Millisecond))

	// A whole run on a small copy of the same shape says how many events a
	// run appends per item, so the kills below land anywhere in the run
	// (billing or collection), wherever it spends its time.
	perItem := eventsPerItem(t, bin)
	seedHead := headOf(t, "", dir)
	refHead := seedHead + uint64(perItem*float64(items))
	t.Logf("a whole run appends %.2f events per item: about %d here", perItem, refHead-seedHead)

	ro, err := storeurl.Open(context.Background(), "", storeurl.Options{DataDir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	const rounds = 5
	killed := 0
	for r := range rounds {
		h := mustHead(t, ro)
		if h >= refHead {
			break
		}
		target := h + 1 + rng.Uint64N(refHead-h)
		p := startBill(t, bin, dir)
		if p.killAt(t, ro, target) {
			killed++
		}
		t.Logf("round %d: %d of %d events when the kill came (target %d): %s", r, mustHead(t, ro)-seedHead, refHead-seedHead, target-seedHead, p.cmd.ProcessState)
	}
	if killed < 2 {
		t.Fatalf("only %d of %d runs were killed mid-run: the kills prove too little", killed, rounds)
	}
	t0 = time.Now()
	last := startBill(t, bin, dir)
	<-last.done
	t.Logf("the completing run (%s):\n%s", time.Since(t0).Round(time.Millisecond), lastLines(last.out.String(), 4))
	if last.err != nil {
		t.Errorf("the completing run failed: %v", last.err)
	}

	invoices := checkBilledOnce(t, ro, items)
	checkChargedOnce(t, ro, dir, invoices)
}

// eventsPerItem runs remit bill to the end on a small store seeded like the
// big one and returns the events it appended per due item.
func eventsPerItem(tb testing.TB, bin string) float64 {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "small")
	items := seedDueItems(tb, "", dir, 10*killMonths*killServices)
	before := headOf(tb, "", dir)
	startBill(tb, bin, dir).finish(tb)
	return float64(headOf(tb, "", dir)-before) / float64(items)
}

// headOf opens a store just to read its head.
func headOf(tb testing.TB, storeURL, dir string) uint64 {
	tb.Helper()
	st, err := storeurl.Open(context.Background(), storeURL, storeurl.Options{DataDir: dir, ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	return mustHead(tb, st)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// issued is an invoice as its InvoiceIssued event says.
type issued struct {
	id     uuid.UUID
	number string
}

// checkBilledOnce asserts that each due item is on exactly one issued
// invoice, that no invoice was issued twice, that the numbers run 1..N
// without a gap, and that every item the services mark billed is billed on
// the invoice that has it; it returns the invoices by id.
func checkBilledOnce(tb testing.TB, st eventstore.Store, wantItems int) map[uuid.UUID]issued {
	tb.Helper()
	ctx := context.Background()
	cat := catalog.New()
	recs, err := st.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceIssued"}})
	if err != nil {
		tb.Fatal(err)
	}
	invoices := map[uuid.UUID]issued{}
	itemOn := map[string]uuid.UUID{}
	var numbers []int
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		iss := e.(invoice.InvoiceIssued)
		if _, dup := invoices[iss.InvoiceID]; dup {
			tb.Errorf("invoice %s issued twice", iss.InvoiceID)
		}
		inv := issued{id: iss.InvoiceID, number: iss.Number}
		for _, l := range iss.Lines {
			if other, ok := itemOn[l.ItemKey]; ok {
				tb.Errorf("item %s invoiced on %s and on %s", l.ItemKey, other, iss.InvoiceID)
			}
			itemOn[l.ItemKey] = iss.InvoiceID
		}
		invoices[iss.InvoiceID] = inv
		n, err := strconv.Atoi(strings.TrimLeft(strings.TrimPrefix(iss.Number, "INV-"), "0"))
		if err != nil {
			tb.Fatalf("invoice number %q: %v", iss.Number, err)
		}
		numbers = append(numbers, n)
	}
	if len(itemOn) != wantItems {
		tb.Errorf("%d items invoiced, want %d", len(itemOn), wantItems)
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if n != i+1 {
			tb.Fatalf("invoice numbers are not 1..%d without gaps or repeats: %d in place %d", len(numbers), n, i+1)
		}
	}
	billed, err := st.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"ScheduleItemBilled", "ScheduleItemReleased"}})
	if err != nil {
		tb.Fatal(err)
	}
	open := map[string]uuid.UUID{}
	for _, r := range billed {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		switch e := e.(type) {
		case service.ScheduleItemBilled:
			open[e.ItemKey] = e.InvoiceID
		case service.ScheduleItemReleased:
			delete(open, e.ItemKey)
		}
	}
	if len(open) != wantItems {
		tb.Errorf("%d items marked billed on their services, want %d", len(open), wantItems)
	}
	for k, inv := range open {
		if itemOn[k] != inv {
			tb.Errorf("item %s is marked billed on %s, which did not invoice it", k, inv)
		}
	}
	tb.Logf("%d items on %d invoices, numbered 1..%d", len(itemOn), len(invoices), len(numbers))
	return invoices
}

// checkChargedOnce reads the sandbox gateway's own record of charges (its
// table, one row per charge it made) and asserts one charge per invoice,
// never two for one key or one invoice; and that the store records exactly
// one successful payment per invoice and no rejection.
func checkChargedOnce(tb testing.TB, st eventstore.Store, gatewayDir string, invoices map[uuid.UUID]issued) {
	tb.Helper()
	gw, err := sandbox.Open(gatewayDir, sandbox.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer gw.Close()
	cs, err := gw.Charges()
	if err != nil {
		tb.Fatal(err)
	}
	keys := map[string]bool{}
	charged := map[uuid.UUID]int{}
	for _, c := range cs {
		if keys[c.IdempotencyKey] {
			tb.Errorf("the sandbox charged key %s twice", c.IdempotencyKey)
		}
		keys[c.IdempotencyKey] = true
		id, err := uuid.Parse(c.Metadata["invoice_id"])
		if err != nil {
			tb.Fatalf("charge %s names no invoice: %v", c.Reference, c.Metadata)
		}
		charged[id]++
	}
	for id, n := range charged {
		if _, ok := invoices[id]; !ok {
			tb.Errorf("charge for invoice %s, which was never issued", id)
		}
		if n != 1 {
			tb.Errorf("invoice %s (%s) charged %d times", id, invoices[id].number, n)
		}
	}
	if len(charged) != len(invoices) {
		tb.Errorf("%d invoices charged, %d issued", len(charged), len(invoices))
	}
	recs, err := st.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoicePaymentSucceeded", "InvoicePaymentRejected"}})
	if err != nil {
		tb.Fatal(err)
	}
	paid := map[string]int{}
	for _, r := range recs {
		if r.Type != "InvoicePaymentSucceeded" {
			tb.Errorf("%s on %s", r.Type, r.Stream)
		}
		paid[r.Stream]++
	}
	for s, n := range paid {
		if n != 1 {
			tb.Errorf("%s paid %d times", s, n)
		}
	}
	if len(paid) != len(invoices) {
		tb.Errorf("%d invoices paid, %d issued", len(paid), len(invoices))
	}
	tb.Logf("%d charges in the sandbox's record, %d payments recorded", len(keys), len(recs))
}

// checkEmailedOnce runs `remit serve` on the billed folder until its outbox
// has written an invoice email and a receipt for every invoice, killing it
// once in the middle, then asserts one queued and one sent email of each
// kind per invoice and one .eml file per email.
func checkEmailedOnce(tb testing.TB, bin, dir, storeURL string, invoices map[uuid.UUID]issued, rng *rand.Rand) {
	tb.Helper()
	want := 2 * len(invoices)
	outDir := filepath.Join(dir, "outbox")
	count := func() int {
		es, _ := os.ReadDir(outDir)
		n := 0
		for _, e := range es {
			if strings.HasSuffix(e.Name(), ".eml") {
				n++
			}
		}
		return n
	}
	t0 := time.Now()
	killAfter := 1 + rng.IntN(want-1)
	for round := 0; ; round++ {
		srv := MustServe(tb, bin, dir, "--no-auth", "--store", storeURL)
		deadline := time.Now().Add(3 * time.Minute)
		for n := count(); n < want; n = count() {
			if round == 0 && n >= killAfter {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("%d of %d emails written after 3 minutes", n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if round > 0 {
			// An email's file is written before its EmailSent is recorded:
			// the last one may still be on its way to the store.
			waitForSent(tb, storeURL, want, deadline)
		}
		srv.cmd.Process.Kill()
		srv.cmd.Wait()
		if round > 0 {
			break
		}
		tb.Logf("remit serve killed after %d of %d emails", count(), want)
	}
	tb.Logf("%d emails written in %s", count(), time.Since(t0).Round(time.Millisecond))

	st, err := storeurl.Open(context.Background(), storeURL, storeurl.Options{DataDir: dir, ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	cat := catalog.New()
	recs, err := st.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"EmailQueued", "EmailSent", "EmailFailed"}})
	if err != nil {
		tb.Fatal(err)
	}
	queued := map[uuid.UUID]mailbox.EmailQueued{}
	perInvoice := map[string]int{}
	sent := map[uuid.UUID]int{}
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		switch e := e.(type) {
		case mailbox.EmailQueued:
			if _, dup := queued[e.EmailID]; dup {
				tb.Errorf("email %s queued twice", e.EmailID)
			}
			queued[e.EmailID] = e
			perInvoice[string(e.Kind)+" "+e.InvoiceID.String()]++
		case mailbox.EmailSent:
			sent[e.EmailID]++
		default:
			tb.Errorf("%s on %s", r.Type, r.Stream)
		}
	}
	for id := range invoices {
		for _, k := range []mailbox.Kind{mailbox.KindInvoiceIssued, mailbox.KindPaymentReceipt} {
			if n := perInvoice[string(k)+" "+id.String()]; n != 1 {
				tb.Errorf("invoice %s (%s): %d %s emails", id, invoices[id].number, n, k)
			}
		}
	}
	if len(queued) != want {
		tb.Errorf("%d emails queued, want %d (an invoice email and a receipt per invoice)", len(queued), want)
	}
	for id := range queued {
		if sent[id] != 1 {
			tb.Errorf("email %s recorded sent %d times", id, sent[id])
		}
		if _, err := os.Stat(filepath.Join(outDir, id.String()+".eml")); err != nil {
			tb.Errorf("email %s: %v", id, err)
		}
	}
	if n := count(); n != want {
		tb.Errorf("%d .eml files, want %d", n, want)
	}
}

// waitForSent waits until the store (PostgreSQL, shared with a running
// remit serve) holds want EmailSent events, failing at deadline.
func waitForSent(tb testing.TB, storeURL string, want int, deadline time.Time) {
	tb.Helper()
	st, err := storeurl.Open(context.Background(), storeURL, storeurl.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	for {
		recs, err := st.ReadAll(context.Background(), 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"EmailSent"}})
		if err != nil {
			tb.Fatal(err)
		}
		if len(recs) >= want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d emails recorded sent after 3 minutes", len(recs), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoBillProcessesKilledOnPostgres: two `remit bill --collect`
// processes run at the same time on one PostgreSQL store (1,000 due items),
// sharing one sandbox gateway folder; in each round both are SIGKILLed at
// random moments, then both run to the end together. Each item is invoiced
// once, numbers are gapless, each invoice is charged and paid once. Then
// `remit serve` sends the emails, and is SIGKILLed and restarted in the
// middle of that: each email is queued, sent and written once.
func TestTwoBillProcessesKilledOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("runs billing in child processes")
	}
	pg := pgtest.MustDatabase(t)
	bin := MustBuild(t)
	rng := newRand(t)
	dir := filepath.Join(t.TempDir(), "gateway") // the sandbox's record, shared like one gateway account
	t0 := time.Now()
	items := seedDueItems(t, pg, dir, *killItems/10)
	t.Logf("seeded %d due items in %s", items, time.Since(t0).Round(time.Millisecond))
	st, err := storeurl.Open(context.Background(), pg, storeurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seedHead := mustHead(t, st)
	// Rounds in which each of the two is SIGKILLed a random number of
	// events into what is left of the run.
	span := uint64(eventsPerItem(t, bin) * float64(items))
	end := seedHead + span
	for r := range 3 {
		h := mustHead(t, st)
		if h >= end {
			break
		}
		var wg sync.WaitGroup
		for i := range 2 {
			p := startBill(t, bin, dir, "--store", pg)
			target := h + 1 + rng.Uint64N(end-h)
			wg.Go(func() {
				killed := p.killAt(t, st, target)
				t.Logf("round %d, process %d: target %d, %d events at the end: killed mid-run %v (%s)", r, i, target-seedHead, mustHead(t, st)-seedHead, killed, p.cmd.ProcessState)
			})
		}
		wg.Wait()
	}
	a, b := startBill(t, bin, dir, "--store", pg), startBill(t, bin, dir, "--store", pg)
	for _, p := range []*billProc{a, b} {
		t.Logf("a completing run:\n%s", lastLines(p.finish(t), 3))
	}
	invoices := checkBilledOnce(t, st, items)
	checkChargedOnce(t, st, dir, invoices)

	// Emails: remit bill sends none; the outbox in remit serve does, an
	// invoice email (with its PDF) and a receipt per invoice. It is killed
	// in the middle of that too.
	checkEmailedOnce(t, bin, dir, pg, invoices, rng)
}

// dyingStore is a store whose process "dies" after its n-th append: that
// append is written, every later one fails, as if SIGKILL had come between
// them (without the timing a real kill needs to land there).
type dyingStore struct {
	eventstore.Store
	n       int32
	appends atomic.Int32
}

func (d *dyingStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	if d.appends.Add(1) > d.n {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: the process died", stream)
	}
	return d.Store.Append(ctx, stream, exp, evs...)
}

// TestBillRunCompletesAfterDyingAnywhere is the kill test made exact: a
// billing run (one client, two monthly services, 20 dates, one invoice per item)
// dies right after its n-th append, for every n (or a spread over the whole
// run when it makes many); a new
// run (as a new process would: a fresh billing.Service and index) then
// completes it. Each item is invoiced exactly once, numbers stay gapless and
// every invoice gets its collection scheduled.
func TestBillRunCompletesAfterDyingAnywhere(t *testing.T) {
	// How many appends a whole run makes.
	ctx := context.Background()
	dir := t.TempDir()
	seedDueItems(t, "", dir, killMonths*killServices)
	st, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	counting := &dyingStore{Store: st, n: 1 << 30}
	if _, err := billingrun.Run(ctx, counting, billing.New(billing.Config{Store: counting, Now: time.Now, NewID: uuid.New}), killAsOf, billingrun.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	total := counting.appends.Load()
	var points []int32 // every append, or the first few and a spread when there are many
	for n := int32(1); n < total; n++ {
		if total <= 40 || n <= 4 || n%(total/12) == 0 {
			points = append(points, n)
		}
	}
	slices.Sort(points)
	t.Logf("a whole run makes %d appends; dying after %v of them", total, slices.Compact(points))
	for _, n := range slices.Compact(points) {
		t.Run(fmt.Sprintf("After%dAppends", n), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			items := seedDueItems(t, "", dir, killMonths*killServices)
			st, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			dying := &dyingStore{Store: st, n: n}
			svc := billing.New(billing.Config{Store: dying, Now: time.Now, NewID: uuid.New})
			billingrun.Run(ctx, dying, svc, killAsOf, billingrun.Options{Workers: 1}) // dies part-way: its errors are expected

			svc = billing.New(billing.Config{Store: st, Now: time.Now, NewID: uuid.New})
			rep, err := billingrun.Run(ctx, st, svc, killAsOf, billingrun.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range rep.Errors {
				t.Errorf("the completing run: %v", e)
			}
			invoices := checkBilledOnce(t, st, items)
			if len(invoices) != killMonths*killServices {
				t.Errorf("%d invoices for %d items, one invoice each", len(invoices), killMonths*killServices)
			}
			sched, err := st.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceCollectionScheduled"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(sched) != len(invoices) {
				t.Errorf("%d collections scheduled for %d invoices", len(sched), len(invoices))
			}
		})
	}
}
