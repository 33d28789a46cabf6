// Package kurrenttest is an in-process KurrentDB/EventStoreDB server for
// tests: it speaks the real gRPC protocol (the official Go client's own
// generated service stubs, so no code generation is involved) on a loopback
// port and keeps its events in Remit's embedded store (eventstore/sqlite) in a
// folder, so the kurrent adapter can be tested through the unmodified client
// on a machine where no KurrentDB can run.
//
// What it implements, and how:
//
//   - Streams.Append with every expected-revision form. A wrong expected
//     version is an append reply (as KurrentDB sends it), not a gRPC error;
//     idempotent retries and the refusal of an id stored elsewhere come from
//     the embedded store (the latter as codes.AlreadyExists, which a real
//     server never sends: it checks ids per stream only).
//   - Streams.Read of one stream and of $all, forwards and backwards, with
//     stream-prefix / event-type filters (prefixes or a regular expression),
//     and subscriptions: a confirmation first, then events, a caught-up
//     message once the log is read, checkpoints for filtered subscriptions,
//     then live events. Plain reads send only event and stream-not-found
//     messages (anything else makes the client panic). Every event carries
//     the "type", "content-type" and "created" (.NET ticks since the Unix
//     epoch) metadata the client insists on.
//   - Streams.Delete (soft delete: a $metadata event with $tb in the stream's
//     "$$" metadata stream) and Streams.Tombstone (a $streamDeleted event in
//     the stream). Both are real events in $all, so readers meet system
//     events as they do on a real server. A tombstoned stream answers reads
//     and appends with the "stream-deleted" trailers.
//   - ServerFeatures and Gossip, which the client calls while connecting. A
//     server started with Options.Leader set plays a follower: every streams
//     call is refused with the "not-leader" trailers naming the leader, and
//     gossip lists both nodes, as a cluster does.
//
// Positions: the embedded store numbers events 1, 2, 3…; the event at store
// position n gets the $all position commit = prepare = Offset + (n-1)*Stride
// (plus, with IrregularGaps, a jitter below Stride/2 that depends on n only).
// The defaults (Offset 0, Stride 1) make Remit positions dense 1, 2, 3…; a
// larger stride, an offset and irregular gaps give positions like a real
// server's byte offsets, for the conformance suite's sparse mode. A $all read
// from a position that is no event's position (nor the end of the log) is
// refused as a real server refuses it.
//
// The event's data, content type and custom metadata are kept as one JSON
// document in the embedded store's data field, so any client payload round
// trips. The stream "kurrenttest.meta.<s>" in the backing store holds what
// clients see as "$$<s>". None of this is a KurrentDB: there is no
// replication, no scavenging, no access control and no TLS.
package kurrenttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"remit/eventstore"
	"remit/eventstore/sqlite"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Options configure a Server. The zero value is a leader with dense
// positions.
type Options struct {
	// Stride is the distance between the $all positions of consecutive
	// events (default 1).
	Stride uint64
	// Offset is the $all position of the first event (default 0). A real
	// server's log starts with records of its own, so its first event is
	// far from position 0.
	Offset uint64
	// IrregularGaps makes the distance between consecutive events vary
	// between Stride/2 and 3*Stride/2, as a real server's does with the
	// size of each event (Stride must then be at least 2).
	IrregularGaps bool
	// Leader, when set ("host:port"), makes this server a follower that
	// refuses every streams call with a not-leader answer naming Leader.
	Leader string
	// Version is the server version reported to clients (default 24.10.0).
	Version string
}

// Server is an in-process KurrentDB stand-in. Start it with New and Listen.
type Server struct {
	store  *sqlite.Store
	opts   Options
	grpc   *grpc.Server
	lis    net.Listener
	leader *gossip.EndPoint

	// mu orders deletes and tombstones against appends; deleted holds the
	// soft-delete and tombstone state of streams.
	mu      sync.RWMutex
	deleted map[string]deletion

	// wakeMu guards wake, closed after every write; drop, closed by
	// DropSubscriptions.
	wakeMu sync.Mutex
	wake   chan struct{}
	drop   chan struct{}

	subscriptions atomic.Int64 // subscriptions opened so far

	streams.UnimplementedStreamsServer
}

type deletion struct {
	tombstoned     bool
	truncateBefore uint64 // soft delete: revisions below it are gone
}

// New opens a server whose events live in folder dir (created when needed;
// an existing folder is served as it is, so a test can restart a server).
func New(dir string, opts Options) (*Server, error) {
	if opts.Stride == 0 {
		opts.Stride = 1
	}
	if opts.Version == "" {
		opts.Version = "24.10.0"
	}
	// KurrentDB's own default limit on one append is 16 MiB; the wrapping
	// of data and metadata into one JSON document needs some room on top.
	store, err := sqlite.Open(dir, sqlite.Options{MaxEventSize: 32 << 20})
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, opts: opts, deleted: map[string]deletion{}, wake: make(chan struct{}), drop: make(chan struct{})}
	if opts.Leader != "" {
		host, port, err := net.SplitHostPort(opts.Leader)
		p, perr := strconv.ParseUint(port, 10, 16)
		if err != nil || perr != nil {
			store.Close()
			return nil, fmt.Errorf("kurrenttest: leader %q is not host:port", opts.Leader)
		}
		s.leader = &gossip.EndPoint{Address: host, Port: uint32(p)}
	}
	if err := s.loadDeletions(context.Background()); err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

