// Package dunning is the daily dunning job: as of a date, it takes the
// steps of the firm's dunning policy (firm.DunningPolicy) on every invoice
// that still expects money.
//
//   - Reminders of an invoice not collected automatically (awaiting
//     payment or partly paid, no collection scheduled and none to
//     schedule): the latest step of the policy (days before the due date,
//     on it, days after it) whose date has come and was not sent is
//     recorded as InvoiceReminderSent to the client's primary billing
//     contact. Only the latest step due is sent: when a run finds earlier
//     steps unsent (the reminders were paused, the policy changed, the job
//     did not run), they are skipped, not sent late, and the reminder lists
//     those that came due since the last one with why (job_not_run,
//     paused), so the invoice's activity tells them.
//   - Retries run out: an invoice whose last collection attempt was
//     rejected and for which the policy has no retry left gets the final
//     action (its client's automatic services switched to manual, when the
//     policy says so) and is then recorded as InvoiceDunningExhausted with
//     the date the retries ran out, the final action, the write-off date
//     counted from it (when the policy writes off) and the final notice's
//     address (when the policy emails one). The job acts on "ran out and
//     not recorded", whatever day it runs: one that did not run that day
//     acts on its next run.
//   - Write-off: an invoice whose write-off date has come is written off
//     (InvoiceWrittenOff), in the same run that records the exhaustion
//     when the job reaches it late.
//   - Daily digest: when the policy asks for one (daily_digest) and, after
//     the steps above, anything is failed or overdue
//     (projections.Models.Collections), the staff's digest of the date is
//     recorded as FirmDunningDigestSent (command id dunning/digest/<date>),
//     which the emailer emails to each staff address.
//
// An invoice whose reminders staff paused takes no step until resumed. A
// paid, written-off or void invoice is not in the read model the job reads
// (projections.Models.OpenInvoicesPage, a page of 500 open invoices and their
// clients at a time, so the job's memory does not grow with the firm), and
// its decider refuses every step anyway: a client who pays stops the
// sequence at once.
//
// Every command has an id derived from what it does (the invoice and the
// step, the last rejected attempt, the service), so a re-run the same day,
// a run for a later day, or the job on two nodes records each step once. The
// emailer (processes/emailer) emails what the events name: the reminder
// and the final notice; it also emails the staff each rejected payment when
// the policy says so.
//
// remit serve runs it after each day's billing run and collection (the
// scheduler's Jobs); `remit dunning run --as-of DATE` runs it once.
package dunning

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/projections"
)

// Config is what a run needs.
type Config struct {
	Billing *billing.Service
	Models  *projections.Models
	// UpToDate, when set, brings the read models up to the log's head
	// before the run reads them.
	UpToDate func(context.Context) error
	// Actor names the job in the events' metadata ("system:dunning" when
	// empty).
	Actor  string
	Logger *slog.Logger
	// PageSize is how many open invoices the job reads at once (500 when
	// 0): its memory is bounded by a page, not by the firm's open invoices.
	PageSize int
}

// Report is what a run did.
type Report struct {
	Open       int // invoices that expect money
	Reminded   int // reminders recorded now
	Exhausted  int // invoices whose retries ran out, recorded now
	Switched   int // services switched to manual now
	WrittenOff int // invoices written off now
	Paused     int // invoices skipped: reminders paused
	Already    int // steps recorded before (a re-run)
	Digest     int // 1 when the staff's daily digest was recorded now
	Errors     []error
}

// Run takes the steps of the firm's dunning policy due by today (the
// firm's date the job runs for). A failure on one invoice is reported in
// Report.Errors and does not stop the others; the error returned is for the
// run as a whole.
func Run(ctx context.Context, cfg Config, today domain.Date) (Report, error) {
	var rep Report
	if cfg.UpToDate != nil {
		if err := cfg.UpToDate(ctx); err != nil {
			return rep, fmt.Errorf("dunning: read models: %w", err)
		}
	}
	if cfg.Actor == "" {
		cfg.Actor = "system:dunning"
	}
	f, err := cfg.Billing.Firm(ctx)
	if err != nil {
		return rep, fmt.Errorf("dunning: %w", err)
	}
	if !f.SetUp {
		return rep, nil
	}
	j := job{cfg: cfg, f: f, policy: f.Dunning(), loc: cfg.Billing.Location(f), today: today, rep: &rep,
		meta: billing.Meta{Actor: cfg.Actor, CorrelationID: "dunning/" + today.String()}}
	// A page at a time, with the clients of that page: the job's memory does
	// not grow with the firm's open invoices.
	pageSize := cfg.PageSize
	if pageSize <= 0 {
		pageSize = 500
	}
	var after projections.OpenCursor
	for {
		open, next, err := cfg.Models.OpenInvoicesPage(ctx, after, pageSize)
		if err != nil {
			return rep, fmt.Errorf("dunning: %w", err)
		}
		rep.Open += len(open)
		ids := make([]uuid.UUID, len(open))
		for i, oi := range open {
			ids[i] = oi.State.ClientID
		}
		if j.clients, err = cfg.Models.ClientsByID(ctx, ids); err != nil {
			return rep, fmt.Errorf("dunning: %w", err)
		}
		for _, oi := range open {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			j.chase(ctx, oi)
		}
		if len(open) < pageSize {
			break
		}
		after = next
	}
	if j.policy.DailyDigest {
		j.digest(ctx)
	}
	if cfg.Logger != nil && rep.Reminded+rep.Exhausted+rep.Switched+rep.WrittenOff+rep.Digest+len(rep.Errors) > 0 {
		cfg.Logger.Info("dunning job", "as_of", today, "open", rep.Open, "reminded", rep.Reminded, "exhausted", rep.Exhausted,
			"switched", rep.Switched, "written_off", rep.WrittenOff, "digest", rep.Digest, "already", rep.Already, "errors", len(rep.Errors))
	}
	return rep, nil
}

