package ui

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"remit/billing"
	"remit/domain/firm"
)

// Payment chasing (the firm's dunning policy), on the firm's settings page:
// the retry schedule of a rejected payment, the client's emails, the
// staff's failure notices and their addresses, the final action when the
// retries run out and the write-off after N days, and the reminders of
// invoices not collected automatically (POST /settings/firm/dunning; the
// daily dunning job, processes/dunning, applies it). Errors are shown
// beside their fields; the domain's field names get the "dunning." prefix
// of the form's.

const dunningPrefix = "dunning."

// Form fields of the payment chasing section.
const (
	dunningRetryField       = dunningPrefix + "retry_after_days"
	dunningRejectionField   = dunningPrefix + "email_client_on_rejection"
	dunningFinalNoticeField = dunningPrefix + "email_client_final_notice"
	dunningStaffNotifyField = dunningPrefix + "notify_staff_on_failure"
	dunningStaffField       = dunningPrefix + "staff_emails"
	dunningFinalField       = dunningPrefix + "final_action"
	dunningWriteOffField    = dunningPrefix + "write_off_after_days"
	dunningBeforeField      = dunningPrefix + "remind_before_due"
	dunningOnDueField       = dunningPrefix + "remind_on_due"
	dunningAfterField       = dunningPrefix + "remind_after_due"
	dunningDigestField      = dunningPrefix + "daily_digest"
)

var dunningFields = []string{dunningRetryField, dunningRejectionField, dunningFinalNoticeField, dunningStaffNotifyField, dunningStaffField,
	dunningFinalField, dunningWriteOffField, dunningBeforeField, dunningOnDueField, dunningAfterField, dunningDigestField}

func joinDays(days []int) string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = strconv.Itoa(d)
	}
	return strings.Join(out, ", ")
}

func check(fm *form, name string, on bool) {
	if on {
		fm.set(name, "on")
	}
}

// setDunningFields fills the payment chasing form from the firm's policy.
func setDunningFields(fm *form, f firm.State) {
	p := f.Dunning()
	fm.set(dunningRetryField, joinDays(p.RetryAfterDays))
	check(fm, dunningRejectionField, p.EmailClientOnRejection)
	check(fm, dunningFinalNoticeField, p.EmailClientFinalNotice)
	check(fm, dunningStaffNotifyField, p.NotifyStaffOnFailure)
	check(fm, dunningDigestField, p.DailyDigest)
	fm.set(dunningStaffField, strings.Join(p.StaffEmails, ", "))
	fm.set(dunningFinalField, string(p.FinalAction))
	if p.WriteOffAfterDays > 0 {
		fm.set(dunningWriteOffField, strconv.Itoa(p.WriteOffAfterDays))
	}
	fm.set(dunningBeforeField, joinDays(p.RemindBeforeDue))
	check(fm, dunningOnDueField, p.RemindOnDue)
	fm.set(dunningAfterField, joinDays(p.RemindAfterDue))
}

func (h *handler) handleFirmDunning(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	fs := readForm(r)
	var staff []string
	for a := range strings.FieldsFuncSeq(fs.str(dunningStaffField), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		staff = append(staff, a)
	}
	p := firm.DunningPolicy{
		RetryAfterDays:         retryDays(fs, dunningRetryField),
		EmailClientOnRejection: fs.str(dunningRejectionField) != "",
		EmailClientFinalNotice: fs.str(dunningFinalNoticeField) != "",
		NotifyStaffOnFailure:   fs.str(dunningStaffNotifyField) != "",
		StaffEmails:            staff,
		FinalAction:            firm.FinalAction(fs.str(dunningFinalField)),
		WriteOffAfterDays:      days(fs, dunningWriteOffField),
		RemindBeforeDue:        retryDays(fs, dunningBeforeField),
		RemindOnDue:            fs.str(dunningOnDueField) != "",
		RemindAfterDue:         retryDays(fs, dunningAfterField),
		DailyDigest:            fs.str(dunningDigestField) != "",
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ChangeDunningPolicy(ctx, p, meta)
		})
	}
	if err != nil {
		f, _, ferr := h.firmNow(r.Context())
		if ferr != nil {
			h.fail(w, r, ferr)
			return
		}
		fm := firmForm(f)
		for _, k := range dunningFields {
			fm.set(k, r.PostFormValue(k))
		}
		fm.fail(err, func(e error) string { return h.userMessage(r, e) }, func(field string) string {
			if field == "" || strings.HasPrefix(field, dunningPrefix) {
				return field
			}
			return dunningPrefix + field
		})
		h.showFirm(w, r, statusOf(err), f, fm)
		return
	}
	redirect(w, r, firmPath+"#dunning", "Payment chasing saved.")
}
