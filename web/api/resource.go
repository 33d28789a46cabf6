package api

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
	"remit/projections"
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

// readCommand reads and decodes a command's body, then executes the command
// build makes from it. It is the shape of every write handler.
func readCommand[B any](s *Server, w http.ResponseWriter, r *http.Request, required []string, build func(b B) command) {
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
	s.execute(w, r, raw, build(b))
}

// none is the body of an action that takes no input (empty or {}).
type none struct{}

// firmState returns the firm's settings and the firm stream's revision
// (projections.FirmView: no store read unless the read models moved).
func (s *Server) firmState(ctx context.Context) (firm.State, uint64, error) {
	f, rev, _, err := s.firmAndZone(ctx)
	return f, rev, err
}

// firmAndZone is firmState with the firm's time zone.
func (s *Server) firmAndZone(ctx context.Context) (firm.State, uint64, *time.Location, error) {
	if a, ok := AsOfFrom(ctx); ok {
		return projections.FirmAt(ctx, s.cfg.Store, s.cat, a.Moment.Position)
	}
	return s.firm.At(ctx, s.cfg.Models.Position())
}

// models returns the read models the request reads: as of its as_of, or
// live.
func (s *Server) models(ctx context.Context) *projections.Models {
	return ReadModels(ctx, s.cfg.Models)
}

// proposalState folds one proposal's stream: the read models keep only a
// summary of each proposal (no lines), so its page is folded here.
func (s *Server) proposalState(ctx context.Context, id uuid.UUID) (proposal.State, uint64, error) {
	stream := proposal.StreamName(id)
	recs, err := s.cfg.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return proposal.State{}, 0, fmt.Errorf("read %s: %w", stream, err)
	}
	recs = CutAsOf(ctx, recs)
	if len(recs) == 0 {
		return proposal.State{}, 0, domain.NotFound("There is no proposal %s.", id)
	}
	var st proposal.State
	for _, rec := range recs {
		e, err := s.cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return proposal.State{}, 0, fmt.Errorf("decode %s@%d: %w", stream, rec.Revision, err)
		}
		st = proposal.Evolve(st, e)
	}
	return st, recs[len(recs)-1].Revision, nil
}

// fixedLocation returns a location function for a known URL.
func fixedLocation(url string) func(billing.Result) string {
	return func(billing.Result) string { return url }
}

// queryID reads the optional id query parameter name (uuid.Nil when
// absent); one that is not a UUID makes the request malformed.
func queryID(r *http.Request, name string) (uuid.UUID, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, malformed(domain.Invalid(name, "must be an id (a UUID)"))
	}
	return id, nil
}

// runFunc sends a command to billing.
type runFunc = func(ctx context.Context, meta billing.Meta) (billing.Result, error)

// answering is a command on stream that answers the resource at base+id as
// read shows it, with the revision read gives as its ETag. When created,
// the answer is 201 and the resource is the one the command created: the
// result's id names it.
func answering[T any](stream, base string, id uuid.UUID, created bool, read func(context.Context, uuid.UUID) (T, uint64, error), run runFunc) command {
	target := func(res billing.Result) uuid.UUID {
		if created {
			return res.ID
		}
		return id
	}
	return command{stream: stream, created: created, run: run,
		location: func(res billing.Result) string { return base + target(res).String() },
		read: func(ctx context.Context, res billing.Result) (any, string, error) {
			v, rev, err := read(ctx, target(res))
			return v, etag(rev), err
		}}
}

// root is a kind of aggregate served at base+id (client, service, invoice,
// proposal, tax rate): the stream its commands go to, and how to read it as
// the read models show it, with the stream revision its ETag names.
type root[T any] struct {
	what   string // its name in messages: "client"
	base   string // its URL but the id: "/api/clients/"
	stream func(id uuid.UUID) string
	read   func(ctx context.Context, id uuid.UUID) (T, error)
	rev    func(T) uint64
}

// get reads the aggregate with its revision.
func (k root[T]) get(ctx context.Context, id uuid.UUID) (T, uint64, error) {
	v, err := k.read(ctx, id)
	return v, k.rev(v), err
}

// id reads the aggregate's id from the path variable "id".
func (k root[T]) id(r *http.Request) (uuid.UUID, error) { return pathID(r, "id", k.what) }

// command is a command on the aggregate's stream that answers it.
func (k root[T]) command(id uuid.UUID, run runFunc) command {
	return answering(k.stream(id), k.base, id, false, k.get, run)
}

// creation is a command that creates an aggregate (so If-Match is
// ignored): 201 with it.
func (k root[T]) creation(run runFunc) command {
	return answering("", k.base, uuid.Nil, true, k.get, run)
}