// job is one run's context.
type job struct {
	cfg     Config
	f       firm.State
	policy  firm.DunningPolicy
	loc     *time.Location
	today   domain.Date
	rep     *Report
	clients map[uuid.UUID]client.State
	meta    billing.Meta
}

// chase takes the steps due on one invoice.
func (j *job) chase(ctx context.Context, oi projections.RejectedInvoice) {
	st := oi.State
	if st.RemindersPaused {
		j.rep.Paused++
		return
	}
	switch {
	case st.DunningExhausted:
		j.writeOff(ctx, st)
	case len(oi.Rejections) > 0 && st.Status == invoice.StatusPaymentRejected && !st.CollectionCancelled:
		j.exhaust(ctx, oi)
	case collectedByHand(st):
		j.remind(ctx, st)
	}
}

// collectedByHand reports whether nothing collects the invoice
// automatically: it awaits payment (or the rest of it) with no collection
// scheduled, and none to schedule.
func collectedByHand(st invoice.State) bool {
	switch st.Status {
	case invoice.StatusAwaitingPayment, invoice.StatusPartlyPaid:
	default:
		return false
	}
	return st.Collection.Date.IsZero() && !projections.NeedsCollection(st)
}

// remind sends the latest reminder step due, unless it was sent. The
// earlier steps that came due since the last reminder and were not sent
// (the job did not run on their dates, or the reminders were paused then)
// are not sent late: the reminder records them as skipped, with why.
func (j *job) remind(ctx context.Context, st invoice.State) {
	var due firm.ReminderStep
	var missed []firm.ReminderStep
	for _, s := range j.policy.ReminderSteps(st.DueDate) {
		if !s.On.After(j.today) && !s.On.Before(st.IssueDate) {
			if due.Name != "" && !st.RemindersSent[due.Name] && due.On.After(st.LastReminderOn) {
				missed = append(missed, due)
			}
			due = s
		}
	}
	if due.Name == "" || st.RemindersSent[due.Name] {
		return
	}
	to := j.clientEmail(st.ClientID)
	if to == "" {
		j.fail(st, "reminder "+due.Name, fmt.Errorf("the client has no primary billing contact with an email address"))
		return
	}
	r := billing.DunningReminder{InvoiceID: st.ID, Step: due.Name, To: to, Date: j.today}
	resumed := domain.Date{}
	if !st.RemindersResumedAt.IsZero() {
		resumed = domain.DateOf(st.RemindersResumedAt, j.loc)
	}
	for _, m := range missed {
		why := invoice.SkippedJobNotRun
		if !resumed.IsZero() && !m.On.After(resumed) {
			why = invoice.SkippedPaused
		}
		r.Skipped = append(r.Skipped, invoice.SkippedReminder{Step: m.Name, Due: m.On, Why: why})
	}
	res, err := j.cfg.Billing.SendDunningReminder(ctx, r, j.meta)
	j.count(&j.rep.Reminded, res, err, st, "reminder "+due.Name)
}

// exhaust takes the final action and records that the retries ran out,
// when the policy has no retry left after the last rejection, whenever the
// job runs after that day (not only on it: a job that did not run that day
// acts on its next run). The final action comes first, so the exhaustion
// recorded means the action was taken: a crash in between leaves the
// invoice unrecorded, and the next run takes the action again, each switch
// under its command id (a service switched already, or switched back by
// staff since, is not switched twice). The retries ran out on the day of
// the last rejected attempt: that is the date recorded, and the write-off
// date counts from it, so an invoice the job reaches late is written off
// on time (at once when that date has passed).
func (j *job) exhaust(ctx context.Context, oi projections.RejectedInvoice) {
	st := oi.State
	first, last := oi.Rejections[0].Event.AttemptDate(j.loc), oi.Rejections[len(oi.Rejections)-1].Event.AttemptDate(j.loc)
	if _, more := j.f.NextRetryDate(first, last); more || j.today.Before(last) {
		return
	}
	if !j.finalAction(ctx, st) {
		return // recorded once every switch is done: the next run tries again
	}
	x := billing.DunningExhaustion{
		InvoiceID: st.ID, LastAttempt: st.LastRejection.AttemptID, Date: last, FinalAction: j.policy.FinalAction,
	}
	if j.policy.WriteOffAfterDays > 0 {
		x.WriteOffOn = last.AddDays(j.policy.WriteOffAfterDays)
	}
	if j.policy.EmailClientFinalNotice {
		x.NotifyClient = j.clientEmail(st.ClientID)
	}
	res, err := j.cfg.Billing.ExhaustDunning(ctx, x, j.meta)
	j.count(&j.rep.Exhausted, res, err, st, "retries ran out")
	if err != nil {
		return
	}
	st.DunningExhausted, st.DunningExhaustedOn, st.WriteOffOn = true, x.Date, x.WriteOffOn
	j.writeOff(ctx, st)
}

