package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/eventstore"
	"remit/internal/parallel"
)

// EventNamespace is the UUID namespace of every id billing derives (event
// ids, and the ids of things a command creates when the request names none).
// Changing it would change every derived id: never do.
var EventNamespace = uuid.MustParse("6f1d2c7e-5b0a-4c3e-9a57-2b8e61d0a4f3")

// MaxAttempts bounds how often Handle decides again after a version conflict.
const MaxAttempts = 8

// Meta says who sent a command and why; it is recorded on every event the
// command appends.
type Meta struct {
	// Actor is who asked: a user's id or email, or a process name.
	Actor string `json:"actor,omitempty"`
	// CommandID identifies the command: the HTTP Idempotency-Key. A command
	// sent again with the same id appends nothing new and answers the first
	// result. Empty means a fresh id (Config.NewID).
	CommandID string `json:"command_id,omitempty"`
	// CorrelationID ties together everything one request or run caused;
	// empty means the command id.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID names what caused the command (an event id or another
	// command's id); empty means the command id.
	CausationID string `json:"causation_id,omitempty"`
	// IfMatch, when set, makes the command conditional on the revision of
	// its stream the caller saw (HTTP If-Match); see Precondition.
	IfMatch *Precondition `json:"-"`
	// Batch, when set, names the batch the command is one of (a billing
	// run's date): the ids of every event of the batch begin with the same
	// six bytes (EventIDIn), so the store's index of event ids takes a
	// batch's events in one place, not on every page of the index. It
	// changes the ids, never which events are appended; it is not recorded.
	Batch string `json:"-"`

	// step tells apart the sub-commands one request runs on the same
	// stream (edit an item, then bill it): it joins the command id in the
	// event ids, not in the recorded metadata.
	step string
}

// idKey is what event ids are derived from.
func (m Meta) idKey() string {
	if m.step == "" {
		return m.CommandID
	}
	return m.CommandID + "#" + m.step
}

// eventID is the id of the event at index of stream that this command
// appends (EventIDIn its batch).
func (m Meta) eventID(stream string, index int) uuid.UUID {
	return EventIDIn(m.Batch, m.idKey(), stream, index)
}

// withStep returns m for the named sub-command.
func (m Meta) withStep(step string) Meta {
	m.step = step
	return m
}

func (m Meta) metadata() eventstore.Metadata {
	md := eventstore.Metadata{Actor: m.Actor, CommandID: m.CommandID, CorrelationID: m.CorrelationID, CausationID: m.CausationID}
	if md.CorrelationID == "" {
		md.CorrelationID = m.CommandID
	}
	if md.CausationID == "" {
		md.CausationID = m.CommandID
	}
	return md
}

// Result says where a command's events landed.
type Result struct {
	// Stream is the command's main stream (the client's, the invoice's…).
	Stream string `json:"stream"`
	// Revision is Stream's revision after the command: its ETag. When the
	// command appended nothing, the revision the stream was at (0 and
	// Exists false for a stream with no events).
	Revision uint64 `json:"revision"`
	// Position is the highest global position the command appended at, over
	// all the streams it touched (the store's head when it appended nothing):
	// wait for read models to reach it for read-your-writes.
	Position uint64 `json:"position"`
	// ID is the id of the entity the command created (client, contact,
	// payment method, proposal, service, invoice, payment…), else uuid.Nil.
	ID uuid.UUID `json:"id,omitzero"`
	// AlreadyApplied is true when the command id had been seen: nothing was
	// appended and the result is the first run's.
	AlreadyApplied bool `json:"already_applied,omitempty"`
	// Appended is how many events this call appended to Stream.
	Appended int `json:"appended"`
}

// Decider is one aggregate as the command handler sees it.
type Decider[S, C any] struct {
	// Evolve applies one event to a state (the aggregate's Evolve). It must
	// not change the state it is given: the handler keeps states (caches,
	// a batch's state before an append that may fail) and evolves them again.
	Evolve func(S, domain.Event) S
	// Decide returns the events that record a command (the aggregate's Decide).
	Decide func(S, C) ([]domain.Event, error)
	// Cache, when set, keeps streams' last folded states so the next command
	// reads only the events after them.
	Cache *StreamsCache[S]
	// EventID, when set, names the events instead of EventID(command id,
	// stream, index): for processes whose events are named by what they
	// record (an email's outcome, a block of invoice numbers). Such a
	// command is not looked for in its stream before deciding; Decide must
	// see from the state that it is done, and an append refused for a
	// duplicate id is answered as already applied.
	EventID func(meta Meta, stream string, index int, e domain.Event) uuid.UUID
}

