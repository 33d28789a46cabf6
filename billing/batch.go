package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
	"remit/internal/parallel"
)

// Snapshot is what IssueBatch decides from: aggregates folded by the caller
// with their own Evolve from the store (never from projections), each
// service with the revision of its stream it was folded to. It may be stale:
// every append IssueBatch makes from it expects the revision it gives (or no
// stream), so a stale snapshot costs a re-read, never a double effect.
type Snapshot interface {
	Firm() firm.State
	Client(id uuid.UUID) (client.State, bool)
	Service(id uuid.UUID) (st service.State, revision uint64, ok bool)
	Invoice(id uuid.UUID) (invoice.State, bool)
}

// BatchInvoice is one invoice of IssueBatch: Request as for IssueInvoice
// (schedule items; InvoiceID defaults to the items' deterministic id), Meta
// with the command id the invoice is issued under (required: a batch is
// re-run with the same ids). When Collect is set and the issued invoice has a
// payment method and a balance, its collection is scheduled on the firm's
// collection date in the same append as InvoiceIssued, recorded under
// Collect (its command id too is required).
type BatchInvoice struct {
	Request IssueInvoiceRequest
	Meta    Meta
	Collect *Meta
}

// BatchResult is what became of one BatchInvoice: Result as IssueInvoice
// answers it (ID is the invoice's), or Err (a domain error when the invoice
// was refused or lost a race for an item; anything else is worth retrying).
type BatchResult struct {
	Result
	Err error
	// Number is the invoice's number.
	Number string
	// CollectionScheduled: its collection was scheduled with its issue.
	CollectionScheduled bool
	// Invoice is the invoice as issued (zero on error), or, in a dry run
	// (Planned), as it would be issued, without a number.
	Invoice invoice.State
	// Planned: a dry run decided this invoice and appended nothing.
	Planned bool
}

// DefaultBatchWorkers is how many appends IssueBatch hands the store in one
// block (eventstore.AppendMany) unless told otherwise: as many as the
// embedded store commits together (its default MaxBatch), so each commit
// and sync serves as many as it can. The
// more appends share a commit, the fewer index pages each costs the store
// (measured on 100,000 invoices: 4,096 in flight instead of 512 took the run
// from 45 s to 29 s and its CPU from 45 s to 32 s).
const DefaultBatchWorkers = 4096

// BatchOptions tune IssueBatch.
type BatchOptions struct {
	// Workers bounds the appends of one block (DefaultBatchWorkers when
	// 0; two blocks are in flight at once): the embedded store commits a
	// block's appends together, with one sync.
	Workers int
	// Progress, when set, hears how many invoices are done (issued or failed).
	Progress func(done, total int)
	// AfterNumbers, when set, is called once the first block of numbers is
	// reserved and before any invoice is appended: crash tests stop the
	// process there.
	AfterNumbers func()
	// NumberBlock is how many invoices one block of numbers names (at most
	// and by default 4,096): each block is one append to the numbering
	// stream, and its invoices are appended while the next is reserved.
	// Tests set it small to cross block boundaries.
	NumberBlock int
	// Step, when set, hears the end of each step: "planned", "marked"
	// (items marked billed), "numbered" (the first block of numbers
	// reserved), "issued" (every block numbered and appended).
	Step func(name string)
	// DryRun stops after step 1's decision and appends nothing: each
	// result's Invoice is the invoice as decided (with no number: numbers
	// are given when issued) and, when its collection would be scheduled
	// with its issue, that collection too (Planned is set). A billing run's
	// preview is this very decision, reported instead of appended.
	DryRun bool
}

// InvoiceIDForItemsReleased is the id of the invoice that bills these items
// given how often each was released from an earlier invoice (see
// InvoiceIDForItems): what IssueInvoice and IssueBatch name a billing group's
// invoice when the request names none.
func InvoiceIDForItemsReleased(itemKeys []string, releases map[string]int) uuid.UUID {
	return invoiceIDForItems(itemKeys, releases)
}

