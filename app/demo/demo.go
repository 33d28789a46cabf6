package demo

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
)

// The demo firm.
const (
	FirmName     = "Harbour & Co Accountants"
	FirmTimeZone = "Australia/Sydney"
	// DefaultClients is how many clients Load creates when Options.Clients is 0.
	DefaultClients = 50
	// MinClients is the fewest clients Load accepts: the scripted scenarios
	// need that many.
	MinClients = 12
	// HistoryDays is how far before Options.Today the history starts.
	HistoryDays = 365
)

// ErrStoreNotEmpty is returned by Load for a store that already holds events.
var ErrStoreNotEmpty = errors.New("demo: the store already holds events")

// Options say what to load.
type Options struct {
	// Today is the last day of the history, in the firm's time zone
	// (Australia/Sydney); required. The caller passes the real today.
	Today domain.Date
	// Seed makes the data: the same seed (and Today) loads the same events.
	Seed uint64
	// Clients is how many clients to create: 0 means DefaultClients; at least
	// MinClients.
	Clients int
	// Progress, when set, is called after each simulated day with the days
	// done and the days in all.
	Progress func(done, total int)
	// Clock, when set, is the simulated clock to use: open the store with
	// its Recorded so events carry their simulated time.
	Clock *Clock
}

// Summary says what Load loaded.
type Summary struct {
	Firm            string
	From, Today     domain.Date
	Clients         int
	ArchivedClients int
	PaymentMethods  int
	Proposals       map[proposal.Status]int
	Services        int
	// ServicesByRule counts services by their billing rule as activated:
	// "weekly", "fortnightly", "monthly", "quarterly", "yearly", "every N
	// days", "every N weeks", "every N months", "once", "on completion",
	// "estimate".
	ServicesByRule map[string]int
	EndedServices  int
	Invoices       int
	// InvoicesByStatus counts invoices by stored status as of Today.
	InvoicesByStatus map[invoice.Status]int
	// Overdue counts unpaid invoices past their due date as of Today (the
	// derived status; they are also counted under their stored status).
	Overdue int
	// Events is how many events the store holds; Head its last position.
	Events uint64
	Head   uint64
}

// String reports the summary in a few lines for a person.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d clients (%d archived), %d payment methods, history %s to %s\n",
		s.Firm, s.Clients, s.ArchivedClients, s.PaymentMethods, s.From, s.Today)
	fmt.Fprintf(&b, "proposals: %s\n", countsText(s.Proposals))
	fmt.Fprintf(&b, "services: %d (%d ended): %s\n", s.Services, s.EndedServices, countsText(s.ServicesByRule))
	fmt.Fprintf(&b, "invoices: %d: %s; %d overdue\n", s.Invoices, countsText(s.InvoicesByStatus), s.Overdue)
	fmt.Fprintf(&b, "events: %d, head position %d\n", s.Events, s.Head)
	return b.String()
}

func countsText[K ~string](m map[K]int) string {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], strings.ReplaceAll(string(k), "_", " "))
	}
	return strings.Join(parts, ", ")
}

// Load loads the demo firm into store, which must be empty, through
// billing.Service only. It returns what it loaded.
func Load(ctx context.Context, store eventstore.Store, opts Options) (Summary, error) {
	if opts.Today.IsZero() {
		return Summary{}, errors.New("demo: Options.Today is required (today's date in the firm's time zone)")
	}
	if opts.Clients == 0 {
		opts.Clients = DefaultClients
	}
	if opts.Clients < MinClients {
		return Summary{}, fmt.Errorf("demo: at least %d clients are needed for every scenario, not %d", MinClients, opts.Clients)
	}
	head, err := store.Head(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: read the store's head: %w", err)
	}
	if head > 0 {
		return Summary{}, fmt.Errorf("%w (%d events): load the demo into an empty data folder", ErrStoreNotEmpty, head)
	}
	loc, err := time.LoadLocation(FirmTimeZone)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: load time zone %s: %w", FirmTimeZone, err)
	}
	l := newLoader(ctx, store, opts, loc)
	if err := l.run(); err != nil {
		return Summary{}, err
	}
	return l.summary()
}

