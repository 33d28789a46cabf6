package emailer

import (
	"context"
	"strconv"
	"strings"

	"remit/domain"
	"remit/domain/firm"
	mailbox "remit/domain/outbox"
	"remit/formats/pdf"
	"remit/projections"
	"remit/projections/follow"
)

// The staff's daily digest (FirmDunningDigestSent, recorded by the daily
// dunning job): one email per staff address of the dunning policy, listing
// the failed payments and the overdue invoices by age, read from the
// collections read model (Config.Collections) when the email is composed,
// with links to the Collections page (LinkCollections).

// digestRows is how many failed payments, and overdue invoices, a digest
// lists; the Collections page has the rest.
const digestRows = 50

// digestFailed is one failed payment of a digest.
type digestFailed struct{ Number, Client, Balance, Reason, Next string }

// digestOverdue is one overdue invoice of a digest.
type digestOverdue struct{ Number, Client, Balance, Age string }

// digestBucket is one age bucket of a digest's overdue invoices.
type digestBucket struct {
	Name     string
	Total    string // per currency, "A$110.00, NZ$50.00"
	Invoices []digestOverdue
}

// triggerDigest emails the digest to each staff address.
func (o *Outbox) triggerDigest(ctx context.Context, ev follow.Event) error {
	e, ok := ev.Data.(firm.FirmDunningDigestSent)
	if !ok {
		return nil
	}
	f, err := o.firm(ctx)
	if err != nil {
		return err
	}
	to := f.Dunning().StaffEmails
	if len(to) == 0 {
		a, _ := o.staffAddress()
		to = []string{a}
	}
	for i, a := range to {
		id := mailbox.EmailID(mailbox.KindDunningDigest, ev.ID.String()+"/"+strconv.Itoa(i))
		if known, err := o.known(ctx, id); err != nil {
			return err
		} else if known {
			continue
		}
		q := mailbox.EmailQueued{
			EmailID: id, Kind: mailbox.KindDunningDigest, To: a, ToName: "Billing staff", Date: e.Date,
			TriggerEventID: ev.ID, TriggerPosition: ev.Position,
		}
		if err := o.queueAndSend(ctx, q, ev.Metadata.CorrelationID); err != nil {
			return err
		}
	}
	return nil
}

// digestView fills in the digest: its date, counts and totals, and the
// failed and overdue invoices from the collections read model.
func (o *Outbox) digestView(ctx context.Context, v *view, e firm.FirmDunningDigestSent) error {
	v.DigestDate = pdf.FormatDate(e.Date)
	v.FailedCount, v.OverdueCount = e.Failed, e.Overdue
	v.CollectionsLink = o.cfg.LinkFor(LinkCollections, [16]byte{}, [16]byte{})
	var failed, overdue []string
	for _, t := range e.Totals {
		if t.Failed.Amount.IsPositive() {
			failed = append(failed, money(t.Failed))
		}
		if t.Overdue.Amount.IsPositive() {
			overdue = append(overdue, money(t.Overdue))
		}
	}
	v.FailedTotal, v.OverdueTotal = strings.Join(failed, ", "), strings.Join(overdue, ", ")
	if o.cfg.Collections == nil {
		return nil
	}
	rows := projections.Paging{Limit: digestRows}
	c, err := o.cfg.Collections(ctx, projections.CollectionsQuery{Today: e.Date, Upcoming: projections.Paging{Limit: 1}, Failed: rows, Overdue: rows})
	if err != nil {
		return err
	}
	for _, p := range c.Failed.Items {
		next := "retries ran out"
		switch {
		case !p.NextRetry.IsZero():
			next = "next retry " + pdf.FormatDate(p.NextRetry)
		case p.Stage != "":
			next = strings.ToLower(p.Stage[:1]) + p.Stage[1:]
		}
		v.Failed = append(v.Failed, digestFailed{Number: p.Number, Client: p.ClientName, Balance: money(p.Balance), Reason: domain.Sentence(p.DeclineMessage), Next: next})
	}
	v.MoreFailed = c.Failed.Total - len(c.Failed.Items)
	v.Buckets = digestBuckets(c)
	v.MoreOverdue = c.Overdue.Total - len(c.Overdue.Items)
	return nil
}