// StreamsCache holds the folded states of up to a bound of streams (of one
// aggregate), each as of a revision; when full, it forgets an arbitrary
// stream to keep another. It is safe for concurrent use, and Put keeps the
// later of two states of a stream.
type StreamsCache[S any] struct {
	mu     sync.Mutex
	max    int
	states map[string]cachedState[S]
}

type cachedState[S any] struct {
	state S
	rev   uint64
}

// NewStreamsCache returns a cache of at most max streams' states.
func NewStreamsCache[S any](max int) *StreamsCache[S] {
	return &StreamsCache[S]{max: max, states: make(map[string]cachedState[S])}
}

// Get returns stream's state and the revision it was folded to.
func (c *StreamsCache[S]) Get(stream string) (S, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	got, ok := c.states[stream]
	return got.state, got.rev, ok
}

// Put keeps s as stream's state at rev, unless a later one is held.
func (c *StreamsCache[S]) Put(stream string, s S, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.states[stream]; ok {
		if rev > old.rev {
			c.states[stream] = cachedState[S]{s, rev}
		}
		return
	}
	if len(c.states) >= c.max {
		for k := range c.states {
			delete(c.states, k)
			break
		}
	}
	c.states[stream] = cachedState[S]{s, rev}
}

// Outcome is what Handle returns: the Result and the state after the command
// (folded from the stream plus the events appended).
type Outcome[S any] struct {
	Result
	State S
	// Exists is false when the stream still has no events.
	Exists bool
}

// Env is what every command needs: the store and the event catalogue.
type Env struct {
	Store   eventstore.Store
	Catalog *catalog.Catalog
}

// EventID returns the id of the index-th event a command appends to stream:
// uuid.NewSHA1(EventNamespace, commandID + "/" + stream + "/" + index).
func EventID(commandID, stream string, index int) uuid.UUID {
	return uuid.NewSHA1(EventNamespace, []byte(commandID+"/"+stream+"/"+strconv.Itoa(index)))
}

// EventIDIn is EventID for a command of the named batch (Meta.Batch): its
// first six bytes are those of uuid.NewSHA1(EventNamespace, "batch/" +
// batch), the rest EventID's (its version and variant bits included), so
// the events of one batch sort together. A random id lands on any page of
// the store's unique index of ids: a billing run's commit of tens of
// thousands of events rewrote nearly every page of it, each commit again.
// Ten bytes of SHA-1 still tell apart the events of one batch (74 bits:
// a collision in a batch of a million events has a chance of about one in
// 10^10). An empty batch is EventID itself.
func EventIDIn(batch, commandID, stream string, index int) uuid.UUID {
	id := EventID(commandID, stream, index)
	if batch != "" {
		prefix := uuid.NewSHA1(EventNamespace, []byte("batch/"+batch))
		copy(id[:6], prefix[:6])
	}
	return id
}

// DeriveID returns the id of a thing a command creates when the request names
// none: uuid.NewSHA1(EventNamespace, commandID + "/" + kind), so the same
// command id always names the same thing.
func DeriveID(commandID, kind string) uuid.UUID {
	return uuid.NewSHA1(EventNamespace, []byte(commandID+"/"+kind))
}

// Handle runs one command against one stream: check its text
// (domain.CheckText), load (ReadStream forward),
// decode with the catalogue, fold with d.Evolve, d.Decide, encode, append
// with the expected revision (NoStream for an empty stream, else Exact(last
// revision)). On a version conflict it re-reads and decides again, up to
// MaxAttempts times with a small jittered backoff, then answers ECONFLICT;
// but while meta.IfMatch holds for stream, a stream found elsewhere or a
// conflict answers *PreconditionFailedError and is not retried.
// meta.CommandID must be set: event ids are derived from it (EventID), and
// a command whose first event id is already in the stream is answered with
// the first run's result and not decided again. It is HandleBatch with one
// command.
func Handle[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string, cmd C, meta Meta) (Outcome[S], error) {
	outs, err := HandleBatch(ctx, env, d, []Command[C]{{Stream: stream, Command: cmd, Meta: meta}}, HandleOptions[S]{})
	if err != nil {
		return Outcome[S]{}, err
	}
	return outs[0].Outcome, outs[0].Err
}

