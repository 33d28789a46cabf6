package demo

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/service"
)

// retryAfterDays is the firm's retry policy (set up in setUpFirm).
var retryAfterDays = []int{3, 5, 7}

// fate is how an invoice gets paid, drawn when it is issued.
type fate struct {
	// rejections is how many collection attempts are declined before one
	// succeeds; more than the retry policy allows means all are.
	rejections int
	code       string // the decline code
	// payAfter is, for a client paying by transfer, the days from issue to
	// payment; after declined collections, the days from the last decline to
	// a transfer. 0: never (by Today).
	payAfter int
	partial  bool // pays half by transfer; the rest later (or never, for roleVoid)
	writeOff bool // written off once collection failed
}

// invoicePlan is one issued invoice and what the loader knows of it.
type invoicePlan struct {
	id        uuid.UUID
	client    *clientPlan
	number    string
	issue     domain.Date
	due       domain.Date
	recurring bool
	fate      fate
	attempts  int
	firstNo   domain.Date // the first declined attempt's day
	reminded  bool        // a reminder is planned
}

var declines = map[string]string{
	"card_declined":      "Your card was declined.",
	"insufficient_funds": "Your card has insufficient funds.",
	"do_not_honor":       "The card issuer declined the payment (do not honour).",
	"expired_card":       "Your card has expired.",
	"debit_insufficient": "The account had insufficient funds to cover the debit.",
}

// billingRun issues the automatic items due today: one invoice per client,
// item date and payment method.
func (l *loader) billingRun(d domain.Date) error {
	type group struct {
		c    *clientPlan
		pm   uuid.UUID
		keys []string
	}
	var order []string
	groups := map[string]*group{}
	for _, m := range l.services {
		if !m.dirty && (m.idle || (!m.next.IsZero() && d.Before(m.next))) {
			continue
		}
		st, err := l.current(m)
		if err != nil {
			return err
		}
		due := st.DueItems(d)
		if len(due) == 0 {
			m.lookAhead(d)
			continue
		}
		for _, it := range due {
			// Grouped as the billing run groups (the demo's firm groups items
			// and catches missed billings up).
			b := service.Grouping{Today: d}.Plan(m.client.id, it, m.client.defaultMethod())
			k, pm := b.GroupKey, b.PaymentMethodID
			g, ok := groups[k]
			if !ok {
				g = &group{c: m.client, pm: pm}
				groups[k] = g
				order = append(order, k)
			}
			g.keys = append(g.keys, it.Key)
		}
	}
	for _, k := range order {
		g := groups[k]
		res, err := l.svc.IssueInvoice(l.ctx, billing.IssueInvoiceRequest{ClientID: g.c.id, ItemKeys: g.keys, IssueDate: d, PaymentMethodID: g.pm}, meta(actorBillingRun))
		touch(g.c)
		if err != nil {
			return fmt.Errorf("issue %v: %w", g.keys, err)
		}
		if err := l.afterIssue(g.c, res.ID, actorBillingRun); err != nil {
			return err
		}
	}
	return nil
}

// afterIssue sends a new invoice and plans how it gets paid.
func (l *loader) afterIssue(c *clientPlan, id uuid.UUID, actor string) error {
	st, err := l.readInvoice(id)
	if err != nil {
		return err
	}
	inv := &invoicePlan{id: id, client: c, number: st.Number, issue: st.IssueDate, due: st.DueDate, recurring: st.Recurring}
	l.invoices = append(l.invoices, inv)
	if _, err := l.svc.SendInvoice(l.ctx, billing.InvoiceRequest{InvoiceID: id}, meta(actor)); err != nil {
		return fmt.Errorf("send %s: %w", inv.number, err)
	}
	d := inv.issue
	switch {
	case c.role == roleVoid && !c.voidDone && !d.Before(l.start.AddDays(75)) && hasItems(st):
		c.voidDone = true
		l.plan(weekday(d), 10*60+30, "void and re-issue", func(day domain.Date) error { return l.voidAndReissue(inv, st) })
		return nil
	case c.role == roleCredit && !c.creditDone && st.Recurring && !d.Before(l.start.AddDays(230)):
		c.creditDone = true
		credit := st.Currency.Round(st.Totals.Gross.Amount.Mul(amount("0.1")))
		l.plan(d, 10*60, "credit note", func(domain.Date) error {
			_, err := l.svc.IssueCreditNote(l.ctx, billing.InvoiceRequest{InvoiceID: id, Amount: credit, Reason: "Goodwill credit: month-end close delivered late on our side"}, meta(actorPartner))
			return err
		})
	}
	inv.fate = l.fateFor(inv, st)
	if st.PaymentMethodID == uuid.Nil {
		l.planTransfer(inv, d.AddDays(inv.fate.payAfter), inv.fate.payAfter > 0, inv.fate.partial)
		return nil
	}
	if _, err := l.svc.ScheduleCollection(l.ctx, billing.InvoiceRequest{InvoiceID: id}, meta(actorPayments)); err != nil {
		return fmt.Errorf("schedule collection of %s: %w", inv.number, err)
	}
	on := d
	if st.Recurring {
		on = d.AddDays(3)
	}
	l.plan(on, 7*60+30, "collect "+inv.number, func(d domain.Date) error { return l.collect(inv, d) })
	return nil
}

