package kurrenttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Append implements streams.StreamsServer: the options first, then the
// proposed events, then one reply.
func (s *Server) Append(srv streams.Streams_AppendServer) error {
	if err := s.notLeader(srv.SetTrailer); err != nil {
		return err
	}
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "append: the first message must carry the options")
	}
	var events []eventstore.EventData
	for {
		m, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := m.GetProposedMessage()
		if pm == nil {
			return status.Error(codes.InvalidArgument, "append: expected a proposed message")
		}
		id, err := uuidFromProto(pm.GetId())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "append: event id: %v", err)
		}
		events = append(events, eventstore.EventData{
			ID:   id,
			Type: pm.GetMetadata()["type"],
			Data: encodePayload(payload{contentType: pm.GetMetadata()["content-type"], data: pm.GetData(), meta: pm.GetCustomMetadata()}),
		})
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	stored, ok := storeName(name)
	if !ok {
		return status.Errorf(codes.PermissionDenied, "append: system stream %s is not kept by this server", name)
	}
	var expected eventstore.ExpectedRevision
	switch r := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Revision:
		expected = eventstore.Exact(r.Revision)
	case *streams.AppendReq_Options_NoStream:
		expected = eventstore.NoStream
	case *streams.AppendReq_Options_StreamExists:
		expected = eventstore.StreamExists
	default:
		expected = eventstore.Any
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.deleted[stored].tombstoned {
		return streamDeleted(srv.SetTrailer, name)
	}
	ctx := srv.Context()
	if len(events) == 0 {
		return s.appendNothing(ctx, srv, stored, expected)
	}
	res, err := s.store.Append(ctx, stored, expected, events...)
	var wrong *eventstore.WrongExpectedVersionError
	if errors.As(err, &wrong) {
		return srv.SendAndClose(wrongVersionReply(expected, wrong.Exists, wrong.Actual))
	}
	if err != nil {
		return storeError(err)
	}
	s.broadcast()
	c := s.commitOf(res.Position)
	return srv.SendAndClose(&streams.AppendResp{Result: &streams.AppendResp_Success_{Success: &streams.AppendResp_Success{
		CurrentRevisionOption: &streams.AppendResp_Success_CurrentRevision{CurrentRevision: res.Revision},
		PositionOption:        &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{CommitPosition: c, PreparePosition: c}},
	}}})
}

// appendNothing answers an append of no events: the expectation is checked
// and nothing is written.
func (s *Server) appendNothing(ctx context.Context, srv streams.Streams_AppendServer, stream string, expected eventstore.ExpectedRevision) error {
	exists, rev, err := s.lastRevision(ctx, stream)
	if err != nil {
		return storeError(err)
	}
	if !expected.Allows(exists, rev) {
		return srv.SendAndClose(wrongVersionReply(expected, exists, rev))
	}
	ok := &streams.AppendResp_Success{
		CurrentRevisionOption: &streams.AppendResp_Success_CurrentRevision{CurrentRevision: rev},
		PositionOption:        &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
	}
	if !exists {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	}
	return srv.SendAndClose(&streams.AppendResp{Result: &streams.AppendResp_Success_{Success: ok}})
}

func (s *Server) lastRevision(ctx context.Context, stream string) (exists bool, rev uint64, err error) {
	last, err := s.store.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 1)
	if err != nil || len(last) == 0 {
		return false, 0, err
	}
	return true, last[0].Revision, nil
}

// wrongVersionReply fills both the current fields and the ones servers
// before 20.6 sent, as KurrentDB does.
func wrongVersionReply(expected eventstore.ExpectedRevision, exists bool, actual uint64) *streams.AppendResp {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if exists {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: actual}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: actual}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	}
	switch {
	case expected.IsNoStream():
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expected.IsStreamExists():
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expected.IsAny():
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	default:
		n, _ := expected.ExactRevision()
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: n}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: n}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// expectation is the expected revision of a delete or tombstone request.
type expectation interface {
	GetRevision() uint64
	GetNoStream() *shared.Empty
	GetStreamExists() *shared.Empty
}

