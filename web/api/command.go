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

// response is what a command answers, as stored for idempotent replays.
type response struct {
	Status   int             `json:"status"`
	Location string          `json:"location,omitempty"`
	ETag     string          `json:"etag,omitempty"`
	Body     json.RawMessage `json:"body"`
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
	var reqStream, fp string
	reqExpected := eventstore.NoStream
	if key != "" {
		if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
			s.Error(w, r, malformed(domain.Invalid("Idempotency-Key", "must be 1 to 255 printable ASCII characters")))
			return
		}
		reqStream, fp = requestStream(meta.Actor, key), fingerprint(r, raw)
		stored, ok, err := s.loadRequest(ctx, reqStream)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if ok && !stored.Expired {
			s.replay(w, r, stored, fp)
			return
		}
		if ok {
			reqExpected = eventstore.Exact(stored.revision)
		}
		meta.CommandID = meta.Actor + ":" + key
		meta.CorrelationID = meta.CommandID
	}

	res, err := s.runLocked(ctx, r, c, meta)
	if err != nil {
		s.Error(w, r, stripFieldPrefix(err, c.fieldPrefix))
		return
	}

	resp, err := s.answer(ctx, c, res)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if key != "" {
		stored, err := s.saveResponse(ctx, r, reqStream, reqExpected, fp, meta, resp)
		if err != nil {
			// The command is recorded; only the replay record is not.
			s.log.Error("storing idempotent response", "stream", reqStream, "err", err)
		} else {
			resp = stored
		}
	}
	writeResponse(w, resp, false)
}

// runLocked checks If-Match and runs the command, both under the stream's
// lock so no other request of this server writes the stream in between.
func (s *Server) runLocked(ctx context.Context, r *http.Request, c command, meta billing.Meta) (billing.Result, error) {
	if c.stream == "" {
		return c.run(ctx, meta)
	}
	unlock := s.locks.lock(c.stream)
	defer unlock()
	if im := r.Header.Get("If-Match"); im != "" {
		if err := s.checkIfMatch(ctx, c.stream, im); err != nil {
			return billing.Result{}, err
		}
	}
	return c.run(ctx, meta)
}

// checkIfMatch compares the If-Match header with the stream's revision.
func (s *Server) checkIfMatch(ctx context.Context, stream, header string) error {
	recs, err := s.cfg.Store.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 1)
	if err != nil {
		return fmt.Errorf("read %s for If-Match: %w", stream, err)
	}
	if len(recs) > 0 {
		current := etag(recs[0].Revision)
		for _, tag := range strings.Split(header, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || tag == current {
				return nil
			}
		}
		return &httpError{status: http.StatusPreconditionFailed, msg: fmt.Sprintf("The resource has changed: it is at ETag %s, not %s. Read it again and retry.", current, header)}
	}
	return &httpError{status: http.StatusPreconditionFailed, msg: "The resource does not exist, so If-Match cannot match."}
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

// requestEventType is the type of the one event of a request stream.
const requestEventType = "APIRequestCompleted"

// requestRecord is the data of a request stream's event.
type requestRecord struct {
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	Fingerprint string   `json:"fingerprint"`
	Response    response `json:"response"`
	// Expired is set (by package pii) on a record past its retention: its
	// key is destroyed, and the request is treated as a new one.
	Expired bool `json:"expired,omitempty"`
	// revision is the record's revision in its stream.
	revision uint64
}

// requestStream names the stream holding the response to an actor's key.
func requestStream(actor, key string) string {
	h := sha256.Sum256([]byte(actor + "\x00" + key))
	return "request-" + hex.EncodeToString(h[:])
}

// fingerprint identifies a request: method, path and body.
func fingerprint(r *http.Request, raw []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) loadRequest(ctx context.Context, stream string) (requestRecord, bool, error) {
	// The last record counts: one past its retention may be followed by
	// the record of the request made again with the same key.
	recs, err := s.cfg.Store.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 1)
	if err != nil {
		return requestRecord{}, false, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return requestRecord{}, false, nil
	}
	var rec requestRecord
	if err := json.Unmarshal(recs[0].Data, &rec); err != nil {
		return requestRecord{}, false, fmt.Errorf("decode %s: %w", stream, err)
	}
	rec.revision = recs[0].Revision
	return rec, true, nil
}

// replay answers a retried request with the stored response, or 422 when
// the key was used for another request.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rec requestRecord, fp string) {
	if rec.Fingerprint != fp {
		s.Error(w, r, domain.Invalid("Idempotency-Key", "this key was already used for another request (%s %s); use a new key for a new request", rec.Method, rec.Path))
		return
	}
	writeResponse(w, rec.Response, true)
}

// saveResponse stores the response under the request stream; when another
// request with the same key stored one first, that one is returned.
func (s *Server) saveResponse(ctx context.Context, r *http.Request, stream string, expected eventstore.ExpectedRevision, fp string, meta billing.Meta, resp response) (response, error) {
	rec := requestRecord{Method: r.Method, Path: r.URL.Path, Fingerprint: fp, Response: resp}
	data, err := json.Marshal(rec)
	if err != nil {
		return resp, err
	}
	_, err = s.cfg.Store.Append(ctx, stream, expected, eventstore.EventData{
		ID: eventstore.NewEventID(), Type: requestEventType, Data: data,
		Metadata: eventstore.Metadata{Actor: meta.Actor, CommandID: meta.CommandID, CorrelationID: meta.CorrelationID, CausationID: meta.CommandID},
	})
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		first, ok, lerr := s.loadRequest(ctx, stream)
		if lerr != nil || !ok || first.Expired {
			return resp, errors.Join(err, lerr)
		}
		return first.Response, nil
	}
	return resp, err
}
