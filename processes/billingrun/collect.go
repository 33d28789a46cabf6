package billingrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/projections"
)

// collectPrefix starts the command id of everything Collect does.
const collectPrefix = "collect/"

// CollectOptions tune Collect.
type CollectOptions struct {
	// Workers is how many invoices are collected at once (default 4).
	Workers int
	// Index is what collection reads (the read models); nil: read models
	// built from store in a temporary database for this run (OpenIndex).
	Index *Index
	// Actor is recorded on every event (default DefaultActor).
	Actor string
	// Progress, when set, is told how far the collection is.
	Progress func(Progress)
	// Logger hears about invoices that cannot be collected with this
	// gateway (ErrOtherGateway); nil discards. They are in
	// CollectReport.Errors as well.
	Logger *slog.Logger
}

// CollectReport says what Collect did.
type CollectReport struct {
	AsOf domain.Date
	// Due is the number of invoices with a collection or retry due.
	Due int
	// Succeeded, Rejected and Pending count the gateway's answers (pending:
	// a bank debit not settled yet, asked again on the next run).
	Succeeded, Rejected, Pending int
	// RetriesScheduled counts retries scheduled by the firm's policy;
	// GaveUp the invoices left in "payment rejected" for staff, retries used up.
	RetriesScheduled, GaveUp int
	// Errors are the invoices that failed; the run went on.
	Errors []InvoiceError
}

// InvoiceError is an invoice Collect could not collect or schedule.
type InvoiceError struct {
	InvoiceID uuid.UUID
	Number    string
	Err       error
}

func (e InvoiceError) Error() string {
	return fmt.Sprintf("collect invoice %s (%s): %v", e.Number, e.InvoiceID, e.Err)
}

// ErrOtherGateway is the error (see errors.Is) of an invoice whose payment
// method is on file with another gateway than the one running: its token
// means nothing to this gateway (a sandbox pm_card_visa sent to Stripe, a
// Stripe pm_… to the sandbox), so Collect does not ask the gateway at all,
// records nothing and leaves the collection scheduled: it is collected once
// the right gateway runs, or staff change the invoice's payment method.
var ErrOtherGateway = errors.New("payment method on file with another gateway")

// GatewayMismatchError is an ErrOtherGateway about one method.
type GatewayMismatchError struct {
	// PaymentMethodID is the method on file; Label says which it is
	// ("visa ending 4242").
	PaymentMethodID uuid.UUID
	Label           string
	// MethodGateway is the gateway the method is on file with; Gateway the
	// one running.
	MethodGateway, Gateway string
}

func (e *GatewayMismatchError) Error() string {
	return fmt.Sprintf("payment method %s (%s) is on file with %s, but the gateway is %s: change the invoice's payment method, or collect it with %s",
		e.Label, e.PaymentMethodID, e.MethodGateway, e.Gateway, e.MethodGateway)
}

// Is makes errors.Is(err, ErrOtherGateway) hold.
func (e *GatewayMismatchError) Is(target error) bool { return target == ErrOtherGateway }

// methodLabel names a method the way staff recognise it.
func methodLabel(m client.PaymentMethodDetails) string {
	switch {
	case m.Kind == client.MethodCard && m.Last4 != "":
		return fmt.Sprintf("%s ending %s", m.Brand, m.Last4)
	case m.MaskedAccount != "":
		return "account " + m.MaskedAccount
	}
	return string(m.Kind)
}

// AttemptID is the id of the n-th (from 1) collection attempt on an invoice.
// It is the gateway's idempotency key, so an attempt asked again (after a
// crash, or to poll a pending bank debit) never charges twice.
func AttemptID(invoiceID uuid.UUID, n int) uuid.UUID {
	return uuid.NewSHA1(billing.EventNamespace, fmt.Appendf(nil, "collection-attempt/%s/%d", invoiceID, n))
}

