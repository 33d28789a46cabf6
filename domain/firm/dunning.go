package firm

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"remit/domain"
)

// # Dunning policy
//
// How the firm chases what it is owed (processes/dunning runs it daily):
// the retry schedule of a rejected payment (RetryAfterDays, the same
// setting FirmRetryPolicyChanged changes on its own), which emails the
// client gets, which notices the firm's staff get, what happens when the
// retries run out, and the reminders of invoices that are not collected
// automatically (before, on and after their due date).

// Limits of the dunning policy.
const (
	MaxDunningReminders = 5   // reminders before, and after, the due date
	MaxDunningStaff     = 5   // staff addresses
	MaxWriteOffDays     = 365 // write off 1 to 365 days after retries ran out
)

// FinalAction is what the dunning process does to a client's services
// when the automatic retries of one of its invoices have run out.
type FinalAction string

// Final actions.
const (
	// FinalLeave leaves the client's services as they are (the invoice stays
	// "payment rejected" for staff), as Remit did before dunning policies.
	FinalLeave FinalAction = "leave"
	// FinalSwitchToManual switches every active service of the client to
	// manual billing, so nothing more is invoiced and charged automatically
	// until staff switch it back.
	FinalSwitchToManual FinalAction = "switch_to_manual"
)

// DunningPolicy is the firm's policy for chasing unpaid invoices.
type DunningPolicy struct {
	// RetryAfterDays are the days after the first rejection a rejected
	// payment is retried on (State.RetryAfterDays; empty: never).
	RetryAfterDays []int `json:"retry_after_days"`
	// EmailClientOnRejection emails the client each rejected payment, with
	// the links to retry and to use another method (true: as before).
	EmailClientOnRejection bool `json:"email_client_on_rejection"`
	// EmailClientFinalNotice emails the client when the retries ran out,
	// with the same links.
	EmailClientFinalNotice bool `json:"email_client_final_notice"`
	// NotifyStaffOnFailure emails the staff each rejected payment.
	NotifyStaffOnFailure bool `json:"notify_staff_on_failure"`
	// StaffEmails are where staff notices go; empty: the
	// server's staff address (serve --staff-email), else the sending
	// address.
	StaffEmails []string `json:"staff_emails"`
	// FinalAction is what happens to the client's services when the
	// retries of an invoice ran out.
	FinalAction FinalAction `json:"final_action"`
	// WriteOffAfterDays writes the invoice off this many days after its
	// retries ran out (0: never).
	WriteOffAfterDays int `json:"write_off_after_days,omitempty"`
	// RemindBeforeDue, RemindOnDue and RemindAfterDue are the reminders of
	// an invoice not collected automatically: days before its due date
	// (descending is not required: any order, stored ascending), on it, and
	// days after it.
	RemindBeforeDue []int `json:"remind_before_due"`
	RemindOnDue     bool  `json:"remind_on_due"`
	RemindAfterDue  []int `json:"remind_after_due"`
	// DailyDigest emails the staff, once a day when anything is failed or
	// overdue, a digest of the failed payments and the overdue invoices
	// (FirmDunningDigestSent). Absent in older events: off.
	DailyDigest bool `json:"daily_digest"`
}

// DefaultDunningPolicy is the policy of a firm that never changed it: what
// Remit did before dunning policies (retry 3, 5 and 7 days after the first
// rejection, email the client each rejection, leave services as they are),
// so that upgrading starts no email and no action the firm did not choose.
func DefaultDunningPolicy() DunningPolicy {
	return DunningPolicy{
		RetryAfterDays: DefaultRetryAfterDays(), EmailClientOnRejection: true, EmailClientFinalNotice: false,
		StaffEmails: []string{}, FinalAction: FinalLeave, RemindBeforeDue: []int{}, RemindAfterDue: []int{},
	}
}

// FirmDunningPolicyChanged records the firm's new dunning policy, replaced
// whole (its retry schedule included).
type FirmDunningPolicyChanged struct {
	DunningPolicy
	At time.Time `json:"at"`
}

