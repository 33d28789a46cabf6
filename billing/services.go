package billing

import (
	"context"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/service"
)

// ServiceRequest activates an additional service from an instant bill (a
// recurring or scheduled service; ServiceID optional). Its first billing date
// is resolved from the rule with today (firm's time zone) as the start.
type ServiceRequest struct {
	ServiceID       uuid.UUID          `json:"service_id,omitzero"`
	ClientID        uuid.UUID          `json:"client_id"`
	Name            string             `json:"name"`
	Description     string             `json:"description,omitempty"`
	UnitPrice       decimal.Decimal    `json:"unit_price"`
	Quantity        decimal.Decimal    `json:"quantity"`
	Unit            string             `json:"unit,omitempty"`
	Discount        domain.Discount    `json:"discount"`
	TaxRate         decimal.Decimal    `json:"tax_rate"`
	Currency        string             `json:"currency,omitempty"` // empty: the client's currency
	BillingRule     domain.BillingRule `json:"billing_rule"`
	Automatic       bool               `json:"automatic"`
	PaymentMethodID uuid.UUID          `json:"payment_method_id,omitzero"`
	// LibraryServiceID names the services library's entry the service
	// starts from (its fields above were copied from it, maybe changed);
	// RevenueAccount is the ledger account code its sales go to.
	LibraryServiceID uuid.UUID `json:"library_service_id,omitzero"`
	RevenueAccount   string    `json:"revenue_account,omitempty"`
}

// EditServiceRequest changes a service's terms from EffectiveFrom (today
// when zero); a new BillingRule replaces the unbilled items from FirstDate
// (EffectiveFrom when zero).
type EditServiceRequest struct {
	ServiceID     uuid.UUID   `json:"service_id"`
	EffectiveFrom domain.Date `json:"effective_from,omitzero"`
	service.Changes
	BillingRule               *domain.BillingRule `json:"billing_rule,omitempty"`
	FirstDate                 domain.Date         `json:"first_date,omitzero"`
	NotifyClientOfPriceChange bool                `json:"notify_client_of_price_change,omitempty"`
}

// ServiceRef names a service; On and Reason are for ending it (On zero:
// today).
type ServiceRef struct {
	ServiceID uuid.UUID   `json:"service_id"`
	On        domain.Date `json:"on,omitzero"`
	Reason    string      `json:"reason,omitempty"`
}

// ItemRequest names a schedule item by key ("<service-uuid>/<seq>") with the
// changes (EditScheduleItem) or the issue date (ScheduleItemIssue) to apply.
type ItemRequest struct {
	ItemKey string `json:"item_key"`
	service.ItemChanges
	IssueOn domain.Date `json:"issue_on,omitzero"`
}

func (s *Service) service(ctx context.Context, c service.Command, id uuid.UUID, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, s.serviceDecider, service.StreamName(id), c, meta, created)
}

// itemService returns the service id of an item key, or an EINVALID error.
func itemService(key string) (uuid.UUID, error) {
	id, _, ok := service.ParseItemKey(key)
	if !ok {
		return uuid.Nil, domain.Invalid("item_key", "%q is not a schedule item key", key)
	}
	return id, nil
}

// ActivateService starts an additional service from an instant bill;
// Result.ID is its id.
func (s *Service) ActivateService(ctx context.Context, r ServiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	cl, _, ok, err := fold(ctx, s.env, clientDecider, clientStream(r.ClientID))
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{}, domain.NotFound("There is no such client.")
	}
	if cl.Archived {
		return Result{}, domain.Conflict("This client is archived: restore it before adding services.")
	}
	var p domain.Problems
	cur := parseCurrency(&p, "currency", r.Currency, cl.Currency)
	now := s.now()
	var first domain.Date
	if r.BillingRule.Validate("billing_rule") == nil {
		if first, err = r.BillingRule.FirstDate(s.today(f, now), domain.Date{}); err != nil {
			p.Merge(err)
		}
	}
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	rule := r.BillingRule
	if !first.IsZero() {
		rule.Start, rule.StartDate, rule.StartDelayDays = domain.StartOnDate, first, 0
	}
	mode := service.Manual
	if r.Automatic {
		mode = service.Automatic
	}
	id := pick(r.ServiceID, meta, "service")
	return s.service(ctx, service.Activate{
		ServiceID: id, ClientID: r.ClientID, Source: service.Source{InstantBill: true, LibraryServiceID: r.LibraryServiceID},
		Name: r.Name, Description: r.Description, UnitPrice: r.UnitPrice, Quantity: r.Quantity, Unit: r.Unit,
		Discount: r.Discount, TaxRate: r.TaxRate, Currency: cur, BillingRule: rule, FirstDate: first,
		Mode: mode, PaymentMethodID: r.PaymentMethodID, RevenueAccount: r.RevenueAccount, Client: cl.Facts(), Now: now,
	}, id, meta, id)
}

