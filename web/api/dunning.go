package api

import (
	"context"
	"net/http"

	"remit/billing"
	"remit/domain/firm"
)

// DunningPolicy is the firm's dunning policy (payment chasing), replaced
// whole by PUT /api/firm/dunning-policy: the retry schedule of a rejected
// payment (days after the first rejection), the client's emails, the
// staff's failure notices and their addresses (empty: the server's staff
// address), the final action when the retries run out (switch_to_manual or
// leave) and the write-off after N days (0: never), and the reminders of
// invoices not collected automatically (days before the due date, on it,
// days after it).
type DunningPolicy struct {
	RetryAfterDays         []int    `json:"retry_after_days"`
	EmailClientOnRejection bool     `json:"email_client_on_rejection"`
	EmailClientFinalNotice bool     `json:"email_client_final_notice"`
	NotifyStaffOnFailure   bool     `json:"notify_staff_on_failure"`
	StaffEmails            []string `json:"staff_emails"`
	FinalAction            string   `json:"final_action"`
	WriteOffAfterDays      int      `json:"write_off_after_days"`
	RemindBeforeDue        []int    `json:"remind_before_due"`
	RemindOnDue            bool     `json:"remind_on_due"`
	RemindAfterDue         []int    `json:"remind_after_due"`
	DailyDigest            bool     `json:"daily_digest"`
}

// DunningPolicyView is the firm's dunning policy at a revision of the firm.
type DunningPolicyView struct {
	DunningPolicy
	Revision uint64 `json:"revision"`
}

func dunningPolicyOf(p firm.DunningPolicy) DunningPolicy {
	return DunningPolicy{
		RetryAfterDays: nonNil(p.RetryAfterDays), EmailClientOnRejection: p.EmailClientOnRejection, EmailClientFinalNotice: p.EmailClientFinalNotice,
		NotifyStaffOnFailure: p.NotifyStaffOnFailure, StaffEmails: nonNil(p.StaffEmails), FinalAction: string(p.FinalAction),
		WriteOffAfterDays: p.WriteOffAfterDays, RemindBeforeDue: nonNil(p.RemindBeforeDue), RemindOnDue: p.RemindOnDue, RemindAfterDue: nonNil(p.RemindAfterDue),
		DailyDigest: p.DailyDigest,
	}
}

func (p DunningPolicy) domain() firm.DunningPolicy {
	return firm.DunningPolicy{
		RetryAfterDays: p.RetryAfterDays, EmailClientOnRejection: p.EmailClientOnRejection, EmailClientFinalNotice: p.EmailClientFinalNotice,
		NotifyStaffOnFailure: p.NotifyStaffOnFailure, StaffEmails: p.StaffEmails, FinalAction: firm.FinalAction(p.FinalAction),
		WriteOffAfterDays: p.WriteOffAfterDays, RemindBeforeDue: p.RemindBeforeDue, RemindOnDue: p.RemindOnDue, RemindAfterDue: p.RemindAfterDue,
		DailyDigest: p.DailyDigest,
	}
}

func (s *Server) readDunningPolicy(ctx context.Context) (DunningPolicyView, error) {
	f, rev, err := s.firmState(ctx)
	if err != nil {
		return DunningPolicyView{}, err
	}
	if !f.SetUp {
		if _, err := s.readFirm(ctx); err != nil {
			return DunningPolicyView{}, err
		}
	}
	return DunningPolicyView{DunningPolicy: dunningPolicyOf(f.Dunning()), Revision: rev}, nil
}

func (s *Server) handleDunningPolicyView(w http.ResponseWriter, r *http.Request) {
	p, err := s.readDunningPolicy(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, p, p.Revision)
}

// handleDunningPolicyChange replaces the policy; If-Match names the firm
// stream's revision.
func (s *Server) handleDunningPolicyChange(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"final_action"}, func(b DunningPolicy) command {
		return command{stream: firm.StreamName(), location: fixedLocation("/api/firm/dunning-policy"),
			run: func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
				return s.cfg.Billing.ChangeDunningPolicy(ctx, b.domain(), meta)
			},
			read: func(ctx context.Context, _ billing.Result) (any, string, error) {
				p, err := s.readDunningPolicy(ctx)
				return p, etag(p.Revision), err
			}}
	})
}
