package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/domain/service"
)

var gst = decimal.NewFromInt(10)

func amount(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// line is a proposal line at 10 % GST.
func line(name, desc, price, qty, unit string, rule domain.BillingRule, automatic bool) proposal.Line {
	return proposal.Line{
		Name: name, Description: name + ": " + desc, UnitPrice: amount(price), Quantity: amount(qty), Unit: unit,
		TaxRate: gst, BillingRule: rule, Automatic: automatic,
	}
}

func every(f domain.Frequency, n int) domain.BillingRule {
	return domain.BillingRule{Frequency: f, Interval: n, Start: domain.StartOnAcceptance, End: domain.EndNever}
}

func (r rule) onDate(d domain.Date) rule {
	r.Start, r.StartDate = domain.StartOnDate, d
	return r
}

func (r rule) onProposalStart() rule {
	r.Start = domain.StartOnProposalStart
	return r
}

func (r rule) anchored(day int) rule {
	r.AnchorDay = day
	return r
}

func (r rule) endAfter(n int) rule {
	r.End, r.EndAfter = domain.EndAfterN, n
	return r
}

func (r rule) endOn(d domain.Date) rule {
	r.End, r.EndDate = domain.EndOnDate, d
	return r
}

func (r rule) delayed(days int) rule {
	r.StartDelayDays = days
	return r
}

// rule is domain.BillingRule with builder methods.
type rule domain.BillingRule

func (r rule) br() domain.BillingRule { return domain.BillingRule(r) }

func weekly() rule      { return rule(every(domain.FrequencyWeeks, 1)) }
func fortnightly() rule { return rule(every(domain.FrequencyWeeks, 2)) }
func monthly() rule     { return rule(every(domain.FrequencyMonths, 1)) }
func quarterly() rule   { return rule(every(domain.FrequencyMonths, 3)) }
func yearly() rule      { return rule(every(domain.FrequencyMonths, 12)) }
func everyDays(n int) rule {
	return rule(every(domain.FrequencyDays, n))
}
func once() rule {
	return rule{Frequency: domain.FrequencyOnce, Start: domain.StartOnAcceptance}
}
func onCompletion() rule { return rule{Frequency: domain.FrequencyOnCompletion} }
func estimate() rule     { return rule{Frequency: domain.FrequencyEstimate} }

// nextBAS is the next quarterly BAS billing date (the 28th of January,
// April, July or October) at least a week after d.
func nextBAS(d domain.Date) domain.Date {
	from := d.AddDays(7)
	for m := 0; ; m++ {
		c := from.AddMonthsClamped(m, 28)
		switch c.Month() {
		case time.January, time.April, time.July, time.October:
			if !c.Before(from) {
				return c
			}
		}
	}
}

func (l *loader) price(options ...string) string { return pick(l.rng, options) }

// Service lines the firm offers.
func (l *loader) bookkeeping(r rule) proposal.Line {
	return line("Monthly bookkeeping", "Bank reconciliations, payables and receivables, monthly close in Xero",
		l.price("350.00", "450.00", "520.00", "650.00", "950.00"), "1", "month", r.br(), true)
}

func (l *loader) bas(d domain.Date) proposal.Line {
	return line("BAS preparation and lodgement", "Quarterly business activity statement, prepared and lodged with the ATO",
		l.price("590.00", "690.00", "790.00", "890.00"), "1", "quarter", quarterly().onDate(nextBAS(d)).br(), true)
}

func (l *loader) annualAccounts(d domain.Date) proposal.Line {
	return line("Annual financial statements and company tax return", "Special-purpose financial statements, company tax return and ASIC review",
		l.price("2400.00", "3200.00", "3900.00", "4800.00"), "1", "year", yearly().onDate(d.AddDays(60+l.rng.IntN(140))).br(), true)
}

func (l *loader) payroll(r rule) proposal.Line {
	price := "95.00"
	if r.Interval == 2 {
		price = "160.00"
	}
	return line("Payroll processing", "Pay runs, payslips, Single Touch Payroll reporting and super", price, "1", "pay run", r.br(), true)
}

func (l *loader) xero(r rule) proposal.Line {
	return line("Xero Standard subscription", "Xero subscription, billed through the practice", "70.00", "1", "month", r.br(), true)
}

func (l *loader) cashflow() proposal.Line {
	return line("Cash-flow forecast review", "Rolling 13-week cash-flow forecast, reviewed every four weeks", "220.00", "1", "review", everyDays(28).br(), true)
}

func (l *loader) setup() proposal.Line {
	return line("Xero set-up and data migration", "Chart of accounts, bank feeds and opening balances", "1200.00", "1", "", once().delayed(7).br(), true)
}

func (l *loader) advisory() proposal.Line {
	return line("Business plan and financial model", "Three-year plan and model for the bank", "3500.00", "1", "", onCompletion().br(), false)
}

func (l *loader) taxPlanning() proposal.Line {
	return line("Year-end tax planning", "Estimate: three hours of planning before 30 June", "280.00", "3", "hour", estimate().br(), false)
}

func (l *loader) managementAccounts() proposal.Line {
	return line("Management accounts", "Monthly management report and meeting, billed on hours", "165.00", "8", "hour", monthly().br(), false)
}

func (l *loader) taxReturn(r rule) proposal.Line {
	return line("Individual tax return", "Preparation and lodgement of the individual income tax return",
		l.price("330.00", "440.00", "550.00"), "1", "return", r.br(), true)
}

func (l *loader) rentalSchedule(d domain.Date) proposal.Line {
	return line("Rental property schedule", "Income and expenses of an investment property", "220.00", "1", "property", once().onDate(d).br(), true)
}

func (l *loader) payg() proposal.Line {
	return line("PAYG instalment review", "Quarterly review of PAYG instalments", "120.00", "1", "quarter", quarterly().delayed(14).br(), true)
}

func (l *loader) smsf(d domain.Date) proposal.Line {
	return line("SMSF annual compliance and audit", "Financial statements, tax return and independent audit; three-year engagement",
		"2200.00", "1", "year", yearly().onDate(d.AddDays(30)).endAfter(3).br(), true)
}

// firstProposal is the engagement a new client signs.
func (l *loader) firstProposal(c *clientPlan, d domain.Date) (string, domain.Date, []proposal.Line) {
	next := d.AddDays(3).AddMonthsClamped(1, 1) // the 1st of next month
	title := "Engagement proposal for " + c.name
	switch c.role {
	case roleAnchor31:
		return title, domain.Date{}, []proposal.Line{l.bookkeeping(monthly().anchored(31)), l.bas(d), l.annualAccounts(d)}
	case rolePayroll:
		return title, domain.Date{}, []proposal.Line{l.payroll(weekly()), l.cashflow(), l.xero(monthly().anchored(15))}
	case roleCatchUp:
		catchUp := line("Bookkeeping catch-up", "Bringing the books up to date: six monthly instalments, from three months ago",
			"750.00", "1", "month", monthly().onDate(d.AddDays(-90)).endAfter(6).br(), true)
		return "Catch-up and compliance for " + c.name, domain.Date{}, []proposal.Line{catchUp, l.bas(d)}
	case roleManual:
		return title, domain.Date{}, []proposal.Line{l.managementAccounts(), l.taxPlanning(), l.xero(monthly())}
	case roleVoid, roleWriteOff, roleRejected:
		return title, next, []proposal.Line{l.bookkeeping(monthly().onProposalStart())}
	case roleCredit:
		return title, next, []proposal.Line{l.bookkeeping(monthly().onProposalStart()), l.bas(d)}
	case roleExpiredCard:
		return title, next, []proposal.Line{l.bookkeeping(monthly().onProposalStart()), l.payroll(fortnightly())}
	case rolePaused:
		cfo := line("Interim CFO support", "Weekly CFO support for sixteen weeks", "1100.00", "1", "week", weekly().endOn(d.AddDays(16*7)).br(), true)
		return title, next, []proposal.Line{l.bookkeeping(monthly().onProposalStart()), l.xero(monthly().anchored(15)), cfo}
	case roleLeaving:
		return title, next, []proposal.Line{l.bookkeeping(monthly().onProposalStart()), l.bas(d)}
	case roleIndividual:
		cgt := line("Capital gains tax advice on property sale", "Advice and CGT calculation, billed when the sale settles", "1450.00", "1", "", onCompletion().br(), false)
		return "Tax services for " + c.name, domain.Date{}, []proposal.Line{
			l.taxReturn(once().delayed(14)), l.rentalSchedule(d.AddDays(40)), cgt, l.smsf(d), l.payg(),
		}
	}
	if c.kind == client.KindIndividual {
		lines := []proposal.Line{l.taxReturn(once().delayed(7 + l.rng.IntN(21)))}
		if l.rng.IntN(10) < 3 {
			lines = append(lines, l.payg())
		}
		if l.rng.IntN(10) < 3 {
			lines = append(lines, l.rentalSchedule(d.AddDays(20+l.rng.IntN(60))))
		}
		if l.rng.IntN(10) == 0 {
			lines = append(lines, l.taxPlanning())
		}
		return "Tax services for " + c.name, domain.Date{}, lines
	}
	var lines []proposal.Line
	start := domain.Date{}
	if l.rng.IntN(10) < 9 {
		if l.rng.IntN(2) == 0 {
			lines = append(lines, l.bookkeeping(monthly().onProposalStart()))
			start = next
		} else {
			lines = append(lines, l.bookkeeping(monthly()))
		}
	}
	if l.rng.IntN(10) < 7 {
		lines = append(lines, l.bas(d))
	}
	if l.rng.IntN(4) == 0 {
		if l.rng.IntN(2) == 0 {
			lines = append(lines, l.payroll(weekly()))
		} else {
			lines = append(lines, l.payroll(fortnightly()))
		}
	}
	if l.rng.IntN(10) < 3 {
		lines = append(lines, l.xero(monthly().anchored(1+l.rng.IntN(28))))
	}
	if l.rng.IntN(2) == 0 {
		lines = append(lines, l.annualAccounts(d))
	}
	if l.rng.IntN(20) == 0 {
		lines = append(lines, l.cashflow())
	}
	if l.rng.IntN(5) == 0 {
		lines = append(lines, l.setup())
	}
	if l.rng.IntN(12) == 0 {
		lines = append(lines, l.advisory())
	}
	if l.rng.IntN(12) == 0 {
		lines = append(lines, l.taxPlanning())
	}
	if l.rng.IntN(20) == 0 {
		lines = append(lines, l.managementAccounts())
	}
	if len(lines) == 0 {
		lines = append(lines, l.bookkeeping(monthly()))
	}
	return title, start, lines
}

// addOn is a later proposal for one more service.
func (l *loader) addOn(c *clientPlan, d domain.Date) (string, []proposal.Line) {
	if c.kind == client.KindIndividual {
		return "Tax planning for " + c.name, []proposal.Line{l.taxPlanning()}
	}
	switch l.rng.IntN(5) {
	case 0:
		return "Payroll for " + c.name, []proposal.Line{l.payroll(fortnightly())}
	case 1:
		return "Xero subscription for " + c.name, []proposal.Line{l.xero(monthly())}
	case 2:
		return "Business plan for " + c.name, []proposal.Line{l.advisory()}
	case 3:
		return "Year-end accounts for " + c.name, []proposal.Line{l.annualAccounts(d)}
	}
	return "Cash-flow forecasting for " + c.name, []proposal.Line{l.cashflow()}
}

// serviceNamed returns the client's first service with the name.
func (l *loader) serviceNamed(c *clientPlan, name string) (*serviceMirror, service.State, error) {
	for _, m := range c.services {
		st, err := l.current(m)
		if err != nil {
			return nil, st, err
		}
		if st.Name == name {
			return m, st, nil
		}
	}
	return nil, service.State{}, fmt.Errorf("client %s has no service %q", c.name, name)
}

// planLife puts what happens to the client after it signed on the agenda.
func (l *loader) planLife(c *clientPlan, accepted domain.Date) {
	at := func(days int) domain.Date { return weekday(l.start.AddDays(days)) }
	if c.priceRise {
		day := at(200)
		if c.role == roleNone {
			day = at(170 + l.rng.IntN(120))
		}
		l.plan(day, l.officeMinute(), "price review", func(d domain.Date) error { return l.priceReview(c, d) })
	}
	switch c.role {
	case roleAnchor31:
		l.plan(at(90), l.officeMinute(), "new office manager", func(d domain.Date) error { return l.newPrimaryContact(c) })
	case rolePayroll:
		l.plan(weekday(l.today.AddDays(-10)), l.officeMinute(), "end payroll", func(d domain.Date) error {
			return l.endService(c, "Payroll processing", d.AddDays(31), "Client is moving payroll in-house")
		})
	case roleCatchUp:
		l.plan(at(60), l.officeMinute(), "payroll proposal", func(d domain.Date) error {
			pid, err := l.propose(c, d, actorClientDesk, "Payroll for "+c.name, domain.Date{}, []proposal.Line{l.payroll(weekly())})
			if err != nil {
				return err
			}
			l.plan(d.AddDays(4), 19*60+12, "decline proposal", func(domain.Date) error {
				_, err := l.svc.DeclineProposal(l.ctx, billing.ProposalRef{ProposalID: pid, Reason: "We have decided to keep payroll in-house for now."}, meta("client:"+c.email))
				return err
			})
			return nil
		})
	case roleManual:
		l.plan(at(95), l.officeMinute(), "instant invoice", func(d domain.Date) error {
			return l.instantInvoice(c, d, []billing.InstantLine{
				{Description: "Urgent ASIC company extract and late-fee reinstatement", Quantity: amount("1"), UnitPrice: amount("385.00"), TaxRate: gst},
				{Description: "ASIC late lodgement fee (disbursement)", Quantity: amount("1"), UnitPrice: amount("96.00"), TaxRate: decimal.Zero},
			})
		})
	case roleVoid:
		l.plan(weekday(l.today.AddDays(-5)), l.officeMinute(), "instant invoice", func(d domain.Date) error {
			return l.instantInvoice(c, d, []billing.InstantLine{
				{Description: "Financial statements for a loan application", Quantity: amount("1"), UnitPrice: amount("650.00"), TaxRate: gst},
			})
		})
		l.plan(at(120), l.officeMinute(), "withdrawn proposal", func(d domain.Date) error {
			pid, err := l.propose(c, d, actorPartner, "Advisory for "+c.name, domain.Date{}, []proposal.Line{l.advisory()})
			if err != nil {
				return err
			}
			l.plan(weekday(d.AddDays(6)), l.officeMinute(), "withdraw proposal", func(domain.Date) error {
				_, err := l.svc.WithdrawProposal(l.ctx, billing.ProposalRef{ProposalID: pid, Reason: "Replaced by a revised quote after the scope changed"}, meta(actorPartner))
				return err
			})
			return nil
		})
	case roleCredit:
		l.plan(at(60), l.officeMinute(), "instant-bill service", func(d domain.Date) error {
			id := l.newID()
			_, err := l.svc.ActivateService(l.ctx, billing.ServiceRequest{
				ServiceID: id, ClientID: c.id, Name: "Xero Payroll add-on", Description: "Payroll module for up to five employees",
				UnitPrice: amount("45.00"), Quantity: amount("1"), Unit: "month", TaxRate: gst,
				BillingRule: monthly().br(), Automatic: true, PaymentMethodID: c.defaultMethod(),
			}, meta(actorClientDesk))
			l.addService(c, id)
			return err
		})
		l.plan(weekday(l.today.AddDays(-6)), l.officeMinute(), "pending proposal", func(d domain.Date) error {
			_, err := l.propose(c, d, actorPartner, "Year-end accounts for "+c.name, domain.Date{}, []proposal.Line{l.annualAccounts(d)})
			return err
		})
	case rolePaused:
		l.plan(at(120), l.officeMinute(), "pause bookkeeping", func(d domain.Date) error {
			return l.pause(c, "Monthly bookkeeping")
		})
		l.plan(at(210), l.officeMinute(), "resume bookkeeping", func(d domain.Date) error { return l.resume(c, "Monthly bookkeeping", d) })
		l.plan(at(250), l.officeMinute(), "pause Xero", func(d domain.Date) error { return l.pause(c, "Xero Standard subscription") })
	case roleLeaving:
		l.plan(at(180), l.officeMinute(), "client leaves", func(d domain.Date) error { return l.leave(c, d, "Moving to another accounting firm") })
	case roleIndividual:
		l.plan(at(150), l.officeMinute(), "change address", func(d domain.Date) error {
			c.address = l.gen.address()
			_, err := l.svc.EditClient(l.ctx, billing.ClientRequest{ClientID: c.id, Name: c.name, Kind: c.kind, Address: c.address, TaxNumber: c.taxNumber, PaymentTermsDays: c.terms}, meta(actorClientDesk))
			return err
		})
		l.plan(weekday(l.today.AddDays(-2)), l.officeMinute(), "draft proposal", func(d domain.Date) error {
			pid := l.newID()
			lines := []proposal.Line{l.taxPlanning()}
			lines[0].ID = l.newID()
			_, err := l.svc.DraftProposal(l.ctx, billing.ProposalRequest{ProposalID: pid, ClientID: c.id, Title: "Tax planning for " + c.name, Lines: lines}, meta(actorAccountant))
			l.proposals = append(l.proposals, pid)
			return err
		})
	case roleRejected:
		l.plan(at(100), l.officeMinute(), "proposal that expires", func(d domain.Date) error {
			pid, err := l.propose(c, d, actorPartner, "Payroll for "+c.name, domain.Date{}, []proposal.Line{l.payroll(fortnightly())})
			if err != nil {
				return err
			}
			l.plan(weekday(d.AddDays(30)), 8*60+5, "expire proposal", func(domain.Date) error {
				_, err := l.svc.ExpireProposal(l.ctx, billing.ProposalRef{ProposalID: pid}, meta("proposal-expiry"))
				return err
			})
			return nil
		})
	case roleNone:
		l.planRandomLife(c, accepted)
	}
}

func (l *loader) planRandomLife(c *clientPlan, accepted domain.Date) {
	n := l.rng.IntN(100)
	later := weekday(accepted.AddDays(45 + l.rng.IntN(250)))
	switch {
	case n < 15: // an add-on, accepted
		l.plan(later, l.officeMinute(), "add-on proposal", func(d domain.Date) error {
			title, lines := l.addOn(c, d)
			if c.archived {
				return nil
			}
			pid, err := l.propose(c, d, l.staff(), title, domain.Date{}, lines)
			if err != nil {
				return err
			}
			l.plan(d.AddDays(1+l.rng.IntN(6)), 8*60+l.rng.IntN(12*60), "accept add-on", func(d domain.Date) error { return l.accept(c, pid, d) })
			return nil
		})
	case n < 21: // sent, awaiting the client
		l.plan(weekday(l.today.AddDays(-1-l.rng.IntN(20))), l.officeMinute(), "pending proposal", func(d domain.Date) error {
			title, lines := l.addOn(c, d)
			_, err := l.propose(c, d, l.staff(), title, domain.Date{}, lines)
			return err
		})
	case n < 26: // declined
		l.plan(later, l.officeMinute(), "proposal declined", func(d domain.Date) error {
			title, lines := l.addOn(c, d)
			pid, err := l.propose(c, d, l.staff(), title, domain.Date{}, lines)
			if err != nil {
				return err
			}
			l.plan(d.AddDays(2+l.rng.IntN(8)), 8*60+l.rng.IntN(12*60), "decline", func(domain.Date) error {
				_, err := l.svc.DeclineProposal(l.ctx, billing.ProposalRef{ProposalID: pid, Reason: pick(l.rng, declineReasons)}, meta("client:"+c.email))
				return err
			})
			return nil
		})
	case n < 29: // a draft in progress
		l.plan(weekday(l.today.AddDays(-l.rng.IntN(10))), l.officeMinute(), "draft proposal", func(d domain.Date) error {
			title, lines := l.addOn(c, d)
			for i := range lines {
				lines[i].ID = l.newID()
			}
			pid := l.newID()
			l.proposals = append(l.proposals, pid)
			_, err := l.svc.DraftProposal(l.ctx, billing.ProposalRequest{ProposalID: pid, ClientID: c.id, Title: title, Lines: lines}, meta(l.staff()))
			return err
		})
	case n < 33 && accepted.Before(l.start.AddDays(150)): // leaves the firm
		l.plan(weekday(accepted.AddDays(200+l.rng.IntN(100))), l.officeMinute(), "client leaves", func(d domain.Date) error {
			return l.leave(c, d, pick(l.rng, leavingReasons))
		})
	}
	if l.rng.IntN(10) == 0 {
		l.plan(weekday(accepted.AddDays(20+l.rng.IntN(300))), l.officeMinute(), "instant invoice", func(d domain.Date) error {
			hours := decimal.NewFromInt(int64(1 + l.rng.IntN(4)))
			return l.instantInvoice(c, d, []billing.InstantLine{{Description: pick(l.rng, adHocWork), Quantity: hours, UnitPrice: amount("280.00"), TaxRate: gst}})
		})
	}
}

var (
	declineReasons = []string{
		"Not in the budget this year.",
		"We will revisit this after the end of the financial year.",
		"Our bank manager is helping us with this instead.",
	}
	leavingReasons = []string{"Business sold", "Moving to another accounting firm", "Business closed"}
	adHocWork      = []string{
		"Phone advice: ATO payment plan",
		"Preparation of a payment summary for a loan application",
		"Advice on buying a business vehicle",
		"ATO audit letter: review and response",
	}
)

func (l *loader) newPrimaryContact(c *clientPlan) error {
	p := l.gen.person()
	domainPart := c.email[strings.IndexByte(c.email, '@')+1:]
	ct := client.Contact{ID: l.newID(), Name: p.name(), Email: slug(p.given) + "." + slug(p.family) + "@" + domainPart, Phone: l.gen.landline(), Role: "Office Manager"}
	if _, err := l.svc.AddContact(l.ctx, billing.ContactRequest{ClientID: c.id, Contact: ct}, meta(actorClientDesk)); err != nil {
		return err
	}
	if _, err := l.svc.SetPrimaryContact(l.ctx, billing.ContactRef{ClientID: c.id, ContactID: ct.ID}, meta(actorClientDesk)); err != nil {
		return err
	}
	c.email, c.contact, c.primaryContact = ct.Email, ct.Name, ct.ID
	return nil
}

// priceReview raises the monthly bookkeeping fee from the 1st of next month
// and tells the client.
func (l *loader) priceReview(c *clientPlan, d domain.Date) error {
	if c.archived {
		return nil
	}
	m, st, err := l.serviceNamed(c, "Monthly bookkeeping")
	if err != nil || st.Ended {
		return nil // nothing to review
	}
	price := st.Terms.UnitPrice.Mul(amount("1.08")).Round(0)
	_, err = l.svc.EditService(l.ctx, billing.EditServiceRequest{
		ServiceID: m.id, EffectiveFrom: d.AddMonthsClamped(1, 1),
		Changes: service.Changes{UnitPrice: &price}, NotifyClientOfPriceChange: true,
	}, meta(actorPartner))
	m.dirty = true
	return err
}

func (l *loader) endService(c *clientPlan, name string, on domain.Date, reason string) error {
	m, st, err := l.serviceNamed(c, name)
	if err != nil {
		return err
	}
	if st.Ended {
		return nil
	}
	_, err = l.svc.EndService(l.ctx, billing.ServiceRef{ServiceID: m.id, On: on, Reason: reason}, meta(actorPartner))
	m.dirty = true
	return err
}

// leave ends every service of the client today, and archives it once the
// last invoices had time to be paid.
func (l *loader) leave(c *clientPlan, d domain.Date, reason string) error {
	for _, m := range c.services {
		st, err := l.current(m)
		if err != nil {
			return err
		}
		if st.Ended {
			continue
		}
		if _, err := l.svc.EndService(l.ctx, billing.ServiceRef{ServiceID: m.id, On: d, Reason: reason}, meta(actorPartner)); err != nil {
			return fmt.Errorf("end %s: %w", st.Name, err)
		}
		m.dirty = true
	}
	l.plan(weekday(d.AddDays(21)), l.officeMinute(), "archive client", func(domain.Date) error {
		_, err := l.svc.ArchiveClient(l.ctx, billing.ClientRef{ClientID: c.id, Reason: reason}, meta(actorPartner))
		c.archived = true
		return err
	})
	return nil
}

func (l *loader) pause(c *clientPlan, name string) error {
	m, _, err := l.serviceNamed(c, name)
	if err != nil {
		return err
	}
	_, err = l.svc.SwitchServiceToManual(l.ctx, billing.ServiceRef{ServiceID: m.id}, meta(actorClientDesk))
	m.dirty = true
	return err
}

// resume skips the billings that fell while the service was paused, then
// switches it back to automatic.
func (l *loader) resume(c *clientPlan, name string, d domain.Date) error {
	m, st, err := l.serviceNamed(c, name)
	if err != nil {
		return err
	}
	for _, it := range st.Schedule(d) {
		if it.Status == service.ItemScheduled && it.Mode == service.Manual {
			if _, err := l.svc.SkipItem(l.ctx, billing.ItemRequest{ItemKey: it.Key}, meta(actorClientDesk)); err != nil {
				return fmt.Errorf("skip %s: %w", it.Key, err)
			}
		}
	}
	_, err = l.svc.SwitchServiceToAutomatic(l.ctx, billing.ServiceRef{ServiceID: m.id}, meta(actorClientDesk))
	m.dirty = true
	return err
}

func (l *loader) instantInvoice(c *clientPlan, d domain.Date, lines []billing.InstantLine) error {
	if c.archived {
		return nil
	}
	actor := l.staff()
	res, err := l.svc.IssueInvoice(l.ctx, billing.IssueInvoiceRequest{ClientID: c.id, Lines: lines, IssueDate: d, PaymentMethodID: c.defaultMethod()}, meta(actor))
	if err != nil {
		return fmt.Errorf("instant invoice: %w", err)
	}
	return l.afterIssue(c, res.ID, actor)
}
