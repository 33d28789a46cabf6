// Package kurrent is Remit's event store on a KurrentDB (formerly
// EventStoreDB) node or cluster, through the official Go gRPC client
// (github.com/EventStore/EventStore-Client-Go/v4). It implements
// eventstore.Store and passes the conformance suite eventstore/storetest;
// eventstore/kurrent/kurrenttest is the in-process server its tests run
// against.
//
// The adapter is thin on purpose: every call to the client is in this
// package's four files and uses only AppendToStream, ReadStream, ReadAll,
// SubscribeToAll and the esdb types they take, which the renamed client
// (github.com/kurrent-io/KurrentDB-Client-Go, package kurrentdb) keeps with
// the same shapes, so moving to it is an import and a package name.
//
// How the contract maps onto KurrentDB:
//
//   - Streams, revisions and expected revisions are KurrentDB's own. A
//     conflict comes back as an append reply; it becomes a
//     *eventstore.WrongExpectedVersionError carrying the actual revision the
//     server reported.
//   - Event ids are passed through, so a retried append is recognised by
//     KurrentDB's own idempotency check and writes nothing.
//   - Remit's global position of an event is its $all commit position plus
//     one (plus one so that 0 keeps meaning "before everything"). KurrentDB
//     writes every event appended over gRPC as its own committed record, so
//     commit and prepare positions are equal and each event's is distinct
//     and increasing in $all order. The positions are byte offsets in the
//     transaction log: they increase strictly but are not consecutive.
//   - Reading or subscribing from a Remit position finds a $all position the
//     server accepts (it refuses positions that do not start a record): the
//     event at that position, else the one just before it (the usual case:
//     from = last seen + 1), else the last event when the position is past
//     the end; only a position inside the log that is neither costs a scan
//     from the start. Events before the requested position are dropped on
//     the client, so the result is exact either way.
//   - System events (stream or type starting with "$") are never returned.
//     Subscriptions filter on the server (stream prefix, else event type,
//     else "no system events"); ReadAll filters on the client, because this
//     client version sends no filter with a plain $all read.
//   - Actor, command id, correlation id, causation id and the schema version
//     travel in the event's custom metadata JSON (correlation and causation
//     under KurrentDB's own "$correlationId" and "$causationId" keys);
//     recorded-at is the server's "created" time.
//   - A subscription the server drops is opened again after the last event
//     it delivered (a position the server accepts), with a growing delay, so
//     nothing is missed or delivered twice.
package kurrent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"time"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// Options configure a Store. The zero value is the production default.
type Options struct {
	// MaxEventSize limits one event's data plus metadata (default 1 MiB, as
	// the embedded store). KurrentDB has its own limit per append (16 MiB by
	// default).
	MaxEventSize int
	// Logger receives the client's own log lines (connection, discovery,
	// dropped subscriptions); nil discards them.
	Logger *slog.Logger
	// ReconnectDelay is the first wait before a dropped subscription is
	// opened again (default 100ms); it doubles up to MaxReconnectDelay
	// (default 5s) while the server stays unreachable.
	ReconnectDelay    time.Duration
	MaxReconnectDelay time.Duration
}

// Store is the event store on a KurrentDB node or cluster. It is safe for
// concurrent use.
type Store struct {
	client *esdb.Client
	opts   Options
}

