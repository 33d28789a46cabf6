package firm_test

import (
	"slices"
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/firm"
)

func TestChangeProposalSettings(t *testing.T) {
	set := one(setUpEvent())
	changed := events(set, one(firm.FirmProposalSettingsChanged{ProposalSettings: firm.ProposalSettings{ReminderDays: []int{2, 5}, ExpiryDays: 30, NotifyStaff: true, StaffEmail: "staff@firm.example"}, At: now}))
	settings := func(days []int, expiry int, notify bool, email string) firm.ProposalSettings {
		return firm.ProposalSettings{ReminderDays: days, ExpiryDays: expiry, NotifyStaff: notify, StaffEmail: email}
	}
	field := func(f string) *decidertest.Refusal { return decidertest.ThenErr(domain.EINVALID, f).Only() }
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "ErrNotSetUp", When: firm.ChangeProposalSettings{Settings: settings([]int{3}, 0, false, ""), Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{
			Name: "OK", Given: set,
			When: firm.ChangeProposalSettings{Settings: settings([]int{1, 7, 30, 60, 90}, 45, true, " staff@firm.example "), Now: later},
			Then: one(firm.FirmProposalSettingsChanged{ProposalSettings: settings([]int{1, 7, 30, 60, 90}, 45, true, "staff@firm.example"), At: later}),
		},
		{
			Name: "OKNoReminders", Given: changed,
			When: firm.ChangeProposalSettings{Settings: settings(nil, 0, false, ""), Now: later},
			Then: one(firm.FirmProposalSettingsChanged{ProposalSettings: settings([]int{}, 0, false, ""), At: later}),
		},
		{Name: "UnchangedDefaults", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{3, 7, 14}, 0, false, ""), Now: later}},
		{Name: "Unchanged", Given: changed, When: firm.ChangeProposalSettings{Settings: settings([]int{2, 5}, 30, true, "staff@firm.example"), Now: later}},
		{Name: "ErrTooMany", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{1, 2, 3, 4, 5, 6}, 0, false, ""), Now: later}, Err: field("proposals.reminder_days")},
		{Name: "ErrNotAscending", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{7, 3}, 0, false, ""), Now: later}, Err: field("proposals.reminder_days")},
		{Name: "ErrRepeated", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{3, 3}, 0, false, ""), Now: later}, Err: field("proposals.reminder_days")},
		{Name: "ErrZeroDay", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{0, 3}, 0, false, ""), Now: later}, Err: field("proposals.reminder_days")},
		{Name: "ErrDay91", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{3, 91}, 0, false, ""), Now: later}, Err: field("proposals.reminder_days")},
		{Name: "ErrExpiry", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{3}, -1, false, ""), Now: later}, Err: field("proposals.expiry_days")},
		{Name: "ErrExpiryTooLong", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{3}, 366, false, ""), Now: later}, Err: field("proposals.expiry_days")},
		{Name: "ErrStaffEmail", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{3}, 0, true, "not an address"), Now: later}, Err: field("proposals.staff_email")},
		{
			Name: "ErrEverything", Given: set, When: firm.ChangeProposalSettings{Settings: settings([]int{5, 2}, 999, true, "a@b@c"), Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "proposals.reminder_days", "proposals.expiry_days", "proposals.staff_email").Only(),
		},
	})
}

func TestProposalSettingsDates(t *testing.T) {
	st := firm.Fold([]domain.Event{setUpEvent()})
	ps := st.Proposals()
	if !slices.Equal(ps.ReminderDays, []int{3, 7, 14}) || ps.ExpiryDays != 0 || ps.NotifyStaff {
		t.Fatalf("a new firm's proposal settings = %+v, want reminders on days 3, 7, 14, no expiry, staff not told", ps)
	}
	sent := domain.MustDate(2026, 3, 30)
	for n, want := range map[int]domain.Date{1: domain.MustDate(2026, 4, 2), 2: domain.MustDate(2026, 4, 6), 3: domain.MustDate(2026, 4, 13)} {
		if got, ok := ps.ReminderOn(sent, n); !ok || got != want {
			t.Errorf("reminder %d = %s, %v; want %s", n, got, ok, want)
		}
	}
	if _, ok := ps.ReminderOn(sent, 4); ok {
		t.Error("a fourth reminder has a date")
	}
	if _, ok := ps.ExpiresOn(sent); ok {
		t.Error("a proposal expires by default without a default expiry")
	}
	e := firm.FirmProposalSettingsChanged{ProposalSettings: firm.ProposalSettings{ReminderDays: []int{2}, ExpiryDays: 10}, At: later}
	st = firm.Evolve(st, e)
	e.ReminderDays[0] = 99 // the state keeps its own copy
	if got, ok := st.Proposals().ExpiresOn(sent); !ok || got != domain.MustDate(2026, 4, 9) {
		t.Errorf("expires on %s, %v; want 2026-04-09", got, ok)
	}
	if got, _ := st.Proposals().ReminderOn(sent, 1); got != domain.MustDate(2026, 4, 1) {
		t.Errorf("first reminder on %s after the event was changed, want 2026-04-01", got)
	}
}
