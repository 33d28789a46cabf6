package kurrent

import (
	"context"
	"errors"
	"fmt"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors particular to KurrentDB; match them with errors.Is.
var (
	// ErrStreamDeleted: the stream was tombstoned (hard-deleted) and can
	// never be read or written again. A soft-deleted stream reads as empty.
	ErrStreamDeleted = errors.New("stream deleted")
	// ErrNotLeader: the node that answered is not the cluster's leader, even
	// after the one retry the adapter makes on the leader it named.
	ErrNotLeader = errors.New("kurrentdb node is not the leader")
	// ErrAccessDenied: the credentials are missing, wrong, or lack the right
	// (reading $all needs an admin or ops user by default).
	ErrAccessDenied = errors.New("kurrentdb access denied")
)

// StreamDeletedError names the tombstoned stream.
type StreamDeletedError struct{ Stream string }

func (e *StreamDeletedError) Error() string {
	return fmt.Sprintf("stream %s: %v", e.Stream, ErrStreamDeleted)
}

// Unwrap makes errors.Is(err, ErrStreamDeleted) hold.
func (e *StreamDeletedError) Unwrap() error { return ErrStreamDeleted }

// mapError turns the client's errors into Remit's: deleted streams, not
// leader, access denied, invalid requests and cancellation get their typed
// errors; anything else is wrapped as it is.
func mapError(ctx context.Context, op, stream string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s: %w", op, cerr)
	}
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeStreamDeleted:
			return &StreamDeletedError{Stream: stream}
		case esdb.ErrorCodeNotLeader:
			return fmt.Errorf("%s: %w", op, ErrNotLeader)
		case esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied:
			return fmt.Errorf("%s: %w: %v", op, ErrAccessDenied, err)
		case esdb.ErrorCodeResourceAlreadyExists:
			return fmt.Errorf("%s: %w: %v", op, eventstore.ErrDuplicateEventID, e.Err())
		}
	}
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied:
		return fmt.Errorf("%s: %w: %v", op, ErrAccessDenied, err)
	case codes.InvalidArgument:
		return &eventstore.InvalidError{Field: op, Reason: status.Convert(err).Message()}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// permanent reports whether a subscription that failed with err should give
// up rather than be opened again.
func permanent(err error) bool {
	if errors.Is(err, ErrStreamDeleted) || errors.Is(err, ErrAccessDenied) || errors.Is(err, eventstore.ErrInvalid) {
		return true
	}
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnsupportedFeature, esdb.ErrorCodeStreamDeleted:
			return true
		}
	}
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.Unimplemented:
		return true
	}
	return false
}
