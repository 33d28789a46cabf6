package invoice

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"remit/domain"
)

// # Dunning
//
// The steps of the firm's dunning policy (firm.DunningPolicy) that the daily
// dunning process (processes/dunning) takes on an invoice are events on
// the invoice, so its activity tells how it was chased: each reminder
// (InvoiceReminderSent), the retries running out and the final action
// taken (InvoiceDunningExhausted), and staff pausing and resuming the
// reminders (InvoiceRemindersPaused, InvoiceRemindersResumed). An invoice
// that is paid, written off or void takes none of them: a payment stops the
// sequence at once.

// ChannelEmail is the one reminder channel so far.
const ChannelEmail = "email"

// InvoiceReminderSent records a reminder of the unpaid invoice sent to the
// client: the policy's step ("before_due:3", "on_due", "after_due:7"), the
// channel and the address. The emailer emails it.
//
// Only the latest step due is sent: Skipped are the earlier steps that
// came due since the last reminder and were not sent on their dates (the
// daily job did not run, the reminders were paused), each with why, so the
// invoice's activity tells which reminders the client never got.
type InvoiceReminderSent struct {
	InvoiceID uuid.UUID         `json:"invoice_id"`
	Step      string            `json:"step"`
	Channel   string            `json:"channel"`
	To        string            `json:"to"`
	Date      domain.Date       `json:"date"` // the firm's date the step was sent
	Skipped   []SkippedReminder `json:"skipped,omitempty"`
	At        time.Time         `json:"at"`
}

// SkippedReminder is a reminder step not sent: its name, the date it was
// due and why it was skipped.
type SkippedReminder struct {
	Step string      `json:"step"`
	Due  domain.Date `json:"due"`
	Why  string      `json:"why"`
}

// Why a reminder step was skipped.
const (
	SkippedJobNotRun = "job_not_run" // the daily job did not run on the step's date
	SkippedPaused    = "paused"      // the invoice's reminders were paused on the step's date
)

// InvoiceDunningExhausted records that the automatic retries of a rejected
// payment ran out, and the final action the policy takes: the client's
// services switched to manual ("switch_to_manual", each switch an event of
// its service) or left ("leave"), and the write-off date when the policy
// writes off. NotifyClient is the address the final notice goes to ("":
// none).
type InvoiceDunningExhausted struct {
	InvoiceID    uuid.UUID   `json:"invoice_id"`
	Date         domain.Date `json:"date"`
	FinalAction  string      `json:"final_action"`
	WriteOffOn   domain.Date `json:"write_off_on,omitzero"`
	NotifyClient string      `json:"notify_client,omitempty"`
	At           time.Time   `json:"at"`
}

// InvoiceRemindersPaused records that staff paused the dunning of the
// invoice: no reminder, final action or write-off until resumed.
type InvoiceRemindersPaused struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

// InvoiceRemindersResumed records that staff resumed the invoice's dunning.
type InvoiceRemindersResumed struct {
	InvoiceID uuid.UUID `json:"invoice_id"`
	At        time.Time `json:"at"`
}

// EventType returns "InvoiceReminderSent".
func (InvoiceReminderSent) EventType() string { return "InvoiceReminderSent" }

// EventType returns "InvoiceDunningExhausted".
func (InvoiceDunningExhausted) EventType() string { return "InvoiceDunningExhausted" }

// EventType returns "InvoiceRemindersPaused".
func (InvoiceRemindersPaused) EventType() string { return "InvoiceRemindersPaused" }

// EventType returns "InvoiceRemindersResumed".
func (InvoiceRemindersResumed) EventType() string { return "InvoiceRemindersResumed" }

// SendReminder records a reminder step of the policy, due on Date, sent to
// To. Refused when nothing is owed, when reminders are paused; a step sent
// already records nothing.
// Skipped are the earlier steps due and not sent (a step sent already is
// left out of the event).
type SendReminder struct {
	Step    string
	Channel string // "" is ChannelEmail
	To      string
	Date    domain.Date
	Skipped []SkippedReminder
	Now     time.Time
}

// ExhaustDunning records that the retries ran out, with the final action
// and the write-off date (zero: none). Refused when nothing is owed;
// recorded once per rejected collection.
type ExhaustDunning struct {
	Date         domain.Date
	FinalAction  string
	WriteOffOn   domain.Date
	NotifyClient string
	Now          time.Time
}

// PauseReminders pauses the invoice's dunning (a reason is optional).
type PauseReminders struct {
	Reason string
	Now    time.Time
}

// ResumeReminders resumes the invoice's dunning.
type ResumeReminders struct {
	Now time.Time
}

func (SendReminder) invoiceCommand()    {}
func (ExhaustDunning) invoiceCommand()  {}
func (PauseReminders) invoiceCommand()  {}
func (ResumeReminders) invoiceCommand() {}