// Open connects to KurrentDB. connString is a KurrentDB connection string:
//
//	kurrentdb://[user:password@]host[:port][,host[:port]...][?setting=value&...]
//	kurrentdb+discover://[user:password@]cluster-dns-name[:port][?...]
//
// The schemes esdb, esdb+discover, kurrent, kdb (and +discover) are accepted
// too. Settings are the client's: tls (default true), tlsVerifyCert,
// tlsCAFile, userCertFile, userKeyFile, nodePreference (leader, the
// default, follower, random, readOnlyReplica), maxDiscoverAttempts,
// discoveryInterval, gossipTimeout, keepAliveInterval, keepAliveTimeout,
// defaultDeadline. Open reads the end of $all once, so a wrong address or
// wrong credentials fail here rather than at the first append.
func Open(ctx context.Context, connString string, opts Options) (*Store, error) {
	if opts.ReconnectDelay <= 0 {
		opts.ReconnectDelay = 100 * time.Millisecond
	}
	if opts.MaxReconnectDelay <= 0 {
		opts.MaxReconnectDelay = 5 * time.Second
	}
	conf, err := parseConnString(connString)
	if err != nil {
		return nil, &eventstore.InvalidError{Field: "connection string", Reason: fmt.Sprintf("%s: %v", Redact(connString), err)}
	}
	conf.Logger = logFunc(opts.Logger)
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("open kurrentdb %s: %w", Redact(connString), err)
	}
	s := &Store{client: client, opts: opts}
	if _, err := s.Head(ctx); err != nil {
		client.Close()
		return nil, fmt.Errorf("open kurrentdb %s: %w", Redact(connString), err)
	}
	return s, nil
}

// Close closes the connection.
func (s *Store) Close() error { return s.client.Close() }

// schemes maps the connection-string schemes accepted to the ones this
// client version parses.
var schemes = map[string]string{
	"esdb": "esdb", "kurrentdb": "esdb", "kurrent": "esdb", "kdb": "esdb",
	"esdb+discover": "esdb+discover", "kurrentdb+discover": "esdb+discover",
	"kurrent+discover": "esdb+discover", "kdb+discover": "esdb+discover",
}

// IsConnString reports whether s looks like a KurrentDB connection string
// (by its scheme), so a caller can tell it from a folder name.
func IsConnString(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	_, known := schemes[strings.ToLower(scheme)]
	return ok && known
}

func parseConnString(s string) (*esdb.Configuration, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	target, known := schemes[strings.ToLower(scheme)]
	if !ok || !known {
		return nil, errors.New("expected kurrentdb://, kurrentdb+discover://, esdb:// or esdb+discover://")
	}
	return esdb.ParseConnectionString(target + "://" + rest)
}

// Redact returns a connection string with its password replaced, for
// messages and logs.
func Redact(connString string) string {
	scheme, rest, ok := strings.Cut(connString, "://")
	if !ok {
		return connString
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return connString
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return connString
	}
	if u, err := url.PathUnescape(user); err == nil {
		user = u
	}
	return scheme + "://" + url.PathEscape(user) + ":xxxxx" + rest[at:]
}

func logFunc(l *slog.Logger) esdb.LoggingFunc {
	if l == nil {
		return esdb.NoopLogging()
	}
	return func(level esdb.LogLevel, format string, args ...interface{}) {
		msg := fmt.Sprintf(format, args...)
		switch level {
		case esdb.LogError:
			l.Error(msg, "component", "kurrentdb-client")
		case esdb.LogWarn:
			l.Warn(msg, "component", "kurrentdb-client")
		case esdb.LogInfo:
			l.Info(msg, "component", "kurrentdb-client")
		default:
			l.Debug(msg, "component", "kurrentdb-client")
		}
	}
}

// positionOf is Remit's global position of a $all position: commit + 1.
// Stream reads on servers before 22.6 carry no position (all ones); that
// becomes 0, "unknown".
func positionOf(p esdb.Position) uint64 {
	if p.Commit == math.MaxUint64 {
		return 0
	}
	return p.Commit + 1
}

// allPosition is the $all position of the event whose Remit position is n
// (n >= 1).
func allPosition(n uint64) esdb.Position { return esdb.Position{Commit: n - 1, Prepare: n - 1} }

// countOf turns a Remit limit into a read count (<= 0: no limit).
func countOf(limit int) uint64 {
	if limit <= 0 {
		return math.MaxInt64
	}
	return uint64(limit)
}

// withLeaderRetry runs op again once if it failed because the node was not
// the leader: the client has by then reconnected to the leader the node
// named, and every operation here is safe to repeat (appends carry their
// event ids).
func withLeaderRetry(op func() error) error {
	err := op()
	if errors.Is(err, ErrNotLeader) {
		err = op()
	}
	return err
}
