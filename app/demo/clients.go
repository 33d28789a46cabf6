package demo

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/domain/service"
)

// role is the scripted part a client plays, so that every scenario appears
// whatever the seed; roleNone clients are drawn at random.
type role int

const (
	roleNone        role = iota
	roleAnchor31         // monthly on the 31st, quarterly, yearly; a price change; a card expiring soon
	rolePayroll          // weekly payroll, every 28 days, monthly on the 15th; payroll ends on a future date
	roleCatchUp          // started in the past (catch-up billings), ends after 6; a declined proposal
	roleManual           // manual monthly billing and an estimate, billed by hand; an instant invoice
	roleVoid             // pays by bank transfer; an invoice voided and re-issued; partly paid; a withdrawn proposal
	roleWriteOff         // rejected collections, written off; services ended, client archived
	roleCredit           // a credit note; an instant-bill service; a proposal awaiting an answer
	roleExpiredCard      // a card that expires mid-year: declined, marked expired, replaced, retried
	rolePaused           // a paused and resumed service (skipped items), one left paused; ends on a date
	roleLeaving          // services ended, client archived
	roleIndividual       // once on acceptance with a delay, once on a date, on completion scheduled to issue
	roleRejected         // recent collections rejected and not yet recovered; an expired proposal
)

// payer is how a client pays.
type payer int

const (
	payerReliable payer = iota // collections succeed, rarely a retry
	payerShaky                 // declines now and then, sometimes pays by transfer after
	payerOffline               // no payment method: pays by bank transfer
)

type methodPlan struct {
	id      uuid.UUID
	details client.PaymentMethodDetails
	expired bool
}

// clientPlan is one demo client and what the loader knows of it.
type clientPlan struct {
	role     role
	id       uuid.UUID
	name     string
	kind     client.Kind
	email    string // primary billing contact's
	contact  string // primary billing contact's name
	address  domain.Address
	contacts []client.Contact
	// primaryContact is the primary billing contact's id, once created.
	primaryContact uuid.UUID
	taxNumber      string
	terms          *int // payment terms override; nil: the firm's
	payer          payer
	onboard        domain.Date
	methods        []*methodPlan
	pending        []client.PaymentMethodDetails // methods the client adds on acceptance
	archived       bool
	services       []*serviceMirror

	priceRise  bool // the monthly bookkeeping price goes up mid-year
	creditDone bool
	voidDone   bool
	replacing  bool           // an expired card is being replaced
	awaitCard  []*invoicePlan // invoices declined for the expired card, retried once it is replaced
}

func (c *clientPlan) defaultMethod() uuid.UUID {
	for _, m := range c.methods {
		if !m.expired {
			return m.id
		}
	}
	return uuid.Nil
}

func (c *clientPlan) method(id uuid.UUID) *methodPlan {
	for _, m := range c.methods {
		if m.id == id {
			return m
		}
	}
	return nil
}

func (l *loader) setUpFirm() error {
	d := l.start
	l.clk.at(d, 8*60)
	_, err := l.svc.SetUpFirm(l.ctx, billing.SetUpFirmRequest{
		Name:      FirmName,
		Address:   domain.Address{Line1: "Level 4", Line2: "88 Phillip Street", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "AU"},
		TaxNumber: "53 004 085 616", BaseCurrency: "AUD", TimeZone: FirmTimeZone, InvoicePrefix: "INV-",
		PaymentTermsDays: 14, TaxMode: domain.TaxExclusive,
		CollectionDaysOnceOff: 0, CollectionDaysRecurring: 3, RetryAfterDays: []int{3, 5, 7},
	}, meta(actorPartner))
	if err != nil {
		return fmt.Errorf("demo: set up the firm: %w", err)
	}
	if _, err := l.svc.AddTaxRate(l.ctx, billing.TaxRateRequest{Name: "GST", Rate: decimal.NewFromInt(10), MakeDefault: true}, meta(actorPartner)); err != nil {
		return fmt.Errorf("demo: add GST: %w", err)
	}
	if _, err := l.svc.AddTaxRate(l.ctx, billing.TaxRateRequest{Name: "GST free", Rate: decimal.Zero}, meta(actorPartner)); err != nil {
		return fmt.Errorf("demo: add GST free: %w", err)
	}
	return l.addTemplates()
}