// EventType returns "FirmDunningPolicyChanged".
func (FirmDunningPolicyChanged) EventType() string { return "FirmDunningPolicyChanged" }

// ChangeDunningPolicy sets the firm's dunning policy (all of it).
type ChangeDunningPolicy struct {
	Policy DunningPolicy
	Now    time.Time
}

func (ChangeDunningPolicy) isFirmCommand() {}

// Dunning returns the firm's dunning policy: the defaults until it changes
// it, with the retry schedule the firm has now.
func (s State) Dunning() DunningPolicy {
	p := DefaultDunningPolicy()
	if s.DunningPolicy != nil {
		p = *s.DunningPolicy
	}
	p.RetryAfterDays = slices.Clone(s.RetryAfterDays)
	if p.RetryAfterDays == nil {
		p.RetryAfterDays = []int{}
	}
	return p
}

// ReminderStep is one reminder of an invoice not collected automatically.
type ReminderStep struct {
	// Name is the step as events record it: "before_due:3", "on_due",
	// "after_due:7".
	Name string
	// On is the date it is due.
	On domain.Date
}

// ReminderSteps returns the reminders of an invoice due on due, in date
// order.
func (p DunningPolicy) ReminderSteps(due domain.Date) []ReminderStep {
	var out []ReminderStep
	for _, d := range slices.Backward(p.RemindBeforeDue) {
		out = append(out, ReminderStep{Name: "before_due:" + strconv.Itoa(d), On: due.AddDays(-d)})
	}
	if p.RemindOnDue {
		out = append(out, ReminderStep{Name: "on_due", On: due})
	}
	for _, d := range p.RemindAfterDue {
		out = append(out, ReminderStep{Name: "after_due:" + strconv.Itoa(d), On: due.AddDays(d)})
	}
	return out
}

func (p DunningPolicy) equal(q DunningPolicy) bool {
	return slices.Equal(p.RetryAfterDays, q.RetryAfterDays) && p.EmailClientOnRejection == q.EmailClientOnRejection &&
		p.EmailClientFinalNotice == q.EmailClientFinalNotice && p.NotifyStaffOnFailure == q.NotifyStaffOnFailure &&
		slices.Equal(p.StaffEmails, q.StaffEmails) && p.FinalAction == q.FinalAction &&
		p.WriteOffAfterDays == q.WriteOffAfterDays && slices.Equal(p.RemindBeforeDue, q.RemindBeforeDue) &&
		p.RemindOnDue == q.RemindOnDue && slices.Equal(p.RemindAfterDue, q.RemindAfterDue) &&
		p.DailyDigest == q.DailyDigest
}

// normalDays returns days sorted ascending, never nil.
func normalDays(days []int) []int {
	out := slices.Clone(days)
	if out == nil {
		out = []int{}
	}
	slices.Sort(out)
	return out
}

