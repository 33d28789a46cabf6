package service

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Command is a request to change a service or its schedule. The set of
// commands is closed: only this package's types implement it.
type Command interface{ serviceCommand() }

// Activate starts a service, from a proposal line or an instant bill.
// FirstDate is the billing rule's first date, resolved by the caller
// (domain.BillingRule.FirstDate); it is zero for on-completion and estimate
// rules, whose one item is always manual.
type Activate struct {
	ServiceID       uuid.UUID
	ClientID        uuid.UUID
	Source          Source
	Name            string
	Description     string
	UnitPrice       decimal.Decimal
	Quantity        decimal.Decimal
	Unit            string
	Discount        domain.Discount
	TaxRate         decimal.Decimal // percent
	Currency        domain.Currency
	BillingRule     domain.BillingRule
	FirstDate       domain.Date
	Mode            BillingMode
	PaymentMethodID uuid.UUID // optional
	RevenueAccount  string    // optional ledger account code
	// Client is the client's currency and methods: Currency must be the
	// client's and PaymentMethodID one of its methods.
	Client domain.ClientFacts
	Now    time.Time
}

// Edit changes the service's terms from EffectiveFrom: unbilled items dated on
// or after it change. A new BillingRule replaces those items with its own
// occurrences from FirstDate (EffectiveFrom when zero).
type Edit struct {
	EffectiveFrom domain.Date
	Changes
	BillingRule               *domain.BillingRule
	FirstDate                 domain.Date
	NotifyClientOfPriceChange bool
	// UnlessPriceChangedFrom, when set, makes the edit conditional: it is
	// refused (ECONFLICT) unless the service's unit price from EffectiveFrom
	// is still this one. A price increase put back by its cancel uses it, so
	// a price someone changed by hand since is left as they set it.
	UnlessPriceChangedFrom *decimal.Decimal
	// Client is the client's payment methods, needed when the changes name
	// a payment method.
	Client domain.ClientFacts
	Now    time.Time
}

// ErrPriceChangedByHand is the message of the conflict an Edit with
// UnlessPriceChangedFrom answers when the price is no longer that one.
const ErrPriceChangedByHand = "The service's price was changed since"

// SwitchToManual pauses the service: every unbilled item becomes manual.
type SwitchToManual struct{ Now time.Time }

// SwitchToAutomatic resumes the service: every unbilled item becomes automatic.
type SwitchToAutomatic struct{ Now time.Time }

// End ends the service on a date (today for "now"): later items are archived.
// Ending cannot be undone.
type End struct {
	On     domain.Date
	Reason string
	Now    time.Time
}

// EditItem changes one unbilled item.
type EditItem struct {
	ItemKey string
	ItemChanges
	// Client is the client's payment methods, needed when the changes name
	// a payment method.
	Client domain.ClientFacts
	Now    time.Time
}

// SwitchItemToManual makes one item wait to be issued by hand.
type SwitchItemToManual struct {
	ItemKey string
	Now     time.Time
}

// SwitchItemToAutomatic makes one item be invoiced by Remit on its date.
type SwitchItemToAutomatic struct {
	ItemKey string
	Now     time.Time
}

// SkipItem leaves one item unbilled.
type SkipItem struct {
	ItemKey string
	Now     time.Time
}

// SkipMissedItems skips, for the billing run of RunDate, the automatic items
// among ItemKeys that are still to be billed and dated before RunDate (the
// firm skips missed billings). Items that no longer qualify (billed, edited
// to a later date, switched to manual, already skipped meanwhile) are left
// as they are: the run decided from what it read, and this is the check.
type SkipMissedItems struct {
	ItemKeys []string
	RunDate  domain.Date
	Now      time.Time
}

// ScheduleItemIssue schedules a manual item to be invoiced on a date.
type ScheduleItemIssue struct {
	ItemKey string
	IssueOn domain.Date
	Now     time.Time
}