// EditService changes a service's terms from a date.
func (s *Service) EditService(ctx context.Context, r EditServiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	from := r.EffectiveFrom
	now := s.now()
	if from.IsZero() {
		f, err := s.firm(ctx)
		if err != nil {
			return Result{}, err
		}
		from = s.today(f, now)
	}
	facts, err := s.serviceClientFacts(ctx, r.ServiceID, r.Changes.PaymentMethodID)
	if err != nil {
		return Result{}, err
	}
	return s.service(ctx, service.Edit{
		EffectiveFrom: from, Changes: r.Changes, BillingRule: r.BillingRule, FirstDate: r.FirstDate,
		NotifyClientOfPriceChange: r.NotifyClientOfPriceChange, Client: facts, Now: now,
	}, r.ServiceID, meta, uuid.Nil)
}

// serviceClientFacts gathers the facts of a service's client that a change
// naming a payment method is checked against (none when it names none).
func (s *Service) serviceClientFacts(ctx context.Context, serviceID uuid.UUID, method *uuid.UUID) (domain.ClientFacts, error) {
	if method == nil || *method == uuid.Nil {
		return domain.ClientFacts{}, nil
	}
	st, _, ok, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(serviceID))
	if err != nil || !ok {
		return domain.ClientFacts{}, err // a missing service is reported by its command
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(st.ClientID))
	if err != nil {
		return domain.ClientFacts{}, err
	}
	return cl.Facts(), nil
}

// SwitchServiceToManual pauses a service: every unbilled item becomes manual.
func (s *Service) SwitchServiceToManual(ctx context.Context, r ServiceRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.service(ctx, service.SwitchToManual{Now: s.now()}, r.ServiceID, meta, uuid.Nil)
}

// SwitchServiceToAutomatic resumes a service: every unbilled item becomes
// automatic.
func (s *Service) SwitchServiceToAutomatic(ctx context.Context, r ServiceRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.service(ctx, service.SwitchToAutomatic{Now: s.now()}, r.ServiceID, meta, uuid.Nil)
}

// EndService ends a service on r.On (today when zero); irreversible.
func (s *Service) EndService(ctx context.Context, r ServiceRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	on := r.On
	now := s.now()
	if on.IsZero() {
		f, err := s.firm(ctx)
		if err != nil {
			return Result{}, err
		}
		on = s.today(f, now)
	}
	return s.service(ctx, service.End{On: on, Reason: r.Reason, Now: now}, r.ServiceID, meta, uuid.Nil)
}

// EditScheduleItem changes one unbilled item.
func (s *Service) EditScheduleItem(ctx context.Context, r ItemRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id, err := itemService(r.ItemKey)
	if err != nil {
		return Result{}, err
	}
	facts, err := s.serviceClientFacts(ctx, id, r.PaymentMethodID)
	if err != nil {
		return Result{}, err
	}
	return s.service(ctx, service.EditItem{ItemKey: r.ItemKey, ItemChanges: r.ItemChanges, Client: facts, Now: s.now()}, id, meta, uuid.Nil)
}

// SwitchItemToManual makes one item wait to be issued by hand.
func (s *Service) SwitchItemToManual(ctx context.Context, r ItemRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id, err := itemService(r.ItemKey)
	if err != nil {
		return Result{}, err
	}
	return s.service(ctx, service.SwitchItemToManual{ItemKey: r.ItemKey, Now: s.now()}, id, meta, uuid.Nil)
}

// SwitchItemToAutomatic makes one item be invoiced by Remit on its date.
func (s *Service) SwitchItemToAutomatic(ctx context.Context, r ItemRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id, err := itemService(r.ItemKey)
	if err != nil {
		return Result{}, err
	}
	return s.service(ctx, service.SwitchItemToAutomatic{ItemKey: r.ItemKey, Now: s.now()}, id, meta, uuid.Nil)
}

// SkipItem leaves one item unbilled.
func (s *Service) SkipItem(ctx context.Context, r ItemRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id, err := itemService(r.ItemKey)
	if err != nil {
		return Result{}, err
	}
	return s.service(ctx, service.SkipItem{ItemKey: r.ItemKey, Now: s.now()}, id, meta, uuid.Nil)
}

// SkipMissedItems records, for the billing run of runDate, that the missed
// automatic items of one service among keys are skipped (the firm skips
// missed billings): one append for all of them; items no longer missed are
// left as they are.
func (s *Service) SkipMissedItems(ctx context.Context, serviceID uuid.UUID, keys []string, runDate domain.Date, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.service(ctx, service.SkipMissedItems{ItemKeys: keys, RunDate: runDate, Now: s.now()}, serviceID, meta, uuid.Nil)
}

// ScheduleItemIssue schedules a manual item to be invoiced on r.IssueOn.
func (s *Service) ScheduleItemIssue(ctx context.Context, r ItemRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id, err := itemService(r.ItemKey)
	if err != nil {
		return Result{}, err
	}
	return s.service(ctx, service.ScheduleItemIssue{ItemKey: r.ItemKey, IssueOn: r.IssueOn, Now: s.now()}, id, meta, uuid.Nil)
}