func changeDunningPolicy(s State, c ChangeDunningPolicy) ([]domain.Event, error) {
	next := c.Policy
	next.RetryAfterDays = slices.Clone(next.RetryAfterDays)
	if next.RetryAfterDays == nil {
		next.RetryAfterDays = []int{} // recorded as [], not null: "no retries" is a choice
	}
	next.RemindBeforeDue, next.RemindAfterDue = normalDays(next.RemindBeforeDue), normalDays(next.RemindAfterDue)
	next.StaffEmails = make([]string, 0, len(c.Policy.StaffEmails))
	for _, a := range c.Policy.StaffEmails {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(next.StaffEmails, a) {
			next.StaffEmails = append(next.StaffEmails, a)
		}
	}
	if next.FinalAction == "" {
		next.FinalAction = FinalLeave
	}
	var p domain.Problems
	checkRetryPolicy(&p, next.RetryAfterDays)
	checkDunningReminders(&p, "remind_before_due", next.RemindBeforeDue)
	checkDunningReminders(&p, "remind_after_due", next.RemindAfterDue)
	if len(next.StaffEmails) > MaxDunningStaff {
		p.Add("staff_emails", "at most %d staff addresses", MaxDunningStaff)
	}
	for _, a := range next.StaffEmails {
		if m, err := mail.ParseAddress(a); err != nil || m.Address != a {
			p.Add("staff_emails", "%q is not one email address, like billing@firm.example", a)
			break
		}
	}
	switch next.FinalAction {
	case FinalLeave, FinalSwitchToManual:
	default:
		p.Add("final_action", "choose %q or %q", FinalLeave, FinalSwitchToManual)
	}
	if next.WriteOffAfterDays < 0 || next.WriteOffAfterDays > MaxWriteOffDays {
		p.Add("write_off_after_days", "write off 1 to %d days after the retries ran out (0: never)", MaxWriteOffDays)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if next.equal(s.Dunning()) {
		return nil, nil
	}
	return []domain.Event{FirmDunningPolicyChanged{DunningPolicy: next, At: c.Now}}, nil
}

func checkDunningReminders(p *domain.Problems, field string, days []int) {
	if len(days) > MaxDunningReminders {
		p.Add(field, "at most %d reminders", MaxDunningReminders)
		return
	}
	for i, d := range days {
		switch {
		case d < 1 || d > MaxDays:
			p.Add(field, "each reminder is 1 to %d days from the due date", MaxDays)
			return
		case i > 0 && d == days[i-1]:
			p.Add(field, "each day once")
			return
		}
	}
}

// ReminderStepText tells a reminder step ("after_due:7") as people say it
// ("7 days after the due date").
func ReminderStepText(step string) string {
	name, days, _ := strings.Cut(step, ":")
	unit := " days "
	if days == "1" {
		unit = " day "
	}
	switch name {
	case "before_due":
		return days + unit + "before the due date"
	case "after_due":
		return days + unit + "after the due date"
	case "on_due":
		return "on the due date"
	}
	return step
}

// DigestTotal is what one currency adds up to in a daily digest.
type DigestTotal struct {
	Failed  domain.Money `json:"failed"`  // the balances of the failed payments
	Overdue domain.Money `json:"overdue"` // the open balances past due
}

// FirmDunningDigestSent records the staff's daily digest of the firm's
// date Date: how many payments failed and invoices are overdue, with their
// totals per currency. The emailer emails it to the policy's staff
// addresses, listing the failed and overdue invoices.
type FirmDunningDigestSent struct {
	Date    domain.Date   `json:"date"`
	Failed  int           `json:"failed"`
	Overdue int           `json:"overdue"`
	Totals  []DigestTotal `json:"totals"`
	At      time.Time     `json:"at"`
}

// EventType returns "FirmDunningDigestSent".
func (FirmDunningDigestSent) EventType() string { return "FirmDunningDigestSent" }

// SendDunningDigest records the staff's daily digest of a date.
type SendDunningDigest struct {
	Date            domain.Date
	Failed, Overdue int
	Totals          []DigestTotal
	Now             time.Time
}

func (SendDunningDigest) isFirmCommand() {}

// sendDunningDigest records the digest of a date once: a digest of a date
// already sent (or an earlier one) records nothing; the policy must ask for
// it and there must be something failed or overdue.
func sendDunningDigest(s State, c SendDunningDigest) ([]domain.Event, error) {
	var p domain.Problems
	if c.Date.IsZero() {
		p.Add("date", "the digest's date is required")
	}
	if c.Failed < 0 || c.Overdue < 0 || c.Failed+c.Overdue == 0 {
		p.Add("failed", "nothing failed or overdue: no digest to send")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	switch {
	case !s.Dunning().DailyDigest:
		return nil, domain.Conflict("the payment-chasing policy sends no daily digest")
	case !s.LastDigest.IsZero() && !c.Date.After(s.LastDigest):
		return nil, nil
	}
	totals := slices.Clone(c.Totals)
	if totals == nil {
		totals = []DigestTotal{}
	}
	return []domain.Event{FirmDunningDigestSent{Date: c.Date, Failed: c.Failed, Overdue: c.Overdue, Totals: totals, At: c.Now}}, nil
}