// Collect makes one collection attempt on every invoice whose collection or
// retry date is on or before asOf and that still has a balance: it charges
// the balance through gw with the attempt's id as idempotency key and records
// the outcome (RecordCollectionAttempt). A pending bank debit records
// nothing: the next run asks the gateway again with the same key. Then, for
// every invoice whose last attempt was rejected, it schedules the next retry
// of the firm's policy (dates counted from the first rejection since
// collection was scheduled); when the retries are used up the invoice stays
// "payment rejected" for staff. A retry staff cancelled is not scheduled
// again by the policy, and a retry staff or the client scheduled replaces
// the pending one (one collection per invoice at a time, so one charge).
//
// An invoice whose payment method is on file with another gateway than gw
// (by gw.Name()) is not charged: it is reported in CollectReport.Errors as
// ErrOtherGateway, logged, and left scheduled.
//
// Every step is idempotent (deterministic attempt and command ids), so a
// crash anywhere is repaired by running Collect again.
func Collect(ctx context.Context, store eventstore.Store, svc *billing.Service, gw payments.Gateway, asOf domain.Date, opts CollectOptions) (CollectReport, error) {
	rep := CollectReport{AsOf: asOf}
	idx := opts.Index
	if idx == nil {
		var err error
		if idx, err = OpenIndex(ctx, store); err != nil {
			return rep, err
		}
		defer idx.Close()
	}
	if opts.Actor == "" {
		opts.Actor = DefaultActor
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := idx.Update(ctx); err != nil {
		return rep, err
	}
	due, err := idx.models.CollectionsDue(ctx, asOf)
	if err != nil {
		return rep, fmt.Errorf("collection: %w", err)
	}
	rep.Due = len(due)
	clientIDs := make([]uuid.UUID, len(due))
	for i, st := range due {
		clientIDs[i] = st.ClientID
	}
	clients, err := idx.models.ClientsByID(ctx, clientIDs)
	if err != nil {
		return rep, fmt.Errorf("collection: %w", err)
	}

	f := idx.Firm()
	var mu sync.Mutex
	fail := func(st invoice.State, err error) {
		mu.Lock()
		defer mu.Unlock()
		rep.Errors = append(rep.Errors, InvoiceError{InvoiceID: st.ID, Number: st.Number, Err: err})
	}
	done := 0
	err = inParallel(ctx, opts.Workers, len(due), func(i int) {
		st := due[i]
		status, err := attempt(ctx, clients[st.ClientID], f, svc, gw, st, asOf, opts.Actor)
		mu.Lock()
		switch status {
		case payments.StatusSucceeded:
			rep.Succeeded++
		case payments.StatusRejected:
			rep.Rejected++
		case payments.StatusPending:
			rep.Pending++
		}
		done++
		p := Progress{Done: done, Total: len(due)}
		mu.Unlock()
		if err != nil {
			fail(st, err)
			if mm := (*GatewayMismatchError)(nil); errors.As(err, &mm) {
				log.Warn("collection: the invoice's payment method is on file with another gateway; left scheduled",
					"invoice", st.Number, "invoice_id", st.ID, "payment_method_id", mm.PaymentMethodID,
					"method_gateway", mm.MethodGateway, "gateway", mm.Gateway)
			}
		}
		if opts.Progress != nil {
			opts.Progress(p)
		}
	})
	if err != nil {
		return rep, err
	}

	// Retries, also those an interrupted run recorded a rejection for and
	// did not schedule.
	if err := idx.Update(ctx); err != nil {
		return rep, err
	}
	f = idx.Firm()
	loc := location(f)
	// A retry staff cancelled gets no policy retry either (the read models
	// list only rejected invoices with a balance and no cancellation).
	// A page at a time (projections.PageSize): the run's memory does not
	// grow with the rejected invoices.
	err = projections.EachPage(ctx, idx.models.RejectedInvoicesPage, func(rejected []projections.RejectedInvoice) error {
		for _, ri := range rejected {
			st, rejections := ri.State, rejectionsOf(ri.Rejections)
			first, last := rejections[0].date(loc), rejections[len(rejections)-1].date(loc)
			next, ok := f.NextRetryDate(first, last)
			if !ok {
				if last == asOf {
					rep.GaveUp++ // counted on the day of the last rejection only
				}
				continue
			}
			_, err := svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: st.ID, Date: next}, billing.Meta{
				Actor: opts.Actor, CommandID: collectPrefix + "retry/" + st.LastRejection.AttemptID.String(), CorrelationID: collectPrefix + asOf.String(), Batch: collectPrefix + asOf.String(),
			})
			if err != nil {
				fail(st, fmt.Errorf("schedule retry on %s: %w", next, err))
				continue
			}
			rep.RetriesScheduled++
		}
		return ctx.Err()
	})
	if err != nil {
		return rep, fmt.Errorf("collection: %w", err)
	}
	slices.SortFunc(rep.Errors, func(a, b InvoiceError) int { return strings.Compare(a.Number, b.Number) })
	return rep, nil
}

