package invoice_test

import (
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
)

var remindOn = dueOn.AddDays(7)

func reminded(step string) invoice.InvoiceReminderSent {
	return invoice.InvoiceReminderSent{InvoiceID: invoiceID, Step: step, Channel: invoice.ChannelEmail, To: "pat@client.example", Date: remindOn, At: now}
}

func remindedOn(step string, on domain.Date) invoice.InvoiceReminderSent {
	e := reminded(step)
	e.Date = on
	return e
}

func paused() invoice.InvoiceRemindersPaused {
	return invoice.InvoiceRemindersPaused{InvoiceID: invoiceID, Reason: "Client promised to pay Friday", At: now}
}

func TestSendReminder(t *testing.T) {
	remind := invoice.SendReminder{Step: "after_due:7", To: "pat@client.example", Date: remindOn, Now: now}
	skipping := remind
	skipping.Skipped = []invoice.SkippedReminder{{Step: "before_due:3", Due: dueOn.AddDays(-3), Why: invoice.SkippedJobNotRun},
		{Step: "on_due", Due: dueOn, Why: invoice.SkippedJobNotRun}}
	skipped := reminded("after_due:7")
	skipped.Skipped = []invoice.SkippedReminder{{Step: "on_due", Due: dueOn, Why: invoice.SkippedJobNotRun}}
	issued := MustIssued(t)
	decidertest.Run(t, exactDecider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{issued}, When: remind, Then: []domain.Event{reminded("after_due:7")}},
		{Name: "OKPartlyPaid", Given: []domain.Event{issued, recorded(paymentID, "50.00")}, When: remind, Then: []domain.Event{reminded("after_due:7")}},
		// The job did not run on the due date: on_due is skipped, with why;
		// before_due:3, sent then, is not listed again.
		{Name: "OKSkippedSteps", Given: []domain.Event{issued, remindedOn("before_due:3", dueOn.AddDays(-3))}, When: skipping, Then: []domain.Event{skipped}},
		{Name: "OKStepSentAlready", Given: []domain.Event{issued, reminded("after_due:7")}, When: remind},
		{Name: "OKAfterResume", Given: []domain.Event{issued, paused(), invoice.InvoiceRemindersResumed{InvoiceID: invoiceID, At: now}}, When: remind, Then: []domain.Event{reminded("after_due:7")}},
		{Name: "ErrPaid", Given: []domain.Event{issued, recorded(paymentID, "159.50")}, When: remind, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("nothing is owed")},
		{Name: "ErrWrittenOff", Given: []domain.Event{issued, writtenOff("159.50")}, When: remind, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrVoid", Given: []domain.Event{issued, voided()}, When: remind, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotIssued", When: remind, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrPaused", Given: []domain.Event{issued, paused()}, When: remind, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("paused")},
		{Name: "ErrNoAddress", Given: []domain.Event{issued}, When: invoice.SendReminder{Step: "on_due", Date: dueOn, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "to").Only()},
		{Name: "ErrChannel", Given: []domain.Event{issued}, When: invoice.SendReminder{Step: "on_due", Channel: "sms", To: "pat@client.example", Date: dueOn, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "channel").Only()},
	})
}

func TestExhaustDunning(t *testing.T) {
	on := dueOn.AddDays(7)
	exhaust := invoice.ExhaustDunning{Date: on, FinalAction: "switch_to_manual", WriteOffOn: on.AddDays(30), NotifyClient: "pat@client.example", Now: now}
	exhausted := invoice.InvoiceDunningExhausted{InvoiceID: invoiceID, Date: on, FinalAction: "switch_to_manual", WriteOffOn: on.AddDays(30), NotifyClient: "pat@client.example", At: now}
	issued := MustIssued(t)
	decidertest.Run(t, exactDecider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{issued, scheduled(), rejected()}, When: exhaust, Then: []domain.Event{exhausted}},
		{Name: "OKOnce", Given: []domain.Event{issued, scheduled(), rejected(), exhausted}, When: exhaust},
		// A new collection starts the sequence again.
		{Name: "OKAgainAfterNewCollection", Given: []domain.Event{issued, scheduled(), rejected(), exhausted, scheduled(), rejected()}, When: exhaust, Then: []domain.Event{exhausted}},
		{Name: "ErrPaid", Given: []domain.Event{issued, scheduled(), rejected(), recorded(paymentID, "159.50")}, When: exhaust, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("nothing is owed")},
		{Name: "ErrWriteOffBefore", Given: []domain.Event{issued, rejected()}, When: invoice.ExhaustDunning{Date: on, FinalAction: "leave", WriteOffOn: on.AddDays(-1), Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "write_off_on").Only()},
		{Name: "ErrNoAction", Given: []domain.Event{issued, rejected()}, When: invoice.ExhaustDunning{Date: on, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "final_action").Only()},
	})
}

func TestPauseAndResumeReminders(t *testing.T) {
	issued := MustIssued(t)
	resumed := invoice.InvoiceRemindersResumed{InvoiceID: invoiceID, At: now}
	decidertest.Run(t, exactDecider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{issued}, When: invoice.PauseReminders{Reason: " Client promised to pay Friday ", Now: now}, Then: []domain.Event{paused()}},
		{Name: "OKPausedAlready", Given: []domain.Event{issued, paused()}, When: invoice.PauseReminders{Now: now}},
		{Name: "ErrPaid", Given: []domain.Event{issued, recorded(paymentID, "159.50")}, When: invoice.PauseReminders{Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrReasonTooLong", Given: []domain.Event{issued}, When: invoice.PauseReminders{Reason: string(make([]byte, 501)), Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "reason")},
		{Name: "OKResume", Given: []domain.Event{issued, paused()}, When: invoice.ResumeReminders{Now: now}, Then: []domain.Event{resumed}},
		{Name: "OKResumeNotPaused", Given: []domain.Event{issued}, When: invoice.ResumeReminders{Now: now}},
		{Name: "ErrResumeNotIssued", When: invoice.ResumeReminders{Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}