func hasItems(st invoice.State) bool {
	for _, ln := range st.Lines {
		if ln.ItemKey != "" {
			return true
		}
	}
	return false
}

// fateFor draws how the invoice gets paid.
func (l *loader) fateFor(inv *invoicePlan, st invoice.State) fate {
	c := inv.client
	code := pick(l.rng, []string{"card_declined", "insufficient_funds", "insufficient_funds", "do_not_honor"})
	if m := c.method(st.PaymentMethodID); m != nil && m.details.Kind == client.MethodBankDebit {
		code = "debit_insufficient"
	}
	switch {
	case c.role == roleWriteOff && !inv.issue.Before(l.start.AddDays(140)):
		return fate{rejections: 99, code: "insufficient_funds", writeOff: true}
	case c.role == roleRejected && !inv.issue.Before(l.today.AddDays(-40)):
		return fate{rejections: 99, code: "card_declined"}
	case c.role == roleVoid && !inv.issue.Before(l.today.AddDays(-7)):
		return fate{} // not paid yet: awaiting payment
	case c.role == roleVoid && !inv.issue.Before(l.today.AddDays(-45)):
		return fate{payAfter: 6 + l.rng.IntN(6), partial: true}
	case c.payer == payerOffline:
		switch n := l.rng.IntN(100); {
		case n < 3:
			return fate{}
		case n < 11:
			return fate{payAfter: 5 + l.rng.IntN(15), partial: true}
		default:
			return fate{payAfter: 3 + l.rng.IntN(22)}
		}
	case c.payer == payerShaky:
		switch n := l.rng.IntN(100); {
		case n < 70:
			return fate{}
		case n < 88:
			return fate{rejections: 1 + l.rng.IntN(2), code: code}
		default:
			return fate{rejections: 99, code: code, payAfter: 3 + l.rng.IntN(18)}
		}
	}
	if l.rng.IntN(100) < 4 {
		return fate{rejections: 1, code: code}
	}
	return fate{}
}

// planTransfer plans a payment by bank transfer on day d (when pays).
func (l *loader) planTransfer(inv *invoicePlan, d domain.Date, pays, partial bool) {
	l.planReminder(inv)
	if !pays {
		return
	}
	l.plan(weekday(d), l.officeMinute(), "transfer for "+inv.number, func(d domain.Date) error {
		st, err := l.readInvoice(inv.id)
		if err != nil {
			return err
		}
		if !open(st) {
			return nil
		}
		amt := st.Balance().Amount
		if partial {
			amt = st.Currency.Round(amt.Div(decimal.NewFromInt(2)))
		}
		if _, err := l.svc.RecordOfflinePayment(l.ctx, billing.InvoiceRequest{
			InvoiceID: inv.id, Method: invoice.PaidByBankTransfer, Reference: inv.number, Amount: amt, Date: d,
		}, meta(actorClientDesk)); err != nil {
			return fmt.Errorf("record transfer for %s: %w", inv.number, err)
		}
		if partial && inv.client.role != roleVoid {
			l.planTransfer(inv, d.AddDays(10+l.rng.IntN(20)), true, false)
		}
		return nil
	})
}

