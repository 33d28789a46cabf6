package emailer

import (
	"context"
	"fmt"

	"remit/domain/firm"
	mailbox "remit/domain/outbox"
	"remit/domain/proposal"
	"remit/integrations/mail"
	"remit/processes/signeddoc"
	"remit/projections/follow"
)

// triggerSigned emails the signed-proposal PDF, once it is filed
// (ProposalSignedDocumentFiled), to each signatory and to the firm's staff:
// one email each, its id from the trigger and the signatory (or "staff").
func (o *Outbox) triggerSigned(ctx context.Context, ev follow.Event) error {
	e, ok := ev.Data.(proposal.ProposalSignedDocumentFiled)
	if !ok {
		return nil
	}
	p, err := o.proposalAsOf(ctx, e.ProposalID, ev.Position)
	if err != nil {
		return err
	}
	staffTo, staffName := o.staffAddress()
	type to struct{ key, name, email string }
	list := make([]to, 0, len(p.Signatories)+1)
	for _, g := range p.Signatories {
		list = append(list, to{"signatory/" + g.ID.String(), g.Name, g.Email})
	}
	list = append(list, to{"staff", staffName, staffTo})
	for _, r := range list {
		id := mailbox.EmailID(mailbox.KindProposalSigned, ev.ID.String()+"/"+r.key)
		if known, err := o.known(ctx, id); err != nil {
			return err
		} else if known || r.email == "" {
			continue
		}
		q := mailbox.EmailQueued{
			EmailID: id, Kind: mailbox.KindProposalSigned, ClientID: p.ClientID, ProposalID: e.ProposalID,
			To: r.email, ToName: r.name, TriggerEventID: ev.ID, TriggerPosition: ev.Position,
		}
		if err := o.queueAndSend(ctx, q, ev.Metadata.CorrelationID); err != nil {
			return err
		}
	}
	return nil
}

// signedView fills in the signed-proposal email and answers the PDF,
// rendered again from the acceptance (the same bytes as the file kept;
// a PDF whose hash is not the one filed is not sent).
func (o *Outbox) signedView(ctx context.Context, v *view, q mailbox.EmailQueued, f firm.State) ([]mail.Attachment, error) {
	rec, err := signeddoc.Load(ctx, o.cfg.Store, q.ProposalID)
	if err != nil {
		return nil, err
	}
	b, err := signeddoc.Render(rec)
	if err != nil {
		return nil, err
	}
	h := signeddoc.Hash(b)
	if rec.Filed == nil || rec.Filed.PDFSHA256 != h {
		return nil, fmt.Errorf("outbox: the signed PDF of proposal %s rendered again does not match the one filed", q.ProposalID)
	}
	v.Title = rec.Title
	v.Note = h
	v.FirstYear = rec.Accepted.DocumentHash
	for _, s := range rec.Accepted.Signatures {
		v.Services = append(v.Services, serviceLine{Name: s.SignedName, Amount: s.Email, Cadence: s.At.In(location(f)).Format("2 Jan 2006 15:04 MST")})
	}
	return []mail.Attachment{{Filename: "signed-proposal.pdf", ContentType: "application/pdf", Data: b}}, nil
}

// signedTemplates are the email carrying the signed-proposal PDF. Services
// are the signatures (name, email, time), FirstYear the document's SHA-256
// and Note the PDF's.
var signedTemplates = [3]string{
	`Signed: {{.Title}} ({{.Client}})`,
	`Hello {{.Contact}},

The proposal "{{.Title}}" from {{.Firm}} to {{.Client}} is signed by everyone:

{{range .Services}}- {{.Name}} ({{.Amount}}), {{.Cadence}}
{{end}}
The signed document is attached as a PDF: the letter and services agreed,
and each signature's evidence.
SHA-256 of the document signed: {{.FirstYear}}
SHA-256 of the attached PDF: {{.Note}}

Thank you,
{{.Firm}}
`,
	`<p>Hello {{.Contact}},</p>
<p>The proposal <strong>{{.Title}}</strong> from {{.Firm}} to {{.Client}} is signed by everyone:</p>
<ul>{{range .Services}}<li>{{.Name}} ({{.Amount}}), {{.Cadence}}</li>{{end}}</ul>
<p>The signed document is attached as a PDF: the letter and services agreed, and each signature's evidence.</p>
<p>SHA-256 of the document signed: <code>{{.FirstYear}}</code><br>SHA-256 of the attached PDF: <code>{{.Note}}</code></p>
<p>Thank you,<br>{{.Firm}}</p>
`,
}