// batchInvoice is one invoice on its way through IssueBatch.
type batchInvoice struct {
	meta    Meta
	collect *Meta
	plan    plannedInvoice
	begun   *invoice.State // as the snapshot has it, when it has its stream (begun, not issued); nil for most
	res     *BatchResult

	marked   []string // item keys billed on the invoice (by us or before)
	refusal  error    // an item cannot be billed on it: compensate
	blocker  string   // that item's key
	failure  error    // an append failed: leave for the next run
	position uint64
	number   reservedNumber
	decided  []domain.Event // the issue as planned, with a stand-in number (issueDecider)
}

// IssueBatch issues many invoices at once, with the same guarantees as
// IssueInvoice for each, in three steps over the whole batch, each step's
// appends made by HandleBatch:
//
//  1. decide each invoice from the snapshot (a refused invoice gets its error
//     and touches nothing), then mark every item billed on its invoice, one
//     append per service stream (all of that service's items of the batch,
//     decided from the snapshot's state and expecting its revision; on a
//     conflict the stream is re-read and decided again). An invoice one of
//     whose items turns out billed elsewhere is not issued, and the items
//     marked on it are released (as IssueInvoice does);
//  2. reserve the numbers of the invoices whose items are all marked, in
//     order, in blocks (reserveNumbers, opts.NumberBlock invoices each);
//  3. as soon as a block is numbered (while the next is reserved), append
//     each of its invoices (InvoiceIssued, as step 1 decided it, with its
//     number, and its collection when asked) to its own stream in one
//     append; an invoice found issued meanwhile (by a concurrent run over
//     the same items) is answered as already applied.
//
// Appends of a step run on opts.Workers goroutines so that the store's group
// commit shares its syncs among them. The error return is for what stops the
// whole batch (the firm not set up, ctx); each invoice's fate is in its
// BatchResult.
func (s *Service) IssueBatch(ctx context.Context, snap Snapshot, invs []BatchInvoice, opts BatchOptions) ([]BatchResult, error) {
	if opts.Workers <= 0 {
		opts.Workers = DefaultBatchWorkers
	}
	results := make([]BatchResult, len(invs))
	f := snap.Firm()
	if !f.SetUp {
		return results, domain.Conflict("Set up the firm first.")
	}
	var done atomic.Int64
	progress := func(n int) {
		if opts.Progress != nil && n > 0 {
			opts.Progress(int(done.Add(int64(n))), len(invs))
		}
	}
	step := func(name string) {
		if opts.Step != nil {
			opts.Step(name)
		}
	}
	live, services, err := s.planBatch(ctx, f, snap, invs, results)
	if err != nil {
		return results, err
	}
	progress(len(invs) - len(live))
	step("planned")
	if opts.DryRun {
		for _, b := range live {
			b.res.Invoice, b.res.Err = b.preview(f)
			b.res.Planned = b.res.Err == nil
		}
		return results, ctx.Err()
	}

	if err := s.markBatch(ctx, live, services, opts.Workers); err != nil {
		return results, err
	}
	var numbered []*batchInvoice
	for _, b := range live {
		switch {
		case b.refusal != nil:
			b.res.Err = b.refusal
			if err := s.unmark(ctx, b.marked, b.plan.cmd.InvoiceID, b.blocker, b.plan.cmd.Now, b.meta); err != nil {
				b.res.Err = errors.Join(b.refusal, err)
			}
			progress(1)
		case b.failure != nil:
			b.res.Err = b.failure
			progress(1)
		default:
			numbered = append(numbered, b)
		}
	}
	step("marked")

	err = s.issueNumbered(ctx, f, numbered, opts, progress)
	step("issued")
	return results, errors.Join(err, ctx.Err())
}