// planReminder re-sends the invoice a week after its due date if it is
// still unpaid then.
func (l *loader) planReminder(inv *invoicePlan) {
	if inv.reminded {
		return
	}
	inv.reminded = true
	l.plan(weekday(inv.due.AddDays(7)), 9*60+15, "reminder for "+inv.number, func(domain.Date) error {
		st, err := l.readInvoice(inv.id)
		if err != nil || !open(st) {
			return err
		}
		_, err = l.svc.SendInvoice(l.ctx, billing.InvoiceRequest{InvoiceID: inv.id}, meta(actorClientDesk))
		return err
	})
}

// open reports whether money is still expected on the invoice.
func open(st invoice.State) bool {
	switch st.Status {
	case invoice.StatusPaid, invoice.StatusVoid, invoice.StatusWrittenOff:
		return false
	}
	return st.Balance().Amount.IsPositive()
}

// collect is the sandbox gateway's answer to one collection attempt.
func (l *loader) collect(inv *invoicePlan, d domain.Date) error {
	st, err := l.readInvoice(inv.id)
	if err != nil {
		return err
	}
	if !open(st) || st.Status != invoice.StatusPaymentScheduled {
		return nil
	}
	c := inv.client
	pm := st.Collection.PaymentMethodID
	if m := c.method(pm); m != nil && expiredOn(m, d) {
		if next := c.defaultMethod(); next != uuid.Nil && next != pm {
			// The card was replaced since: collect from the new one.
			if _, err := l.svc.ScheduleCollection(l.ctx, billing.InvoiceRequest{InvoiceID: inv.id, Date: d, PaymentMethodID: next}, meta(actorPayments)); err != nil {
				return err
			}
			pm = next
		} else {
			return l.declineExpired(inv, m, d)
		}
	}
	k := inv.attempts
	inv.attempts++
	if k >= inv.fate.rejections {
		ref := l.gen.token("ch_")
		debit := false
		if m := c.method(pm); m != nil && m.details.Kind == client.MethodBankDebit {
			ref, debit = l.gen.token("py_"), true
		}
		_, err := l.svc.RecordCollectionAttempt(l.ctx, billing.InvoiceRequest{
			InvoiceID: inv.id, Outcome: invoice.AttemptSucceeded, PaymentMethodID: pm, GatewayReference: ref, Amount: st.Balance().Amount, Date: d,
		}, meta(actorGateway))
		if err == nil {
			l.settle(d, ref, inv.id, st.Balance(), debit)
		}
		return err
	}
	if _, err := l.svc.RecordCollectionAttempt(l.ctx, billing.InvoiceRequest{
		InvoiceID: inv.id, Outcome: invoice.AttemptRejected, PaymentMethodID: pm, DeclineCode: declineCode(inv.fate.code), DeclineMessage: declines[inv.fate.code], Date: d,
	}, meta(actorGateway)); err != nil {
		return err
	}
	if k == 0 {
		inv.firstNo = d
	}
	if k < len(retryAfterDays) {
		retry := inv.firstNo.AddDays(retryAfterDays[k])
		if _, err := l.svc.ScheduleRetry(l.ctx, billing.InvoiceRequest{InvoiceID: inv.id, Date: retry, PaymentMethodID: pm}, meta(actorPayments)); err != nil {
			return fmt.Errorf("schedule retry of %s: %w", inv.number, err)
		}
		l.plan(retry, 7*60+30, "retry "+inv.number, func(d domain.Date) error { return l.collect(inv, d) })
		return nil
	}
	// Retries exhausted: the invoice stays rejected until someone acts.
	l.planReminder(inv)
	if inv.fate.payAfter > 0 {
		l.planTransfer(inv, d.AddDays(inv.fate.payAfter), true, false)
	}
	if inv.fate.writeOff {
		l.plan(weekday(d.AddDays(1)), l.officeMinute(), "client ceased trading", func(d domain.Date) error {
			return l.leave(c, d, "Client ceased trading")
		})
		l.plan(weekday(d.AddDays(14)), l.officeMinute(), "write off "+inv.number, func(domain.Date) error {
			_, err := l.svc.WriteOffInvoice(l.ctx, billing.InvoiceRequest{InvoiceID: inv.id, Reason: "Client ceased trading; the debt is not economical to pursue"}, meta(actorPartner))
			return err
		})
	}
	return nil
}

// declineCode maps the loader's decline keys to gateway codes.
func declineCode(key string) string {
	if key == "debit_insufficient" {
		return "insufficient_funds"
	}
	return key
}

