package billingrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
	"remit/internal/parallel"
	"remit/projections"
)

// runPrefix starts the command id of everything a billing run does.
const runPrefix = "billing-run/"

// DefaultActor is recorded as the actor of the runs' commands.
const DefaultActor = "billing-run"

// Options tune Run.
type Options struct {
	// Workers is how many appends go to the store in one block (default
	// billing.DefaultBatchWorkers; two blocks are in flight at once): the
	// embedded store shares one commit and sync among a block's appends.
	Workers int
	// Index is what the run reads (the read models); nil: read models
	// built from store in a temporary database for this run (OpenIndex).
	Index *Index
	// Actor is recorded on every event (default DefaultActor).
	Actor string
	// Progress, when set, is told how far the run is after each group.
	Progress func(Progress)
	// AfterNumbers, when set, is called once the run's first block of
	// invoice numbers is reserved and before any of its invoices is appended
	// (crash tests stop there).
	AfterNumbers func()
	// NumberBlock is how many invoices one block of numbers names (default
	// and at most 4,096; see billing.BatchOptions): tests set it small.
	NumberBlock int
	// Chunk is about how many invoices the run issues at a time, each chunk
	// planned, marked, numbered and issued before the next is planned
	// (default runChunk; a client's invoices are never split between two
	// chunks). Tests set it small.
	Chunk int
	// Step, when set, hears the end of each step of the run: "indexed" (the
	// Index is up to date), then IssueBatch's "planned", "marked", "issued",
	// once per chunk.
	Step func(name string)
	// DryRun decides the run as it would be made and appends nothing: the
	// invoices it would issue and the payments collection would then take
	// are in Report.Preview (see preview.go).
	DryRun bool
}

// Progress is how far a run is.
type Progress struct {
	Done, Total int
}

// Report says what a billing run did.
type Report struct {
	AsOf domain.Date
	// Items is the number of due items found; Groups the invoices they make.
	Items, Groups int
	// Issued invoices were issued by this run; AlreadyIssued ones by an
	// earlier or concurrent run over the same items.
	Issued, AlreadyIssued int
	// Skipped counts missed items this run recorded as skipped (the firm
	// skips missed billings).
	Skipped int
	// Interrupted counts invoices an earlier run began (items marked billed)
	// and did not issue, completed by this run.
	Interrupted int
	// CollectionsScheduled counts invoices whose collection this run scheduled.
	CollectionsScheduled int
	// NumbersVoided counts stranded invoice numbers this run voided: numbers
	// reserved by a request that died before issuing its invoice, which no
	// run can complete (see repair.go).
	NumbersVoided int
	// Errors are the groups (or collections) that failed; the run went on.
	Errors []GroupError
	// Preview is what a dry run (Options.DryRun) would do; nil otherwise.
	// A dry run counts the groups it would issue in Groups and the items it
	// would skip in Skipped, and issues, schedules and voids nothing.
	Preview *Preview
}

// GroupError is a billing group the run could not invoice (or whose
// collection it could not schedule).
type GroupError struct {
	ClientID  uuid.UUID
	Date      domain.Date
	ItemKeys  []string
	InvoiceID uuid.UUID // set for a collection that could not be scheduled
	Number    string    // set for a stranded invoice number that could not be voided
	Err       error
}

func (e GroupError) Error() string {
	if e.Number != "" {
		return fmt.Sprintf("void stranded invoice number %s (invoice %s): %v", e.Number, e.InvoiceID, e.Err)
	}
	if len(e.ItemKeys) == 0 {
		return fmt.Sprintf("schedule collection of invoice %s: %v", e.InvoiceID, e.Err)
	}
	return fmt.Sprintf("invoice client %s for %s (items %s): %v", e.ClientID, e.Date, strings.Join(e.ItemKeys, ", "), e.Err)
}

// group is one billing group: the items one invoice bills.
type group struct {
	key      string
	clientID uuid.UUID
	date     domain.Date // the issue date (service.Billing.IssueDate)
	method   uuid.UUID   // resolved: the items' own, else the client's default
	items    []string
	releases []int // release count of each item, for the ids

	invoiceID uuid.UUID // set for an interrupted issue: the invoice its items are marked billed on
	commandID string    // set when completing an interrupted issue
}

