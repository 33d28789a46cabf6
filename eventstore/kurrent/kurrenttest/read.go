package kurrenttest

import (
	"context"
	"regexp"
	"strings"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// batch is how many events the server reads from its store at a time.
const batch = 512

// Read implements streams.StreamsServer: plain reads and subscriptions, of
// one stream or of $all.
func (s *Server) Read(req *streams.ReadReq, srv streams.Streams_ReadServer) error {
	if err := s.notLeader(srv.SetTrailer); err != nil {
		return err
	}
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read: options missing")
	}
	m, err := matcherOf(o.GetFilter())
	if err != nil {
		return err
	}
	r := &reader{
		s: s, srv: srv, ctx: srv.Context(), m: m,
		idAsString: o.GetUuidOption().GetString_() != nil,
		backward:   o.GetReadDirection() == streams.ReadReq_Options_Backwards,
		count:      o.GetCount(),
	}
	sub := o.GetSubscription() != nil
	switch so := o.GetStreamOption().(type) {
	case *streams.ReadReq_Options_Stream:
		if sub {
			return r.subscribeStream(so.Stream)
		}
		return r.readStream(so.Stream)
	case *streams.ReadReq_Options_All:
		if sub {
			return r.subscribeAll(so.All)
		}
		return r.readAll(so.All)
	}
	return status.Error(codes.InvalidArgument, "read: neither a stream nor $all")
}

type reader struct {
	s          *Server
	srv        streams.Streams_ReadServer
	ctx        context.Context
	m          *matcher
	idAsString bool
	backward   bool
	count      uint64 // plain reads: how many events to send at most
	sent       uint64
}

// send sends one stored event; done reports that a plain read has sent
// its count.
func (r *reader) send(e *eventstore.RecordedEvent) (done bool, err error) {
	if !r.m.match(clientName(e.Stream), e.Type) {
		return false, nil
	}
	resp, err := r.s.eventResp(e, r.idAsString)
	if err != nil {
		return false, status.Error(codes.Internal, err.Error())
	}
	if err := r.srv.Send(resp); err != nil {
		return false, err
	}
	r.sent++
	return r.count > 0 && r.sent >= r.count, nil
}

func (r *reader) streamNotFound(name string) error {
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{StreamNotFound: &streams.ReadResp_StreamNotFound{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}}}})
}

// openStream looks a stream up: its stored name, whether it has readable
// events, its last revision and its truncate-before revision.
func (r *reader) openStream(name string) (stored string, found bool, last, tb uint64, err error) {
	stored, ok := storeName(name)
	if !ok {
		return "", false, 0, 0, nil
	}
	r.s.mu.RLock()
	d := r.s.deleted[stored]
	r.s.mu.RUnlock()
	if d.tombstoned {
		return "", false, 0, 0, streamDeleted(r.srv.SetTrailer, name)
	}
	exists, last, err := r.s.lastRevision(r.ctx, stored)
	if err != nil {
		return "", false, 0, 0, storeError(err)
	}
	return stored, exists && last >= d.truncateBefore, last, d.truncateBefore, nil
}

func (r *reader) readStream(o *streams.ReadReq_Options_StreamOptions) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	stored, found, last, tb, err := r.openStream(name)
	if err != nil {
		return err
	}
	if !found {
		return r.streamNotFound(name)
	}
	if r.count == 0 {
		return nil
	}
	var from uint64
	switch rev := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		from = rev.Revision
	case *streams.ReadReq_Options_StreamOptions_End:
		from = last
		if !r.backward {
			return nil
		}
	}
	if !r.backward {
		from = max(from, tb)
	} else if from < tb {
		return nil
	}
	dir := eventstore.Forward
	if r.backward {
		dir = eventstore.Backward
	}
	for {
		evs, err := r.s.store.ReadStream(r.ctx, stored, from, dir, batch)
		if err != nil {
			return storeError(err)
		}
		for i := range evs {
			if evs[i].Revision < tb {
				return nil
			}
			if done, err := r.send(&evs[i]); done || err != nil {
				return err
			}
		}
		if len(evs) < batch {
			return nil
		}
		lastRev := evs[len(evs)-1].Revision
		if r.backward {
			if lastRev == 0 {
				return nil
			}
			from = lastRev - 1
		} else {
			from = lastRev + 1
		}
	}
}