// attempt makes the next collection attempt on one invoice and records it.
func attempt(ctx context.Context, cl client.State, f firm.State, svc *billing.Service, gw payments.Gateway, st invoice.State, asOf domain.Date, actor string) (payments.Status, error) {
	n := len(st.Attempts) + 1
	id := AttemptID(st.ID, n)
	methodID := st.Collection.PaymentMethodID
	var res payments.ChargeResult
	var sur *invoice.Surcharge
	m, ok := cl.PaymentMethod(methodID)
	switch {
	case !ok:
		res = payments.ChargeResult{Status: payments.StatusRejected, DeclineCode: "payment_method_removed", Message: "The payment method to collect from is no longer on file."}
	case m.Status != client.MethodActive:
		res = payments.ChargeResult{Status: payments.StatusRejected, DeclineCode: "payment_method_" + string(m.Status), Message: fmt.Sprintf("The payment method on file is %s.", m.Status)}
	case !strings.EqualFold(m.Gateway, gw.Name()):
		// Not the client's doing, so not a rejection: nothing is recorded
		// and the collection stays scheduled.
		return "", &GatewayMismatchError{PaymentMethodID: methodID, Label: methodLabel(m.PaymentMethodDetails), MethodGateway: m.Gateway, Gateway: gw.Name()}
	default:
		// The surcharge (when the firm sets one for this kind of method)
		// is charged with the balance and recorded with its payment.
		sur = SurchargeFor(f, m.Kind == client.MethodCard)
		amount := st.Balance()
		if sur != nil {
			amount = st.SurchargedAmount(id, *sur)
		}
		md := map[string]string{"invoice_id": st.ID.String(), "attempt_id": id.String(), "invoice_number": st.Number}
		SurchargeMetadata(sur, md)
		var err error
		res, err = gw.Charge(ctx, payments.ChargeRequest{
			IdempotencyKey: id.String(), Customer: m.GatewayCustomer, PaymentMethod: m.GatewayToken, Amount: amount,
			Description: "Invoice " + st.Number, Metadata: md,
		})
		if err != nil {
			return "", fmt.Errorf("charge: %w", err)
		}
	}
	if res.Status == payments.StatusPending {
		return res.Status, nil
	}
	_, err := RecordSurchargedAttempt(ctx, svc, st.ID, id, methodID, asOf, res, sur, billing.Meta{
		Actor: actor, CommandID: collectPrefix + id.String(), CorrelationID: collectPrefix + asOf.String(), Batch: collectPrefix + asOf.String(),
	})
	return res.Status, err
}

// RecordAttempt records a gateway's final answer (succeeded or rejected)
// about a collection attempt on an invoice, dated date (Collect's as-of
// date; zero: the firm's today); a pending answer records nothing. Collect
// uses it, and so can a webhook handler for asynchronous results: recording
// the same attempt twice appends nothing.
func RecordAttempt(ctx context.Context, svc *billing.Service, invoiceID, attemptID, methodID uuid.UUID, date domain.Date, res payments.ChargeResult, meta billing.Meta) (billing.Result, error) {
	return RecordSurchargedAttempt(ctx, svc, invoiceID, attemptID, methodID, date, res, nil, meta)
}