// Command is one command of HandleBatch: Command run against Stream, under
// Meta.
type Command[C any] struct {
	Stream  string
	Command C
	Meta    Meta
	// FirstEvent is the index (in EventID) of the command's first event: 0
	// for a command alone under its Meta on its stream. Commands of one
	// batch that share a Meta on one stream each take their own indexes.
	FirstEvent int
}

// BatchOutcome is what became of one Command of HandleBatch: its Outcome
// (the state after it and the commands before it on its stream), or Err.
type BatchOutcome[S any] struct {
	Outcome[S]
	// Err is the command's refusal (the other commands of its stream go
	// on without it), or what failed its stream (the store, ECONFLICT after
	// the attempts).
	Err error
	// Events are the events the command appended.
	Events []domain.Event
}

// HandleOptions tune HandleBatch.
type HandleOptions[S any] struct {
	// Workers bounds the streams handled at once (1 when 0): the embedded
	// store commits the appends waiting together with one sync. With Known
	// (and no Queued) it bounds the streams of one block (inBlocks).
	Workers int
	// Known, when set, gives the state a stream's commands are first
	// decided from, for a caller that has it folded already (ok false: read
	// the stream). The append expects the revision given, so a stale state
	// costs a re-read, never a double effect; commands are looked for in
	// their stream only once it is read.
	Known func(stream string) (state S, revision uint64, exists, ok bool)
	// Attempts bounds the decisions per stream (MaxAttempts when 0); the
	// last conflict is answered as ECONFLICT wrapping the store's
	// eventstore.ErrWrongExpectedVersion, for callers that retry themselves.
	Attempts int
	// Queued, when set, hears the events decided for a stream as soon as
	// their append holds its place in the store's order
	// (eventstore.AppendQueued), before its commit is answered; it is not
	// called when nothing is appended. A caller keeping its own book of the
	// stream (invoice numbers) records them there and lets its next append
	// be decided and queued behind this one meanwhile.
	Queued func(stream string, events []domain.Event)
	// Settled, when set, hears that the commands of one stream are settled
	// (how many), from the goroutine that handled them.
	Settled func(commands int)
	// NoStates leaves the State of every appended command's outcome zero,
	// for a caller that reads only where its events landed (a billing run
	// marking 100,000s of items): a state per command is most of what a
	// batch's outcomes cost to fill and keep.
	NoStates bool

	// textChecked: the commands' text needs no check here, because it is
	// events a process decided itself (Record), whose text comes from other
	// systems (a ledger's error message, a mail server's answer) and is
	// recorded as it came, or a billing run's, made of schedule items'
	// text checked when it was typed (IssueBatch).
	textChecked bool
}

// HandleBatch runs many commands, on one or many streams: per stream, in
// the order given, it loads the stream once (or starts from opts.Known),
// decides each command on the state the ones before it left, encodes all
// their events and appends them in one append with the expected revision;
// on a conflict it re-reads and decides them all again, as Handle does. A
// command refused by Decide gets its error and the others of its stream go
// on. Streams run on opts.Workers goroutines. The error return is ctx's;
// each command's fate is in its BatchOutcome.
func HandleBatch[S, C any](ctx context.Context, env Env, d Decider[S, C], cmds []Command[C], opts HandleOptions[S]) ([]BatchOutcome[S], error) {
	outs := make([]BatchOutcome[S], len(cmds))
	if rid := RequestID(ctx); rid != "" {
		// The request's id correlates what it appended, unless the caller
		// correlates the commands itself (a billing run's date).
		cmds = slices.Clone(cmds)
		for i := range cmds {
			if cmds[i].Meta.CorrelationID == "" {
				cmds[i].Meta.CorrelationID = rid
			}
		}
	}
	if o := observerFrom(ctx); o != nil {
		defer observe(o, cmds, outs)
	}
	var streams [][]int
	at := map[string]int{}
	for i, c := range cmds {
		if err := checkCommand(c, !opts.textChecked); err != nil {
			outs[i].Err = err
			continue
		}
		k, ok := at[c.Stream]
		if !ok {
			k = len(streams)
			at[c.Stream] = k
			streams = append(streams, nil)
		}
		streams[k] = append(streams[k], i)
	}
	h := &streamHandler[S, C]{env: env, d: d, cmds: cmds, outs: outs, opts: opts}
	if h.opts.Attempts <= 0 {
		h.opts.Attempts = MaxAttempts
	}
	handle := func(k int) {
		h.run(ctx, streams[k])
		if opts.Settled != nil {
			opts.Settled(len(streams[k]))
		}
	}
	if len(streams) == 1 { // Handle's case: no goroutine
		handle(0)
		return outs, nil
	}
	if opts.Known != nil && opts.Queued == nil {
		return outs, h.inBlocks(ctx, streams)
	}
	err := parallel.For(ctx, max(opts.Workers, 1), len(streams), handle)
	return outs, err
}