// Clock is the loader's injected clock: the simulated time, moving forward
// a little on every reading so that events' times are strictly increasing.
// Its Recorded is the clock to open the store with, so that the events
// carry the simulated moment they happened (capped at the real time, so
// nothing is recorded in the future and what is recorded after the demo
// follows it): the As of picker then shows the firm as it stood on a date
// of its simulated year.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	loc  *time.Location
	real func() time.Time
}

// NewClock returns a demo clock; real is the real clock (time.Now when nil).
func NewClock(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real}
}

// Now reads the simulated time, moving it on.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(1500 * time.Millisecond)
	return t
}

// Recorded is the recorded-at the store stamps: the simulated time (the
// real time before the simulation starts), never later than the real time.
func (c *Clock) Recorded() time.Time {
	real := c.real()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() || c.now.After(real) {
		return real
	}
	return c.now
}

// at moves the clock to minute of day d (never backwards).
func (c *Clock) at(d domain.Date, minute int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := time.Date(d.Year(), d.Month(), d.Day(), minute/60, minute%60, 0, 0, c.loc)
	if t.After(c.now) {
		c.now = t
	}
}

// task is something on the agenda of one day.
type task struct {
	minute int // minute of the day
	seq    int // tie-break: the order tasks were planned in
	name   string
	do     func(d domain.Date) error
}

// loader holds the state of one Load.
type loader struct {
	ctx   context.Context
	store eventstore.Store
	svc   *billing.Service
	cat   *catalog.Catalog
	rng   *rand.Rand
	ids   *rand.Rand
	gen   *people
	clk   *Clock
	opts  Options

	start, today domain.Date
	agenda       map[domain.Date][]task
	seq          int

	clients   []*clientPlan
	services  []*serviceMirror
	invoices  []*invoicePlan
	proposals []uuid.UUID
	payouts   payoutBook
}

func newLoader(ctx context.Context, store eventstore.Store, opts Options, loc *time.Location) *loader {
	l := &loader{
		ctx: ctx, store: store, cat: catalog.New(), opts: opts,
		rng:    rand.New(rand.NewPCG(opts.Seed, 0x5eed_da7a)),
		ids:    rand.New(rand.NewPCG(opts.Seed, 0x1d5_1d5)),
		today:  opts.Today,
		start:  opts.Today.AddDays(-HistoryDays),
		agenda: map[domain.Date][]task{},
	}
	l.gen = &people{rng: l.rng, names: map[string]bool{}}
	l.clk = opts.Clock
	if l.clk == nil {
		l.clk = NewClock(nil)
	}
	l.clk.loc = loc
	l.clk.at(l.start, 8*60)
	l.svc = billing.New(billing.Config{Store: store, Now: l.clk.Now, NewID: l.newID})
	return l
}

// newID is a version-4 UUID from the loader's id source.
func (l *loader) newID() uuid.UUID {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], l.ids.Uint64())
	binary.LittleEndian.PutUint64(u[8:], l.ids.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// plan puts a task on day d's agenda at the given minute. Tasks after Today
// are dropped: they are the future.
func (l *loader) plan(d domain.Date, minute int, name string, do func(d domain.Date) error) {
	if d.After(l.today) {
		return
	}
	if d.Before(l.start) {
		d = l.start
	}
	l.seq++
	l.agenda[d] = append(l.agenda[d], task{minute: minute, seq: l.seq, name: name, do: do})
}

// weekday returns d, or the Monday after when d falls on a weekend: staff
// work on weekdays.
func weekday(d domain.Date) domain.Date {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDays(2)
	case time.Sunday:
		return d.AddDays(1)
	}
	return d
}

// officeMinute is a random minute of business hours.
func (l *loader) officeMinute() int { return 9*60 + l.rng.IntN(8*60) }