// ids returns the group's invoice id and the command id it is issued under.
// Both name the items and how often each was released (voided), so billing
// them again after a void is a new invoice and command, while two runs over
// the same items agree. The command id also carries the issue date, so that
// a run interrupted after marking the items billed can be completed with the
// same request (Index.interrupted reads it back from the items' events).
func (g *group) ids() (uuid.UUID, string) {
	releases := map[string]int{}
	keys := make([]string, len(g.items))
	for i, k := range g.items {
		keys[i] = fmt.Sprintf("%s#%d", k, g.releases[i])
		if g.releases[i] > 0 {
			releases[k] = g.releases[i]
		}
	}
	id := g.invoiceID
	if id == uuid.Nil {
		id = billing.InvoiceIDForItemsReleased(g.items, releases)
	}
	cmdID := g.commandID
	if cmdID == "" {
		slices.Sort(keys)
		h := uuid.NewSHA1(billing.EventNamespace, []byte("billing-run/issue/"+strings.Join(keys, ",")))
		cmdID = runPrefix + "issue/" + g.date.String() + "/" + h.String()
	}
	return id, cmdID
}

// Run is the billing run for asOf: it invoices every automatic item dated on
// or before asOf and every manual item scheduled to be issued on or before
// asOf, one invoice per billing group (client, issue date, payment method;
// one invoice per item when the firm does not group items), an item whose
// date passed being invoiced on asOf (or, when the firm skips missed
// billings, recorded as skipped; see the package doc), and schedules
// collection on the firm's collection date of every invoice a billing run
// issued that has a payment method and no collection yet (those it issues
// itself in the same append as the invoice).
//
// The groups are issued together by billing.Service.IssueBatch, decided from
// the Index (see the package doc for why that is safe and how numbers stay
// gapless). The invoice's id is derived from its items and every command id
// from the invoice, so running again, concurrently, or after a crash issues
// nothing twice and completes what an interrupted run left. A failing group
// is reported in Report.Errors and the run goes on; the error return is for
// what stops the whole run (the store unreadable, the firm not set up, ctx).
func Run(ctx context.Context, store eventstore.Store, svc *billing.Service, asOf domain.Date, opts Options) (Report, error) {
	rep := Report{AsOf: asOf}
	idx := opts.Index
	if idx == nil {
		var err error
		if idx, err = OpenIndex(ctx, store); err != nil {
			return rep, err
		}
		defer idx.Close()
	}
	if opts.Actor == "" {
		opts.Actor = DefaultActor
	}
	if opts.Workers <= 0 {
		opts.Workers = billing.DefaultBatchWorkers
	}
	if err := idx.Update(ctx); err != nil {
		return rep, err
	}
	if opts.Step != nil {
		opts.Step("indexed")
	}
	f := idx.Firm()
	if !f.SetUp {
		return rep, domain.Conflict("Set up the firm before running billing.")
	}
	// Numbers stranded by requests that died before issuing their invoice
	// are voided first; the items of those invoices, released, are then
	// billed by this run like any due item.
	snap := newSnapshot(idx)
	pend, err := pending(ctx, snap)
	if err != nil {
		return rep, err
	}
	voided := 0
	if !opts.DryRun {
		var verrs []GroupError
		voided, verrs = voidStrandedNumbers(ctx, pend, svc, opts.Actor, runPrefix+asOf.String())
		rep.NumbersVoided, rep.Errors = voided, append(rep.Errors, verrs...)
	}
	if voided > 0 {
		if err := idx.Update(ctx); err != nil {
			return rep, err
		}
		snap = newSnapshot(idx)
		if pend, err = pending(ctx, snap); err != nil {
			return rep, err
		}
	}

	p := newPlanner(snap, asOf)
	skips, err := p.due(ctx, &rep)
	if err != nil {
		return rep, err
	}
	if opts.DryRun {
		for _, keys := range skips {
			rep.Skipped += len(keys)
		}
	} else if err := skipMissed(ctx, svc, asOf, skips, opts, &rep); err != nil {
		return rep, err
	}
	ordered, err := p.ordered(ctx, pend, &rep)
	if err != nil {
		return rep, err
	}
	rep.Groups = len(ordered)
	if rep.Skipped > 0 && !opts.DryRun {
		// The skips moved their services on: without them read again,
		// marking those services' due items would conflict first.
		if err := idx.Update(ctx); err != nil {
			return rep, err
		}
		if err := snap.addServices(ctx, slices.Collect(maps.Keys(skips))); err != nil {
			return rep, err
		}
	}
	// The ids are hashes of every group's items: computed once, on every
	// core (a run names 100,000s of invoices).
	ids := make([]uuid.UUID, len(ordered))
	cmdIDs := make([]string, len(ordered))
	if err := onEveryCore(ctx, len(ordered), func(i int) { ids[i], cmdIDs[i] = ordered[i].ids() }); err != nil {
		return rep, err
	}
	if err := snap.addInvoices(ctx, ids); err != nil {
		return rep, err
	}

	corr := runPrefix + asOf.String()
	if opts.DryRun {
		// The same decision, reported instead of appended.
		batch, err := batchPart(ctx, ordered, ids, cmdIDs, opts, corr)
		if err != nil {
			return rep, err
		}
		results, err := svc.IssueBatch(ctx, snap, batch, batchOptions(opts, 0, len(ordered)))
		if err != nil {
			return rep, errors.Join(errors.New("billing run interrupted"), err)
		}
		rep.Preview, err = preview(ctx, snap, asOf, ordered, results, &rep)
		return rep, err
	}
	due, err := issueInChunks(ctx, svc, idx, snap, ordered, ids, cmdIDs, opts, corr, &rep)
	if err != nil {
		return rep, err
	}
	err = scheduleCollections(ctx, svc, f, due, opts, corr, &rep)
	slices.SortFunc(rep.Errors, func(a, b GroupError) int { return strings.Compare(a.Error(), b.Error()) })
	return rep, err
}

