package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/eventstore"
	"remit/eventstore/idempotency"
)

// command is one write request, as a handler describes it to execute.
type command struct {
	// stream is the aggregate stream If-Match is checked against ("" for a
	// command that creates its stream: If-Match is then ignored).
	stream string
	// created answers 201 instead of 200.
	created bool
	// location is the URL of the created or changed resource.
	location func(res billing.Result) string
	// fieldPrefix is the prefix of the domain's field names that the
	// request body does not have ("contact." when the body is the contact).
	fieldPrefix string
	// run sends the command to billing.
	run func(ctx context.Context, meta billing.Meta) (billing.Result, error)
	// read returns the resource as the read models show it after the
	// command, and its ETag ("" for none).
	read func(ctx context.Context, res billing.Result) (body any, etag string, err error)
}

// commandResult is the body of a 202: the command was recorded but the read
// models did not show it within the wait.
type commandResult struct {
	Stream   string `json:"stream"`
	Revision uint64 `json:"revision"`
	Position uint64 `json:"position"`
	ID       string `json:"id,omitempty"`
}

// response is what a command answers.
type response struct {
	Status   int
	Location string
	ETag     string
	Body     []byte
}

// etag formats a stream revision as a strong entity tag.
func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// execute runs a command request: idempotency replay, If-Match, the
// command, read-your-writes, the answer, and the idempotency record.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, raw []byte, c command) {
	// A request that got this far is accepted: finish it (and record it)
	// even if the client goes away.
	ctx := context.WithoutCancel(r.Context())
	meta := billing.Meta{Actor: actor(r)}

	key := r.Header.Get("Idempotency-Key")
	var rec idempotency.Record
	if key != "" {
		if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
			s.Error(w, r, malformed(domain.Invalid("Idempotency-Key", "must be 1 to 255 printable ASCII characters")))
			return
		}
		rec = idempotency.Record{Key: recordKey(meta.Actor, key), Fingerprint: fingerprint(r, raw), Method: r.Method, Path: r.URL.Path}
		if s.cfg.Idempotency != nil {
			stored, ok, err := s.cfg.Idempotency.Get(ctx, rec.Key)
			if err != nil {
				s.Error(w, r, err)
				return
			}
			if ok {
				s.replay(w, r, stored, rec.Fingerprint)
				return
			}
		}
		meta.CommandID = meta.Actor + ":" + key
		if billing.RequestID(ctx) == "" {
			meta.CorrelationID = meta.CommandID
		} // else the request id is the correlation id (billing.WithRequestID)
	}

	res, err := s.run(ctx, r, c, meta)
	if err != nil {
		s.Error(w, r, stripFieldPrefix(err, c.fieldPrefix))
		return
	}

	resp, err := s.answer(ctx, c, res)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if key != "" && s.cfg.Idempotency != nil {
		rec.Status, rec.Location, rec.ETag, rec.Body = resp.Status, resp.Location, resp.ETag, resp.Body
		stored, err := s.cfg.Idempotency.Put(ctx, rec)
		if err != nil {
			// The command is recorded; only the replay record is not.
			s.log.Error("storing idempotent response", "path", r.URL.Path, "err", err)
		} else if stored.Fingerprint != rec.Fingerprint {
			// Another request with this key and another body was recorded
			// first, while this one ran: it gets the answer a later retry
			// would get, not the other request's response.
			s.replay(w, r, stored, rec.Fingerprint)
			return
		} else {
			resp = response{Status: stored.Status, Location: stored.Location, ETag: stored.ETag, Body: stored.Body}
		}
	}
	writeResponse(w, resp, false)
}

// run checks If-Match and runs the command. No lock is held: the revision
// If-Match names goes with the command (billing.Meta.IfMatch) and is the
// expected revision of its append, so a writer that slips in between, in
// this process or another, makes the command fail with 412 rather than be
// applied on top of what the caller did not see.
func (s *Server) run(ctx context.Context, r *http.Request, c command, meta billing.Meta) (billing.Result, error) {
	if im := r.Header.Get("If-Match"); im != "" && c.stream != "" {
		pre, err := s.checkIfMatch(ctx, c.stream, im)
		if err != nil {
			return billing.Result{}, err
		}
		meta.IfMatch = pre
	}
	res, err := c.run(ctx, meta)
	if pf := (*billing.PreconditionFailedError)(nil); errors.As(err, &pf) {
		return billing.Result{}, preconditionFailed(pf.Exists, etag(pf.Actual), r.Header.Get("If-Match"))
	}
	return res, err
}