// planBatch plans and decides every invoice from the snapshot, on every core
// (this reads the services gathered first and changes nothing shared). It
// returns the invoices to issue, in the batch's order, and the states of
// their services as the snapshot has them; the others' fates are in results.
func (s *Service) planBatch(ctx context.Context, f firm.State, snap Snapshot, invs []BatchInvoice, results []BatchResult) ([]*batchInvoice, map[uuid.UUID]*knownService, error) {
	services := map[uuid.UUID]*knownService{}
	for _, in := range invs {
		for _, key := range in.Request.ItemKeys {
			if serviceID, err := itemService(key); err == nil {
				if _, ok := services[serviceID]; !ok {
					st, rev, ok := snap.Service(serviceID)
					services[serviceID] = &knownService{state: st, rev: rev, exists: ok}
				}
			}
		}
	}
	planned := make([]*batchInvoice, len(invs))
	planErrs := make([]error, len(invs))
	if err := parallel.For(ctx, runtime.GOMAXPROCS(0), len(invs), func(i int) {
		planned[i] = &batchInvoice{meta: invs[i].Meta, collect: invs[i].Collect, res: &results[i]}
		planErrs[i] = s.planBatchInvoice(f, snap, invs[i], planned[i], services)
	}); err != nil {
		return nil, nil, err
	}
	var live []*batchInvoice
	for i, b := range planned {
		switch err := planErrs[i]; {
		case err == errAlreadyIssued:
		case err != nil:
			b.res.Err = err
		default:
			live = append(live, b)
		}
	}
	return live, services, nil
}

// knownService is a service's state as a batch's snapshot has it.
type knownService struct {
	state  service.State
	rev    uint64
	exists bool
}

// markBatch marks the items of the invoices billed on them: one
// MarkItemBilled per item under its invoice's command (the item's place
// among its invoice's items of that service naming its event), one append
// per service stream, decided from the snapshot's state.
func (s *Service) markBatch(ctx context.Context, live []*batchInvoice, services map[uuid.UUID]*knownService, workers int) error {
	n := 0
	for _, b := range live {
		n += len(b.plan.items)
	}
	cmds := make([]Command[service.Command], 0, n)
	owners := make([]*batchInvoice, 0, n)
	for _, b := range live {
		first := len(cmds)
		for _, key := range b.plan.items {
			serviceID, _ := itemService(key)
			stream := service.StreamName(serviceID)
			// The item's place among this invoice's items of its service
			// (an invoice has a few items: a scan, not a map).
			place := 0
			for _, c := range cmds[first:] {
				if c.Stream == stream {
					place++
				}
			}
			cmds = append(cmds, Command[service.Command]{
				Stream:  stream,
				Command: service.MarkItemBilled{ItemKey: key, InvoiceID: b.plan.cmd.InvoiceID, Now: b.plan.cmd.Now},
				Meta:    b.meta, FirstEvent: place,
			})
			owners = append(owners, b)
		}
	}
	byStream := make(map[string]*knownService, len(services))
	for id, w := range services {
		byStream[service.StreamName(id)] = w
	}
	known := func(stream string) (service.State, uint64, bool, bool) {
		w, ok := byStream[stream]
		if !ok {
			return service.State{}, 0, false, false
		}
		return w.state, w.rev, w.exists, true
	}
	outs, err := HandleBatch(ctx, s.env, s.serviceDecider, cmds, HandleOptions[service.State]{Workers: workers, Known: known, NoStates: true, textChecked: true})
	if err != nil {
		return err
	}
	for i, o := range outs {
		b, key := owners[i], cmds[i].Command.(service.MarkItemBilled).ItemKey
		switch {
		case o.Err != nil && isRefusal(o.Err):
			if b.refusal == nil {
				b.refusal, b.blocker = o.Err, key
			}
		case o.Err != nil:
			if b.failure == nil {
				b.failure = fmt.Errorf("mark item %s billed: %w", key, o.Err)
			}
		default:
			b.marked = append(b.marked, key)
			b.position = max(b.position, o.Position)
		}
	}
	return nil
}

