package billingrun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
)

// runPrefix starts the command id of everything a billing run does.
const runPrefix = "billing-run/"

// DefaultActor is recorded as the actor of the runs' commands.
const DefaultActor = "billing-run"

// Options tune Run.
type Options struct {
	// Workers is how many invoices are issued at once (default 4).
	Workers int
	// Index is reused across runs (the Scheduler keeps one); nil: a fresh one.
	Index *Index
	// Actor is recorded on every event (default DefaultActor).
	Actor string
	// Progress, when set, is told how far the run is after each group.
	Progress func(Progress)
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
	// Interrupted counts invoices an earlier run began (items marked billed)
	// and did not issue, completed by this run.
	Interrupted int
	// CollectionsScheduled counts invoices whose collection this run scheduled.
	CollectionsScheduled int
	// Errors are the groups (or collections) that failed; the run went on.
	Errors []GroupError
}

// GroupError is a billing group the run could not invoice (or whose
// collection it could not schedule).
type GroupError struct {
	ClientID  uuid.UUID
	Date      domain.Date
	ItemKeys  []string
	InvoiceID uuid.UUID // set for a collection that could not be scheduled
	Err       error
}

func (e GroupError) Error() string {
	if len(e.ItemKeys) == 0 {
		return fmt.Sprintf("schedule collection of invoice %s: %v", e.InvoiceID, e.Err)
	}
	return fmt.Sprintf("invoice client %s for %s (items %s): %v", e.ClientID, e.Date, strings.Join(e.ItemKeys, ", "), e.Err)
}

// group is one billing group: the items one invoice bills.
type group struct {
	key      string
	clientID uuid.UUID
	date     domain.Date // the issue date: the items' date (automatic) or issue-on date (manual)
	method   uuid.UUID
	items    []string // sorted
	releases []int    // release count of each item, for the command id

	commandID string // set when completing an interrupted issue
}

