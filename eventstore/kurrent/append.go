package kurrent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// customMetadata is what Remit keeps in an event's custom metadata JSON.
type customMetadata struct {
	Actor         string `json:"actor,omitempty"`
	CommandID     string `json:"commandId,omitempty"`
	CorrelationID string `json:"$correlationId,omitempty"`
	CausationID   string `json:"$causationId,omitempty"`
	SchemaVersion int    `json:"schemaVersion"`
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events, s.opts.MaxEventSize); err != nil {
		return eventstore.AppendResult{}, err
	}
	for i, e := range events {
		// KurrentDB keeps "$" types for its own events, and reads here skip
		// them: an event written with one would vanish.
		if strings.HasPrefix(e.Type, "$") {
			return eventstore.AppendResult{}, &eventstore.InvalidError{Field: fmt.Sprintf("events[%d].type", i), Reason: "event types starting with $ are reserved for KurrentDB's system events"}
		}
	}
	if len(events) == 0 {
		return s.appendNothing(ctx, stream, expected)
	}
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		sv := e.SchemaVersion
		if sv == 0 {
			sv = 1
		}
		m := e.Metadata
		meta, err := json.Marshal(customMetadata{Actor: m.Actor, CommandID: m.CommandID, CorrelationID: m.CorrelationID, CausationID: m.CausationID, SchemaVersion: sv})
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: metadata: %w", stream, err)
		}
		data[i] = esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: esdb.ContentTypeJson, Data: e.Data, Metadata: meta}
	}
	var res *esdb.WriteResult
	err := withLeaderRetry(func() error {
		var err error
		res, err = s.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: expectedOf(expected)}, data...)
		return mapError(ctx, "append "+stream, stream, err)
	})
	if err != nil {
		return eventstore.AppendResult{}, s.conflict(ctx, stream, expected, err)
	}
	return eventstore.AppendResult{Revision: res.NextExpectedVersion, Position: res.CommitPosition + 1}, nil
}

func expectedOf(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	if n, ok := e.ExactRevision(); ok {
		return esdb.Revision(n)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	return esdb.Any{}
}

// actualRevision reads the stream's state out of the client's
// wrong-expected-version message ("… expecting 'x' but got 'y'"): the client
// keeps the server's answer only in that text.
var actualRevision = regexp.MustCompile(`but got '([^']*)'`)

// conflict turns the client's wrong-expected-version error into Remit's,
// with the actual revision the server reported (or, should the message ever
// change shape, the one read back from the stream).
func (s *Store) conflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision, err error) error {
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
		return err
	}
	wrong := &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected}
	if m := actualRevision.FindStringSubmatch(e.Error()); m != nil {
		if m[1] == "no_stream" || strings.HasPrefix(m[1], "-") {
			return wrong
		}
		if n, perr := strconv.ParseUint(m[1], 10, 64); perr == nil {
			wrong.Exists, wrong.Actual = true, n
			return wrong
		}
	}
	exists, rev, rerr := s.lastRevision(ctx, stream)
	if rerr != nil {
		return fmt.Errorf("%w (and reading its revision: %v)", wrong, rerr)
	}
	wrong.Exists, wrong.Actual = exists, rev
	return wrong
}

// appendNothing checks an append of no events against the stream and
// writes nothing. It reads rather than sending an empty append, whose
// answer the client reports ambiguously for a missing stream.
func (s *Store) appendNothing(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.AppendResult, error) {
	exists, rev, err := s.lastRevision(ctx, stream)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !expected.Allows(exists, rev) {
		return eventstore.AppendResult{}, &eventstore.WrongExpectedVersionError{Stream: stream, Expected: expected, Exists: exists, Actual: rev}
	}
	head, err := s.Head(ctx)
	return eventstore.AppendResult{Revision: rev, Position: head}, err
}

func (s *Store) lastRevision(ctx context.Context, stream string) (exists bool, rev uint64, err error) {
	last, err := s.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 1)
	if err != nil || len(last) == 0 {
		return false, 0, err
	}
	return true, last[0].Revision, nil
}

// recordedOf converts a KurrentDB event. Metadata that is not Remit's (an
// event written by another tool) is left empty rather than refused.
func recordedOf(e *esdb.RecordedEvent) eventstore.RecordedEvent {
	var m customMetadata
	if len(e.UserMetadata) > 0 {
		_ = json.Unmarshal(e.UserMetadata, &m)
	}
	if m.SchemaVersion <= 0 {
		m.SchemaVersion = 1
	}
	return eventstore.RecordedEvent{
		ID:            e.EventID,
		Stream:        e.StreamID,
		Revision:      e.EventNumber,
		Position:      positionOf(e.Position),
		Type:          e.EventType,
		SchemaVersion: m.SchemaVersion,
		Data:          e.Data,
		Metadata: eventstore.Metadata{
			Actor: m.Actor, CommandID: m.CommandID, CorrelationID: m.CorrelationID, CausationID: m.CausationID,
			RecordedAt: e.CreatedDate,
		},
	}
}

// isSystem reports whether an event is KurrentDB's own (stream or type
// starting with "$": metadata, tombstones, links, statistics…).
func isSystem(e *esdb.RecordedEvent) bool {
	return strings.HasPrefix(e.StreamID, "$") || strings.HasPrefix(e.EventType, "$")
}