// view answers GET of the aggregate, with its ETag.
func (k root[T]) view(s *Server, w http.ResponseWriter, r *http.Request) {
	id, err := k.id(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, rev, err := k.get(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, v, rev)
}

// act is the shape of a handler that changes an aggregate: its id from the
// path, the body B, and the command run sends, answering the aggregate.
func act[T, B any](s *Server, w http.ResponseWriter, r *http.Request, k root[T], required []string, run func(ctx context.Context, id uuid.UUID, b B, meta billing.Meta) (billing.Result, error)) {
	id, err := k.id(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, required, func(b B) command {
		return k.command(id, func(ctx context.Context, meta billing.Meta) (billing.Result, error) { return run(ctx, id, b, meta) })
	})
}

// child is a kind of part of an aggregate that has no stream of its own (a
// client's contacts and payment methods, an invoice's attempts, payments
// and credit notes): it is found in its parent's view, carries its
// parent's revision, and changes by commands on its parent's stream. Its
// URL is the parent's, then /segment/{idVar}.
type child[P, V, R any] struct {
	parent  root[P]
	what    string // its name in messages: "payment method"
	segment string // "payment-methods"
	idVar   string // "method_id"
	// fieldPrefix is the prefix of billing's field names that the request
	// body does not have ("contact." when the body is the contact).
	fieldPrefix string
	items       func(P) []V
	idOf        func(V) uuid.UUID
	// resource is the child as answered: with its parent's id and revision.
	resource func(v V, parentID uuid.UUID, rev uint64) R
}

// path reads the parent's and the child's ids of the path.
func (k child[P, V, R]) path(r *http.Request) (parentID, id uuid.UUID, err error) {
	if parentID, err = k.parent.id(r); err != nil {
		return
	}
	id, err = pathID(r, k.idVar, k.what)
	return
}

// read finds the child in its parent's view.
func (k child[P, V, R]) read(ctx context.Context, parentID, id uuid.UUID) (R, uint64, error) {
	var none R
	p, rev, err := k.parent.get(ctx, parentID)
	if err != nil {
		return none, 0, err
	}
	for _, v := range k.items(p) {
		if k.idOf(v) == id {
			return k.resource(v, parentID, rev), rev, nil
		}
	}
	title := strings.ToUpper(k.parent.what[:1]) + k.parent.what[1:]
	return none, 0, domain.NotFound("%s %s has no %s %s.", title, parentID, k.what, id)
}

// command is a command on the parent's stream that answers the child: the
// one with id, or the created one when created.
func (k child[P, V, R]) command(parentID, id uuid.UUID, created bool, run runFunc) command {
	base := k.parent.base + parentID.String() + "/" + k.segment + "/"
	read := func(ctx context.Context, id uuid.UUID) (R, uint64, error) { return k.read(ctx, parentID, id) }
	c := answering(k.parent.stream(parentID), base, id, created, read, run)
	c.fieldPrefix = k.fieldPrefix
	return c
}

// list answers GET of the parent's children.
func (k child[P, V, R]) list(s *Server, w http.ResponseWriter, r *http.Request) {
	serveList(s, w, r, "id", k.parent.what, func(id uuid.UUID) ([]V, error) {
		p, err := k.parent.read(r.Context(), id)
		return k.items(p), err
	}, asIs)
}

// view answers GET of one child, with its parent's ETag.
func (k child[P, V, R]) view(s *Server, w http.ResponseWriter, r *http.Request) {
	parentID, id, err := k.path(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, rev, err := k.read(r.Context(), parentID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, v, rev)
}

// addChild is the shape of a handler that adds a child: the parent's id
// from the path, the body B, and the command run sends, answering the new
// child with 201.
func addChild[P, V, R, B any](s *Server, w http.ResponseWriter, r *http.Request, k child[P, V, R], required []string, run func(ctx context.Context, parentID uuid.UUID, b B, meta billing.Meta) (billing.Result, error)) {
	parentID, err := k.parent.id(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, required, func(b B) command {
		return k.command(parentID, uuid.Nil, true, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return run(ctx, parentID, b, meta)
		})
	})
}

// actOnChild is the shape of a handler that changes a child: both ids from
// the path, the body B, and the command run sends, answering the child (the
// one it created, when created).
func actOnChild[P, V, R, B any](s *Server, w http.ResponseWriter, r *http.Request, k child[P, V, R], created bool, required []string, run func(ctx context.Context, parentID, id uuid.UUID, b B, meta billing.Meta) (billing.Result, error)) {
	parentID, id, err := k.path(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, required, func(b B) command {
		return k.command(parentID, id, created, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return run(ctx, parentID, id, b, meta)
		})
	})
}

// removeChild is the shape of a handler that removes a child: both ids
// from the path, the optional id of the child to take its place from the
// query parameter param, and the command run sends, answering the parent.
func removeChild[P, V, R any](s *Server, w http.ResponseWriter, r *http.Request, k child[P, V, R], param string, run func(ctx context.Context, parentID, id, next uuid.UUID, meta billing.Meta) (billing.Result, error)) {
	parentID, id, err := k.path(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	next, err := queryID(r, param)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, nil, func(none) command {
		return k.parent.command(parentID, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return run(ctx, parentID, id, next, meta)
		})
	})
}

// asIs is the conversion of a value that is already a wire type.
func asIs[W any](v W) W { return v }

// serveList answers GET of a list that belongs to the resource whose id is
// in the path variable idVar: the id, the paging, then one page of what
// all returns, each item converted by conv to its wire form.
func serveList[T, W any](s *Server, w http.ResponseWriter, r *http.Request, idVar, what string, all func(id uuid.UUID) ([]T, error), conv func(T) W) {
	id, err := pathID(r, idVar, what)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, err := all(id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePages(s, w, r, p, func(p projections.Paging) (projections.Page[T], error) { return pageOf(items, p), nil }, conv)
}
