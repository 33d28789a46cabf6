package emailer

import (
	"context"
	"strings"

	"remit/domain"
	mailbox "remit/domain/outbox"
	"remit/domain/priceincrease"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/formats/pdf"
	"remit/projections/follow"
)

// priceLine is one service of a price notice: "Bookkeeping: A$450.00 →
// A$495.00 a month".
type priceLine struct{ Name, Old, New, Cadence string }

// triggerPriceNotice emails a client that its prices change: a bulk price
// increase's notice (to the contact it names; its id from the batch and
// the client, so once per client and batch), or one service's price
// change made with "notify the client" (to the primary billing contact;
// its id from the event).
func (o *Outbox) triggerPriceNotice(ctx context.Context, ev follow.Event) error {
	var q mailbox.EmailQueued
	switch e := ev.Data.(type) {
	case priceincrease.PriceIncreaseNoticeSent:
		if !strings.Contains(e.ContactEmail, "@") {
			o.log.Warn("outbox: a price increase notice has no email address; not sent", "client", e.ClientID)
			return nil
		}
		q = mailbox.EmailQueued{EmailID: mailbox.EmailID(mailbox.KindPriceIncrease, e.BatchID.String()+"/"+e.ClientID.String()),
			ClientID: e.ClientID, To: e.ContactEmail, ToName: e.ContactName}
	case service.ServiceEdited:
		if !e.NotifyClientOfPriceChange || e.UnitPrice == nil {
			return nil
		}
		evs, err := o.events(ctx, service.StreamName(e.ServiceID), ev.Position)
		if err != nil {
			return err
		}
		q = mailbox.EmailQueued{EmailID: mailbox.EmailID(mailbox.KindPriceIncrease, ev.ID.String()), ClientID: service.Fold(evs).ClientID}
	default:
		return nil
	}
	if known, err := o.known(ctx, q.EmailID); err != nil || known {
		return err
	}
	q.Kind, q.TriggerEventID, q.TriggerPosition = mailbox.KindPriceIncrease, ev.ID, ev.Position
	return o.queueAndSend(ctx, q, ev.Metadata.CorrelationID)
}

// priceView fills in a price notice: each service's old and new price and
// the effective date, from the batch or the service as of the trigger.
func (o *Outbox) priceView(ctx context.Context, v *view, trigger domain.Event, pos uint64) error {
	line := func(name string, old, new domain.Money, rule domain.BillingRule) priceLine {
		return priceLine{Name: name, Old: money(old), New: money(new), Cadence: proposal.CadenceOf(rule).Label}
	}
	switch e := trigger.(type) {
	case priceincrease.PriceIncreaseNoticeSent:
		evs, err := o.events(ctx, priceincrease.StreamName(e.BatchID), pos)
		if err != nil {
			return err
		}
		b := priceincrease.Fold(evs)
		for _, c := range b.ClientServices(e.ClientID) {
			v.Prices = append(v.Prices, line(c.ServiceName, domain.NewMoney(c.OldUnitPrice, c.Currency),
				domain.NewMoney(c.NewUnitPrice, c.Currency), c.BillingRule))
		}
		v.EffectiveOn = pdf.FormatDate(b.EffectiveFrom)
	case service.ServiceEdited:
		evs, err := o.events(ctx, service.StreamName(e.ServiceID), pos)
		if err != nil {
			return err
		}
		before := service.Fold(evs[:max(len(evs)-1, 0)])
		v.Prices = []priceLine{line(before.Name, domain.NewMoney(before.Terms.UnitPrice, before.Currency),
			domain.NewMoney(*e.UnitPrice, before.Currency), before.BillingRule)}
		v.EffectiveOn = pdf.FormatDate(e.EffectiveFrom)
	}
	return nil
}

// priceNoticeTemplates are the price notice's wording.
var priceNoticeTemplates = [3]string{
	`Your prices from {{.Firm}} change on {{.EffectiveOn}}`,
	`Hello {{.Contact}},

From {{.EffectiveOn}}, {{.Firm}}'s prices for {{.Client}} change as follows (unit prices):
{{range .Prices}}
- {{.Name}}: {{.Old}} → {{.New}} {{.Cadence}}{{end}}

Billings dated on or after {{.EffectiveOn}} are at the new prices; nothing else changes.
If you have questions, just reply to this email.

Thank you,
{{.Firm}}
`,
	`<p>Hello {{.Contact}},</p>
<p>From <strong>{{.EffectiveOn}}</strong>, {{.Firm}}'s prices for {{.Client}} change as follows (unit prices):</p>
<table>
<tr><th align="left">Service</th><th align="right">Now</th><th align="right">From {{.EffectiveOn}}</th><th></th></tr>
{{range .Prices}}<tr><td>{{.Name}}</td><td align="right">{{.Old}}</td><td align="right">{{.New}}</td><td>{{.Cadence}}</td></tr>
{{end}}</table>
<p>Billings dated on or after {{.EffectiveOn}} are at the new prices; nothing else changes. If you have questions, just reply to this email.</p>
<p>Thank you,<br>{{.Firm}}</p>
`,
}
