package billingrun

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/numbering"
)

// reservedNumber is an invoice number reserved for an invoice the Index has
// not seen issued.
type reservedNumber struct {
	number    string
	sequence  int64
	at        time.Time
	commandID string // of the command that reserved it
}

// applyNumbering folds an event of the numbering stream: which numbers wait
// for their invoice.
func (x *Index) applyNumbering(commandID string, e domain.Event) {
	if v, ok := e.(numbering.InvoiceNumberVoided); ok {
		delete(x.reserved, v.InvoiceID)
	}
	for _, rsv := range numbering.ReservationsOf(e) {
		if en := x.invoices[rsv.InvoiceID]; en != nil && en.state.Issued() {
			continue
		}
		x.reserved[rsv.InvoiceID] = reservedNumber{number: rsv.Number, sequence: rsv.Sequence, at: rsv.At, commandID: commandID}
	}
}

// strandedNumbers returns the numbers reserved at least numbering.VoidAfter
// before now for invoices that were never issued and that no billing run will
// complete, oldest first: an instant bill or "Bill now" whose request died
// between reserving and issuing (nothing in the log says what its lines or
// issue date were, so no one can issue it but the same request retried, and
// VoidAfter leaves it that long), or an invoice abandoned by a repair that
// died before voiding its number. A billing run's own interrupted invoices
// are not stranded: the run completes them with their numbers.
func (x *Index) strandedNumbers(now time.Time) []billing.VoidNumberRequest {
	x.mu.Lock()
	defer x.mu.Unlock()
	var ids []uuid.UUID
	for id, rsv := range x.reserved {
		abandoned := x.invoices[id] != nil && x.invoices[id].state.AbandonedReason != ""
		if u := x.unissued[id]; u != nil && strings.HasPrefix(u.commandID, runPrefix+"issue/") && !abandoned {
			continue // a run's: the next run completes it
		}
		if now.Before(rsv.at.Add(numbering.VoidAfter)) && !abandoned {
			continue // its request may still be issuing it
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return int(x.reserved[a].sequence - x.reserved[b].sequence) })
	out := make([]billing.VoidNumberRequest, len(ids))
	for i, id := range ids {
		rsv := x.reserved[id]
		cmd := rsv.commandID
		if len(cmd) > 100 {
			cmd = cmd[:100] + "…"
		}
		out[i] = billing.VoidNumberRequest{InvoiceID: id, Reason: fmt.Sprintf(
			"the request that reserved %s for invoice %s at %s (command %q) stopped before issuing the invoice, and nothing in the log can complete it",
			rsv.number, id, rsv.at.UTC().Format(time.RFC3339), cmd)}
		if en := x.invoices[id]; en != nil && en.state.AbandonedReason != "" {
			out[i].Reason = en.state.AbandonedReason
		}
		if u := x.unissued[id]; u != nil {
			out[i].ItemKeys = slices.Sorted(maps.Keys(u.items))
		}
	}
	return out
}

// voidStrandedNumbers voids every stranded number (Index.strandedNumbers),
// so the numbering has no unexplained hole, and releases the items marked on
// their invoices so the run bills them again. Each void is exactly once
// however many runs attempt it (billing.VoidStrandedNumber); a failure is
// reported and the run goes on. It returns how many numbers it voided.
func voidStrandedNumbers(ctx context.Context, idx *Index, svc *billing.Service, actor, corr string) (int, []GroupError) {
	voided := 0
	var errs []GroupError
	for _, req := range idx.strandedNumbers(svc.Now()) {
		res, err := svc.VoidStrandedNumber(ctx, req, billing.Meta{Actor: actor, CommandID: billing.VoidCommandID(req.InvoiceID), CorrelationID: corr})
		if err != nil {
			errs = append(errs, GroupError{InvoiceID: req.InvoiceID, ItemKeys: req.ItemKeys, Number: idx.reservedNumberOf(req.InvoiceID), Err: err})
			continue
		}
		if res.Appended > 0 {
			voided++
		}
	}
	return voided, errs
}

func (x *Index) reservedNumberOf(id uuid.UUID) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.reserved[id].number
}