func expectedOf(o expectation) (eventstore.ExpectedRevision, string) {
	switch {
	case o.GetNoStream() != nil:
		return eventstore.NoStream, "-1"
	case o.GetStreamExists() != nil:
		return eventstore.StreamExists, "-4"
	}
	if anyOf(o) {
		return eventstore.Any, "-2"
	}
	return eventstore.Exact(o.GetRevision()), strconv.FormatUint(o.GetRevision(), 10)
}

func anyOf(o expectation) bool {
	switch r := o.(type) {
	case *streams.DeleteReq_Options:
		return r.GetAny() != nil
	case *streams.TombstoneReq_Options:
		return r.GetAny() != nil
	}
	return false
}

// Delete implements streams.StreamsServer: a soft delete, written as a
// $metadata event with $tb (truncate before) in the stream's "$$" stream.
func (s *Server) Delete(ctx context.Context, req *streams.DeleteReq) (*streams.DeleteResp, error) {
	o := req.GetOptions()
	c, err := s.deleteOrTombstone(ctx, string(o.GetStreamIdentifier().GetStreamName()), o, false)
	if err != nil {
		return nil, err
	}
	return &streams.DeleteResp{PositionOption: &streams.DeleteResp_Position_{Position: &streams.DeleteResp_Position{CommitPosition: c, PreparePosition: c}}}, nil
}

// Tombstone implements streams.StreamsServer: a $streamDeleted event ends
// the stream for good.
func (s *Server) Tombstone(ctx context.Context, req *streams.TombstoneReq) (*streams.TombstoneResp, error) {
	o := req.GetOptions()
	c, err := s.deleteOrTombstone(ctx, string(o.GetStreamIdentifier().GetStreamName()), o, true)
	if err != nil {
		return nil, err
	}
	return &streams.TombstoneResp{PositionOption: &streams.TombstoneResp_Position_{Position: &streams.TombstoneResp_Position{CommitPosition: c, PreparePosition: c}}}, nil
}

func (s *Server) deleteOrTombstone(ctx context.Context, name string, o expectation, tombstone bool) (uint64, error) {
	setTrailer := func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) }
	if err := s.notLeader(setTrailer); err != nil {
		return 0, err
	}
	stored, ok := storeName(name)
	if !ok || stored != name {
		return 0, status.Errorf(codes.InvalidArgument, "cannot delete system stream %s", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deleted[stored]
	if d.tombstoned {
		return 0, streamDeleted(setTrailer, name)
	}
	exists, rev, err := s.lastRevision(ctx, stored)
	if err != nil {
		return 0, storeError(err)
	}
	expected, text := expectedOf(o)
	if !expected.Allows(exists, rev) {
		return 0, wrongExpectedVersion(setTrailer, text, exists, rev)
	}
	var res eventstore.AppendResult
	if tombstone {
		res, err = s.store.Append(ctx, stored, eventstore.Any, eventstore.EventData{
			ID: eventstore.NewEventID(), Type: typeStreamDeleted, Data: encodePayload(payload{contentType: "application/json", data: []byte("{}")})})
		d.tombstoned = true
	} else {
		tb := uint64(0)
		if exists {
			tb = rev + 1
		}
		data, _ := json.Marshal(map[string]uint64{"$tb": tb})
		res, err = s.store.Append(ctx, metaPrefix+stored, eventstore.Any, eventstore.EventData{
			ID: eventstore.NewEventID(), Type: typeMetadata, Data: encodePayload(payload{contentType: "application/json", data: data})})
		d.truncateBefore = tb
	}
	if err != nil {
		return 0, storeError(fmt.Errorf("delete %s: %w", name, err))
	}
	s.deleted[stored] = d
	s.broadcast()
	return s.commitOf(res.Position), nil
}