// planClients draws every client and puts its onboarding on the agenda.
func (l *loader) planClients() {
	n := l.opts.Clients
	for i := range n {
		c := &clientPlan{id: l.newID()}
		if i < MinClients {
			c.role = role(i + 1)
			c.onboard = weekday(l.start.AddDays(1 + 2*i))
		} else if l.rng.IntN(10) < 6 {
			c.onboard = weekday(l.start.AddDays(1 + l.rng.IntN(35)))
		} else {
			c.onboard = weekday(l.start.AddDays(35 + l.rng.IntN(HistoryDays-40)))
		}
		l.drawClient(c)
		l.clients = append(l.clients, c)
		l.plan(c.onboard, l.officeMinute(), "onboard "+c.name, func(d domain.Date) error { return l.onboard(c, d) })
	}
}

// drawClient draws a client's name, contacts and address, the payment
// methods it will put on file, and how it behaves. The draws come in a fixed
// order, so one seed always gives the same firm.
func (l *loader) drawClient(c *clientPlan) {
	g := l.gen
	individual := c.role == roleIndividual || (c.role == roleNone && l.rng.IntN(10) < 3)
	owner := g.person()
	c.address = g.address()
	if individual {
		c.contacts = l.drawIndividual(c, owner)
	} else {
		c.contacts = l.drawBusiness(c, owner)
	}
	l.drawMethods(c)
	if c.role == roleAnchor31 {
		c.priceRise = true
	}
	if c.kind == client.KindBusiness && l.rng.IntN(10) < 8 {
		c.taxNumber = g.abn()
	}
	if c.kind == client.KindBusiness && c.role == roleNone && l.rng.IntN(10) == 0 {
		c.terms = new(30)
	}
}

// drawIndividual makes c a person and returns their contacts: themselves,
// sometimes with their spouse.
func (l *loader) drawIndividual(c *clientPlan, owner person) []client.Contact {
	g := l.gen
	c.kind = client.KindIndividual
	c.name = g.unique(owner.name())
	c.email = fmt.Sprintf("%s.%s%d@%s", slug(owner.given), slug(owner.family), 1+l.rng.IntN(99), pick(l.rng, personalDomains))
	c.contact = owner.name()
	contacts := []client.Contact{{Name: owner.name(), Email: c.email, Phone: g.mobile()}}
	if l.rng.IntN(10) < 3 {
		partner := person{given: pick(l.rng, givenNames), family: owner.family}
		contacts = append(contacts, client.Contact{Name: partner.name(), Phone: g.mobile(), Role: "Spouse"})
	}
	return contacts
}

// drawBusiness makes c a business and returns its contacts: its owner,
// often a second person (the primary billing contact) and sometimes a
// bookkeeper.
func (l *loader) drawBusiness(c *clientPlan, owner person) []client.Contact {
	g := l.gen
	c.kind = client.KindBusiness
	c.name = g.businessName(owner)
	domainName := slug(c.name)
	if len(domainName) > 18 {
		domainName = domainName[:18]
	}
	domainName += ".com.au"
	ownerRole := "Director"
	if l.rng.IntN(3) == 0 {
		ownerRole = "Owner"
	}
	contacts := []client.Contact{{Name: owner.name(), Email: slug(owner.given) + "@" + domainName, Phone: g.mobile(), Role: ownerRole}}
	if l.rng.IntN(10) < 6 {
		p := g.person()
		contacts = append(contacts, client.Contact{Name: p.name(), Email: slug(p.given) + "." + slug(p.family) + "@" + domainName, Phone: g.landline(), Role: pick(l.rng, businessRoles[1:])})
		if l.rng.IntN(10) < 3 {
			q := g.person()
			contacts = append(contacts, client.Contact{Name: q.name(), Email: slug(q.given) + "@" + domainName, Role: "Bookkeeper"})
		}
	}
	primary := contacts[len(contacts)-1]
	if len(contacts) == 3 {
		primary = contacts[1]
	}
	c.email, c.contact = primary.Email, primary.Name
	return contacts
}

