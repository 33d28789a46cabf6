package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/web/auth"
)

// What an operator needs of the server: a request id on every request (the
// X-Request-Id header, the correlation id of the events it appends, and
// every log line of it), one log line and the metrics of each request,
// health and readiness, and limits that keep slow or idle clients and
// floods of unauthenticated requests from holding the server.

// Defaults of Limits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultWriteTimeout      = 2 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultPublicPerClient   = 16
	// LongWriteTimeout is the write timeout of the routes that may work
	// for long before they answer (a billing run, an import, batches of
	// renewals or drafts).
	LongWriteTimeout = time.Hour
)

// Limits bound what one connection or client address may hold of the
// server. Zero fields take the defaults.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (a slow
	// body is cut off).
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer (LongWriteTimeout on the billing run and imports).
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection with no request for
	// that long.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int
	// PublicPerClient caps the requests in flight from one client address
	// that no signed-in user or API token makes (sign-in, client links,
	// webhooks, set-up and password links); more are answered 429.
	// Negative turns the cap off. It applies only when sign-in is on.
	PublicPerClient int
	// ClientIPHeader names the header that carries the client's address
	// (X-Forwarded-For: its last entry; X-Real-IP) when Remit runs behind
	// a reverse proxy that sets it; empty uses the connection's address.
	// Never set it when clients reach Remit directly: they could send any.
	ClientIPHeader string
}

func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, DefaultReadTimeout)
	def(&l.WriteTimeout, DefaultWriteTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.PublicPerClient == 0 {
		l.PublicPerClient = DefaultPublicPerClient
	}
	return l
}

// errTooManyInFlight refuses a request over Limits.PublicPerClient: 429.
var errTooManyInFlight = errors.New("too many unauthenticated requests in flight from one address")

// RequestIDHeader carries the request id both ways.
const RequestIDHeader = "X-Request-Id"

// saneRequestID is what an incoming request id may be: what proxies and
// tracers send (UUIDs, hex, base64url), short, and safe in logs.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:+/=-]{8,128}$`)

// requestInfo is filled in as a request goes through the router: its
// route template and who made it, for the log line and the metrics.
type requestInfo struct {
	route string
	actor string
}

type requestInfoKey struct{}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// per-request deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe wraps the whole router: it gives the request its id, carries
// the id and the metrics observer in the request's context, and when the
// answer is written logs one line and counts it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set(RequestIDHeader, id)
		info := &requestInfo{actor: "anonymous"}
		ctx := billing.WithRequestID(r.Context(), id)
		if s.cfg.Metrics != nil {
			ctx = billing.WithObserver(ctx, s.cfg.Metrics)
		}
		ctx = context.WithValue(ctx, requestInfoKey{}, info)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		took := time.Since(start)
		route := info.route
		if route == "" {
			route = "(unmatched)"
		}
		s.cfg.Metrics.HTTPRequest(route, r.Method, status, took)
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelWarn
		case route == healthzPath || route == readyzPath:
			level = slog.LevelDebug // probes every few seconds
		}
		// The route's template, never the path: client links carry their
		// token in it.
		s.log.LogAttrs(ctx, level, "http request", slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", status), slog.Float64("duration_ms", float64(took.Microseconds())/1000),
			slog.String("actor", info.actor), slog.String("remote", s.clientAddr(r)), slog.String("request_id", id))
	})
}

// track runs on the router after sign-in: it notes the route and the
// actor, caps what unauthenticated clients may hold in flight, and gives
// the long routes a longer write deadline.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
		route := ""
		if cur := mux.CurrentRoute(r); cur != nil {
			route, _ = cur.GetPathTemplate()
		}
		p, signedIn := auth.PrincipalFrom(r.Context())
		if info != nil {
			info.route = route
			switch {
			case signedIn:
				info.actor = p.Actor()
			case s.cfg.Auth == nil:
				info.actor = actor(r)
			}
		}
		if longRoute(route) {
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(LongWriteTimeout))
		}
		if !signedIn && s.cfg.Auth != nil && route != healthzPath && route != readyzPath {
			release, ok := s.public.acquire(s.clientAddr(r))
			if !ok {
				s.cfg.Metrics.Limited(route)
				w.Header().Set("Retry-After", "1")
				s.Error(w, r, errTooManyInFlight)
				return
			}
			defer release()
		}
		next.ServeHTTP(w, r)
	})
}

// longRoute is a route that may work for long before it answers: a
// billing run, an import, a batch of renewals or drafts for many clients.
func longRoute(route string) bool {
	for _, part := range []string{"billing-run", "import", "renewal", "/proposal-templates/{id}/proposals"} {
		if strings.Contains(route, part) {
			return true
		}
	}
	return false
}

// clientAddr is the client's address: from Limits.ClientIPHeader behind a
// proxy, else the connection's.
func (s *Server) clientAddr(r *http.Request) string {
	if h := s.limits.ClientIPHeader; h != "" {
		if v := r.Header.Get(h); v != "" {
			if i := strings.LastIndexByte(v, ','); i >= 0 {
				v = v[i+1:]
			}
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// inFlight counts the unauthenticated requests in flight per client
// address.
type inFlight struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// acquire takes a place for addr, or answers false when it has max.
func (f *inFlight) acquire(addr string) (release func(), ok bool) {
	if f.max < 0 {
		return func() {}, true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[addr] >= f.max {
		return nil, false
	}
	f.n[addr]++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.n[addr]--; f.n[addr] <= 0 {
			delete(f.n, addr)
		}
	}, true
}

// Health and readiness.
const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
)

// HealthView answers GET /healthz: the process is alive and serving.
type HealthView struct {
	Status string `json:"status"`
}

// ReadyCheck is one thing readiness depends on.
type ReadyCheck struct {
	// Name says what was checked: store, projection:<name>, outbox,
	// ledger_sync, lease:scheduler, read_models.
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail says what was found: a lag or an error when not OK; for the
	// background jobs, which node runs them (this one, or another holding
	// its lease).
	Detail string `json:"detail,omitempty"`
}

// ReadyView answers GET /readyz: ready or not, and each check.
type ReadyView struct {
	// Status is "ready" or "not ready" (then the answer is 503).
	Status string       `json:"status"`
	Checks []ReadyCheck `json:"checks"`
}

func (s *Server) registerHealthRoutes(r *mux.Router) {
	r.HandleFunc(healthzPath, s.handleHealthz).Methods(http.MethodGet)
	r.HandleFunc(readyzPath, s.handleReadyz).Methods(http.MethodGet)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, HealthView{Status: "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	v := ReadyView{Status: "ready", Checks: []ReadyCheck{}}
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		v.Checks = append(v.Checks, s.cfg.Ready(ctx)...)
	}
	status := http.StatusOK
	for _, c := range v.Checks {
		if !c.OK {
			v.Status, status = "not ready", http.StatusServiceUnavailable
		}
	}
	s.writeJSON(w, r, status, v)
}