// planner forms a run's billing groups, by the same function as the
// schedule page's (service.Grouping.Plan): items whose date passed are
// invoiced on asOf (or skipped, as the firm chooses), each item's method is
// resolved to the client's default when it has none, and items of one
// client, issue date and method make one invoice. It reads the services
// and clients it plans into the run's snapshot.
type planner struct {
	snap     *snapshot
	grouping service.Grouping
	groups   map[string]*group
}

func newPlanner(snap *snapshot, asOf domain.Date) *planner {
	f := snap.firm
	return &planner{snap: snap, groups: map[string]*group{},
		grouping: service.Grouping{Today: asOf, OneInvoicePerItem: !f.GroupItems, SkipMissed: f.SkipsMissedBillings()}}
}

// defaultOf is the client's default payment method (uuid.Nil when none).
func (p *planner) defaultOf(clientID uuid.UUID) uuid.UUID {
	if cl, found := p.snap.clients[clientID]; found {
		if pm, has := cl.DefaultPaymentMethod(); has {
			return pm.ID
		}
	}
	return uuid.Nil
}

// due groups the due items of the services whose next item is due by the
// run's date (service.State.NextDue, indexed), counting them in rep.Items,
// and returns the missed items to skip, by service.
func (p *planner) due(ctx context.Context, rep *Report) (map[uuid.UUID][]string, error) {
	// The clients are read beside the services (on another connection, so
	// on the other core while this one scans the services' rows); any
	// client of a due service the first read missed (a service that became
	// due between the two reads) is read after.
	var withDue map[uuid.UUID]client.State
	var clientsErr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		withDue, clientsErr = p.snap.idx.models.ClientsWithServicesDue(ctx, p.grouping.Today)
	}()
	services, err := p.snap.idx.models.ServicesDue(ctx, p.grouping.Today)
	<-read
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	if clientsErr != nil {
		return nil, fmt.Errorf("billing run: %w", clientsErr)
	}
	for id, c := range withDue {
		if _, ok := p.snap.clients[id]; !ok {
			p.snap.clients[id] = c
		}
	}
	clients := make([]uuid.UUID, 0, len(services))
	for _, f := range services {
		p.snap.services[f.State.ID] = f
		clients = append(clients, f.State.ClientID)
	}
	if err := p.snap.addClients(ctx, clients); err != nil {
		return nil, err
	}
	// Each service's items are planned on every core (this only reads the
	// snapshot), then gathered in the services' order.
	type planned struct {
		billings []service.Billing
		skips    []string
	}
	each := make([]planned, len(services))
	if err := onEveryCore(ctx, len(services), func(i int) {
		st := services[i].State
		for _, it := range st.DueItems(p.grouping.Today) {
			b := p.grouping.Plan(st.ClientID, it, p.defaultOf(st.ClientID))
			switch {
			case b.Skip:
				each[i].skips = append(each[i].skips, it.Key)
			case b.GroupKey != "":
				each[i].billings = append(each[i].billings, b)
			}
		}
	}); err != nil {
		return nil, err
	}
	n := 0
	for _, e := range each {
		n += len(e.billings)
	}
	billings := make([]service.Billing, 0, n)
	releases := map[string]int{}
	skips := map[uuid.UUID][]string{}
	for i, e := range each {
		st := &services[i].State
		if len(e.skips) > 0 {
			skips[st.ID] = e.skips
		}
		for _, b := range e.billings {
			if n := st.Releases(b.Key); n > 0 {
				releases[b.Key] = n
			}
		}
		billings = append(billings, e.billings...)
		rep.Items += len(e.billings)
	}
	for _, sg := range service.Groups(billings) {
		g := &group{key: sg.Key, clientID: sg.ClientID, date: sg.IssueDate, method: sg.PaymentMethodID}
		for _, b := range sg.Items {
			g.items = append(g.items, b.Key)
			g.releases = append(g.releases, releases[b.Key])
		}
		p.groups[g.key] = g
	}
	return skips, nil
}

