package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/spf13/cobra"

	"remit/billing"
)

// opsOpts say how `remit serve` and `remit demo` report to the operator.
type opsOpts struct {
	logFormat      string
	metricsAddr    string
	readyMaxLag    uint64
	clientIPHeader string
	nodeName       string
	memoryLimitMiB int64
	// sqliteLimitMiB is SQLite's soft heap limit (--sqlite-memory-limit).
	sqliteLimitMiB int64
}

// DefaultMemoryLimitMiB is remit serve's soft memory limit of the Go
// runtime unless --memory-limit, REMIT_MEMORY_LIMIT or GOMEMLIMIT says
// otherwise.
const DefaultMemoryLimitMiB = 256

// DefaultSQLiteMemoryLimitMiB is remit serve's soft heap limit of SQLite
// (every page cache of the store's and the read models' connections
// together) unless --sqlite-memory-limit or REMIT_SQLITE_MEMORY_LIMIT says
// otherwise: none. At 64 MiB on a 957,319-event store it held SQLite to
// 64 MB under mixed load (about 100 MB without), but the reads' p50 and
// p99 were about twice as slow, the pages it dropped read again.
const DefaultSQLiteMemoryLimitMiB = 0

func opsFlags(c *cobra.Command, env Env, o *opsOpts) {
	format := env.Getenv("REMIT_LOG_FORMAT")
	if format == "" {
		format = "text"
	}
	c.Flags().StringVar(&o.logFormat, "log-format", format, "log format on stderr: text (key=value) or json (one object a line) (env REMIT_LOG_FORMAT)")
	c.Flags().StringVar(&o.metricsAddr, "metrics-addr", env.Getenv("REMIT_METRICS_ADDR"), "where GET /metrics (Prometheus) listens, e.g. 127.0.0.1:9090: unauthenticated, keep it on a private network; empty: no metrics (env REMIT_METRICS_ADDR)")
	var lag uint64
	if v := env.Getenv("REMIT_READY_MAX_LAG"); v != "" {
		lag, _ = strconv.ParseUint(v, 10, 64)
	}
	c.Flags().Uint64Var(&o.readyMaxLag, "ready-max-lag", lag, "GET /readyz answers 503 when a read model is more than this many events behind the log (env REMIT_READY_MAX_LAG; default 1000)")
	c.Flags().StringVar(&o.nodeName, "node-name", env.Getenv("REMIT_NODE_NAME"), "this node's name among several on one database, shown as the holder of the jobs' leases in /readyz and the logs (env REMIT_NODE_NAME; default the host name and process id)")
	limit := int64(DefaultMemoryLimitMiB)
	if env.Getenv("GOMEMLIMIT") != "" {
		limit = 0 // the runtime's, as GOMEMLIMIT says
	}
	if v, err := strconv.ParseInt(env.Getenv("REMIT_MEMORY_LIMIT"), 10, 64); err == nil {
		limit = v
	}
	c.Flags().Int64Var(&o.memoryLimitMiB, "memory-limit", limit, fmt.Sprintf("soft memory limit of the Go runtime in MiB: the garbage collector works harder as the heap nears it; 0: none but GOMEMLIMIT's (env REMIT_MEMORY_LIMIT; default %d, or GOMEMLIMIT's when that is set)", DefaultMemoryLimitMiB))
	sqliteLimit := int64(DefaultSQLiteMemoryLimitMiB)
	if v, err := strconv.ParseInt(env.Getenv("REMIT_SQLITE_MEMORY_LIMIT"), 10, 64); err == nil {
		sqliteLimit = v
	}
	c.Flags().Int64Var(&o.sqliteLimitMiB, "sqlite-memory-limit", sqliteLimit, fmt.Sprintf("soft limit in MiB of the memory SQLite keeps (the page caches of the embedded store and read models together): past it, they reuse pages instead of growing, at a cost in read latency; 0: none (env REMIT_SQLITE_MEMORY_LIMIT; default %d)", DefaultSQLiteMemoryLimitMiB))
	c.Flags().StringVar(&o.clientIPHeader, "client-ip-header", env.Getenv("REMIT_CLIENT_IP_HEADER"), "behind a reverse proxy only: the header it sets to the client's address (X-Forwarded-For: its last entry; X-Real-IP), for the logs and the cap on unauthenticated requests per address (env REMIT_CLIENT_IP_HEADER)")
}

// newLogger is the operator's log on w in format text or json; every
// record made with a request's context carries its request id.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, usageErr("--log-format %q: use text or json", format)
	}
	return slog.New(requestIDHandler{h}), nil
}

// requestIDHandler adds request_id to each record logged with the context
// of an HTTP request (billing.WithRequestID), so every line a request
// causes can be found from the id in its answer's X-Request-Id.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := billing.RequestID(ctx); id != "" && !hasRequestID(r) {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// hasRequestID reports whether r already names its request id (the HTTP
// server's own line does).
func hasRequestID(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "request_id"
		return !found
	})
	return found
}