// checkCommand refuses a command without a command id, and (when text is
// set) free text no command may carry (card numbers, control characters),
// whatever sent it, before anything is read or appended.
func checkCommand[C any](c Command[C], text bool) error {
	if c.Meta.CommandID == "" {
		return domain.Errorf(domain.EINTERNAL, "billing: command for %s has no command id", c.Stream)
	}
	if !text {
		return nil
	}
	return domain.CheckText(c.Command)
}

// streamHandler runs a batch's commands, one stream at a time.
type streamHandler[S, C any] struct {
	env  Env
	d    Decider[S, C]
	cmds []Command[C]
	outs []BatchOutcome[S]
	opts HandleOptions[S]
}

// run settles the commands idx (all of one stream) in outs.
func (h *streamHandler[S, C]) run(ctx context.Context, idx []int) {
	stream := h.cmds[idx[0]].Stream
	var l loaded[S]
	read := true
	if h.opts.Known != nil {
		if st, rev, exists, ok := h.opts.Known(stream); ok {
			l, read = loaded[S]{state: st, rev: rev, exists: exists}, false
		}
	}
	h.attempt(ctx, stream, idx, l, read, nil)
}

// attempt decides and appends the commands idx of stream until they are
// settled: from l unless read (then the stream is read first), re-reading
// after a conflict. A non-nil first is the store's answer to a first
// attempt already made (in a block, inBlocks) from l with idx.
func (h *streamHandler[S, C]) attempt(ctx context.Context, stream string, idx []int, l loaded[S], read bool, first error) {
	afterDup := false
	for attempt := 1; ; attempt++ {
		var err error
		if attempt == 1 && first != nil {
			err, read = first, true
		} else {
			if read {
				if l, err = load(ctx, h.env, h.d, stream, h.firstIDs(idx), !afterDup); err != nil {
					h.fail(idx, err)
					return
				}
				before := len(idx)
				idx = h.settleApplied(l, idx)
				if afterDup && len(idx) == before {
					h.fail(idx, domain.Conflict("This request's idempotency key was already used for a different request."))
					return
				}
				afterDup = false
			}
			read = true
			idx = h.checkPreconditions(stream, l, idx)
			if len(idx) == 0 {
				return
			}
			err = h.decideAndAppend(ctx, stream, l, idx)
		}
		switch {
		case err == nil:
			if l.cached {
				h.settleRetries(ctx, stream, idx)
			}
			return
		case errors.Is(err, eventstore.ErrDuplicateEventID) && h.d.EventID != nil:
			// Named by what they record: recorded before.
			for _, i := range idx {
				h.outs[i] = BatchOutcome[S]{Outcome: Outcome[S]{Result: Result{Stream: stream, AlreadyApplied: true}, State: l.state, Exists: true}}
			}
			return
		case errors.Is(err, eventstore.ErrDuplicateEventID):
			// The ids are ours, so a command was applied before, elsewhere
			// in the stream than this decision would put it: read it back.
			afterDup = true
			continue
		case !errors.Is(err, eventstore.ErrWrongExpectedVersion):
			h.fail(idx, err)
			return
		}
		if idx = h.failPreconditions(stream, idx, err); len(idx) == 0 {
			return
		}
		if attempt >= h.opts.Attempts {
			h.fail(idx, &conflictError{stream: stream, err: err})
			return
		}
		if err := backoff(ctx, min(attempt, MaxAttempts)); err != nil {
			h.fail(idx, err)
			return
		}
	}
}