// MarkItemBilled records that an item was invoiced on InvoiceID. An item is
// billed at most once: again with the same invoice changes nothing, with
// another invoice is refused.
type MarkItemBilled struct {
	ItemKey   string
	InvoiceID uuid.UUID
	Now       time.Time
}

// ReleaseBilledItem unbills an item whose invoice was voided (or never
// issued), so that it can be billed again; SwitchToManual makes it manual
// (after a void). Only the invoice the item was billed on can release it;
// releasing again changes nothing.
type ReleaseBilledItem struct {
	ItemKey        string
	InvoiceID      uuid.UUID
	Reason         string
	SwitchToManual bool
	Now            time.Time
}

func (Activate) serviceCommand()              {}
func (Edit) serviceCommand()                  {}
func (SwitchToManual) serviceCommand()        {}
func (SwitchToAutomatic) serviceCommand()     {}
func (End) serviceCommand()                   {}
func (EditItem) serviceCommand()              {}
func (SwitchItemToManual) serviceCommand()    {}
func (SwitchItemToAutomatic) serviceCommand() {}
func (SkipItem) serviceCommand()              {}
func (SkipMissedItems) serviceCommand()       {}
func (ScheduleItemIssue) serviceCommand()     {}
func (MarkItemBilled) serviceCommand()        {}
func (ReleaseBilledItem) serviceCommand()     {}

// Decide checks c against s and returns the events that record it, or a
// *domain.Error (a validation error for several fields) saying in a user's
// words why not. No events and no error means there was nothing to do.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Activate:
		return activate(s, c)
	case Edit:
		return edit(s, c)
	case SwitchToManual:
		return switchTo(s, Manual, c.Now)
	case SwitchToAutomatic:
		return switchTo(s, Automatic, c.Now)
	case End:
		return end(s, c)
	case EditItem:
		return editItem(s, c)
	case SwitchItemToManual:
		return switchItemTo(s, c.ItemKey, Manual, c.Now)
	case SwitchItemToAutomatic:
		return switchItemTo(s, c.ItemKey, Automatic, c.Now)
	case SkipItem:
		return skipItem(s, c)
	case SkipMissedItems:
		return skipMissedItems(s, c)
	case ScheduleItemIssue:
		return scheduleItemIssue(s, c)
	case MarkItemBilled:
		return markItemBilled(s, c)
	case ReleaseBilledItem:
		return releaseBilledItem(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "unknown service command %T", c)
}

func activate(s State, c Activate) ([]domain.Event, error) {
	if s.Activated() {
		if s.ID == c.ServiceID && s.Source == c.Source {
			return nil, nil // a retried activation
		}
		return nil, domain.Conflict("Service %q is already active.", s.Name)
	}
	var p domain.Problems
	if c.ServiceID == uuid.Nil {
		p.Add("service_id", "a service id is required")
	}
	if c.ClientID == uuid.Nil {
		p.Add("client_id", "choose the client the service is for")
	}
	fromProposal := c.Source.ProposalID != uuid.Nil || c.Source.ProposalLineID != uuid.Nil
	switch {
	case fromProposal && c.Source.InstantBill:
		p.Add("source", "a service comes from a proposal or an instant bill, not both")
	case fromProposal && (c.Source.ProposalID == uuid.Nil || c.Source.ProposalLineID == uuid.Nil):
		p.Add("source", "a service from a proposal names the proposal and its line")
	case !fromProposal && !c.Source.InstantBill:
		p.Add("source", "say where the service comes from: a proposal line or an instant bill")
	}
	if strings.TrimSpace(c.Name) == "" {
		p.Add("name", "name the service")
	}
	if c.Currency.IsZero() {
		p.Add("currency", "choose the service's currency")
	}
	c.Client.CheckCurrency(&p, "currency", c.Currency)
	c.Client.CheckPaymentMethod(&p, "payment_method_id", c.PaymentMethodID)
	checkDescription(&p, "description", c.Description, false)
	checkTerms(&p, c.Currency, "", Terms{TaxRate: c.TaxRate}, Changes{UnitPrice: &c.UnitPrice, Quantity: &c.Quantity, Discount: &c.Discount})
	ruleErr := c.BillingRule.Validate("billing_rule")
	if ruleErr != nil {
		addProblems(&p, ruleErr)
	}
	switch {
	case ruleErr != nil:
		// The caller resolves the first date from a sound rule only: the
		// rule's own problems are what to correct.
	case c.BillingRule.Frequency.Manual() && !c.FirstDate.IsZero():
		p.Add("first_date", "an on-completion or estimate billing has no date")
	case !c.BillingRule.Frequency.Manual() && c.FirstDate.IsZero():
		p.Add("first_date", "the date of the first billing is required")
	}
	if c.Mode != Automatic && c.Mode != Manual {
		p.Add("mode", "billing is either automatic or manual")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ServiceActivated{
		ServiceID:       c.ServiceID,
		ClientID:        c.ClientID,
		Source:          c.Source,
		Name:            strings.TrimSpace(c.Name),
		Description:     strings.TrimSpace(c.Description),
		UnitPrice:       c.UnitPrice,
		Quantity:        c.Quantity,
		Unit:            strings.TrimSpace(c.Unit),
		Discount:        c.Discount,
		TaxRate:         c.TaxRate,
		Currency:        c.Currency,
		BillingRule:     c.BillingRule,
		FirstDate:       c.FirstDate,
		Mode:            c.Mode,
		PaymentMethodID: c.PaymentMethodID,
		RevenueAccount:  strings.TrimSpace(c.RevenueAccount),
		At:              c.Now,
	}}, nil
}