// checkIfMatch compares the If-Match header with the stream's revision: the
// precondition the command's append must then meet, or nil for "*" (any
// revision of a stream that exists: streams are never deleted).
func (s *Server) checkIfMatch(ctx context.Context, stream, header string) (*billing.Precondition, error) {
	recs, err := s.cfg.Store.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 1)
	if err != nil {
		return nil, fmt.Errorf("read %s for If-Match: %w", stream, err)
	}
	if len(recs) == 0 {
		return nil, preconditionFailed(false, "", header)
	}
	current := etag(recs[0].Revision)
	for _, tag := range strings.Split(header, ",") {
		switch strings.TrimSpace(tag) {
		case "*":
			return nil, nil
		case current:
			return &billing.Precondition{Stream: stream, Revision: recs[0].Revision}, nil
		}
	}
	return nil, preconditionFailed(true, current, header)
}

// preconditionFailed is the 412 of an If-Match that does not hold.
func preconditionFailed(exists bool, current, header string) error {
	if !exists {
		return &httpError{status: http.StatusPreconditionFailed, msg: "The resource does not exist, so If-Match cannot match."}
	}
	return &httpError{status: http.StatusPreconditionFailed, msg: fmt.Sprintf("The resource has changed: it is at ETag %s, not %s. Read it again and retry.", current, header)}
}

// answer waits for the read models to show the command, then reads the
// resource; a 202 with the command's result when they do not in time.
func (s *Server) answer(ctx context.Context, c command, res billing.Result) (response, error) {
	loc := ""
	if c.location != nil {
		loc = c.location(res)
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTimeout)
	err := s.cfg.Runner.WaitFor(wctx, res.Position)
	cancel()
	if err != nil {
		s.log.Warn("read models did not reach the command's position in time", "position", res.Position, "err", err)
		cr := commandResult{Stream: res.Stream, Revision: res.Revision, Position: res.Position}
		if res.ID != uuid.Nil {
			cr.ID = res.ID.String()
		}
		body, err := json.Marshal(cr)
		if err != nil {
			return response{}, err
		}
		return response{Status: http.StatusAccepted, Location: loc, Body: body}, nil
	}
	v, tag, err := c.read(ctx, res)
	if err != nil {
		return response{}, fmt.Errorf("read back after %s@%d: %w", res.Stream, res.Revision, err)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return response{}, err
	}
	status := http.StatusOK
	if c.created {
		status = http.StatusCreated
	}
	return response{Status: status, Location: loc, ETag: tag, Body: body}, nil
}

func writeResponse(w http.ResponseWriter, resp response, replayed bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if resp.Location != "" {
		h.Set("Location", resp.Location)
	}
	if resp.ETag != "" {
		h.Set("ETag", resp.ETag)
	}
	if replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// Idempotency records.

// recordKey names the idempotency record of an actor's key: a hash, so one
// actor's key never finds another's answer.
func recordKey(actor, key string) string {
	h := sha256.Sum256([]byte(actor + "\x00" + key))
	return hex.EncodeToString(h[:])
}

// fingerprint identifies a request: method, path and body.
func fingerprint(r *http.Request, raw []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// replay answers a retried request with the stored response, or 422 when
// the key was used for another request.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rec idempotency.Record, fp string) {
	if rec.Fingerprint != fp {
		s.Error(w, r, domain.Invalid("Idempotency-Key", "this key was already used for another request (%s %s); use a new key for a new request", rec.Method, rec.Path))
		return
	}
	writeResponse(w, response{Status: rec.Status, Location: rec.Location, ETag: rec.ETag, Body: rec.Body}, true)
}