// digestBuckets groups the overdue invoices by age bucket, oldest first,
// with each bucket's total per currency.
func digestBuckets(c projections.Collections) []digestBucket {
	var out []digestBucket
	for i := len(projections.AgingBuckets) - 1; i > 0; i-- { // every bucket but current
		b := projections.AgingBuckets[i]
		var totals []string
		for _, t := range c.Totals {
			for _, a := range t.Aging {
				if a.Bucket == b && a.Count > 0 {
					totals = append(totals, money(a.Amount))
				}
			}
		}
		if len(totals) == 0 {
			continue
		}
		db := digestBucket{Name: bucketName(b), Total: strings.Join(totals, ", ")}
		for _, x := range c.Overdue.Items {
			if x.Bucket == b {
				db.Invoices = append(db.Invoices, digestOverdue{Number: x.Number, Client: x.ClientName, Balance: money(x.Balance), Age: daysOverdue(x.DaysOverdue)})
			}
		}
		out = append(out, db)
	}
	return out
}

func daysOverdue(n int) string {
	if n == 1 {
		return "1 day overdue"
	}
	return strconv.Itoa(n) + " days overdue"
}

func bucketName(b projections.AgingBucket) string {
	switch b {
	case projections.Aging1To30:
		return "1 to 30 days overdue"
	case projections.Aging31To60:
		return "31 to 60 days overdue"
	case projections.Aging61To90:
		return "61 to 90 days overdue"
	}
	return "more than 90 days overdue"
}

// digestTemplates are the staff's daily digest.
var digestTemplates = [3]string{
	`Payment chasing, {{.DigestDate}}: {{.FailedCount}} failed, {{.OverdueCount}} overdue`,
	`Payment chasing digest for {{.DigestDate}} ({{.Firm}})

Failed payments: {{.FailedCount}}{{if .FailedTotal}} ({{.FailedTotal}}){{end}}
{{range .Failed}}- {{.Number}}, {{.Client}}, {{.Balance}}: {{.Reason}}; {{.Next}}
{{end}}{{if .MoreFailed}}- and {{.MoreFailed}} more
{{end}}
Overdue invoices: {{.OverdueCount}}{{if .OverdueTotal}} ({{.OverdueTotal}}){{end}}
{{range .Buckets}}
{{.Name}}: {{.Total}}
{{range .Invoices}}- {{.Number}}, {{.Client}}, {{.Balance}}, {{.Age}}
{{end}}{{end}}{{if .MoreOverdue}}- and {{.MoreOverdue}} more
{{end}}
See them all and act on them: {{.CollectionsLink}}
`,
	`<p>Payment chasing digest for <strong>{{.DigestDate}}</strong> ({{.Firm}})</p>
<h2>Failed payments: {{.FailedCount}}{{if .FailedTotal}} ({{.FailedTotal}}){{end}}</h2>
{{if .Failed}}<ul>
{{range .Failed}}<li><strong>{{.Number}}</strong>, {{.Client}}, {{.Balance}}: {{.Reason}}; {{.Next}}</li>
{{end}}{{if .MoreFailed}}<li>and {{.MoreFailed}} more</li>
{{end}}</ul>
{{end}}<h2>Overdue invoices: {{.OverdueCount}}{{if .OverdueTotal}} ({{.OverdueTotal}}){{end}}</h2>
{{range .Buckets}}<h3>{{.Name}}: {{.Total}}</h3>
<ul>
{{range .Invoices}}<li><strong>{{.Number}}</strong>, {{.Client}}, {{.Balance}}, {{.Age}}</li>
{{end}}</ul>
{{end}}{{if .MoreOverdue}}<p>and {{.MoreOverdue}} more</p>
{{end}}<p><a href="{{.CollectionsLink}}">See them all on the Collections page</a></p>
`,
}