// blockSize is how many streams' appends inBlocks hands the store in one
// request: as many as the embedded store commits together (its default
// MaxBatch), the most one commit can share.
const blockSize = 4096

// inBlocks settles the commands of streams (each a stream's commands, in
// order) whose states the caller knows (opts.Known): blocks of streams are
// decided and encoded on every core, and each block's appends are made in
// one request (eventstore.AppendMany), two blocks at a time, so the store's
// writer commits a block with one sync while the next is decided. A stream
// whose append fails (a conflict, a retry found) or whose state is not
// known goes the way of a lone stream (attempt), on opts.Workers
// goroutines. The outcome is the one the streams would have handled
// one by one: the same decisions, the same appends with the same expected
// revisions, the same retries; only the requests to the store are fewer,
// and no goroutine per append waits for its answer.
func (h *streamHandler[S, C]) inBlocks(ctx context.Context, streams [][]int) error {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2)
	size := blockSize
	if h.opts.Workers > 0 {
		size = min(size, h.opts.Workers)
	}
	for start := 0; start < len(streams) && ctx.Err() == nil; start += size {
		block := streams[start:min(start+size, len(streams))]
		ready := make([]blockStream[S], len(block))
		if err := parallel.For(ctx, runtime.GOMAXPROCS(0), len(block), func(k int) { ready[k] = h.prepareStream(block[k]) }); err != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			h.appendBlock(ctx, ready)
		})
	}
	wg.Wait()
	return ctx.Err()
}

// blockStream is one stream of a block of inBlocks: its commands (idx),
// decided (p) from the known state l, or to be handled alone (lone).
type blockStream[S any] struct {
	stream string
	n      int // its commands
	idx    []int
	l      loaded[S]
	p      prepared[S]
	lone   bool // its state is not known: read it
}

// prepareStream decides and encodes the commands idx of one stream from its
// known state.
func (h *streamHandler[S, C]) prepareStream(idx []int) blockStream[S] {
	b := blockStream[S]{stream: h.cmds[idx[0]].Stream, n: len(idx)}
	st, rev, exists, ok := h.opts.Known(b.stream)
	if !ok {
		b.idx, b.lone = idx, true
		return b
	}
	b.l = loaded[S]{state: st, rev: rev, exists: exists}
	b.idx = h.checkPreconditions(b.stream, b.l, idx)
	if len(b.idx) > 0 {
		b.p = h.prepare(b.stream, b.l, b.idx)
	}
	return b
}

// appendBlock makes a block's appends in one request and settles them; the
// streams left over (not known, refused by the store) are handled alone.
func (h *streamHandler[S, C]) appendBlock(ctx context.Context, block []blockStream[S]) {
	var appends []eventstore.StreamAppend
	var at []int // the block's stream of each append
	for k, b := range block {
		if !b.lone && len(b.p.data) > 0 {
			appends = append(appends, eventstore.StreamAppend{Stream: b.stream, Expected: b.p.expected, Events: b.p.data})
			at = append(at, k)
		}
	}
	firsts := make([]error, len(block))
	start := time.Now()
	outs, err := eventstore.AppendMany(ctx, h.env.Store, appends)
	took := time.Since(start)
	o := observerFrom(ctx)
	for j, k := range at {
		b := &block[k]
		switch {
		case err != nil:
			firsts[k] = fmt.Errorf("append %s: %w", b.stream, err)
		case outs[j].Err != nil:
			firsts[k] = fmt.Errorf("append %s: %w", b.stream, outs[j].Err)
		default:
			if o != nil {
				o.Appended(len(b.p.data), took)
			}
			h.settle(b.stream, b.l, b.p, outs[j].Result)
		}
	}
	var lone []int
	for k, b := range block {
		switch {
		case b.lone || firsts[k] != nil:
			lone = append(lone, k)
			continue
		case len(b.idx) > 0 && len(b.p.data) == 0:
			// Nothing to append (every command refused, or a no-op): as
			// a lone stream answers it.
			if err := h.settleNothing(ctx, b.stream, b.l, b.p); err != nil {
				h.fail(b.idx, err)
			}
		}
		if h.opts.Settled != nil {
			h.opts.Settled(b.n)
		}
	}
	parallel.For(ctx, max(h.opts.Workers, 1), len(lone), func(j int) {
		b := &block[lone[j]]
		h.attempt(ctx, b.stream, b.idx, b.l, b.lone, firsts[lone[j]])
		if h.opts.Settled != nil {
			h.opts.Settled(b.n)
		}
	})
}