func (l *loader) run() error {
	if err := l.setUpFirm(); err != nil {
		return err
	}
	if err := l.addLibrary(); err != nil {
		return err
	}
	l.planClients()
	l.planRefundAndDispute()
	total := l.start.DaysUntil(l.today) + 1
	done := 0
	for d := l.start; !d.After(l.today); d = d.AddDays(1) {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		l.plan(d, 7*60, "billing run", l.billingRun)
		if err := l.runDay(d); err != nil {
			return err
		}
		done++
		if l.opts.Progress != nil {
			l.opts.Progress(done, total)
		}
	}
	return nil
}

// runDay runs day d's agenda in time order, including tasks planned for the
// same day while it runs.
func (l *loader) runDay(d domain.Date) error {
	for len(l.agenda[d]) > 0 {
		tasks := l.agenda[d]
		i := 0
		for j, t := range tasks {
			if c := cmp.Compare(t.minute, tasks[i].minute); c < 0 || (c == 0 && t.seq < tasks[i].seq) {
				i = j
			}
		}
		t := tasks[i]
		l.agenda[d] = slices.Delete(tasks, i, i+1)
		l.clk.at(d, t.minute)
		if err := t.do(d); err != nil {
			return fmt.Errorf("demo: %s on %s: %w", t.name, d, err)
		}
	}
	delete(l.agenda, d)
	return nil
}

// Actors recorded on the events.
const (
	actorPartner    = "emma.walsh@harbourco.com.au"
	actorAccountant = "raj.patel@harbourco.com.au"
	actorClientDesk = "chloe.martin@harbourco.com.au"
	actorBillingRun = "billing-run"
	actorPayments   = "payment-collection"
	actorGateway    = "gateway:sandbox"
)

var staff = []string{actorPartner, actorAccountant, actorClientDesk}

func (l *loader) staff() string { return pick(l.rng, staff) }

func meta(actor string) billing.Meta { return billing.Meta{Actor: actor} }

// serviceMirror is the loader's read side of one service: its state folded
// from its stream, brought up to date after the loader touched it.
type serviceMirror struct {
	id     uuid.UUID
	client *clientPlan
	state  service.State
	rev    uint64
	exists bool
	dirty  bool
	// next is the first day after the last check on which DueItems can be
	// non-empty; idle when nothing automatic is ahead.
	next domain.Date
	idle bool
}

func (l *loader) addService(c *clientPlan, id uuid.UUID) *serviceMirror {
	m := &serviceMirror{id: id, client: c, dirty: true}
	l.services = append(l.services, m)
	c.services = append(c.services, m)
	return m
}

// refresh folds the events appended to the service since it was last read.
func (l *loader) refresh(m *serviceMirror) error {
	from := uint64(0)
	if m.exists {
		from = m.rev + 1
	}
	recs, err := l.store.ReadStream(l.ctx, service.StreamName(m.id), from, eventstore.Forward, 0)
	if err != nil {
		return fmt.Errorf("read service %s: %w", m.id, err)
	}
	for _, r := range recs {
		e, err := l.cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
		}
		m.state = service.Evolve(m.state, e)
		m.rev, m.exists = r.Revision, true
	}
	m.dirty = false
	m.next, m.idle = domain.Date{}, false
	return nil
}

// current returns the service's state, refreshed when the loader touched it.
func (l *loader) current(m *serviceMirror) (service.State, error) {
	if m.dirty {
		if err := l.refresh(m); err != nil {
			return service.State{}, err
		}
	}
	return m.state, nil
}

// touch marks the client's services as changed.
func touch(c *clientPlan) {
	for _, m := range c.services {
		m.dirty = true
	}
}