// drawMethods draws the payment methods the client puts on file when
// accepting, and for an ordinary client how reliably it pays and whether
// its price rises.
func (l *loader) drawMethods(c *clientPlan) {
	g := l.gen
	expiry := func() time.Time {
		months := 12 + l.rng.IntN(36)
		t := time.Date(c.onboard.Year(), c.onboard.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
		floor := time.Date(l.today.Year(), l.today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 3, 0)
		if t.Before(floor) {
			t = floor
		}
		return t
	}
	card := func() client.PaymentMethodDetails { return g.card(expiry()) }
	becs := func() client.PaymentMethodDetails { return g.bankDebit(client.SchemeAUBECS) }
	switch c.role {
	case roleVoid:
		c.payer = payerOffline
	case roleAnchor31:
		// The card expiring soon: its last month is Today's month.
		c.pending = append(c.pending, g.card(time.Date(l.today.Year(), l.today.Month(), 1, 0, 0, 0, 0, time.UTC)))
	case rolePayroll, roleCredit, rolePaused:
		c.pending = append(c.pending, becs())
	case roleManual:
		c.pending = append(c.pending, card(), becs())
	case roleExpiredCard:
		exp := l.start.AddDays(150)
		c.pending = append(c.pending, g.card(time.Date(exp.Year(), exp.Month(), 1, 0, 0, 0, 0, time.UTC)))
	case roleNone:
		switch n := l.rng.IntN(100); {
		case n < 10:
			c.payer = payerOffline
		case n < 55:
			c.pending = append(c.pending, card())
		case n < 85:
			c.pending = append(c.pending, becs())
		case n < 95:
			c.pending = append(c.pending, becs(), card())
		case n < 98:
			c.pending = append(c.pending, g.bankDebit(client.SchemeNZBECS))
		default:
			c.pending = append(c.pending, g.bankDebit(client.SchemeBACS))
		}
		if c.payer != payerOffline && l.rng.IntN(100) < 15 {
			c.payer = payerShaky
		}
		c.priceRise = c.kind == client.KindBusiness && l.rng.IntN(100) < 12
	default:
		c.pending = append(c.pending, card())
	}
}

// onboard creates the client and sends its first proposal; the client
// accepts a few days later.
func (l *loader) onboard(c *clientPlan, d domain.Date) error {
	actor := l.staff()
	primary := uuid.Nil
	contacts := make([]client.Contact, len(c.contacts))
	for i, ct := range c.contacts {
		ct.ID = l.newID()
		contacts[i] = ct
		if ct.Email == c.email {
			primary = ct.ID
		}
	}
	c.contacts = contacts
	c.primaryContact = primary
	if _, err := l.svc.CreateClient(l.ctx, billing.ClientRequest{
		ClientID: c.id, Name: c.name, Kind: c.kind, Contacts: contacts, PrimaryContactID: primary,
		Address: c.address, TaxNumber: c.taxNumber, PaymentTermsDays: c.terms,
	}, meta(actor)); err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	title, start, lines := l.firstProposal(c, d)
	pid, err := l.propose(c, d, actor, title, start, lines)
	if err != nil {
		return err
	}
	accept := d.AddDays(1 + l.rng.IntN(5))
	l.plan(accept, 8*60+l.rng.IntN(13*60), "accept proposal of "+c.name, func(d domain.Date) error {
		if err := l.addMethods(c); err != nil {
			return err
		}
		return l.accept(c, pid, d)
	})
	l.planLife(c, accept)
	return nil
}

// propose drafts and sends a proposal.
func (l *loader) propose(c *clientPlan, d domain.Date, actor, title string, start domain.Date, lines []proposal.Line) (uuid.UUID, error) {
	pid := l.newID()
	for i := range lines {
		lines[i].ID = l.newID()
	}
	if _, err := l.svc.DraftProposal(l.ctx, billing.ProposalRequest{ProposalID: pid, ClientID: c.id, Title: title, StartDate: start, Lines: lines}, meta(actor)); err != nil {
		return pid, fmt.Errorf("draft proposal %q: %w", title, err)
	}
	l.proposals = append(l.proposals, pid)
	if _, err := l.svc.SendProposal(l.ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: c.email}, meta(actor)); err != nil {
		return pid, fmt.Errorf("send proposal %q: %w", title, err)
	}
	return pid, nil
}

// addMethods puts the client's payment methods on file, through the signed
// link on the proposal.
func (l *loader) addMethods(c *clientPlan) error {
	for i, details := range c.pending {
		id := l.newID()
		if _, err := l.svc.AddPaymentMethod(l.ctx, billing.PaymentMethodRequest{ClientID: c.id, PaymentMethodID: id, Method: details}, meta("client:"+c.email)); err != nil {
			return fmt.Errorf("add payment method: %w", err)
		}
		m := &methodPlan{id: id, details: details}
		if i > 0 && details.Kind == client.MethodCard {
			c.methods = append(c.methods, m) // the bank account stays the default
			continue
		}
		if i > 0 {
			if _, err := l.svc.SetDefaultPaymentMethod(l.ctx, billing.PaymentMethodRef{ClientID: c.id, PaymentMethodID: id}, meta("client:"+c.email)); err != nil {
				return fmt.Errorf("set default payment method: %w", err)
			}
			c.methods = append([]*methodPlan{m}, c.methods...)
			continue
		}
		c.methods = append(c.methods, m)
	}
	c.pending = nil
	return nil
}

