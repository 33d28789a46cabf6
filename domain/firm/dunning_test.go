package firm_test

import (
	"slices"
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/firm"
)

func dunningPolicy() firm.DunningPolicy {
	return firm.DunningPolicy{
		RetryAfterDays: []int{2, 4}, EmailClientOnRejection: true, EmailClientFinalNotice: true,
		NotifyStaffOnFailure: true, StaffEmails: []string{"ar@firm.example"},
		FinalAction: firm.FinalSwitchToManual, WriteOffAfterDays: 30,
		RemindBeforeDue: []int{3}, RemindOnDue: true, RemindAfterDue: []int{7, 14},
	}
}

func TestChangeDunningPolicy(t *testing.T) {
	set := one(setUpEvent())
	with := func(f func(*firm.DunningPolicy)) firm.DunningPolicy { p := dunningPolicy(); f(&p); return p }
	field := func(f string) *decidertest.Refusal { return decidertest.ThenErr(domain.EINVALID, f).Only() }
	change := func(p firm.DunningPolicy) firm.ChangeDunningPolicy {
		return firm.ChangeDunningPolicy{Policy: p, Now: later}
	}
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "ErrNotSetUp", When: change(dunningPolicy()), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "OK", Given: set, When: change(dunningPolicy()), Then: one(firm.FirmDunningPolicyChanged{DunningPolicy: dunningPolicy(), At: later})},
		{
			Name: "OKNormalised", Given: set,
			When: change(with(func(p *firm.DunningPolicy) {
				p.RemindAfterDue, p.StaffEmails, p.FinalAction = []int{14, 7}, []string{" ar@firm.example ", "", "ar@firm.example"}, ""
			})),
			Then: one(firm.FirmDunningPolicyChanged{DunningPolicy: with(func(p *firm.DunningPolicy) { p.FinalAction = firm.FinalLeave }), At: later}),
		},
		{Name: "UnchangedDefaults", Given: set, When: change(firm.DefaultDunningPolicy())},
		{Name: "Unchanged", Given: events(set, one(firm.FirmDunningPolicyChanged{DunningPolicy: dunningPolicy(), At: now})), When: change(dunningPolicy())},
		{Name: "ErrRetryDays", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.RetryAfterDays = []int{5, 3} })), Err: field("retry_after_days")},
		{Name: "ErrReminderDay", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.RemindBeforeDue = []int{0} })), Err: field("remind_before_due")},
		{Name: "ErrReminderTwice", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.RemindAfterDue = []int{7, 7} })), Err: field("remind_after_due")},
		{Name: "ErrTooManyReminders", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.RemindAfterDue = []int{1, 2, 3, 4, 5, 6} })), Err: field("remind_after_due")},
		{Name: "ErrStaffEmail", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.StaffEmails = []string{"not an address"} })), Err: field("staff_emails")},
		{Name: "ErrFinalAction", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.FinalAction = "sue" })), Err: field("final_action")},
		{Name: "ErrWriteOffDays", Given: set, When: change(with(func(p *firm.DunningPolicy) { p.WriteOffAfterDays = 400 })), Err: field("write_off_after_days")},
	})
}

func TestDunningPolicyState(t *testing.T) {
	st := firm.Fold([]domain.Event{setUpEvent()})
	if got := st.Dunning(); !got.EmailClientOnRejection || got.FinalAction != firm.FinalLeave || !slices.Equal(got.RetryAfterDays, []int{3, 5, 7}) ||
		got.NotifyStaffOnFailure || len(got.ReminderSteps(domain.MustDate(2026, 4, 1))) != 0 {
		t.Fatalf("a new firm's dunning policy = %+v, want what Remit did before: retries 3, 5, 7, the client emailed, nothing else", got)
	}
	st = firm.Evolve(st, firm.FirmDunningPolicyChanged{DunningPolicy: dunningPolicy(), At: later})
	if !slices.Equal(st.RetryAfterDays, []int{2, 4}) {
		t.Errorf("the policy's retry days are the firm's retry days: got %v", st.RetryAfterDays)
	}
	// The retry schedule changed on its own changes the policy's.
	st = firm.Evolve(st, firm.FirmRetryPolicyChanged{RetryAfterDays: []int{1}, At: later})
	if got := st.Dunning(); !slices.Equal(got.RetryAfterDays, []int{1}) || got.FinalAction != firm.FinalSwitchToManual {
		t.Errorf("after FirmRetryPolicyChanged the policy is %+v", got)
	}
	var names []string
	var dates []domain.Date
	for _, s := range st.Dunning().ReminderSteps(domain.MustDate(2026, 4, 10)) {
		names, dates = append(names, s.Name), append(dates, s.On)
	}
	if want := []string{"before_due:3", "on_due", "after_due:7", "after_due:14"}; !slices.Equal(names, want) {
		t.Errorf("steps %v, want %v", names, want)
	}
	if want := []domain.Date{domain.MustDate(2026, 4, 7), domain.MustDate(2026, 4, 10), domain.MustDate(2026, 4, 17), domain.MustDate(2026, 4, 24)}; !slices.Equal(dates, want) {
		t.Errorf("step dates %v, want %v", dates, want)
	}
}

func TestSendDunningDigest(t *testing.T) {
	day := domain.MustDate(2026, 4, 10)
	on := func(p firm.DunningPolicy) firm.DunningPolicy { p.DailyDigest = true; return p }
	set := one(setUpEvent())
	digestOn := events(set, one(firm.FirmDunningPolicyChanged{DunningPolicy: on(dunningPolicy()), At: now}))
	totals := []firm.DigestTotal{{Failed: domain.NewMoney(MustDecimal(t, "110"), domain.MustCurrency("AUD")), Overdue: domain.NewMoney(MustDecimal(t, "55"), domain.MustCurrency("AUD"))}}
	send := func(d domain.Date, failed, overdue int) firm.SendDunningDigest {
		return firm.SendDunningDigest{Date: d, Failed: failed, Overdue: overdue, Totals: totals, Now: later}
	}
	sent := firm.FirmDunningDigestSent{Date: day, Failed: 1, Overdue: 2, Totals: totals, At: later}
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "OK", Given: digestOn, When: send(day, 1, 2), Then: one(sent)},
		{Name: "OKNextDay", Given: events(digestOn, one(sent)), When: send(day.AddDays(1), 0, 1),
			Then: one(firm.FirmDunningDigestSent{Date: day.AddDays(1), Overdue: 1, Totals: totals, At: later})},
		{Name: "SentAlready", Given: events(digestOn, one(sent)), When: send(day, 1, 2)},
		{Name: "EarlierDate", Given: events(digestOn, one(sent)), When: send(day.AddDays(-1), 1, 2)},
		{Name: "ErrNotSetUp", When: send(day, 1, 2), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrPolicyOff", Given: set, When: send(day, 1, 2), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNothingToTell", Given: digestOn, When: send(day, 0, 0), Err: decidertest.ThenErr(domain.EINVALID, "failed").Only()},
		{Name: "ErrNoDate", Given: digestOn, When: send(domain.Date{}, 1, 0), Err: decidertest.ThenErr(domain.EINVALID, "date").Only()},
	})
	// An older FirmDunningPolicyChanged, without daily_digest, decodes as off.
	ev, err := firm.DecodeEvent("FirmDunningPolicyChanged", []byte(`{"retry_after_days":[3],"final_action":"leave","at":"2026-03-01T09:30:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if st := firm.Evolve(firm.Fold([]domain.Event{setUpEvent()}), ev); st.Dunning().DailyDigest {
		t.Error("a policy recorded before the digest existed turns the digest on")
	}
}
