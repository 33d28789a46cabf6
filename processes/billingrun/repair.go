package billingrun

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/numbering"
)

// strandedNumbers returns the numbers reserved at least numbering.VoidAfter
// before now for invoices that were never issued and that no billing run will
// complete, oldest first: an instant bill or "Bill now" whose request died
// between reserving and issuing (nothing in the log says what its lines or
// issue date were, so no one can issue it but the same request retried, and
// VoidAfter leaves it that long), or an invoice abandoned by a repair that
// died before voiding its number. A billing run's own interrupted invoices
// are not stranded: the run completes them with their numbers. pend is what
// the read models' "unissued" table holds (see pending).
func strandedNumbers(pend []unissued, now time.Time) []billing.VoidNumberRequest {
	var stranded []unissued
	for _, u := range pend {
		if u.Reserved == nil {
			continue
		}
		abandoned := u.Abandoned != nil
		if u.byRun() && !abandoned {
			continue // a run's: the next run completes it
		}
		if now.Before(u.Reserved.At.Add(numbering.VoidAfter)) && !abandoned {
			continue // its request may still be issuing it
		}
		stranded = append(stranded, u)
	}
	slices.SortFunc(stranded, func(a, b unissued) int { return int(a.Reserved.Sequence - b.Reserved.Sequence) })
	out := make([]billing.VoidNumberRequest, len(stranded))
	for i, u := range stranded {
		rsv := u.Reserved
		cmd := u.ReservedBy
		if len(cmd) > 100 {
			cmd = cmd[:100] + "…"
		}
		out[i] = billing.VoidNumberRequest{InvoiceID: u.InvoiceID, Reason: fmt.Sprintf(
			"the request that reserved %s for invoice %s at %s (command %q) stopped before issuing the invoice, and nothing in the log can complete it",
			rsv.Number, u.InvoiceID, rsv.At.UTC().Format(time.RFC3339), cmd)}
		if u.Abandoned != nil {
			out[i].Reason = u.Abandoned.Reason
		}
		if len(u.Items) > 0 {
			out[i].ItemKeys = slices.Sorted(maps.Keys(u.Items))
		}
	}
	return out
}

// voidStrandedNumbers voids every stranded number (strandedNumbers), so the
// numbering has no unexplained hole, and releases the items marked on their
// invoices so the run bills them again. Each void is exactly once however
// many runs attempt it (billing.VoidStrandedNumber); a failure is reported
// and the run goes on. It returns how many numbers it voided.
func voidStrandedNumbers(ctx context.Context, pend []unissued, svc *billing.Service, actor, corr string) (int, []GroupError) {
	numbers := map[uuid.UUID]string{}
	for _, u := range pend {
		if u.Reserved != nil {
			numbers[u.InvoiceID] = u.Reserved.Number
		}
	}
	voided := 0
	var errs []GroupError
	for _, req := range strandedNumbers(pend, svc.Now()) {
		res, err := svc.VoidStrandedNumber(ctx, req, billing.Meta{Actor: actor, CommandID: billing.VoidCommandID(req.InvoiceID), CorrelationID: corr})
		if err != nil {
			errs = append(errs, GroupError{InvoiceID: req.InvoiceID, ItemKeys: req.ItemKeys, Number: numbers[req.InvoiceID], Err: err})
			continue
		}
		if res.Appended > 0 {
			voided++
		}
	}
	return voided, errs
}
