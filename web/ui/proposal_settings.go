package ui

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"remit/billing"
	"remit/domain/firm"
)

// Proposal settings, on the firm's settings page: the days after sending on
// which the daily job reminds the signatories who have not signed, the
// default expiry in days after sending (empty: never), and whether staff
// are emailed of a client's first view, acceptance or decline, and where
// (POST /settings/firm/proposals). Errors are shown beside their fields.

const (
	proposalReminderField = "proposals.reminder_days"
	proposalExpiryField   = "proposals.expiry_days"
	proposalNotifyField   = "proposals.notify_staff"
	proposalStaffField    = "proposals.staff_email"
)

// setProposalFields fills the proposal settings form from the firm's
// settings.
func setProposalFields(fm *form, f firm.State) {
	ps := f.Proposals()
	days := make([]string, len(ps.ReminderDays))
	for i, d := range ps.ReminderDays {
		days[i] = strconv.Itoa(d)
	}
	fm.set(proposalReminderField, strings.Join(days, ", "))
	if ps.ExpiryDays > 0 {
		fm.set(proposalExpiryField, strconv.Itoa(ps.ExpiryDays))
	}
	if ps.NotifyStaff {
		fm.set(proposalNotifyField, "on")
	}
	fm.set(proposalStaffField, ps.StaffEmail)
}

func (h *handler) handleFirmProposals(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	fs := readForm(r)
	ps := firm.ProposalSettings{
		ReminderDays: retryDays(fs, proposalReminderField),
		ExpiryDays:   days(fs, proposalExpiryField),
		NotifyStaff:  fs.str(proposalNotifyField) != "",
		StaffEmail:   fs.str(proposalStaffField),
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Proposals: &ps}, meta)
		})
	}
	if err != nil {
		f, _, ferr := h.firmNow(r.Context())
		if ferr != nil {
			h.fail(w, r, ferr)
			return
		}
		fm := firmForm(f)
		for _, k := range []string{proposalReminderField, proposalExpiryField, proposalNotifyField, proposalStaffField} {
			fm.set(k, r.PostFormValue(k))
		}
		fm.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.showFirm(w, r, statusOf(err), f, fm)
		return
	}
	redirect(w, r, firmPath+"#proposals", "Proposal settings saved.")
}