// maxPauseReason bounds a pause's reason.
const maxPauseReason = 500

// Owed reports whether the invoice still expects money: issued, not void or
// written off, with a balance.
func (s State) Owed() bool {
	switch s.Status {
	case StatusNone, StatusVoid, StatusWrittenOff, StatusPaid:
		return false
	}
	return s.Balance().Amount.IsPositive()
}

// chased refuses a dunning step on an invoice that owes nothing.
func chased(s State, doing string) error {
	if err := usable(s, doing); err != nil {
		return err
	}
	if !s.Owed() {
		return domain.Conflict("Invoice %s is %s; nothing is owed, so it is not %s.", s.Number, strings.ReplaceAll(string(s.Status), "_", " "), doing)
	}
	return nil
}

func sendReminder(s State, c SendReminder) ([]domain.Event, error) {
	if err := chased(s, "reminded"); err != nil {
		return nil, err
	}
	if s.RemindersPaused {
		return nil, domain.Conflict("Reminders of invoice %s are paused.", s.Number)
	}
	if s.RemindersSent[c.Step] {
		return nil, nil
	}
	var p domain.Problems
	if strings.TrimSpace(c.Step) == "" {
		p.Add("step", "name the reminder's step")
	}
	channel := c.Channel
	if channel == "" {
		channel = ChannelEmail
	}
	if channel != ChannelEmail {
		p.Add("channel", "reminders are sent by email")
	}
	if a, err := mail.ParseAddress(c.To); err != nil || a.Address != c.To {
		p.Add("to", "the client has no email address to remind")
	}
	if c.Date.IsZero() {
		p.Add("date", "give the reminder's date")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	e := InvoiceReminderSent{InvoiceID: s.ID, Step: c.Step, Channel: channel, To: c.To, Date: c.Date, At: c.Now}
	for _, k := range c.Skipped {
		if !s.RemindersSent[k.Step] && k.Step != c.Step {
			e.Skipped = append(e.Skipped, k)
		}
	}
	return []domain.Event{e}, nil
}

func exhaustDunning(s State, c ExhaustDunning) ([]domain.Event, error) {
	if err := chased(s, "chased"); err != nil {
		return nil, err
	}
	if s.DunningExhausted {
		return nil, nil
	}
	var p domain.Problems
	if c.Date.IsZero() {
		p.Add("date", "give the date the retries ran out")
	}
	if c.FinalAction == "" {
		p.Add("final_action", "name the final action")
	}
	if !c.WriteOffOn.IsZero() && c.WriteOffOn.Before(c.Date) {
		p.Add("write_off_on", "the write-off cannot come before the retries ran out")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{InvoiceDunningExhausted{
		InvoiceID: s.ID, Date: c.Date, FinalAction: c.FinalAction, WriteOffOn: c.WriteOffOn, NotifyClient: c.NotifyClient, At: c.Now,
	}}, nil
}

func pauseReminders(s State, c PauseReminders) ([]domain.Event, error) {
	if err := chased(s, "chased"); err != nil {
		return nil, err
	}
	if s.RemindersPaused {
		return nil, nil
	}
	reason := strings.TrimSpace(c.Reason)
	if utf8.RuneCountInString(reason) > maxPauseReason {
		var p domain.Problems
		p.Add("reason", "the reason is too long (at most %d characters)", maxPauseReason)
		return nil, p.Err()
	}
	return []domain.Event{InvoiceRemindersPaused{InvoiceID: s.ID, Reason: reason, At: c.Now}}, nil
}

func resumeReminders(s State, c ResumeReminders) ([]domain.Event, error) {
	if err := usable(s, "resumed"); err != nil {
		return nil, err
	}
	if !s.RemindersPaused {
		return nil, nil
	}
	return []domain.Event{InvoiceRemindersResumed{InvoiceID: s.ID, At: c.Now}}, nil
}

// evolveDunning applies the dunning events; ok is false for other events.
func evolveDunning(s State, e domain.Event) (State, bool) {
	switch e := e.(type) {
	case InvoiceReminderSent:
		s.RemindersSent = withStep(s.RemindersSent, e.Step)
		s.LastReminderOn = e.Date
	case InvoiceDunningExhausted:
		s.DunningExhausted, s.DunningExhaustedOn, s.WriteOffOn = true, e.Date, e.WriteOffOn
	case InvoiceRemindersPaused:
		s.RemindersPaused = true
	case InvoiceRemindersResumed:
		s.RemindersPaused, s.RemindersResumedAt = false, e.At
	default:
		return s, false
	}
	return s, true
}

// withStep returns a copy of m with step set.
func withStep(m map[string]bool, step string) map[string]bool {
	out := make(map[string]bool, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[step] = true
	return out
}