// expiredOn reports whether a card can no longer be charged on d.
func expiredOn(m *methodPlan, d domain.Date) bool {
	if m.expired {
		return true
	}
	if m.details.Kind != client.MethodCard {
		return false
	}
	last := domain.MustDate(m.details.ExpiryYear, time.Month(m.details.ExpiryMonth), 1).AddMonthsClamped(0, 31)
	return d.After(last)
}

// declineExpired records a decline for an expired card, marks the card
// expired and has the client replace it; the invoice is retried on the new
// card.
func (l *loader) declineExpired(inv *invoicePlan, m *methodPlan, d domain.Date) error {
	c := inv.client
	if _, err := l.svc.RecordCollectionAttempt(l.ctx, billing.InvoiceRequest{
		InvoiceID: inv.id, Outcome: invoice.AttemptRejected, PaymentMethodID: m.id, DeclineCode: "expired_card", DeclineMessage: declines["expired_card"], Date: d,
	}, meta(actorGateway)); err != nil {
		return err
	}
	c.awaitCard = append(c.awaitCard, inv)
	if !m.expired {
		m.expired = true
		if _, err := l.svc.MarkPaymentMethodExpired(l.ctx, billing.PaymentMethodRef{ClientID: c.id, PaymentMethodID: m.id}, meta(actorPayments)); err != nil {
			return err
		}
	}
	if c.replacing {
		return nil
	}
	c.replacing = true
	l.plan(d.AddDays(2), 20*60+40, "replace card", func(d domain.Date) error { return l.replaceCard(c, m, d) })
	return nil
}

func (l *loader) replaceCard(c *clientPlan, old *methodPlan, d domain.Date) error {
	exp := time.Date(d.Year()+3, d.Month(), 1, 0, 0, 0, 0, time.UTC)
	details := l.gen.card(exp)
	id := l.newID()
	if _, err := l.svc.ReplacePaymentMethod(l.ctx, billing.PaymentMethodRequest{ClientID: c.id, PaymentMethodID: old.id, NewPaymentMethodID: id, Method: details}, meta("client:"+c.email)); err != nil {
		return fmt.Errorf("replace card: %w", err)
	}
	for i, m := range c.methods {
		if m == old {
			c.methods[i] = &methodPlan{id: id, details: details}
		}
	}
	// The services paid with the old card are paid with the new one from today.
	for _, m := range c.services {
		st, err := l.current(m)
		if err != nil {
			return err
		}
		if st.Ended || st.Terms.PaymentMethodID != old.id {
			continue
		}
		if _, err := l.svc.EditService(l.ctx, billing.EditServiceRequest{ServiceID: m.id, EffectiveFrom: d, Changes: service.Changes{PaymentMethodID: &id}}, meta(actorClientDesk)); err != nil {
			return fmt.Errorf("move %s to the new card: %w", st.Name, err)
		}
		m.dirty = true
	}
	l.clk.at(d, 21*60)
	for _, inv := range c.awaitCard {
		inv.fate = fate{}
		if _, err := l.svc.ScheduleRetry(l.ctx, billing.InvoiceRequest{InvoiceID: inv.id, Date: d.AddDays(1), PaymentMethodID: id}, meta(actorPayments)); err != nil {
			return fmt.Errorf("retry %s on the new card: %w", inv.number, err)
		}
		l.plan(d.AddDays(1), 7*60+30, "retry "+inv.number, func(d domain.Date) error { return l.collect(inv, d) })
	}
	c.awaitCard, c.replacing = nil, false
	return nil
}

// voidAndReissue voids an invoice sent with the wrong description and bills
// its items again on a corrected invoice.
func (l *loader) voidAndReissue(inv *invoicePlan, st invoice.State) error {
	c := inv.client
	if _, err := l.svc.VoidInvoice(l.ctx, billing.InvoiceRequest{InvoiceID: inv.id, Reason: "Sent without the billing period in the description; replaced by a corrected invoice"}, meta(actorAccountant)); err != nil {
		return err
	}
	touch(c)
	for _, ln := range st.Lines {
		if ln.ItemKey == "" {
			continue
		}
		desc := fmt.Sprintf("%s (%s %d)", ln.Description, inv.issue.Month(), inv.issue.Year())
		// A new invoice id: the items' default id names the voided invoice.
		if err := l.billByHand(c, ln.ItemKey, ln.Quantity, l.newID(), &desc); err != nil {
			return err
		}
	}
	return nil
}