// checkTerms reports problems with changes to terms under prefix, and with
// the line the changed terms make (e.g. a discount above the line's amount).
func checkTerms(p *domain.Problems, c domain.Currency, prefix string, terms Terms, ch Changes) {
	before := len(*p)
	if ch.Description != nil {
		checkDescription(p, prefix+"description", *ch.Description, true)
	}
	if ch.UnitPrice != nil && ch.UnitPrice.IsNegative() {
		p.Add(prefix+"unit_price", "the unit price cannot be negative")
	}
	if ch.Quantity != nil && !ch.Quantity.IsPositive() {
		p.Add(prefix+"quantity", "the quantity must be more than zero")
	}
	if c.IsZero() || len(*p) > before {
		return // the line cannot be computed, or its problems are already told
	}
	// The terms entered now, against the limits: refused, never rounded.
	var entered domain.LineInput
	if ch.UnitPrice != nil {
		entered.UnitPrice = *ch.UnitPrice
	}
	if ch.Quantity != nil {
		entered.Quantity = *ch.Quantity
	}
	if ch.Discount != nil {
		entered.Discount = *ch.Discount
	}
	if !domain.CheckLineInput(p, c, entered) {
		for _, e := range (*p)[before:] {
			e.Field = prefix + e.Field
		}
		return
	}
	terms.apply(ch)
	_, err := domain.ComputeLine(c, domain.TaxExclusive, domain.LineInput{
		Quantity:  terms.Quantity,
		UnitPrice: terms.UnitPrice,
		Discount:  terms.Discount,
		TaxRate:   terms.TaxRate,
	})
	if err != nil {
		var q domain.Problems
		addProblems(&q, err)
		for _, e := range q {
			p.Add(prefix+e.Field, "%s", e.Message)
		}
	}
}

// checkDescription reports an empty description (when required) or one
// longer than domain.MaxDescriptionLength.
func checkDescription(p *domain.Problems, field, d string, required bool) {
	switch {
	case required && strings.TrimSpace(d) == "":
		p.Add(field, "the description cannot be empty")
	case utf8.RuneCountInString(d) > domain.MaxDescriptionLength:
		p.Add(field, "the description is too long (at most %d characters)", domain.MaxDescriptionLength)
	}
}

// addProblems copies the field problems of err.
func addProblems(p *domain.Problems, err error) {
	switch e := err.(type) {
	case *domain.ValidationError:
		*p = append(*p, e.Problems...)
	case *domain.Error:
		*p = append(*p, e)
	default:
		*p = append(*p, domain.Invalid("", "%s", domain.ErrorMessage(err)))
	}
}