// settleRetries answers with their first run's result the commands of idx
// that were refused or changed nothing when decided from a cached state:
// the cache holds the state after a command's first run but not which
// command ids made it, so a retry decided on it would be refused ("already
// ended") or answered as a no-op instead of as already applied. Only then
// is the whole stream read, to find their ids.
func (h *streamHandler[S, C]) settleRetries(ctx context.Context, stream string, idx []int) {
	var again []int
	for _, i := range idx {
		if o := h.outs[i]; o.Err != nil || o.Appended == 0 {
			again = append(again, i)
		}
	}
	if len(again) == 0 || h.d.EventID != nil {
		return
	}
	l, err := load(ctx, h.env, h.d, stream, h.firstIDs(again), false)
	if err != nil {
		return // the answers given stand: nothing was appended for them
	}
	h.settleApplied(l, again)
}

// checkPreconditions fails the commands idx whose If-Match (Meta.IfMatch)
// does not hold for the stream as loaded, and returns the others.
func (h *streamHandler[S, C]) checkPreconditions(stream string, l loaded[S], idx []int) []int {
	rest := idx[:0:0]
	for _, i := range idx {
		if err := h.cmds[i].Meta.IfMatch.check(stream, l.exists, l.rev); err != nil {
			h.outs[i] = BatchOutcome[S]{Err: err}
			continue
		}
		rest = append(rest, i)
	}
	return rest
}

// failPreconditions answers a version conflict for the commands idx whose
// If-Match still holds for stream: someone else wrote the stream after the
// revision their caller saw, so deciding again would build on what the
// caller did not see. It returns the commands that may be decided again.
func (h *streamHandler[S, C]) failPreconditions(stream string, idx []int, err error) []int {
	rest := idx[:0:0]
	for _, i := range idx {
		p := h.cmds[i].Meta.IfMatch
		if !p.pending(stream) {
			rest = append(rest, i)
			continue
		}
		pf := &PreconditionFailedError{Stream: stream, Want: p.Revision, Exists: true}
		var wrong *eventstore.WrongExpectedVersionError
		if errors.As(err, &wrong) {
			pf.Exists, pf.Actual = wrong.Exists, wrong.Actual
		}
		h.outs[i] = BatchOutcome[S]{Err: pf}
	}
	return rest
}

func (h *streamHandler[S, C]) fail(idx []int, err error) {
	for _, i := range idx {
		h.outs[i] = BatchOutcome[S]{Err: err}
	}
}

// firstIDs names the first event of each command, to find the ones the
// stream holds already (none for a Decider naming its own events).
func (h *streamHandler[S, C]) firstIDs(idx []int) map[uuid.UUID]int {
	if h.d.EventID != nil {
		return nil
	}
	ids := make(map[uuid.UUID]int, len(idx))
	for _, i := range idx {
		c := h.cmds[i]
		ids[c.Meta.eventID(c.Stream, c.FirstEvent)] = i
	}
	return ids
}

// settleApplied answers the commands found in the stream with their first
// run's result and returns the others.
func (h *streamHandler[S, C]) settleApplied(l loaded[S], idx []int) []int {
	if len(l.applied) == 0 {
		return idx
	}
	rest := idx[:0:0]
	for _, i := range idx {
		r, ok := l.applied[i]
		if !ok {
			rest = append(rest, i)
			continue
		}
		r.AlreadyApplied = true
		h.outs[i] = BatchOutcome[S]{Outcome: Outcome[S]{Result: r, State: l.state, Exists: true}}
	}
	return rest
}

// decided is one command's decision within a stream's append.
type decided[S any] struct {
	i      int
	events []domain.Event
	err    error
	state  S
	count  int // events of the append up to and including this command's
}

// prepared is a stream's commands decided and encoded, ready to append.
type prepared[S any] struct {
	ds       []decided[S]
	data     []eventstore.EventData
	expected eventstore.ExpectedRevision
}