// position maps a $all read position to a store position.
func (r *reader) position(o *streams.ReadReq_Options_AllOptions, head uint64) (uint64, error) {
	switch p := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Position:
		n, ok := r.s.storePosOf(p.Position.GetCommitPosition(), p.Position.GetPreparePosition(), head)
		if !ok {
			return 0, status.Errorf(codes.InvalidArgument, "invalid position C:%d/P:%d: no event starts there",
				p.Position.GetCommitPosition(), p.Position.GetPreparePosition())
		}
		return n, nil
	case *streams.ReadReq_Options_AllOptions_End:
		return head + 1, nil
	}
	return 1, nil
}

func (r *reader) readAll(o *streams.ReadReq_Options_AllOptions) error {
	head, err := r.s.store.Head(r.ctx)
	if err != nil {
		return storeError(err)
	}
	next, err := r.position(o, head)
	if err != nil {
		return err
	}
	if r.count == 0 {
		return nil
	}
	dir := eventstore.Forward
	if r.backward {
		// Backwards from a position reads the events before it.
		if _, start := o.GetAllOption().(*streams.ReadReq_Options_AllOptions_Start); start {
			return nil
		}
		next--
		dir = eventstore.Backward
	}
	for next > 0 {
		evs, err := r.s.store.ReadAll(r.ctx, next, dir, batch, r.m.hint())
		if err != nil {
			return storeError(err)
		}
		for i := range evs {
			if done, err := r.send(&evs[i]); done || err != nil {
				return err
			}
		}
		if len(evs) < batch {
			return nil
		}
		if r.backward {
			next = evs[len(evs)-1].Position - 1
		} else {
			next = evs[len(evs)-1].Position + 1
		}
	}
	return nil
}

func (r *reader) confirm() error {
	r.s.subscriptions.Add(1)
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{Confirmation: &streams.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString()}}})
}

func (r *reader) caughtUp() error {
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}})
}

// wait blocks until the next write, and ends the subscription when the
// server drops it or the client goes away.
func (r *reader) wait(wake, drop <-chan struct{}) error {
	select {
	case <-wake:
		return nil
	case <-drop:
		return status.Error(codes.Unavailable, "subscription dropped by the server")
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

func dropped(drop <-chan struct{}) error {
	select {
	case <-drop:
		return status.Error(codes.Unavailable, "subscription dropped by the server")
	default:
		return nil
	}
}

// subscribeAll follows $all from a position (exclusive, as KurrentDB
// does): catch-up, a caught-up message, then live events. A filtered
// subscription also gets a checkpoint after every batch the server reads.
func (r *reader) subscribeAll(o *streams.ReadReq_Options_AllOptions) error {
	_, drop0 := r.s.signals()
	head, err := r.s.store.Head(r.ctx)
	if err != nil {
		return storeError(err)
	}
	next, err := r.position(o, head)
	if err != nil {
		return err
	}
	if _, pos := o.GetAllOption().(*streams.ReadReq_Options_AllOptions_Position); pos {
		next++
	}
	if err := r.confirm(); err != nil {
		return err
	}
	caught := false
	for {
		wake, drop := r.s.signals()
		if err := dropped(drop0); err != nil {
			return err
		}
		drop0 = drop
		head, err := r.s.store.Head(r.ctx)
		if err != nil {
			return storeError(err)
		}
		full := false
		if head >= next {
			evs, err := r.s.store.ReadAll(r.ctx, next, eventstore.Forward, batch, r.m.hint())
			if err != nil {
				return storeError(err)
			}
			for i := range evs {
				if _, err := r.send(&evs[i]); err != nil {
					return err
				}
			}
			// Everything up to the head seen before the read was scanned,
			// unless the batch filled up first.
			scanned := head
			if n := len(evs); n > 0 && (n == batch || evs[n-1].Position > head) {
				scanned = evs[n-1].Position
			}
			full = len(evs) == batch
			next = scanned + 1
			if r.m.active() {
				c := r.s.commitOf(scanned)
				if err := r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{Checkpoint: &streams.ReadResp_Checkpoint{
					CommitPosition: c, PreparePosition: c}}}); err != nil {
					return err
				}
			}
		}
		if full {
			continue
		}
		if !caught {
			caught = true
			if err := r.caughtUp(); err != nil {
				return err
			}
		}
		if err := r.wait(wake, drop); err != nil {
			return err
		}
	}
}