// ordered adds the invoices an earlier (or concurrent) run began and did
// not issue (of pend), counting them in rep.Interrupted: when their items
// and the still-due items of their billing group make up the very invoice
// begun, it is completed with all of them (on the date it was begun); else
// it is issued with the items it has. It returns every group, oldest first,
// so invoice numbers follow dates.
func (p *planner) ordered(ctx context.Context, pend []unissued, rep *Report) ([]*group, error) {
	again := interrupted(pend, p.snap)
	clients := make([]uuid.UUID, len(again))
	for i, u := range again {
		clients[i] = u.clientID
	}
	if err := p.snap.addClients(ctx, clients); err != nil {
		return nil, err
	}
	for _, u := range again {
		rep.Interrupted++
		u.method = service.ResolveMethod(u.method, p.defaultOf(u.clientID))
		key := p.grouping.Key(u.clientID, latest(u.date, p.grouping.Today), u.method, u.items[0])
		if g := p.groups[key]; g != nil && g.invoiceID == uuid.Nil {
			merged := &group{key: g.key, clientID: g.clientID, date: u.date, method: g.method, items: append(slices.Clone(g.items), u.items...),
				releases: append(slices.Clone(g.releases), u.releases...)}
			if id, _ := merged.ids(); id == u.invoiceID {
				merged.invoiceID, merged.commandID = u.invoiceID, u.commandID
				p.groups[g.key] = merged
				continue
			}
		}
		u.key = "interrupted/" + u.invoiceID.String()
		p.groups[u.key] = u
	}
	ordered := slices.Collect(maps.Values(p.groups))
	slices.SortFunc(ordered, func(a, b *group) int {
		if c := a.date.Compare(b.date); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	return ordered, nil
}

// batchPart is the IssueBatch request of groups: each invoice under its
// deterministic id and command id (ids, cmdIDs: the groups' ids()), with its
// collection. It is built on every core.
func batchPart(ctx context.Context, groups []*group, ids []uuid.UUID, cmdIDs []string, opts Options, corr string) ([]billing.BatchInvoice, error) {
	batch := make([]billing.BatchInvoice, len(groups))
	err := onEveryCore(ctx, len(groups), func(i int) {
		g := groups[i]
		items := slices.Clone(g.items)
		slices.Sort(items)
		batch[i] = billing.BatchInvoice{
			Request: billing.IssueInvoiceRequest{InvoiceID: ids[i], ClientID: g.clientID, ItemKeys: items, IssueDate: g.date, PaymentMethodID: g.method},
			Meta:    billing.Meta{Actor: opts.Actor, CommandID: cmdIDs[i], CorrelationID: corr, Batch: corr},
			Collect: &billing.Meta{Actor: opts.Actor, CommandID: collectCommandID(ids[i]), CorrelationID: corr, Batch: corr},
		}
	})
	return batch, err
}

// onEveryCore runs fn(0..n-1) on as many goroutines as there are CPUs: for
// the run's own work on its groups, which waits for nothing.
func onEveryCore(ctx context.Context, n int, fn func(i int)) error {
	return inParallel(ctx, runtime.GOMAXPROCS(0), n, fn)
}

// issueInChunks issues the groups of ordered (named by ids and cmdIDs) a chunk
// at a time (Options.Chunk), counting them in rep, and returns the invoices
// whose collection is still to schedule.
func issueInChunks(ctx context.Context, svc *billing.Service, idx *Index, snap *snapshot, ordered []*group, ids []uuid.UUID, cmdIDs []string, opts Options, corr string, rep *Report) (map[uuid.UUID]invoice.State, error) {
	due, err := collectable(ctx, idx)
	if err != nil {
		return nil, err
	}
	size := cmp.Or(max(opts.Chunk, 0), runChunk)
	for start := 0; start < len(ordered); {
		end := chunkEnd(ordered, start, size)
		batch, err := batchPart(ctx, ordered[start:end], ids[start:end], cmdIDs[start:end], opts, corr)
		if err != nil {
			return nil, err
		}
		results, err := svc.IssueBatch(ctx, snap, batch, batchOptions(opts, start, len(ordered)))
		if err != nil {
			return nil, errors.Join(errors.New("billing run interrupted"), err)
		}
		tally(ordered[start:end], results, due, rep)
		snap.forget(ordered[start:end], ids[start:end])
		start = end
	}
	return due, nil
}

// batchOptions are IssueBatch's options for the chunk of a run's total
// groups that starts at start: only the first chunk stops a crash test after
// its numbers, and progress counts the chunks before.
func batchOptions(opts Options, start, total int) billing.BatchOptions {
	bopts := billing.BatchOptions{Workers: opts.Workers, NumberBlock: opts.NumberBlock, Step: opts.Step, DryRun: opts.DryRun}
	if start == 0 {
		bopts.AfterNumbers = opts.AfterNumbers
	}
	if opts.Progress != nil {
		bopts.Progress = func(done, _ int) { opts.Progress(Progress{Done: start + done, Total: total}) }
	}
	return bopts
}

// runChunk is about how many invoices a run issues at a time (one
// billing.IssueBatch each): the plans, decisions and encoded events of one
// chunk are garbage before the next is planned, so the heap a 100,000-invoice
// run needs is a chunk's, reused chunk after chunk, rather than grown into
// fresh memory for all of them (see the package doc's Speed).
const runChunk = 16_384

// chunkEnd is where the chunk of ordered starting at start ends: size groups
// on, or further to the end of that client's groups, so a client's services
// are marked in one chunk (a service marked in an earlier chunk would be
// decided again from its stream, its snapshot revision being stale).
func chunkEnd(ordered []*group, start, size int) int {
	end := min(start+size, len(ordered))
	for end < len(ordered) && ordered[end].clientID == ordered[end-1].clientID {
		end++
	}
	return end
}

// collectable is the invoices earlier runs issued without a collection (the
// read models index them): tally adds this run's and removes those it
// scheduled.
func collectable(ctx context.Context, idx *Index) (map[uuid.UUID]invoice.State, error) {
	due := map[uuid.UUID]invoice.State{}
	err := projections.EachPage(ctx, idx.models.RunInvoicesToCollectPage, func(earlier []invoice.State) error {
		for _, st := range earlier {
			due[st.ID] = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("billing run: %w", err)
	}
	return due, nil
}

// tally counts a chunk's results in rep and keeps in due the invoices whose
// collection is still to schedule: those issued without one (by an
// interrupted or concurrent run), beside those runs issued earlier without
// one.
func tally(groups []*group, results []billing.BatchResult, due map[uuid.UUID]invoice.State, rep *Report) {
	for i, res := range results {
		g := groups[i]
		switch {
		case res.Err != nil:
			rep.Errors = append(rep.Errors, GroupError{ClientID: g.clientID, Date: g.date, ItemKeys: g.items, Err: res.Err})
			continue
		case res.AlreadyApplied || res.Appended == 0:
			rep.AlreadyIssued++
		default:
			rep.Issued++
		}
		if res.CollectionScheduled {
			if res.Appended > 0 && !res.AlreadyApplied {
				rep.CollectionsScheduled++
			}
			delete(due, res.ID)
		} else if projections.NeedsCollection(res.Invoice) {
			due[res.ID] = res.Invoice
		}
	}
}

// scheduleCollections schedules the collection of each invoice of due on
// the firm's collection date.
func scheduleCollections(ctx context.Context, svc *billing.Service, f firm.State, due map[uuid.UUID]invoice.State, opts Options, corr string, rep *Report) error {
	var mu sync.Mutex
	dueList := slices.Collect(maps.Values(due))
	return inParallel(ctx, opts.Workers, len(dueList), func(i int) {
		st := dueList[i]
		_, err := svc.ScheduleCollection(ctx, billing.InvoiceRequest{
			InvoiceID: st.ID, Date: f.CollectionDate(st.IssueDate, st.Recurring), PaymentMethodID: st.PaymentMethodID,
		}, billing.Meta{Actor: opts.Actor, CommandID: collectCommandID(st.ID), CorrelationID: corr, Batch: corr})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			rep.Errors = append(rep.Errors, GroupError{ClientID: st.ClientID, Date: st.IssueDate, InvoiceID: st.ID, Err: err})
			return
		}
		rep.CollectionsScheduled++
	})
}

// latest is the later of two dates.
func latest(a, b domain.Date) domain.Date {
	if a.After(b) {
		return a
	}
	return b
}

// skipMissed records the missed items the firm skips, one append per
// service, under a command id naming the run's date and the items, so a
// re-run appends nothing.
func skipMissed(ctx context.Context, svc *billing.Service, asOf domain.Date, skips map[uuid.UUID][]string, opts Options, rep *Report) error {
	type job struct {
		serviceID uuid.UUID
		keys      []string
	}
	jobs := make([]job, 0, len(skips))
	for id, keys := range skips {
		slices.Sort(keys)
		jobs = append(jobs, job{id, keys})
	}
	var mu sync.Mutex
	corr := runPrefix + asOf.String()
	return inParallel(ctx, opts.Workers, len(jobs), func(i int) {
		j := jobs[i]
		h := uuid.NewSHA1(billing.EventNamespace, []byte("billing-run/skip/"+strings.Join(j.keys, ",")))
		res, err := svc.SkipMissedItems(ctx, j.serviceID, j.keys, asOf, billing.Meta{
			Actor: opts.Actor, CommandID: runPrefix + "skip/" + asOf.String() + "/" + h.String(), CorrelationID: corr, Batch: corr,
		})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			rep.Errors = append(rep.Errors, GroupError{Date: asOf, ItemKeys: j.keys, Err: fmt.Errorf("skip missed billings: %w", err)})
			return
		}
		if !res.AlreadyApplied {
			rep.Skipped += res.Appended
		}
	})
}

// collectCommandID is the command id a billing run schedules an invoice's
// collection under.
func collectCommandID(invoiceID uuid.UUID) string { return runPrefix + "collect/" + invoiceID.String() }

// inParallel runs fn(0..n-1) on up to workers goroutines (parallel.For),
// stopping early when ctx is done.
func inParallel(ctx context.Context, workers, n int, fn func(i int)) error {
	if err := parallel.For(ctx, workers, n, fn); err != nil {
		return errors.Join(errors.New("billing run interrupted"), err)
	}
	return nil
}