// isRefusal reports whether err is the domain refusing a command, not the
// store failing or the stream changing under every attempt.
func isRefusal(err error) bool {
	return domain.ErrorCode(err) != domain.EINTERNAL && !isConflictError(err)
}

// issueNumbered reserves the invoices' numbers block by block, in order, and
// appends each block's invoices (with their collections) once its numbers
// are reserved, while the next block's are reserved: so the numbering
// stream's synced append overlaps the invoices' appends, and only two
// blocks' outcomes are held at once. A block whose numbers could not be
// reserved is not issued, nor is any after it (the next run completes
// them). An append the store answers as an idempotent retry of one made
// before the batch began is told apart by its position.
func (s *Service) issueNumbered(ctx context.Context, f firm.State, numbered []*batchInvoice, opts BatchOptions, progress func(int)) error {
	head, err := s.env.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("head: %w", err)
	}
	size := opts.NumberBlock
	if size <= 0 || size > maxNumberBlock {
		size = maxNumberBlock
	}
	type reserved struct {
		start, end int
		err        error
	}
	blocks := make(chan reserved, 1)
	go func() {
		defer close(blocks)
		for start := 0; start < len(numbered); start += size {
			end := min(start+size, len(numbered))
			err := s.numberChunk(ctx, f, numbered[start:end])
			blocks <- reserved{start, end, err}
			if err != nil {
				return
			}
		}
	}()
	// Two blocks are appended at once, so the appends in flight do not
	// drain to nothing at the end of each block.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	slots := make(chan struct{}, 2)
	first := true
	for r := range blocks {
		if r.err != nil {
			// Not numbered, so not issued: the next run completes them.
			for _, b := range numbered[r.start:] {
				b.res.Err = r.err
			}
			progress(len(numbered) - r.start)
			continue
		}
		if first {
			first = false
			if opts.Step != nil {
				opts.Step("numbered")
			}
			if opts.AfterNumbers != nil {
				opts.AfterNumbers()
			}
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := s.issueInvoices(ctx, f, numbered[r.start:r.end], head, opts.Workers, progress); err != nil {
				mu.Lock()
				failed = cmp.Or(failed, err) // ctx: the numbering goroutine stops at its next block
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first && opts.Step != nil {
		opts.Step("numbered") // nothing to number
	}
	return failed
}

// numberChunk reserves the numbers of one block of invoices.
func (s *Service) numberChunk(ctx context.Context, f firm.State, chunk []*batchInvoice) error {
	reqs := make([]numberRequest, len(chunk))
	for i, b := range chunk {
		reqs[i] = numberRequest{InvoiceID: b.plan.cmd.InvoiceID, Prefix: f.InvoicePrefix, Now: b.plan.cmd.Now, Meta: b.meta}
	}
	got, err := s.reserveNumbers(ctx, reqs)
	if err != nil {
		return err
	}
	for _, b := range chunk {
		b.number = got[b.plan.cmd.InvoiceID]
	}
	return nil
}

// issueInvoices appends numbered invoices, each with its collection (under the
// invoice's Collect command, when it has a payment method), one append per
// invoice stream.
func (s *Service) issueInvoices(ctx context.Context, f firm.State, chunk []*batchInvoice, head uint64, workers int, progress func(int)) error {
	cmds := make([]Command[invoice.Command], 0, 2*len(chunk))
	at := make([]int, len(chunk)) // each invoice's issue command
	states := map[string]*batchInvoice{}
	byInvoice := make(map[uuid.UUID]*batchInvoice, len(chunk))
	for k, b := range chunk {
		byInvoice[b.plan.cmd.InvoiceID] = b
		cmd := b.plan.cmd
		cmd.Number = b.number.Number
		stream := invoice.StreamName(cmd.InvoiceID)
		states[stream] = b
		at[k] = len(cmds)
		cmds = append(cmds, Command[invoice.Command]{Stream: stream, Command: cmd, Meta: b.meta})
		if b.collect != nil && cmd.PaymentMethodID != uuid.Nil {
			collect := invoice.ScheduleCollection{Date: f.CollectionDate(cmd.IssueDate, cmd.Recurring), PaymentMethodID: cmd.PaymentMethodID, Now: cmd.Now}
			cmds = append(cmds, Command[invoice.Command]{Stream: stream, Command: collect, Meta: *b.collect})
		}
	}
	// A stream the snapshot has (an invoice begun and not issued) is read;
	// any other is new.
	known := func(stream string) (invoice.State, uint64, bool, bool) {
		return invoice.State{}, 0, false, states[stream].begun == nil
	}
	// Each invoice is done when its stream is.
	settled := func(int) { progress(1) }
	outs, err := HandleBatch(ctx, s.env, issueDecider(byInvoice), cmds, HandleOptions[invoice.State]{Workers: workers, Known: known, Settled: settled, textChecked: true})
	if err != nil {
		return err
	}
	for k, b := range chunk {
		var collect *BatchOutcome[invoice.State]
		if i := at[k] + 1; i < len(cmds) && cmds[i].Stream == cmds[at[k]].Stream {
			collect = &outs[i]
		}
		b.settle(outs[at[k]], collect, head)
		b.release()
	}
	return nil
}

// settle records what became of an invoice's issue (and collection).
func (b *batchInvoice) settle(issue BatchOutcome[invoice.State], collect *BatchOutcome[invoice.State], head uint64) {
	res := b.res
	res.Number = b.number.Number
	if res.Number == "" {
		res.Err = domain.Errorf(domain.EINTERNAL, "invoice %s has no number after reserving", b.plan.cmd.InvoiceID)
		return
	}
	if issue.Err != nil {
		res.Err = issue.Err
		return
	}
	res.Revision, res.Appended, res.Invoice = issue.Revision, issue.Appended, issue.State
	res.Position = max(b.position, b.number.position, issue.Position)
	res.AlreadyApplied = issue.AlreadyApplied || issue.Appended == 0 || issue.Position <= head
	if collect != nil && collect.Err == nil {
		res.Revision, res.Invoice = collect.Revision, collect.State
		res.Position = max(res.Position, collect.Position)
		res.Appended += collect.Appended
		res.CollectionScheduled = collect.Appended > 0 || collect.AlreadyApplied
	}
	if res.AlreadyApplied {
		res.Appended = 0
		res.CollectionScheduled = res.Invoice.Status == invoice.StatusPaymentScheduled
	}
}

// planBatchInvoice plans and decides one invoice of a batch from the
// snapshot and the services gathered for the batch, which it only reads.
func (s *Service) planBatchInvoice(f firm.State, snap Snapshot, in BatchInvoice, b *batchInvoice, services map[uuid.UUID]*knownService) error {
	r := in.Request
	if b.meta.CommandID == "" || (b.collect != nil && b.collect.CommandID == "") {
		return domain.Errorf(domain.EINTERNAL, "billing: batch invoice without a command id")
	}
	if len(r.Lines) > 0 || len(r.ItemKeys) == 0 {
		return domain.Invalid("item_keys", "a batch invoice bills schedule items, and only them")
	}
	cl, ok := snap.Client(r.ClientID)
	if !ok {
		return domain.NotFound("There is no such client.")
	}
	// The services are read in place: a map of their states per invoice
	// (744-byte values) cost a run 100,000s of large allocations.
	stateOf := func(id uuid.UUID) *service.State {
		if k := services[id]; k != nil {
			return &k.state
		}
		return &service.State{}
	}
	plan, err := s.planFrom(f, cl, stateOf, r, b.meta)
	if err != nil {
		return err
	}
	b.plan = plan
	id := plan.cmd.InvoiceID
	b.res.ID, b.res.Stream = id, invoice.StreamName(id)
	if st, ok := snap.Invoice(id); ok {
		if st.Issued() {
			b.res.Number, b.res.AlreadyApplied, b.res.Invoice = st.Number, true, st
			return errAlreadyIssued
		}
		begun := st // a copy on the heap only for an invoice begun
		b.begun = &begun
	}
	// Every check before reserving the number, so a refused invoice burns none.
	b.decided, err = s.checkBeforeNumbering(b.stateBefore(), plan.cmd, f.InvoicePrefix, b.meta)
	return err
}

// issueDecider is invoiceDecider for the issue step of a batch, which
// decides each invoice's issue once, not twice: planning decided it already
// (checkBeforeNumbering, with a stand-in number), on the state the issue is
// decided on when that state is neither issued nor abandoned, the only facts
// of it invoice.Decide reads for an Issue, and with the same command but for
// its number, which the decision only copies into InvoiceIssued.Number. So
// the planned events with the reserved number are what Decide would answer.
// Any other command or state (a stream re-read after a conflict) is decided
// afresh.
func issueDecider(byInvoice map[uuid.UUID]*batchInvoice) Decider[invoice.State, invoice.Command] {
	d := invoiceDecider
	d.Decide = func(st invoice.State, c invoice.Command) ([]domain.Event, error) {
		is, ok := c.(invoice.Issue)
		b := byInvoice[is.InvoiceID]
		if !ok || b == nil || b.decided == nil || st.Issued() || st.AbandonedReason != "" || is.Number == "" {
			return invoice.Decide(st, c)
		}
		events := slices.Clone(b.decided)
		for k, e := range events {
			if issued, ok := e.(invoice.InvoiceIssued); ok {
				issued.Number = strings.TrimSpace(is.Number)
				events[k] = issued
			}
		}
		return events, nil
	}
	return d
}

// stateBefore is the invoice's state before its issue: the snapshot's for
// an invoice begun, else none.
func (b *batchInvoice) stateBefore() invoice.State {
	if b.begun != nil {
		return *b.begun
	}
	return invoice.State{}
}

// release drops what planning kept for issuing the invoice (its command,
// its lines, the decided events) once it is settled: a run holds 100,000s of
// batchInvoices until it ends, and what an issued one keeps would otherwise
// stay reachable (and be marked by every collection) until then.
func (b *batchInvoice) release() {
	b.plan, b.begun, b.decided = plannedInvoice{}, nil, nil
}

// preview is the invoice as planning decided it (see issueDecider: the
// events the issue step appends but for the number), with the collection
// issueInvoices would schedule in the same append, decided on it.
func (b *batchInvoice) preview(f firm.State) (invoice.State, error) {
	st := b.stateBefore()
	for _, e := range b.decided {
		st = invoice.Evolve(st, e)
	}
	st.Number = ""
	cmd := b.plan.cmd
	if b.collect == nil || cmd.PaymentMethodID == uuid.Nil {
		return st, nil
	}
	events, err := invoice.Decide(st, invoice.ScheduleCollection{Date: f.CollectionDate(cmd.IssueDate, cmd.Recurring), PaymentMethodID: cmd.PaymentMethodID, Now: cmd.Now})
	if err != nil {
		return st, err
	}
	for _, e := range events {
		st = invoice.Evolve(st, e)
	}
	return st, nil
}

// errAlreadyIssued stands for "nothing to do" in planning; it never reaches
// a BatchResult.
var errAlreadyIssued = errors.New("already issued")

// encodeAll encodes events a command appends to stream, as the handler
// would (to measure them before appending).
func encodeAll(cat *catalog.Catalog, events []domain.Event, meta Meta, stream string) ([]eventstore.EventData, error) {
	return envelopes(cat, events, meta, stream, 0, nil)
}