// final is the stream's state after every command of p, decided from l
// (kept once, in the last decision: a batch holds thousands of prepared
// streams, and a state is most of their size).
func (p prepared[S]) final(l loaded[S]) S {
	if len(p.ds) == 0 {
		return l.state
	}
	return p.ds[len(p.ds)-1].state
}

// prepare decides the commands idx from l, one after another, and encodes
// all their events for one append.
func (h *streamHandler[S, C]) prepare(stream string, l loaded[S], idx []int) prepared[S] {
	st := l.state
	var data []eventstore.EventData
	ds := make([]decided[S], len(idx))
	for k, i := range idx {
		c := h.cmds[i]
		ds[k].i = i
		events, err := h.d.Decide(st, c.Command)
		var enc []eventstore.EventData
		if err == nil {
			enc, err = h.encode(c, events)
		}
		if err != nil {
			ds[k].err, ds[k].state, ds[k].count = err, st, len(data)
			continue
		}
		for _, e := range events {
			st = h.d.Evolve(st, e)
		}
		data = append(data, enc...)
		ds[k].events, ds[k].state, ds[k].count = events, st, len(data)
	}
	expected := eventstore.NoStream
	if l.exists {
		expected = eventstore.Exact(l.rev)
	}
	return prepared[S]{ds: ds, data: data, expected: expected}
}

// decideAndAppend decides the commands idx from l, one after another, and
// appends all their events in one append; on success (or when there is
// nothing to append) it settles them, else returns the store's error.
func (h *streamHandler[S, C]) decideAndAppend(ctx context.Context, stream string, l loaded[S], idx []int) error {
	p := h.prepare(stream, l, idx)
	if len(p.data) == 0 {
		return h.settleNothing(ctx, stream, l, p)
	}
	var res eventstore.AppendResult
	var err error
	start := time.Now()
	if h.opts.Queued == nil {
		res, err = h.env.Store.Append(ctx, stream, p.expected, p.data...)
	} else {
		queued := func() {
			var all []domain.Event
			for _, x := range p.ds {
				all = append(all, x.events...)
			}
			h.opts.Queued(stream, all)
		}
		res, err = eventstore.AppendQueued(ctx, h.env.Store, stream, p.expected, queued, p.data...)
	}
	if err != nil {
		return fmt.Errorf("append %s: %w", stream, err)
	}
	if o := observerFrom(ctx); o != nil {
		o.Appended(len(p.data), time.Since(start))
	}
	h.settle(stream, l, p, res)
	return nil
}

// settleNothing settles commands that appended nothing: each refused, or
// answered with the stream as it is (at the store's head).
func (h *streamHandler[S, C]) settleNothing(ctx context.Context, stream string, l loaded[S], p prepared[S]) error {
	var res eventstore.AppendResult
	if slices.ContainsFunc(p.ds, func(x decided[S]) bool { return x.err == nil }) {
		head, err := h.env.Store.Head(ctx)
		if err != nil {
			return fmt.Errorf("head: %w", err)
		}
		res = eventstore.AppendResult{Revision: l.rev, Position: head}
	}
	h.settle(stream, l, p, res)
	return nil
}

// settle records each command's outcome once its stream's append (res) is
// done.
func (h *streamHandler[S, C]) settle(stream string, l loaded[S], p prepared[S], res eventstore.AppendResult) {
	if len(p.data) > 0 && h.d.Cache != nil {
		h.d.Cache.Put(stream, p.final(l), res.Revision)
	}
	// The events of the append are at revisions res.Revision-len(data)+1
	// onwards (uint64 arithmetic: a new stream starts at 0).
	base := res.Revision - uint64(len(p.data))
	for k := range p.ds {
		// In place, by index: a decision and an outcome each hold a state,
		// and copying them through locals cost a batch of 100,000s of
		// commands a second of CPU.
		x, o := &p.ds[k], &h.outs[p.ds[k].i]
		if x.err != nil {
			*o = BatchOutcome[S]{Err: x.err}
			continue
		}
		h.cmds[x.i].Meta.IfMatch.satisfy(stream)
		rev := base + uint64(x.count)
		if x.count == 0 {
			rev = l.rev
		}
		o.Err, o.Events = nil, x.events
		o.Result = Result{Stream: stream, Revision: rev, Position: res.Position, Appended: len(x.events)}
		o.Exists = l.exists || x.count > 0
		if !h.opts.NoStates {
			o.State = x.state
		}
	}
}