// lookAhead sets when the service next needs the billing run, after day d.
func (m *serviceMirror) lookAhead(d domain.Date) {
	m.idle, m.next = true, domain.Date{}
	consider := func(day domain.Date) {
		if !day.After(d) {
			day = d.AddDays(1)
		}
		if m.idle || day.Before(m.next) {
			m.idle, m.next = false, day
		}
	}
	for _, it := range m.state.Schedule(d.AddDays(400)) {
		switch {
		case it.Mode == service.Automatic && it.Status == service.ItemScheduled && !it.Date.IsZero():
			consider(it.Date)
		case it.Mode == service.Manual && it.Status == service.ItemScheduledToIssue:
			consider(it.IssueOn)
		}
	}
}

// readInvoice folds an invoice's stream.
func (l *loader) readInvoice(id uuid.UUID) (invoice.State, error) {
	return foldStream(l, invoice.StreamName(id), invoice.Evolve)
}

// readProposal folds a proposal's stream.
func (l *loader) readProposal(id uuid.UUID) (proposal.State, error) {
	return foldStream(l, proposal.StreamName(id), proposal.Evolve)
}

// foldStream reads a stream whole and folds it with evolve.
func foldStream[S any](l *loader, stream string, evolve func(S, domain.Event) S) (S, error) {
	var s S
	recs, err := l.store.ReadStream(l.ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return s, fmt.Errorf("read %s: %w", stream, err)
	}
	for _, r := range recs {
		e, err := l.cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return s, fmt.Errorf("decode %s@%d: %w", r.Stream, r.Revision, err)
		}
		s = evolve(s, e)
	}
	return s, nil
}

// ruleName names a billing rule the way the firm talks about it.
func ruleName(r domain.BillingRule) string {
	n := max(r.Interval, 1)
	switch {
	case r.Frequency == domain.FrequencyWeeks && n == 1:
		return "weekly"
	case r.Frequency == domain.FrequencyWeeks && n == 2:
		return "fortnightly"
	case r.Frequency == domain.FrequencyMonths && n == 1:
		return "monthly"
	case r.Frequency == domain.FrequencyMonths && n == 3:
		return "quarterly"
	case r.Frequency == domain.FrequencyMonths && n == 12:
		return "yearly"
	case r.Frequency == domain.FrequencyDays:
		return "every N days"
	case r.Frequency == domain.FrequencyWeeks:
		return "every N weeks"
	case r.Frequency == domain.FrequencyMonths:
		return "every N months"
	case r.Frequency == domain.FrequencyOnce:
		return "once"
	case r.Frequency == domain.FrequencyOnCompletion:
		return "on completion"
	case r.Frequency == domain.FrequencyEstimate:
		return "estimate"
	}
	return string(r.Frequency)
}

func (l *loader) summary() (Summary, error) {
	s := Summary{
		Firm: FirmName, From: l.start, Today: l.today,
		Proposals: map[proposal.Status]int{}, ServicesByRule: map[string]int{}, InvoicesByStatus: map[invoice.Status]int{},
	}
	for _, c := range l.clients {
		s.Clients++
		if c.archived {
			s.ArchivedClients++
		}
		s.PaymentMethods += len(c.methods)
	}
	for _, id := range l.proposals {
		p, err := l.readProposal(id)
		if err != nil {
			return s, err
		}
		s.Proposals[p.Status]++
	}
	for _, m := range l.services {
		st, err := l.current(m)
		if err != nil {
			return s, err
		}
		s.Services++
		s.ServicesByRule[ruleName(st.BillingRule)]++
		if st.Ended {
			s.EndedServices++
		}
	}
	for _, inv := range l.invoices {
		st, err := l.readInvoice(inv.id)
		if err != nil {
			return s, err
		}
		s.Invoices++
		s.InvoicesByStatus[st.Status]++
		if st.StatusOn(l.today) == invoice.StatusOverdue {
			s.Overdue++
		}
	}
	head, err := l.store.Head(l.ctx)
	if err != nil {
		return s, fmt.Errorf("demo: read the store's head: %w", err)
	}
	s.Events, s.Head = head, head // positions run 1…head in a store that started empty
	return s, nil
}