// finalAction switches the client's automatic services to manual when the
// policy says so, before the exhaustion is recorded (a service added or
// switched back by staff after that is left as it is). It reports whether
// every switch is done.
func (j *job) finalAction(ctx context.Context, st invoice.State) bool {
	if j.policy.FinalAction != firm.FinalSwitchToManual {
		return true
	}
	ids, _, err := j.cfg.Models.ClientServiceIDs(ctx, st.ClientID)
	if err != nil {
		j.fail(st, "switch services to manual", err)
		return false
	}
	services, err := j.cfg.Models.ServicesByID(ctx, ids)
	if err != nil {
		j.fail(st, "switch services to manual", err)
		return false
	}
	done := true
	for _, id := range ids {
		sv, ok := services[id]
		if !ok || !switchable(sv.State) {
			continue
		}
		meta := j.meta
		meta.CommandID = "dunning/manual/" + st.ID.String() + "/" + st.LastRejection.AttemptID.String() + "/" + id.String()
		res, err := j.cfg.Billing.SwitchServiceToManual(ctx, billing.ServiceRef{ServiceID: id}, meta)
		j.count(&j.rep.Switched, res, err, st, "switch service "+id.String()+" to manual")
		done = done && err == nil
	}
	return done
}

// switchable reports whether a service still bills automatically.
func switchable(s service.State) bool {
	return s.Activated() && !s.Ended && s.Terms.Mode != service.Manual
}

// writeOff writes the invoice off once its write-off date has come.
func (j *job) writeOff(ctx context.Context, st invoice.State) {
	if st.WriteOffOn.IsZero() || j.today.Before(st.WriteOffOn) {
		return
	}
	meta := j.meta
	meta.CommandID = "dunning/write-off/" + st.ID.String() + "/" + st.WriteOffOn.String()
	reason := fmt.Sprintf("Written off by the payment-chasing policy, %d days after the automatic retries ran out on %s", st.DunningExhaustedOn.DaysUntil(st.WriteOffOn), domain.FormatDate(st.DunningExhaustedOn))
	res, err := j.cfg.Billing.WriteOffInvoice(ctx, billing.InvoiceRequest{InvoiceID: st.ID, Reason: reason}, meta)
	j.count(&j.rep.WrittenOff, res, err, st, "write off")
}

// digest records the staff's digest of the day when anything is failed or
// overdue, read from the collections read model once the steps above are
// in it.
func (j *job) digest(ctx context.Context) {
	fail := func(err error) { j.rep.Errors = append(j.rep.Errors, fmt.Errorf("daily digest: %w", err)) }
	if j.cfg.UpToDate != nil {
		if err := j.cfg.UpToDate(ctx); err != nil {
			fail(err)
			return
		}
	}
	one := projections.Paging{Limit: 1}
	c, err := j.cfg.Models.Collections(ctx, projections.CollectionsQuery{Today: j.today, Upcoming: one, Failed: one, Overdue: one})
	if err != nil {
		fail(err)
		return
	}
	if c.Failed.Total+c.Overdue.Total == 0 {
		return
	}
	d := billing.DunningDigest{Date: j.today, Failed: c.Failed.Total, Overdue: c.Overdue.Total, Totals: []firm.DigestTotal{}}
	for _, t := range c.Totals {
		if t.Failed.Count+t.Overdue.Count > 0 {
			d.Totals = append(d.Totals, firm.DigestTotal{Failed: t.Failed.Amount, Overdue: t.Overdue.Amount})
		}
	}
	res, err := j.cfg.Billing.SendDunningDigest(ctx, d, j.meta)
	switch {
	case err != nil:
		fail(err)
	case res.Appended == 0 || res.AlreadyApplied:
		j.rep.Already++
	default:
		j.rep.Digest++
	}
}

// clientEmail is the client's primary billing contact's address, or "".
func (j *job) clientEmail(id uuid.UUID) string {
	if c, ok := j.clients[id].PrimaryContact(); ok {
		return c.Email
	}
	return ""
}

func (j *job) fail(st invoice.State, what string, err error) {
	j.rep.Errors = append(j.rep.Errors, fmt.Errorf("invoice %s: %s: %w", st.Number, what, err))
}

// count tallies one command's outcome.
func (j *job) count(n *int, res billing.Result, err error, st invoice.State, what string) {
	switch {
	case err != nil:
		j.fail(st, what, err)
	case res.Appended == 0 || res.AlreadyApplied:
		j.rep.Already++
	default:
		*n++
	}
}