// subscribeStream follows one stream from a revision (exclusive).
func (r *reader) subscribeStream(o *streams.ReadReq_Options_StreamOptions) error {
	_, drop0 := r.s.signals()
	name := string(o.GetStreamIdentifier().GetStreamName())
	stored, found, last, tb, err := r.openStream(name)
	if err != nil {
		return err
	}
	if stored == "" {
		return status.Errorf(codes.PermissionDenied, "system stream %s is not kept by this server", name)
	}
	var next uint64
	switch rev := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		next = rev.Revision + 1
	case *streams.ReadReq_Options_StreamOptions_End:
		if found {
			next = last + 1
		}
	}
	next = max(next, tb)
	if err := r.confirm(); err != nil {
		return err
	}
	caught := false
	for {
		wake, drop := r.s.signals()
		if err := dropped(drop0); err != nil {
			return err
		}
		drop0 = drop
		r.s.mu.RLock()
		gone := r.s.deleted[stored].tombstoned
		r.s.mu.RUnlock()
		if gone {
			return streamDeleted(r.srv.SetTrailer, name)
		}
		evs, err := r.s.store.ReadStream(r.ctx, stored, next, eventstore.Forward, batch)
		if err != nil {
			return storeError(err)
		}
		for i := range evs {
			if _, err := r.send(&evs[i]); err != nil {
				return err
			}
			next = evs[i].Revision + 1
		}
		if len(evs) == batch {
			continue
		}
		if !caught {
			caught = true
			if err := r.caughtUp(); err != nil {
				return err
			}
		}
		if err := r.wait(wake, drop); err != nil {
			return err
		}
	}
}

// matcher is a server-side filter: on stream names or on event types, by
// prefixes and/or a regular expression. A nil matcher matches everything.
type matcher struct {
	onStream bool
	prefixes []string
	re       *regexp.Regexp
}

func matcherOf(f *streams.ReadReq_Options_FilterOptions) (*matcher, error) {
	if f == nil {
		return nil, nil
	}
	var e *streams.ReadReq_Options_FilterOptions_Expression
	m := &matcher{}
	switch x := f.GetFilter().(type) {
	case *streams.ReadReq_Options_FilterOptions_StreamIdentifier:
		e, m.onStream = x.StreamIdentifier, true
	case *streams.ReadReq_Options_FilterOptions_EventType:
		e = x.EventType
	default:
		return nil, status.Error(codes.InvalidArgument, "filter: neither on streams nor on event types")
	}
	m.prefixes = e.GetPrefix()
	if e.GetRegex() != "" {
		re, err := regexp.Compile(e.GetRegex())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter: %v", err)
		}
		m.re = re
	}
	return m, nil
}

func (m *matcher) active() bool { return m != nil }

func (m *matcher) match(stream, eventType string) bool {
	if m == nil {
		return true
	}
	v := eventType
	if m.onStream {
		v = stream
	}
	if m.re != nil && !m.re.MatchString(v) {
		return false
	}
	if len(m.prefixes) == 0 {
		return true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// hint is the part of the filter the embedded store can apply itself: stream
// prefixes, when none of them could match a system stream.
func (m *matcher) hint() eventstore.Filter {
	if m == nil || !m.onStream || m.re != nil || len(m.prefixes) == 0 {
		return eventstore.Filter{}
	}
	for _, p := range m.prefixes {
		if p == "" || strings.HasPrefix(p, "$") {
			return eventstore.Filter{}
		}
	}
	return eventstore.Filter{StreamPrefixes: m.prefixes}
}