// accept records the client's acceptance, which activates the services.
func (l *loader) accept(c *clientPlan, pid uuid.UUID, d domain.Date) error {
	if _, err := l.svc.AcceptProposal(l.ctx, billing.AcceptProposalRequest{
		ProposalID: pid, AcceptedByName: c.contact, AcceptedByEmail: c.email, SignatureName: c.contact,
		PaymentMethodID: c.defaultMethod(),
	}, meta("client:"+c.email)); err != nil {
		return fmt.Errorf("accept proposal: %w", err)
	}
	p, err := l.readProposal(pid)
	if err != nil {
		return err
	}
	for _, spec := range proposal.ServicesToActivate(p) {
		m := l.addService(c, spec.ServiceID)
		if err := l.planManual(c, m, d); err != nil {
			return err
		}
	}
	return nil
}

// planManual puts the billing by hand of a manual service's items on the
// agenda: each a few working days after its date, with the hours confirmed.
func (l *loader) planManual(c *clientPlan, m *serviceMirror, accepted domain.Date) error {
	st, err := l.current(m)
	if err != nil {
		return err
	}
	if st.Terms.Mode != service.Manual {
		return nil
	}
	for _, it := range st.Schedule(l.today) {
		it := it
		switch st.BillingRule.Frequency {
		case domain.FrequencyOnCompletion:
			done := accepted.AddDays(20 + l.rng.IntN(70))
			if c.role == roleIndividual {
				// Finished work scheduled to be invoiced at the end of the month.
				issueOn := done.AddMonthsClamped(0, 31)
				l.plan(weekday(done), l.officeMinute(), "schedule issue", func(domain.Date) error {
					_, err := l.svc.ScheduleItemIssue(l.ctx, billing.ItemRequest{ItemKey: it.Key, IssueOn: issueOn}, meta(actorAccountant))
					touch(c)
					return err
				})
				continue
			}
			l.planBill(c, it, weekday(done), it.Quantity)
		case domain.FrequencyEstimate:
			hours := it.Quantity.Add(decimal.NewFromFloat(float64(l.rng.IntN(5)-1) * 0.5))
			l.planBill(c, it, weekday(accepted.AddDays(15+l.rng.IntN(45))), hours)
		default:
			if it.Date.AddDays(6).After(l.today) {
				continue // not billed yet: waiting for the hours
			}
			hours := decimal.NewFromFloat(6 + float64(l.rng.IntN(13))*0.5)
			l.planBill(c, it, weekday(it.Date.AddDays(2+l.rng.IntN(3))), hours)
		}
	}
	return nil
}

func (l *loader) planBill(c *clientPlan, it service.Item, d domain.Date, qty decimal.Decimal) {
	l.plan(d, l.officeMinute(), "bill item by hand", func(d domain.Date) error {
		return l.billByHand(c, it.Key, qty, uuid.Nil, nil)
	})
}

// billByHand issues a manual item's invoice after confirming its quantity.
func (l *loader) billByHand(c *clientPlan, key string, qty decimal.Decimal, invoiceID uuid.UUID, desc *string) error {
	if c.archived {
		return nil
	}
	if billable, err := l.billable(c, key); err != nil || !billable {
		return err
	}
	res, err := l.svc.BillItemNow(l.ctx, billing.BillItemRequest{ItemKey: key, Quantity: &qty, InvoiceID: invoiceID, Description: desc}, meta(actorAccountant))
	touch(c)
	if err != nil {
		return fmt.Errorf("bill %s: %w", key, err)
	}
	return l.afterIssue(c, res.ID, actorAccountant)
}

// billable reports whether a planned manual billing still makes sense: the
// item may have been archived since (the client left) or skipped.
func (l *loader) billable(c *clientPlan, key string) (bool, error) {
	for _, m := range c.services {
		if id, _, _ := service.ParseItemKey(key); id != m.id {
			continue
		}
		st, err := l.current(m)
		if err != nil {
			return false, err
		}
		it, ok := st.Item(key)
		return ok && (it.Status == service.ItemScheduled || it.Status == service.ItemScheduledToIssue), nil
	}
	return false, fmt.Errorf("item %s is not of a service of %s", key, c.name)
}
