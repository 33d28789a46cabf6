package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/billing"
	"remit/web/ui/uitest"
)

// TestBrowserPaymentChasing, in headless Chromium: the firm settings page's
// Payment chasing section shows the defaults (retries 3, 5, 7, the client
// emailed each rejection, services left as they are); a write-off after 400
// days and a staff address that is not one are refused beside their
// fields; a policy (retries 2, 4, staff told at two addresses, services
// switched to manual, write-off after 30 days, reminders 3 days before, on
// and 7 and 14 days after the due date) saves and shows again. Then an
// invoice not collected automatically, reminded once by the dunning job,
// shows its reminder in its activity; Pause reminders records the pause
// (activity, a "Paused" badge), and Resume reminders resumes them. The
// pages pass axe-core; screenshots go to uitest.ScreenshotDir.
func TestBrowserPaymentChasing(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	save := chromedp.Click(chromedp.CSS(`form[action="/settings/firm/dunning"] button[type=submit]`))

	step(t, ctx, "settings", chromedp.Navigate(a.server.URL+"/settings/firm"), chromedp.WaitVisible(chromedp.ID("f-dunning-retry_after_days")))
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-dunning-retry_after_days"))); got != "3, 5, 7" {
		t.Errorf("default retry days %q, want 3, 5, 7", got)
	}
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("f-dunning-email_client_on_rejection").checked && !document.getElementById("f-dunning-notify_staff_on_failure").checked && !document.getElementById("f-dunning-daily_digest").checked`)); !on {
		t.Error("by default the client is emailed each rejection and staff are not")
	}
	step(t, ctx, "bad policy", set("f-dunning-write_off_after_days", "400"), set("f-dunning-staff_emails", "accounts at ledger"), save,
		chromedp.WaitVisible(chromedp.ID("f-dunning-write_off_after_days-err")))
	if got := text(t, ctx, "#f-dunning-write_off_after_days-err"); !strings.Contains(got, "1 to 365 days") {
		t.Errorf("beside the write-off: %q", got)
	}
	if got := text(t, ctx, "#f-dunning-staff_emails-err"); !strings.Contains(got, "not one email address") {
		t.Errorf("beside the staff emails: %q", got)
	}
	step(t, ctx, "scroll to payment chasing", chromedp.ScrollIntoView(chromedp.ID("dunning")))
	screenshot(t, ctx, shots, "firm-settings-dunning-refused")

	step(t, ctx, "save a policy", set("f-dunning-retry_after_days", "2, 4"), set("f-dunning-write_off_after_days", "30"),
		set("f-dunning-staff_emails", "ar@ledger.example, partners@ledger.example"), chromedp.Click(chromedp.ID("f-dunning-notify_staff_on_failure")),
		chromedp.Click(chromedp.ID("f-dunning-email_client_final_notice")), chromedp.Click(chromedp.ID("f-dunning-daily_digest")),
		chromedp.SetValue(chromedp.ID("f-dunning-final_action"), "switch_to_manual"),
		set("f-dunning-remind_before_due", "3"), chromedp.Click(chromedp.ID("f-dunning-remind_on_due")), set("f-dunning-remind_after_due", "14, 7"), save)
	flash(t, ctx, "Payment chasing saved.")
	for id, want := range map[string]string{"f-dunning-retry_after_days": "2, 4", "f-dunning-write_off_after_days": "30", "f-dunning-final_action": "switch_to_manual",
		"f-dunning-staff_emails": "ar@ledger.example, partners@ledger.example", "f-dunning-remind_before_due": "3", "f-dunning-remind_after_due": "7, 14"} {
		if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id))); got != want {
			t.Errorf("after saving, %s shows %q, want %q", id, got, want)
		}
	}
	f, _ := a.svc.Firm(context.Background())
	if p := f.Dunning(); !p.NotifyStaffOnFailure || !p.DailyDigest || !p.EmailClientFinalNotice || !p.RemindOnDue || p.WriteOffAfterDays != 30 {
		t.Errorf("the firm's policy after saving: %+v", p)
	}
	step(t, ctx, "scroll to payment chasing", chromedp.ScrollIntoView(chromedp.ID("dunning")))
	screenshot(t, ctx, shots, "firm-settings-dunning-saved")

	cl := a.mustClient("Harbour Cafe")
	inv := a.mustInvoice(cl, "500")
	d := a.mustDetail(inv)
	a.wait(a.mustOK(a.svc.SendDunningReminder(context.Background(), billing.DunningReminder{InvoiceID: inv, Step: "before_due:3", To: "ada@harbourcafe.test", Date: d.DueDate.AddDays(-3)}, a.meta())))
	step(t, ctx, "invoice", chromedp.Navigate(a.server.URL+"/invoices/"+inv.String()), chromedp.WaitVisible(chromedp.ID("reminders")))
	if got := text(t, ctx, "#reminders"); !strings.Contains(got, "payment-chasing policy") || !strings.Contains(got, "1 sent") {
		t.Errorf("the invoice's reminders: %q", got)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "reminder (3 days before the due date) emailed to ada@harbourcafe.test") {
		t.Errorf("the invoice's activity does not show the reminder:\n%s", got)
	}
	step(t, ctx, "pause", chromedp.Click(chromedp.CSS(`form[action$="/pause-reminders"] button`)))
	flash(t, ctx, "Reminders paused")
	if got := text(t, ctx, "#reminders"); !strings.Contains(got, "Paused") {
		t.Errorf("after pausing, the invoice's reminders: %q", got)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "reminders paused") {
		t.Errorf("the invoice's activity does not show the pause:\n%s", got)
	}
	screenshot(t, ctx, shots, "invoice-reminders-paused")
	if !a.mustDetail(inv).RemindersPaused {
		t.Error("the invoice's reminders are not paused in the read model")
	}
	step(t, ctx, "resume", chromedp.Click(chromedp.CSS(`form[action$="/resume-reminders"] button`)))
	flash(t, ctx, "Reminders resumed")
	if a.mustDetail(inv).RemindersPaused {
		t.Error("the invoice's reminders are still paused after resuming")
	}
}
