// Package reminders is the daily proposals job: for each sent proposal not
// yet answered it sends the next reminder that is due by the firm's
// proposal settings (firm.ProposalSettings: days after sending) and expires
// the proposal once its expiry date has come (its own, else the firm's
// default after sending). Reminders stop when a proposal is accepted (all
// signed), declined, withdrawn or expired: the read model then has nothing
// due for it, and the proposal's decider refuses a reminder anyway.
//
// It reads only what is due from the "sent_proposals" read model
// (projections.Models.ProposalsDue), never the log, and appends through the
// billing service: RemindProposalOn and ExpireProposalOn, each under a
// command id derived from the proposal and the reminder's number or the
// expiry date (billing.ReminderCommandID, billing.ExpiryCommandID), so a
// re-run the same day, a run for a later day that finds the same reminder
// still due, or the job on two nodes records each reminder and expiry once.
// The emailer (processes/emailer) emails each ProposalReminderSent to the
// signatories it names.
//
// remit serve runs it after the daily billing run (the billing run
// scheduler's Daily hook); `remit proposals remind --as-of DATE` runs it
// once.
package reminders

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/projections"
)

// Config is what a run needs.
type Config struct {
	Billing *billing.Service
	Models  *projections.Models
	// UpToDate, when set, brings the read models up to the log's head
	// before the run reads them (a Runner's catch-up, or waiting for it).
	UpToDate func(context.Context) error
	// Actor names the job in the events' metadata ("system:reminders" when
	// empty).
	Actor  string
	Logger *slog.Logger
}

// Report is what a run did.
type Report struct {
	Due      int // proposals with something due
	Reminded int // reminders recorded now
	Expired  int // proposals expired now
	Already  int // reminders or expiries recorded before (a re-run)
	// (Two nodes running at once may both count a reminder as recorded
	// now: the second append of the same event ids is a no-op the store
	// accepts. The log holds it once, and it is emailed once.)
	Errors []error
}

// Run sends the reminders due by today and expires the proposals whose
// expiry date has come, today being the firm's date the job runs for. A
// failure on one proposal is reported in Report.Errors and does not stop
// the others; the error returned is for the run as a whole.
func Run(ctx context.Context, cfg Config, today domain.Date) (Report, error) {
	var rep Report
	if cfg.UpToDate != nil {
		if err := cfg.UpToDate(ctx); err != nil {
			return rep, fmt.Errorf("proposals job: read models: %w", err)
		}
	}
	actor := cfg.Actor
	if actor == "" {
		actor = "system:reminders"
	}
	due, err := cfg.Models.ProposalsDue(ctx, today)
	if err != nil {
		return rep, fmt.Errorf("proposals job: %w", err)
	}
	rep.Due = len(due)
	for _, p := range due {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		id := p.State.ID
		meta := billing.Meta{Actor: actor, CorrelationID: "proposals-job/" + today.String()}
		var res billing.Result
		switch {
		case !p.ExpiresOn.IsZero() && !today.Before(p.ExpiresOn):
			res, err = cfg.Billing.ExpireProposalOn(ctx, id, p.ExpiresOn, today, meta)
			count(&rep, &rep.Expired, res, err, id, "expire")
		case p.NextReminder > 0 && !today.Before(p.NextReminderOn):
			res, err = cfg.Billing.RemindProposalOn(ctx, id, p.NextReminder, today, meta)
			count(&rep, &rep.Reminded, res, err, id, fmt.Sprintf("reminder %d", p.NextReminder))
		}
	}
	if cfg.Logger != nil && (rep.Reminded+rep.Expired+len(rep.Errors) > 0) {
		cfg.Logger.Info("proposals job", "as_of", today, "due", rep.Due, "reminded", rep.Reminded, "expired", rep.Expired, "already", rep.Already, "errors", len(rep.Errors))
	}
	return rep, nil
}

// count tallies one command's outcome.
func count(rep *Report, n *int, res billing.Result, err error, id uuid.UUID, what string) {
	switch {
	case err != nil:
		rep.Errors = append(rep.Errors, fmt.Errorf("proposal %s: %s: %w", id, what, err))
	case res.Appended == 0 || res.AlreadyApplied:
		rep.Already++
	default:
		*n++
	}
}
