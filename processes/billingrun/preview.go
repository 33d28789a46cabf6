package billingrun

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/projections"
)

// Preview is what a billing run as of a date would do, decided by the run's
// own code and appended nowhere (Options.DryRun): the run forms its groups,
// plans them and billing.Service.IssueBatch decides every invoice exactly as
// the real run does, and then, instead of marking items, reserving numbers
// and appending, reports the decision. So the real run for the same date, on
// the same log, issues exactly these invoices.
//
// Invoice numbers are not reserved by a dry run: numbers are given when
// issued, so a planned invoice has none (its Invoice.Number is "").
type Preview struct {
	AsOf domain.Date
	// Invoices are the invoices the run would issue, in the order it would
	// number them (issue date, then billing group).
	Invoices []PlannedInvoice
	// Collections are the payments collection would then take on the
	// run's date: the planned invoices whose collection date has come, and
	// the issued invoices whose collection or retry falls due by then
	// (Collect charges them; `remit bill` only with --collect).
	Collections []PlannedCollection
}

// PlannedInvoice is one invoice a dry run would issue.
type PlannedInvoice struct {
	// Invoice is the invoice as it would be issued (lines, totals, due
	// date, payment method and, when its collection is scheduled with its
	// issue, Collection), with no number.
	Invoice invoice.State
	// ClientName and PaymentMethod (a label such as "visa ending 4242"; ""
	// when the invoice has no method) are for reading.
	ClientName, PaymentMethod string
	// ItemKeys are the schedule items it bills.
	ItemKeys []string
	// Interrupted: it completes an invoice an earlier run began.
	Interrupted bool
}

// PlannedCollection is one payment collection would take on the run's date.
type PlannedCollection struct {
	InvoiceID, ClientID uuid.UUID
	ClientName          string
	// Number is the invoice's number; "" for an invoice the run would
	// issue (Issued false).
	Number string
	Issued bool
	// Date is the collection (or retry) date; Retry when it is a retry of
	// a rejected payment.
	Date  domain.Date
	Retry bool
	// Amount is the balance that would be charged.
	Amount          domain.Money
	PaymentMethodID uuid.UUID
	PaymentMethod   string
}

// preview reports IssueBatch's dry-run decision on the run's groups, and
// the collections due on asOf.
func preview(ctx context.Context, snap *snapshot, asOf domain.Date, ordered []*group, results []billing.BatchResult, rep *Report) (*Preview, error) {
	p := &Preview{AsOf: asOf, Invoices: []PlannedInvoice{}, Collections: []PlannedCollection{}}
	for i, res := range results {
		g := ordered[i]
		switch {
		case res.Err != nil:
			rep.Errors = append(rep.Errors, GroupError{ClientID: g.clientID, Date: g.date, ItemKeys: g.items, Err: res.Err})
		case !res.Planned:
			rep.AlreadyIssued++
		default:
			cl := snap.clients[g.clientID]
			p.Invoices = append(p.Invoices, PlannedInvoice{Invoice: res.Invoice, ClientName: cl.Name, PaymentMethod: methodName(cl, res.Invoice.PaymentMethodID),
				ItemKeys: slices.Sorted(slices.Values(g.items)), Interrupted: g.invoiceID != uuid.Nil})
			if c := res.Invoice.Collection; res.Invoice.Status == invoice.StatusPaymentScheduled && !c.Date.After(asOf) {
				p.Collections = append(p.Collections, collectionOf(cl, res.Invoice, c.Date, false))
			}
		}
	}
	rep.Groups = len(p.Invoices)
	issued, err := issuedDue(ctx, snap, asOf)
	if err != nil {
		return nil, err
	}
	p.Collections = append(p.Collections, issued...)
	slices.SortFunc(rep.Errors, func(a, b GroupError) int { return strings.Compare(a.Error(), b.Error()) })
	return p, nil
}

// issuedDue are the issued invoices collection would charge on asOf: those
// whose collection or retry date has come, and those a run issued without a
// collection, which the run would schedule on the firm's collection date.
func issuedDue(ctx context.Context, snap *snapshot, asOf domain.Date) ([]PlannedCollection, error) {
	models := snap.idx.models
	due, err := models.CollectionsDue(ctx, asOf)
	if err != nil {
		return nil, fmt.Errorf("billing run preview: %w", err)
	}
	type at struct {
		st    invoice.State
		date  domain.Date
		retry bool
	}
	var all []at
	for _, st := range due {
		all = append(all, at{st, st.Collection.Date, st.Collection.Retry})
	}
	// A page at a time, keeping only what is due by asOf.
	err = projections.EachPage(ctx, models.RunInvoicesToCollectPage, func(unscheduled []invoice.State) error {
		for _, st := range unscheduled {
			if d := snap.firm.CollectionDate(st.IssueDate, st.Recurring); projections.NeedsCollection(st) && !d.After(asOf) {
				all = append(all, at{st, d, false})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("billing run preview: %w", err)
	}
	ids := make([]uuid.UUID, len(all))
	for i, a := range all {
		ids[i] = a.st.ClientID
	}
	if err := snap.addClients(ctx, ids); err != nil {
		return nil, err
	}
	out := make([]PlannedCollection, 0, len(all))
	for _, a := range all {
		out = append(out, collectionOf(snap.clients[a.st.ClientID], a.st, a.date, a.retry))
	}
	return out, nil
}

func collectionOf(cl client.State, st invoice.State, date domain.Date, retry bool) PlannedCollection {
	method := st.PaymentMethodID
	if st.Collection.PaymentMethodID != uuid.Nil {
		method = st.Collection.PaymentMethodID
	}
	return PlannedCollection{InvoiceID: st.ID, ClientID: st.ClientID, ClientName: cl.Name, Number: st.Number, Issued: st.Issued() && st.Number != "",
		Date: date, Retry: retry, Amount: st.Balance(), PaymentMethodID: method, PaymentMethod: methodName(cl, method)}
}

// methodName labels a client's method ("" for none).
func methodName(cl client.State, id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	if m, ok := cl.PaymentMethod(id); ok {
		return methodLabel(m.PaymentMethodDetails)
	}
	return id.String()
}