// encode builds the envelopes of a command's events (see envelopes).
func (h *streamHandler[S, C]) encode(c Command[C], events []domain.Event) ([]eventstore.EventData, error) {
	return envelopes(h.env.Catalog, events, c.Meta, c.Stream, c.FirstEvent, h.d.EventID)
}

// envelopes builds the envelopes of events a command appends to stream:
// JSON of the event struct, its type, its type's current schema version (as
// the catalogue says: old shapes are upcast on reading), the command's metadata,
// and ids from name (nil: the command's own, Meta.eventID). It is
// the one place envelopes are made.
func envelopes(cat *catalog.Catalog, events []domain.Event, meta Meta, stream string, first int, name func(Meta, string, int, domain.Event) uuid.UUID) ([]eventstore.EventData, error) {
	data := make([]eventstore.EventData, len(events))
	md := meta.metadata()
	for k, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, domain.Errorf(domain.EINTERNAL, "encode %s: %v", e.EventType(), err)
		}
		id := meta.eventID(stream, first+k)
		if name != nil {
			id = name(meta, stream, first+k, e)
		}
		data[k] = eventstore.EventData{ID: id, Type: e.EventType(), SchemaVersion: cat.SchemaVersion(e.EventType()), Data: raw, Metadata: md}
	}
	return data, nil
}

// conflictError is the ECONFLICT answered after MaxAttempts conflicts; it
// keeps the store's error for the operator's log.
type conflictError struct {
	stream string
	err    error
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("%s: %v", e.domainError().Error(), e.err)
}

func (e *conflictError) domainError() *domain.Error {
	return domain.Conflict("Someone else changed this at the same time; please try again.")
}

// Unwrap exposes both the domain error (code ECONFLICT) and the store's.
func (e *conflictError) Unwrap() []error { return []error{e.domainError(), e.err} }

func backoff(ctx context.Context, attempt int) error {
	base := time.Duration(attempt) * time.Millisecond
	wait := base/2 + rand.N(base)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// loaded is a stream as read: its folded state and where it ends.
type loaded[S any] struct {
	state  S
	exists bool
	rev    uint64
	// applied holds, by command index, the first run's result of each
	// command whose first event is in the stream (revision and position of
	// the last event recorded under its command id).
	applied map[int]Result
	// cached: the state started from the Decider's cache, so applied only
	// knows the commands found after it.
	cached bool
}

// load reads stream (from the cached state, when useCache and the Decider
// has one), folds it, and finds the commands firstIDs names.
func load[S, C any](ctx context.Context, env Env, d Decider[S, C], stream string, firstIDs map[uuid.UUID]int, useCache bool) (loaded[S], error) {
	var l loaded[S]
	from := uint64(0)
	if d.Cache != nil && useCache {
		if s, rev, ok := d.Cache.Get(stream); ok {
			l.state, l.rev, l.exists, l.cached = s, rev, true, true
			from = rev + 1
		}
	}
	recs, err := env.Store.ReadStream(ctx, stream, from, eventstore.Forward, 0)
	if err != nil {
		return l, fmt.Errorf("read %s: %w", stream, err)
	}
	tracked := map[string][]int{} // command id → the commands found under it
	for _, r := range recs {
		e, err := env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return l, fmt.Errorf("decode %s@%d: %w", stream, r.Revision, err)
		}
		l.state = d.Evolve(l.state, e)
		l.exists, l.rev = true, r.Revision
		if i, ok := firstIDs[r.ID]; ok {
			if l.applied == nil {
				l.applied = map[int]Result{}
			}
			l.applied[i] = Result{Stream: stream}
			tracked[r.Metadata.CommandID] = append(tracked[r.Metadata.CommandID], i)
		}
		for _, i := range tracked[r.Metadata.CommandID] {
			l.applied[i] = Result{Stream: stream, Revision: r.Revision, Position: r.Position}
		}
	}
	if d.Cache != nil && l.exists {
		d.Cache.Put(stream, l.state, l.rev)
	}
	return l, nil
}