// Run is the billing run for asOf: it invoices every automatic item dated on
// or before asOf and every manual item scheduled to be issued on or before
// asOf, one invoice per billing group (client, date, payment method; one
// invoice per item when the firm does not group items), through
// svc.IssueInvoice with the group's item keys; then it schedules collection
// on the firm's collection date of every invoice a billing run issued that
// has a payment method and no collection yet.
//
// The invoice's id is derived from its items and every command id from the
// invoice, so running again, concurrently, or after a crash issues nothing
// twice and completes what an interrupted run left. A failing group is
// reported in Report.Errors and the run goes on; the error return is for
// what stops the whole run (the store unreadable, the firm not set up, ctx).
func Run(ctx context.Context, store eventstore.Store, svc *billing.Service, asOf domain.Date, opts Options) (Report, error) {
	rep := Report{AsOf: asOf}
	idx := opts.Index
	if idx == nil {
		idx = NewIndex(store)
	}
	if opts.Actor == "" {
		opts.Actor = DefaultActor
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if err := idx.Update(ctx); err != nil {
		return rep, err
	}
	f := idx.Firm()
	if !f.SetUp {
		return rep, domain.Conflict("Set up the firm before running billing.")
	}

	groups := map[string]*group{}
	for _, st := range idx.allServices() {
		if !st.Activated() {
			continue
		}
		for _, it := range st.DueItems(asOf) {
			date := it.Date
			if it.Status == service.ItemScheduledToIssue {
				date = it.IssueOn
			}
			key := service.GroupKey(st.ClientID, date, it.PaymentMethodID)
			if !f.GroupItems {
				key += "/" + it.Key
			}
			g := groups[key]
			if g == nil {
				g = &group{key: key, clientID: st.ClientID, date: date, method: it.PaymentMethodID}
				groups[key] = g
			}
			g.items = append(g.items, it.Key)
			g.releases = append(g.releases, st.Releases(it.Key))
			rep.Items++
		}
	}
	ordered := idx.interrupted()
	rep.Interrupted = len(ordered)
	for _, g := range groups {
		ordered = append(ordered, g)
	}
	// Oldest first, so invoice numbers follow dates as far as workers allow.
	slices.SortFunc(ordered, func(a, b *group) int {
		if c := a.date.Compare(b.date); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	rep.Groups = len(ordered)

	var mu sync.Mutex
	var done atomic.Int64
	err := parallel(ctx, opts.Workers, len(ordered), func(i int) {
		g := ordered[i]
		res, err := issueGroup(ctx, svc, g, asOf, opts.Actor)
		mu.Lock()
		switch {
		case err != nil:
			rep.Errors = append(rep.Errors, GroupError{ClientID: g.clientID, Date: g.date, ItemKeys: g.items, Err: err})
		case res.AlreadyApplied || res.Appended == 0:
			rep.AlreadyIssued++
		default:
			rep.Issued++
		}
		mu.Unlock()
		if opts.Progress != nil {
			opts.Progress(Progress{Done: int(done.Add(1)), Total: len(ordered)})
		}
	})
	if err != nil {
		return rep, err
	}

	// Collections: also those an interrupted run issued and did not schedule.
	if err := idx.Update(ctx); err != nil {
		return rep, err
	}
	f = idx.Firm()
	var due []invoice.State
	for _, en := range idx.invoiceEntries() {
		st := en.state
		if en.fromRun && st.Status == invoice.StatusAwaitingPayment && st.PaymentMethodID != uuid.Nil && st.Balance().Amount.IsPositive() {
			due = append(due, st)
		}
	}
	err = parallel(ctx, opts.Workers, len(due), func(i int) {
		st := due[i]
		_, err := svc.ScheduleCollection(ctx, billing.InvoiceRequest{
			InvoiceID: st.ID, Date: f.CollectionDate(st.IssueDate, st.Recurring), PaymentMethodID: st.PaymentMethodID,
		}, billing.Meta{Actor: opts.Actor, CommandID: runPrefix + "collect/" + st.ID.String(), CorrelationID: runPrefix + asOf.String()})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			rep.Errors = append(rep.Errors, GroupError{ClientID: st.ClientID, Date: st.IssueDate, InvoiceID: st.ID, Err: err})
			return
		}
		rep.CollectionsScheduled++
	})
	slices.SortFunc(rep.Errors, func(a, b GroupError) int { return strings.Compare(a.Error(), b.Error()) })
	return rep, err
}

// issueGroup issues one group's invoice. The command id names the items and
// how often each was released (voided), so billing them again after a void is
// a new command while two runs over the same items send the same one.
//
// The command id also carries the issue date, so that a run interrupted
// after marking the items billed can be completed with the same request
// (Index.interrupted reads it back from the items' events).
func issueGroup(ctx context.Context, svc *billing.Service, g *group, asOf domain.Date, actor string) (billing.Result, error) {
	cmdID := g.commandID
	if cmdID == "" {
		keys := make([]string, len(g.items))
		for i, k := range g.items {
			keys[i] = fmt.Sprintf("%s#%d", k, g.releases[i])
		}
		slices.Sort(keys)
		h := uuid.NewSHA1(billing.EventNamespace, []byte("billing-run/issue/"+strings.Join(keys, ",")))
		cmdID = runPrefix + "issue/" + g.date.String() + "/" + h.String()
	}
	items := slices.Clone(g.items)
	slices.Sort(items)
	return svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{
		ClientID: g.clientID, ItemKeys: items, IssueDate: g.date, PaymentMethodID: g.method,
	}, billing.Meta{Actor: actor, CommandID: cmdID, CorrelationID: runPrefix + asOf.String()})
}

// parallel runs fn(0..n-1) on up to workers goroutines, stopping early when
// ctx is done (and then returning its error).
func parallel(ctx context.Context, workers, n int, fn func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return errors.Join(errors.New("billing run interrupted"), err)
	}
	return nil
}