// loadDeletions rebuilds the delete and tombstone state from the system
// events in the store.
func (s *Server) loadDeletions(ctx context.Context) error {
	evs, err := s.store.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{typeStreamDeleted, typeMetadata}})
	if err != nil {
		return fmt.Errorf("kurrenttest: load deletions: %w", err)
	}
	for _, e := range evs {
		switch e.Type {
		case typeStreamDeleted:
			s.deleted[e.Stream] = deletion{tombstoned: true}
		case typeMetadata:
			stream, ok := userStreamOfMeta(e.Stream)
			if !ok {
				continue
			}
			p, err := decodePayload(e.Data)
			if err != nil {
				return err
			}
			tb, err := truncateBeforeOf(p.data)
			if err != nil {
				return err
			}
			d := s.deleted[stream]
			d.truncateBefore = tb
			s.deleted[stream] = d
		}
	}
	return nil
}

// Listen serves gRPC on addr ("127.0.0.1:0" picks a free port) in the
// background until Close.
func (s *Server) Listen(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("kurrenttest: listen %s: %w", addr, err)
	}
	s.lis = lis
	s.grpc = grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	streams.RegisterStreamsServer(s.grpc, s)
	serverfeatures.RegisterServerFeaturesServer(s.grpc, features{version: s.opts.Version})
	gossip.RegisterGossipServer(s.grpc, gossipServer{s: s})
	go s.grpc.Serve(lis)
	return nil
}

// Start opens a server on a temporary folder, listens on a loopback port and
// closes it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(tb.TempDir(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		s.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// ConnString is a connection string for the server: plain gRPC (tls=false)
// on loopback, the leader preferred, and few discovery attempts so that a
// stopped server is noticed quickly.
func (s *Server) ConnString() string {
	return "esdb://" + s.Addr() + "?tls=false&maxDiscoverAttempts=3&discoveryInterval=50"
}

// Store is the embedded store the server keeps its events in (read it, do
// not write to it: writes that bypass the server wake no subscription).
func (s *Server) Store() *sqlite.Store { return s.store }

// DropSubscriptions ends every open subscription with codes.Unavailable, as
// a server does when it loses its leadership or restarts.
func (s *Server) DropSubscriptions() {
	s.wakeMu.Lock()
	close(s.drop)
	s.drop = make(chan struct{})
	s.wakeMu.Unlock()
}

// SubscriptionsOpened is how many subscriptions clients have opened, so a
// test can tell that a dropped one was opened again.
func (s *Server) SubscriptionsOpened() int64 { return s.subscriptions.Load() }

// Close stops serving at once (open streams are cut) and closes the store.
func (s *Server) Close() error {
	if s.grpc != nil {
		s.grpc.Stop()
	}
	return s.store.Close()
}

// signals returns the channels a subscription waits on: closed after the
// next write, and closed by DropSubscriptions.
func (s *Server) signals() (wake, drop <-chan struct{}) {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	return s.wake, s.drop
}

func (s *Server) broadcast() {
	s.wakeMu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.wakeMu.Unlock()
}

// notLeader refuses a call on a follower the way KurrentDB does: NotFound
// with trailers naming the leader, which the client follows.
func (s *Server) notLeader(setTrailer func(metadata.MD)) error {
	if s.leader == nil {
		return nil
	}
	setTrailer(metadata.Pairs(
		"exception", "not-leader",
		"leader-endpoint-host", s.leader.Address,
		"leader-endpoint-port", strconv.FormatUint(uint64(s.leader.Port), 10)))
	return status.Error(codes.NotFound, "Leader info available")
}

// streamDeleted is KurrentDB's answer for a tombstoned stream.
func streamDeleted(setTrailer func(metadata.MD), stream string) error {
	setTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
}

// wrongExpectedVersion is the error form used by Delete and Tombstone (an
// append answers with a reply instead).
func wrongExpectedVersion(setTrailer func(metadata.MD), expected string, exists bool, actual uint64) error {
	act := "-1"
	if exists {
		act = strconv.FormatUint(actual, 10)
	}
	setTrailer(metadata.Pairs("exception", "wrong-expected-version", "expected-version", expected, "actual-version", act))
	return status.Errorf(codes.FailedPrecondition, "Append failed due to WrongExpectedVersion. Expected version: %s. Actual version: %s.", expected, act)
}

func storeError(err error) error {
	var dup *eventstore.DuplicateEventIDError
	switch {
	case errors.As(err, &dup):
		return status.Error(codes.AlreadyExists, dup.Error())
	case errors.Is(err, eventstore.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

type features struct {
	version string
	serverfeatures.UnimplementedServerFeaturesServer
}

func (f features) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	m := &serverfeatures.SupportedMethods{EventStoreServerVersion: f.version}
	for _, name := range []string{"read", "append", "delete", "tombstone"} {
		m.Methods = append(m.Methods, &serverfeatures.SupportedMethod{MethodName: name, ServiceName: "event_store.client.streams.streams"})
	}
	return m, nil
}

type gossipServer struct {
	s *Server
	gossip.UnimplementedGossipServer
}

func (g gossipServer) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	host, port, _ := net.SplitHostPort(g.s.Addr())
	p, _ := strconv.ParseUint(port, 10, 16)
	self := &gossip.MemberInfo{State: gossip.MemberInfo_Leader, IsAlive: true, HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(p)}}
	info := &gossip.ClusterInfo{Members: []*gossip.MemberInfo{self}}
	if g.s.leader != nil {
		self.State = gossip.MemberInfo_Follower
		info.Members = append(info.Members, &gossip.MemberInfo{State: gossip.MemberInfo_Leader, IsAlive: true, HttpEndPoint: g.s.leader})
	}
	return info, nil
}
