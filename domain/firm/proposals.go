package firm

import (
	"net/mail"
	"slices"
	"strings"
	"time"

	"remit/domain"
)

// # Proposal settings
//
// How the daily proposals job (processes/reminders) treats the proposals
// the firm has sent: on which days after sending the signatories who have
// not signed are reminded, after how many days an unanswered proposal
// expires when the proposal names no expiry date of its own, and whether
// the firm's staff are emailed when a client first views, accepts or
// declines a proposal, and at which address.

// Limits of the proposal settings.
const (
	MaxProposalReminders  = 5   // reminders per proposal
	MaxReminderDay        = 90  // a reminder is 1 to 90 days after sending
	MaxProposalExpiryDays = 365 // the default expiry is 1 to 365 days after sending
)

// DefaultReminderDays are the reminder days of a firm that never changed
// its proposal settings.
func DefaultReminderDays() []int { return []int{3, 7, 14} }

// ProposalSettings are the firm's settings for the proposals it sends.
type ProposalSettings struct {
	// ReminderDays are the days after sending on which the signatories who
	// have not signed are reminded: ascending, each 1 to MaxReminderDay, at
	// most MaxProposalReminders; empty: no reminders.
	ReminderDays []int `json:"reminder_days"`
	// ExpiryDays is how many days after sending a proposal without an expiry
	// date of its own expires (0: never).
	ExpiryDays int `json:"expiry_days,omitempty"`
	// NotifyStaff emails StaffEmail when a client first views, accepts or
	// declines a proposal.
	NotifyStaff bool `json:"notify_staff,omitempty"`
	// StaffEmail is where those emails go; "": the address the server was
	// started with for staff emails (serve --staff-email), else the firm's
	// sending address.
	StaffEmail string `json:"staff_email,omitempty"`
}

// DefaultProposalSettings are the settings of a firm that never changed
// them: reminders 3, 7 and 14 days after sending, no default expiry, staff
// not emailed.
func DefaultProposalSettings() ProposalSettings {
	return ProposalSettings{ReminderDays: DefaultReminderDays()}
}

// ReminderOn returns the date of reminder number n (1 for the first) of a
// proposal sent on sentOn, and false when the settings have no such
// reminder.
func (p ProposalSettings) ReminderOn(sentOn domain.Date, n int) (domain.Date, bool) {
	if n < 1 || n > len(p.ReminderDays) || sentOn.IsZero() {
		return domain.Date{}, false
	}
	return sentOn.AddDays(p.ReminderDays[n-1]), true
}

// ExpiresOn returns the date a proposal sent on sentOn expires by default,
// and false when the firm sets no default expiry.
func (p ProposalSettings) ExpiresOn(sentOn domain.Date) (domain.Date, bool) {
	if p.ExpiryDays <= 0 || sentOn.IsZero() {
		return domain.Date{}, false
	}
	return sentOn.AddDays(p.ExpiryDays), true
}

func (p ProposalSettings) equal(q ProposalSettings) bool {
	return slices.Equal(p.ReminderDays, q.ReminderDays) && p.ExpiryDays == q.ExpiryDays &&
		p.NotifyStaff == q.NotifyStaff && p.StaffEmail == q.StaffEmail
}

// FirmProposalSettingsChanged records the firm's new proposal settings,
// replaced whole.
type FirmProposalSettingsChanged struct {
	ProposalSettings
	At time.Time `json:"at"`
}

// EventType returns "FirmProposalSettingsChanged".
func (FirmProposalSettingsChanged) EventType() string { return "FirmProposalSettingsChanged" }

// ChangeProposalSettings sets the firm's proposal settings (all at once). A
// nil ReminderDays is no reminders, as an empty one is.
type ChangeProposalSettings struct {
	Settings ProposalSettings
	Now      time.Time
}

func (ChangeProposalSettings) isFirmCommand() {}

// Proposals returns the firm's proposal settings: the defaults until it
// changes them.
func (s State) Proposals() ProposalSettings {
	if s.ProposalSettings == nil {
		return DefaultProposalSettings()
	}
	return *s.ProposalSettings
}

func changeProposalSettings(s State, c ChangeProposalSettings) ([]domain.Event, error) {
	next := c.Settings
	next.ReminderDays = slices.Clone(next.ReminderDays)
	if next.ReminderDays == nil {
		next.ReminderDays = []int{} // recorded as [], not null: "no reminders" is a choice
	}
	next.StaffEmail = strings.TrimSpace(next.StaffEmail)
	var p domain.Problems
	checkReminderDays(&p, next.ReminderDays)
	if next.ExpiryDays < 0 || next.ExpiryDays > MaxProposalExpiryDays {
		p.Add("proposals.expiry_days", "a proposal expires 1 to %d days after it is sent (empty or 0: never)", MaxProposalExpiryDays)
	}
	if next.StaffEmail != "" {
		if a, err := mail.ParseAddress(next.StaffEmail); err != nil || a.Address != next.StaffEmail {
			p.Add("proposals.staff_email", "enter one email address, like billing@firm.example")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if next.equal(s.Proposals()) {
		return nil, nil
	}
	return []domain.Event{FirmProposalSettingsChanged{ProposalSettings: next, At: c.Now}}, nil
}

func checkReminderDays(p *domain.Problems, days []int) {
	const field = "proposals.reminder_days"
	if len(days) > MaxProposalReminders {
		p.Add(field, "at most %d reminders", MaxProposalReminders)
		return
	}
	for i, d := range days {
		switch {
		case d < 1 || d > MaxReminderDay:
			p.Add(field, "each reminder is 1 to %d days after the proposal is sent", MaxReminderDay)
			return
		case i > 0 && d <= days[i-1]:
			p.Add(field, "reminder days must increase (for example 3, 7, 14)")
			return
		}
	}
}