// live refuses commands on a service that does not exist or has ended;
// doing completes "Service "Bookkeeping" has ended and cannot …".
func live(s State, doing string) error {
	switch {
	case !s.Activated():
		return domain.NotFound("There is no such service.")
	case s.Ended:
		return domain.Conflict("Service %q ended on %s and cannot %s.", s.Name, s.EndDate, doing)
	}
	return nil
}

func edit(s State, c Edit) ([]domain.Event, error) {
	if err := live(s, "be edited"); err != nil {
		return nil, err
	}
	if want := c.UnlessPriceChangedFrom; want != nil && !s.UnitPriceOn(c.EffectiveFrom).Equal(*want) {
		return nil, domain.Conflict("%s: from %s it is %s, not %s.", ErrPriceChangedByHand, c.EffectiveFrom, s.UnitPriceOn(c.EffectiveFrom), want)
	}
	var p domain.Problems
	if c.EffectiveFrom.IsZero() {
		p.Add("effective_from", "choose the date the change takes effect")
	}
	ch := c.Changes
	if ch == (Changes{}) && c.BillingRule == nil {
		p.Add("", "there is nothing to change")
	}
	checkTerms(&p, s.Currency, "", s.Terms, ch)
	if ch.PaymentMethodID != nil {
		c.Client.CheckPaymentMethod(&p, "payment_method_id", *ch.PaymentMethodID)
	}
	first := c.FirstDate
	if c.BillingRule != nil {
		if err := c.BillingRule.Validate("billing_rule"); err != nil {
			addProblems(&p, err)
		}
		switch {
		case c.BillingRule.Frequency.Manual():
			first = domain.Date{}
		case first.IsZero():
			first = c.EffectiveFrom
		case first.Before(c.EffectiveFrom):
			p.Add("first_date", "the new rule's first billing (%s) cannot be before the change takes effect (%s)", first, c.EffectiveFrom)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if ch.Description != nil {
		d := strings.TrimSpace(*ch.Description)
		ch.Description = &d
	}
	e := ServiceEdited{
		ServiceID:                 s.ID,
		EffectiveFrom:             c.EffectiveFrom,
		Changes:                   ch,
		NotifyClientOfPriceChange: c.NotifyClientOfPriceChange,
		At:                        c.Now,
	}
	if c.BillingRule != nil {
		rule := *c.BillingRule
		e.BillingRule = &rule
		e.FirstDate = first
		e.FirstSeq = s.maxSeq(c.EffectiveFrom) + 1
	}
	return []domain.Event{e}, nil
}

func switchTo(s State, mode BillingMode, now time.Time) ([]domain.Event, error) {
	if err := live(s, "switch its billing to "+string(mode)); err != nil {
		return nil, err
	}
	if s.allItemsAre(mode) {
		return nil, nil
	}
	if mode == Manual {
		return []domain.Event{ServiceSwitchedToManual{ServiceID: s.ID, At: now}}, nil
	}
	return []domain.Event{ServiceSwitchedToAutomatic{ServiceID: s.ID, At: now}}, nil
}

// allItemsAre reports whether the service is in mode and no item was switched
// away from it since.
func (s State) allItemsAre(mode BillingMode) bool {
	if s.Terms.Mode != mode {
		return false
	}
	if mode == Manual {
		return !s.switched.toAutomatic
	}
	return !s.switched.toManual
}

func end(s State, c End) ([]domain.Event, error) {
	if !s.Activated() {
		return nil, domain.NotFound("There is no such service.")
	}
	if s.Ended {
		return nil, domain.Conflict("Service %q already ended on %s; ending cannot be changed.", s.Name, s.EndDate)
	}
	if c.On.IsZero() {
		return nil, domain.Invalid("on", "choose the date the service ends")
	}
	return []domain.Event{ServiceEnded{ServiceID: s.ID, EndDate: c.On, Reason: strings.TrimSpace(c.Reason), At: c.Now}}, nil
}

// unbilledItem finds an item that may still change; doing completes
// "The billing of 2026-03-01 was already invoiced and cannot …".
func unbilledItem(s State, key, doing string) (Item, error) {
	if !s.Activated() {
		return Item{}, domain.NotFound("There is no such service.")
	}
	it, ok := s.Item(key)
	if !ok {
		return Item{}, domain.NotFound("Service %q has no billing %s in its schedule.", s.Name, key)
	}
	switch it.Status {
	case ItemBilled:
		return it, domain.Conflict("The %s was already invoiced and cannot %s.", describe(it), doing)
	case ItemArchived:
		return it, domain.Conflict("The %s was archived when service %q ended and cannot %s.", describe(it), s.Name, doing)
	}
	return it, nil
}

// describe names an item for a person: "billing of 2026-03-01 for Bookkeeping".
func describe(it Item) string {
	if it.Date.IsZero() {
		return "billing of " + it.Description
	}
	return "billing of " + it.Date.String() + " (" + it.Description + ")"
}

func editItem(s State, c EditItem) ([]domain.Event, error) {
	it, err := unbilledItem(s, c.ItemKey, "be edited")
	if err != nil {
		return nil, err
	}
	if it.Status == ItemSkipped {
		return nil, domain.Conflict("The %s was skipped and cannot be edited.", describe(it))
	}
	var p domain.Problems
	ch := c.ItemChanges
	if ch == (ItemChanges{}) {
		p.Add("", "there is nothing to change")
	}
	if ch.Date != nil {
		switch {
		case ch.Date.IsZero():
			p.Add("date", "choose the billing's date")
		case s.Ended && ch.Date.After(s.EndDate):
			p.Add("date", "the service ends on %s, so it cannot bill on %s", s.EndDate, *ch.Date)
		}
	}
	checkTerms(&p, s.Currency, "", Terms{
		Quantity: it.Quantity, UnitPrice: it.UnitPrice.Amount, Discount: it.Discount, TaxRate: it.TaxRate,
	}, ch.Changes)
	if ch.PaymentMethodID != nil {
		c.Client.CheckPaymentMethod(&p, "payment_method_id", *ch.PaymentMethodID)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if ch.Description != nil {
		d := strings.TrimSpace(*ch.Description)
		ch.Description = &d
	}
	return []domain.Event{ScheduleItemEdited{ServiceID: s.ID, ItemKey: it.Key, ItemChanges: ch, At: c.Now}}, nil
}

func switchItemTo(s State, key string, mode BillingMode, now time.Time) ([]domain.Event, error) {
	it, err := unbilledItem(s, key, "be switched to "+string(mode))
	if err != nil {
		return nil, err
	}
	if it.Mode == mode {
		return nil, nil
	}
	if mode == Automatic && it.Date.IsZero() {
		return nil, domain.Conflict("The %s has no date, so it is billed by hand when the work is done.", describe(it))
	}
	if mode == Manual {
		return []domain.Event{ScheduleItemSwitchedToManual{ServiceID: s.ID, ItemKey: it.Key, At: now}}, nil
	}
	return []domain.Event{ScheduleItemSwitchedToAutomatic{ServiceID: s.ID, ItemKey: it.Key, At: now}}, nil
}

func skipItem(s State, c SkipItem) ([]domain.Event, error) {
	it, err := unbilledItem(s, c.ItemKey, "be skipped")
	if err != nil {
		return nil, err
	}
	if it.Status == ItemSkipped {
		return nil, nil
	}
	return []domain.Event{ScheduleItemSkipped{ServiceID: s.ID, ItemKey: it.Key, At: c.Now}}, nil
}

func skipMissedItems(s State, c SkipMissedItems) ([]domain.Event, error) {
	if !s.Activated() {
		return nil, domain.NotFound("There is no such service.")
	}
	if c.RunDate.IsZero() {
		return nil, domain.Invalid("run_date", "name the date of the billing run that skips missed items")
	}
	var out []domain.Event
	seen := map[string]bool{}
	for _, key := range c.ItemKeys {
		if seen[key] {
			continue
		}
		seen[key] = true
		it, ok := s.Item(key)
		if !ok || it.Status != ItemScheduled || it.Mode != Automatic || it.Date.IsZero() || !it.Date.Before(c.RunDate) {
			continue
		}
		out = append(out, ScheduleItemSkipped{ServiceID: s.ID, ItemKey: it.Key, MissedAsOf: c.RunDate, At: c.Now})
	}
	return out, nil
}

func scheduleItemIssue(s State, c ScheduleItemIssue) ([]domain.Event, error) {
	it, err := unbilledItem(s, c.ItemKey, "be scheduled")
	if err != nil {
		return nil, err
	}
	switch {
	case it.Status == ItemSkipped:
		return nil, domain.Conflict("The %s was skipped and cannot be scheduled.", describe(it))
	case it.Mode != Manual:
		return nil, domain.Conflict("The %s is automatic: it is invoiced on its date. Switch it to manual to choose when it is issued.", describe(it))
	case c.IssueOn.IsZero():
		return nil, domain.Invalid("issue_on", "choose the date to issue the invoice")
	case it.Status == ItemScheduledToIssue && it.IssueOn == c.IssueOn:
		return nil, nil
	}
	return []domain.Event{ScheduleItemIssueScheduled{ServiceID: s.ID, ItemKey: it.Key, IssueOn: c.IssueOn, At: c.Now}}, nil
}

func markItemBilled(s State, c MarkItemBilled) ([]domain.Event, error) {
	if c.InvoiceID == uuid.Nil {
		return nil, domain.Invalid("invoice_id", "name the invoice the item was billed on")
	}
	it, err := unbilledItem(s, c.ItemKey, "be billed again")
	if it.Status == ItemBilled {
		if it.InvoiceID == c.InvoiceID {
			return nil, nil // the billing run recorded it already
		}
		return nil, domain.Conflict("The %s was already invoiced on invoice %s and cannot be billed again.", describe(it), it.InvoiceID)
	}
	if err != nil {
		return nil, err
	}
	if it.Status == ItemSkipped {
		return nil, domain.Conflict("The %s was skipped and cannot be billed.", describe(it))
	}
	return []domain.Event{ScheduleItemBilled{
		ServiceID:       s.ID,
		ItemKey:         it.Key,
		InvoiceID:       c.InvoiceID,
		Date:            it.Date,
		Description:     it.Description,
		Quantity:        it.Quantity,
		UnitPrice:       it.UnitPrice.Amount,
		Discount:        it.Discount,
		TaxRate:         it.TaxRate,
		Mode:            it.Mode,
		PaymentMethodID: it.PaymentMethodID,
		At:              c.Now,
	}}, nil
}

func releaseBilledItem(s State, c ReleaseBilledItem) ([]domain.Event, error) {
	if !s.Activated() {
		return nil, domain.NotFound("There is no such service.")
	}
	if c.InvoiceID == uuid.Nil {
		return nil, domain.Invalid("invoice_id", "name the voided invoice the item was billed on")
	}
	it, ok := s.billedItem(c.ItemKey)
	if !ok {
		if _, found := s.Item(c.ItemKey); !found {
			return nil, domain.NotFound("The service has no schedule item %q.", c.ItemKey)
		}
		return nil, nil // not billed (any more): nothing to release
	}
	if it.InvoiceID != c.InvoiceID {
		return nil, domain.Conflict("The %s was billed on invoice %s, not on %s; only voiding that invoice releases it.", describe(it), it.InvoiceID, c.InvoiceID)
	}
	return []domain.Event{ScheduleItemReleased{ServiceID: s.ID, ItemKey: it.Key, InvoiceID: c.InvoiceID, Reason: c.Reason, SwitchedToManual: c.SwitchToManual, At: c.Now}}, nil
}
