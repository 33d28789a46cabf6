package billing

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
)

// Config is what a Service is built from.
type Config struct {
	// Store is where events are read and appended.
	Store eventstore.Store
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
	// NewID makes a command id when a request carries none (uuid.New when nil).
	NewID func() uuid.UUID
	// NewClientID names a new client when neither the request nor its
	// command id does (pii.Store.NewClientID: a client whose personal-data
	// key is already durable, so its creation waits for no key commit); ok
	// false, or nil, names it from the fresh command id as any other
	// created thing.
	NewClientID func() (id uuid.UUID, ok bool)
	// Services lists a client's services from the read models (nil: the
	// client → services index reads every service activation of the log
	// the first time it is used, and keeps them).
	Services ServiceDirectory
}

// ServiceDirectory lists a client's services as the read models hold them
// (projections.Models.ClientServiceIDs): the ids, and the log position they
// are complete up to; the index reads the activations after it from the
// log, so a service activated a moment ago is never missed.
type ServiceDirectory interface {
	ClientServiceIDs(ctx context.Context, clientID uuid.UUID) (ids []uuid.UUID, upTo uint64, err error)
}

// Service runs the use cases of the client page. It is safe for concurrent
// use; its only in-memory state is caches that can be rebuilt from the store
// (the numbering stream's numbers, the client → services index, the
// folded states of recently used service streams and of the firm).
type Service struct {
	env         Env
	now         func() time.Time
	newID       func() uuid.UUID
	newClientID func() (uuid.UUID, bool)

	// serviceDecider is the service aggregate with this Service's cache of
	// service states: a service billed daily for years has thousands of
	// events, and a command on it reads only those after its cached state.
	serviceDecider Decider[service.State, service.Command]
	// firmDecider is the firm aggregate with this Service's cache of the
	// firm's state: most commands read the firm (currency, time zone,
	// terms), and then read only the firm events after the cached state.
	firmDecider Decider[firm.State, firm.Command]

	numberingMu sync.Mutex // serialises this process's number reservations
	numbers     numberBook // guarded by numberingMu
	// recentNumbers is how many numbers a generation of the book caches
	// (defaultRecentNumbers; tests set it small).
	recentNumbers int
	// numbersInFlight counts the blocks in the book whose appends are
	// queued but not answered (reserveQueuedBlock); guarded by numberingMu.
	numbersInFlight int
	// numbersAnswered is broadcast (its L is numberingMu) when a block in
	// flight is answered: a book emptied while blocks were in flight is
	// read again only once none is (refreshNumbers), and an invoice whose
	// number is in flight is answered only once its block is (flyingAmong).
	numbersAnswered sync.Cond

	// waitingMu guards waiting: the single reservations (instant bills,
	// bill-now) queued while another is being appended; whoever takes
	// numberingMu next reserves them all in one block.
	waitingMu sync.Mutex
	waiting   []*numberWait

	index serviceIndex
	dir   ServiceDirectory

	zones sync.Map // time zone name → *time.Location (location)
}

// New returns a Service over cfg.Store.
func New(cfg Config) *Service {
	s := &Service{env: Env{Store: cfg.Store, Catalog: catalog.New()}, now: cfg.Now, newID: cfg.NewID, newClientID: cfg.NewClientID, dir: cfg.Services, recentNumbers: defaultRecentNumbers}
	s.numbersAnswered.L = &s.numberingMu
	s.serviceDecider = Decider[service.State, service.Command]{Evolve: service.Evolve, Decide: service.Decide,
		Cache: NewStreamsCache[service.State](ServiceCacheSize)}
	s.firmDecider = Decider[firm.State, firm.Command]{Evolve: firm.Evolve, Decide: firm.Decide, Cache: NewStreamsCache[firm.State](1)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = uuid.New
	}
	return s
}

// ServiceCacheSize is how many service streams' folded states a Service
// keeps (Service.serviceDecider): enough for the services a firm's staff and
// processes work on at once, few enough that long services stay a bounded
// amount of memory.
const ServiceCacheSize = 256

// Deciders of each aggregate (the service's is per Service, with its cache).
var (
	clientDecider   = Decider[client.State, client.Command]{Evolve: client.Evolve, Decide: client.Decide}
	proposalDecider = Decider[proposal.State, proposal.Command]{Evolve: proposal.Evolve, Decide: proposal.Decide}
	invoiceDecider  = Decider[invoice.State, invoice.Command]{Evolve: invoice.Evolve, Decide: invoice.Decide}
)

// begin fills in the command id of meta.
func (s *Service) begin(meta Meta) Meta {
	if meta.CommandID == "" {
		meta.CommandID = s.newID().String()
	}
	return meta
}

// pick returns id, or the id derived from the command id for kind.
func pick(id uuid.UUID, meta Meta, kind string) uuid.UUID {
	if id != uuid.Nil {
		return id
	}
	return DeriveID(meta.CommandID, kind)
}

// fold reads a stream and folds it, without deciding anything.
func fold[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string) (S, uint64, bool, error) {
	l, err := load(ctx, env, d, stream, nil, true)
	return l.state, l.rev, l.exists, err
}

// firm returns the firm's settings.
func (s *Service) firm(ctx context.Context) (firm.State, error) {
	st, _, _, err := fold(ctx, s.env, s.firmDecider, firm.StreamName())
	return st, err
}

// location returns the firm's time zone (UTC before set-up).
func (s *Service) location(f firm.State) *time.Location {
	if f.TimeZone == "" {
		return time.UTC
	}
	// time.LoadLocation reads and parses the zone's file at every call;
	// every command asks (today), so the zones read are kept.
	if loc, ok := s.zones.Load(f.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil {
		return time.UTC
	}
	s.zones.Store(f.TimeZone, loc)
	return loc
}

// today is the firm's calendar date now.
func (s *Service) today(f firm.State, now time.Time) domain.Date {
	return domain.DateOf(now, s.location(f))
}

// requireFirm returns the firm's settings, refusing before set-up.
func (s *Service) requireFirm(ctx context.Context) (firm.State, error) {
	f, err := s.firm(ctx)
	if err != nil {
		return f, err
	}
	if !f.SetUp {
		return f, domain.Conflict("Set up the firm first.")
	}
	return f, nil
}

// parseCurrency parses an ISO 4217 code for a request field; "" gives def.
func parseCurrency(p *domain.Problems, field, code string, def domain.Currency) domain.Currency {
	if code == "" {
		if def.IsZero() {
			p.Add(field, "choose a currency")
		}
		return def
	}
	c, err := domain.ParseCurrency(code)
	if err != nil {
		p.Add(field, "%s is not a currency Remit knows (use an ISO 4217 code such as AUD)", code)
		return domain.Currency{}
	}
	return c
}

// run handles one command on the main stream of a use case and fills in the
// created entity's id.
func run[S, C any](ctx context.Context, s *Service, d Decider[S, C], stream string, cmd C, meta Meta, created uuid.UUID) (Result, error) {
	out, err := Handle(ctx, s.env, d, stream, cmd, meta)
	if err != nil {
		return Result{}, err
	}
	out.Result.ID = created
	return out.Result, nil
}

func loadZone(name string) (*time.Location, error) { return time.LoadLocation(name) }

func clientStream(id uuid.UUID) string { return client.StreamName(id) }
