package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/domain/service"
	"remit/eventstore"
)

// VoidNumberRequest names an invoice whose number was reserved but which was
// never issued: a stranded number. ItemKeys are the schedule items marked
// billed on it (a billing run's Index knows them), released so that they can
// be billed again; Reason says why the invoice was never issued.
type VoidNumberRequest struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	ItemKeys  []string  `json:"item_keys,omitempty"`
	Reason    string    `json:"reason"`
}

// Now returns the time on the Service's clock (Config.Now).
func (s *Service) Now() time.Time { return s.now() }

// VoidCommandID is the command id a stranded number's void is recorded under
// when the request names none: derived from the invoice, so two processes
// repairing at once record one void.
func VoidCommandID(invoiceID uuid.UUID) string { return "numbering-repair/void/" + invoiceID.String() }

// VoidStrandedNumber records that the number reserved for an invoice that was
// never issued will never be used, so the sequence an auditor reads has no
// unexplained hole. In order, each step idempotent, so a repair that dies
// half-way is completed by the next:
//
//  1. the numbering decides whether the number may be voided (refused when it
//     was reserved less than numbering.VoidAfter ago: its invoice may still be
//     being issued; when it has no number; answered as already applied when
//     voided already);
//  2. the invoice's stream records InvoiceAbandoned, which the invoice
//     aggregate refuses once the invoice is issued, and after which it
//     refuses to issue it: the invoice stream decides between a late issue
//     and the void, so a number is never both used and voided;
//  3. each item of r.ItemKeys still billed on the invoice is released;
//  4. the numbering stream records InvoiceNumberVoided, with the stream's
//     exact revision, re-read and decided again on a conflict.
//
// Result.ID is the invoice; Result.Stream the numbering stream.
func (s *Service) VoidStrandedNumber(ctx context.Context, r VoidNumberRequest, meta Meta) (Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = VoidCommandID(r.InvoiceID)
	}
	stream := numbering.StreamName()
	cmd := numbering.Void{InvoiceID: r.InvoiceID, Reason: r.Reason, Now: s.now()}
	st, rev, exists, err := s.numberingState(ctx)
	if err != nil {
		return Result{}, err
	}
	if _, err := numbering.Decide(st, cmd); err != nil {
		return Result{}, err
	}
	rsv, _ := st.NumberOf(r.InvoiceID)
	if rsv.Voided {
		return Result{Stream: stream, Revision: rev, ID: r.InvoiceID, AlreadyApplied: true}, nil
	}
	abandon := invoice.Abandon{InvoiceID: r.InvoiceID, Number: rsv.Number, Reason: cmd.Reason, Now: cmd.Now}
	out, err := Handle(ctx, s.env, invoiceDecider, invoice.StreamName(r.InvoiceID), invoice.Command(abandon), meta.withStep("abandon"))
	if err != nil {
		return Result{}, fmt.Errorf("void number %s: %w", rsv.Number, err)
	}
	position := out.Position
	for _, key := range r.ItemKeys {
		serviceID, err := itemService(key)
		if err != nil {
			return Result{}, err
		}
		release := service.ReleaseBilledItem{ItemKey: key, InvoiceID: r.InvoiceID, Now: cmd.Now,
			Reason: fmt.Sprintf("invoice %s was never issued: its number %s is void (%s)", r.InvoiceID, rsv.Number, cmd.Reason)}
		out, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(serviceID), service.Command(release), meta.withStep("release:"+key))
		if domain.ErrorCode(err) == domain.ECONFLICT && !isConflictError(err) {
			continue // billed on another invoice: not this one's to release
		}
		if err != nil {
			return Result{}, fmt.Errorf("void number %s: release item %s: %w", rsv.Number, key, err)
		}
		position = max(position, out.Position)
	}
	meta = meta.withStep("void")
	for attempt := 1; ; attempt++ {
		known := func(string) (numbering.State, uint64, bool, bool) { return st, rev, exists, true }
		// Under numberingMu, so the void is queued behind any block of
		// numbers whose append is still in flight (reserveQueuedBlock): if
		// that block fails, the void does not take its place while the
		// blocks queued after it still expect it.
		s.numberingMu.Lock()
		outs, err := HandleBatch(ctx, s.env, voidDecider, []Command[numbering.Command]{{Stream: stream, Command: cmd, Meta: meta}},
			HandleOptions[numbering.State]{Known: known, Attempts: 1})
		s.numberingMu.Unlock()
		if err == nil {
			err = outs[0].Err
		}
		switch o := outs[0]; {
		case err == nil && (o.AlreadyApplied || o.Appended == 0):
			// Nothing left to record, or recorded by another repair of the
			// same invoice (same ids).
			return Result{Stream: stream, Revision: o.Revision, Position: position, ID: r.InvoiceID, AlreadyApplied: true}, nil
		case err == nil:
			return Result{Stream: stream, Revision: o.Revision, Position: max(position, o.Position), ID: r.InvoiceID, Appended: o.Appended}, nil
		case !errors.Is(err, eventstore.ErrWrongExpectedVersion):
			if isRefusal(err) {
				return Result{}, err
			}
			return Result{}, fmt.Errorf("void number %s: %w", rsv.Number, err)
		case attempt >= MaxAttempts*4:
			return Result{}, err
		}
		if err := backoff(ctx, min(attempt, MaxAttempts)); err != nil {
			return Result{}, err
		}
		if st, rev, exists, err = s.numberingState(ctx); err != nil {
			return Result{}, err
		}
	}
}

// voidDecider records a number's void on the numbering state folded whole
// (numberingState); its event keeps the id Handle would give it, and a
// duplicate is another repair's record of the same void.
var voidDecider = Decider[numbering.State, numbering.Command]{
	Evolve: numbering.Evolve,
	Decide: numbering.Decide,
	EventID: func(meta Meta, stream string, index int, _ domain.Event) uuid.UUID {
		return meta.eventID(stream, index)
	},
}

// isConflictError reports whether err is the conflict Handle answers after
// retrying (the stream kept changing), not the domain refusing.
func isConflictError(err error) bool {
	var c *conflictError
	return errors.As(err, &c)
}

// numberingState folds the whole numbering stream (numbering.Fold, in place:
// numbering.Evolve would copy its lookup per event). Only repairs read it
// whole; reservations use the incremental book.
func (s *Service) numberingState(ctx context.Context) (numbering.State, uint64, bool, error) {
	stream := numbering.StreamName()
	recs, err := s.env.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return numbering.State{}, 0, false, fmt.Errorf("read %s: %w", stream, err)
	}
	events := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		e, err := s.env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return numbering.State{}, 0, false, fmt.Errorf("decode %s@%d: %w", stream, r.Revision, err)
		}
		events = append(events, e)
	}
	if len(recs) == 0 {
		return numbering.State{}, 0, false, nil
	}
	return numbering.Fold(events), recs[len(recs)-1].Revision, true, nil
}
