package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/firm"
	"remit/domain/proposal"
	"remit/eventstore"
)

// pathID reads the UUID path variable name; one that is not a UUID names
// nothing that exists (404).
func pathID(r *http.Request, name, what string) (uuid.UUID, error) {
	v := mux.Vars(r)[name]
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, domain.NotFound("There is no %s %q.", what, v)
	}
	return id, nil
}

// writeResource writes a single resource with its ETag, or 304 when the
// client's If-None-Match already names that revision.
func (s *Server) writeResource(w http.ResponseWriter, r *http.Request, body any, rev uint64) {
	tag := etag(rev)
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if t = strings.TrimSpace(t); t == tag || t == "*" || t == "W/"+tag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// readCommand reads and decodes a command's body, then executes c; build
// makes the command from the decoded body. It is the shape of every write
// handler.
func readCommand[B any](s *Server, w http.ResponseWriter, r *http.Request, required []string, build func(b B) (command, error)) {
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var b B
	if err := decodeJSON(raw, &b, required...); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := build(b)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.execute(w, r, raw, c)
}

// none is the body of an action that takes no input (empty or {}).
type none struct{}

// firmCache is the firm's settings folded so far, and the read models'
// position when they were last brought up to date.
type firmCache struct {
	state  firm.State
	rev    uint64
	exists bool
	loc    *time.Location // the firm's time zone (UTC before set-up)
	seen   uint64
	loaded bool
}

// position is how far the read models have applied the log: the lowest
// checkpoint of the projections.
func (s *Server) position() uint64 {
	var pos uint64
	for i, p := range s.cfg.Models.Projections() {
		if c := p.Checkpoint(); i == 0 || c < pos {
			pos = c
		}
	}
	return pos
}

// firmState returns the firm's settings and the firm stream's revision. The
// read models have no firm projection, so it is folded here, incrementally,
// and only read again once the read models have seen a new event (every
// event, the firm's included, moves their checkpoints), so the hot path of
// every query costs no store read.
func (s *Server) firmState(ctx context.Context) (firm.State, uint64, error) {
	f, rev, _, err := s.firmAndZone(ctx)
	return f, rev, err
}

// firmAndZone is firmState with the firm's time zone.
func (s *Server) firmAndZone(ctx context.Context) (firm.State, uint64, *time.Location, error) {
	pos := s.position()
	s.firmMu.Lock()
	defer s.firmMu.Unlock()
	if s.firm.loaded && s.firm.seen == pos {
		return s.firm.state, s.firm.rev, s.firm.loc, nil
	}
	from := uint64(0)
	if s.firm.exists {
		from = s.firm.rev + 1
	}
	recs, err := s.cfg.Store.ReadStream(ctx, firm.StreamName(), from, eventstore.Forward, 0)
	if err != nil {
		return firm.State{}, 0, nil, fmt.Errorf("read firm: %w", err)
	}
	for _, rec := range recs {
		e, err := s.cat.Decode(rec.Type, rec.Data)
		if err != nil {
			return firm.State{}, 0, nil, fmt.Errorf("decode firm@%d: %w", rec.Revision, err)
		}
		s.firm.state = firm.Evolve(s.firm.state, e)
		s.firm.rev, s.firm.exists = rec.Revision, true
	}
	s.firm.loc = time.UTC
	if tz := s.firm.state.TimeZone; tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			s.firm.loc = l
		}
	}
	s.firm.seen, s.firm.loaded = pos, true
	return s.firm.state, s.firm.rev, s.firm.loc, nil
}

// proposalState folds one proposal's stream: the read models keep only a
// summary of each proposal (no lines), so its page is folded here.
func (s *Server) proposalState(ctx context.Context, id uuid.UUID) (proposal.State, uint64, error) {
	stream := proposal.StreamName(id)
	recs, err := s.cfg.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return proposal.State{}, 0, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return proposal.State{}, 0, domain.NotFound("There is no proposal %s.", id)
	}
	var st proposal.State
	for _, rec := range recs {
		e, err := s.cat.Decode(rec.Type, rec.Data)
		if err != nil {
			return proposal.State{}, 0, fmt.Errorf("decode %s@%d: %w", stream, rec.Revision, err)
		}
		st = proposal.Evolve(st, e)
	}
	return st, recs[len(recs)-1].Revision, nil
}

// idLocation returns a location function for a created resource.
func idLocation(prefix string) func(billing.Result) string {
	return func(res billing.Result) string { return prefix + res.ID.String() }
}

// fixedLocation returns a location function for a known URL.
func fixedLocation(url string) func(billing.Result) string {
	return func(billing.Result) string { return url }
}
