package emailer

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	mailbox "remit/domain/outbox"
	"remit/domain/proposal"
	"remit/projections/follow"
)

// triggerReminder emails a proposal reminder to each recipient it names
// (the signatories who had not signed): one email per recipient, its id
// from the event's id and the recipient's place, so the reminder is
// emailed once however often the log is replayed.
func (o *Outbox) triggerReminder(ctx context.Context, ev follow.Event) error {
	e, ok := ev.Data.(proposal.ProposalReminderSent)
	if !ok {
		return nil
	}
	p, err := o.proposalAsOf(ctx, e.ProposalID, ev.Position)
	if err != nil {
		return err
	}
	for i, r := range e.Recipients {
		id := mailbox.EmailID(mailbox.KindProposalReminder, ev.ID.String()+"/"+strconv.Itoa(i))
		if known, err := o.known(ctx, id); err != nil {
			return err
		} else if known {
			continue
		}
		if !strings.Contains(r.Email, "@") {
			o.log.Warn("outbox: a reminder's recipient has no email address (erased?); not sent", "proposal", e.ProposalID)
			continue
		}
		q := mailbox.EmailQueued{
			EmailID: id, Kind: mailbox.KindProposalReminder, ClientID: p.ClientID, ProposalID: e.ProposalID,
			To: r.Email, ToName: r.Name, TriggerEventID: ev.ID, TriggerPosition: ev.Position,
		}
		if err := o.queueAndSend(ctx, q, ev.Metadata.CorrelationID); err != nil {
			return err
		}
	}
	return nil
}

// triggerStaffNotice emails the firm's staff that a client first viewed,
// accepted or declined a proposal, when the firm's proposal settings ask
// for it. The email's id is the kind's and the proposal's: the first view
// of a proposal is told, later ones (another signatory, a re-send) are not.
func (o *Outbox) triggerStaffNotice(ctx context.Context, kind mailbox.Kind, ev follow.Event) error {
	var proposalID uuid.UUID
	switch e := ev.Data.(type) {
	case proposal.ProposalViewed:
		proposalID = e.ProposalID
	case proposal.ProposalAccepted:
		proposalID = e.ProposalID
	case proposal.ProposalDeclined:
		proposalID = e.ProposalID
	default:
		return nil
	}
	id := mailbox.EmailID(kind, proposalID.String())
	if known, err := o.known(ctx, id); err != nil || known {
		return err
	}
	f, err := o.firm(ctx)
	if err != nil {
		return err
	}
	settings := f.Proposals()
	if !settings.NotifyStaff {
		return nil
	}
	p, err := o.proposalAsOf(ctx, proposalID, ev.Position)
	if err != nil {
		return err
	}
	to, name := o.staffAddress()
	if settings.StaffEmail != "" {
		to = settings.StaffEmail
	}
	q := mailbox.EmailQueued{
		EmailID: id, Kind: kind, ClientID: p.ClientID, ProposalID: proposalID,
		To: to, ToName: name, TriggerEventID: ev.ID, TriggerPosition: ev.Position,
	}
	return o.queueAndSend(ctx, q, ev.Metadata.CorrelationID)
}

// noticeView fills in what a reminder or a staff notice says: the
// proposal's title, the reminder's number and the signing link, who
// viewed, signed or declined and why.
func (o *Outbox) noticeView(ctx context.Context, v *view, q mailbox.EmailQueued) error {
	evs, err := o.events(ctx, proposal.StreamName(q.ProposalID), q.TriggerPosition)
	if err != nil {
		return err
	}
	p := proposal.Fold(evs)
	v.Title = p.Title
	var trigger domain.Event
	if n := len(evs); n > 0 {
		trigger = evs[n-1] // the stream's events up to the trigger's position end with it
	}
	switch e := trigger.(type) {
	case proposal.ProposalReminderSent:
		v.Reminder = ordinal(e.Reminder)
		v.AcceptLink = o.signingLink(p, q)
		if !p.OpenUntil.IsZero() {
			v.ExpiresOn = domain.FormatDate(p.OpenUntil)
		}
	case proposal.ProposalViewed:
		v.Who = "someone with the proposal's link"
		if g, ok := p.Signatory(e.SignatoryID); ok && e.SignatoryID != uuid.Nil {
			v.Who = g.Name
		}
	case proposal.ProposalAccepted:
		v.Who = e.AcceptedByName
	case proposal.ProposalDeclined:
		v.Reason = e.Reason
	}
	return nil
}

// signingLink is the recipient's own signing link when they are one of the
// proposal's signatories and signing links are configured, else the
// proposal's acceptance link.
func (o *Outbox) signingLink(p proposal.State, q mailbox.EmailQueued) string {
	if o.cfg.SignLinkFor != nil {
		for _, g := range p.Signatories {
			if strings.EqualFold(g.Email, q.To) {
				return o.cfg.SignLinkFor(q.ClientID, q.ProposalID, g.ID)
			}
		}
	}
	return o.cfg.LinkFor(LinkAccept, q.ClientID, q.ProposalID)
}

// ordinal names a reminder's number: "first", "second", … "5th".
func ordinal(n int) string {
	if words := []string{"", "first", "second", "third", "fourth", "fifth"}; n >= 1 && n < len(words) {
		return words[n]
	}
	return strconv.Itoa(n) + "th"
}

// proposalNoticeTemplates are the reminder to a signatory and the staff
// notices of a proposal viewed, accepted or declined.
var proposalNoticeTemplates = map[mailbox.Kind][3]string{
	mailbox.KindProposalReminder: {
		`Reminder: {{.Title}}, from {{.Firm}}, is waiting for your signature`,
		`Hello {{.Contact}},

This is a {{.Reminder}} reminder that {{.Firm}}'s proposal for {{.Client}}, {{.Title}}, is waiting for your signature.
{{if .ExpiresOn}}It is open until {{.ExpiresOn}}.
{{end}}
Read and sign it here: {{.AcceptLink}}

Thank you,
{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>This is a {{.Reminder}} reminder that {{.Firm}}'s proposal for {{.Client}}, <strong>{{.Title}}</strong>, is waiting for your signature.</p>
{{if .ExpiresOn}}<p>It is open until {{.ExpiresOn}}.</p>
{{end}}<p><a href="{{.AcceptLink}}">Read and sign the proposal</a></p>
<p>Thank you,<br>{{.Firm}}</p>
`},
	mailbox.KindProposalViewed: {
		`Proposal viewed: {{.Title}} ({{.Client}})`,
		`{{.Client}} opened the proposal {{.Title}} for the first time ({{.Who}}).
`,
		`<p>{{.Client}} opened the proposal <strong>{{.Title}}</strong> for the first time ({{.Who}}).</p>
`},
	mailbox.KindProposalAccepted: {
		`Proposal accepted: {{.Title}} ({{.Client}})`,
		`{{.Client}} accepted the proposal {{.Title}}{{if .Who}}, signed by {{.Who}}{{end}}. Its services have started.
`,
		`<p>{{.Client}} accepted the proposal <strong>{{.Title}}</strong>{{if .Who}}, signed by {{.Who}}{{end}}. Its services have started.</p>
`},
	mailbox.KindProposalDeclined: {
		`Proposal declined: {{.Title}} ({{.Client}})`,
		`{{.Client}} declined the proposal {{.Title}}.{{if .Reason}}
Reason given: {{.Reason}}{{end}}
`,
		`<p>{{.Client}} declined the proposal <strong>{{.Title}}</strong>.</p>
{{if .Reason}}<p>Reason given: {{.Reason}}</p>
{{end}}`},
}
