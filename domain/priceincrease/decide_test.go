package priceincrease_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	pi "remit/domain/priceincrease"
)

var (
	now     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	today   = domain.MustDate(2026, 3, 2)
	batch   = uuid.MustParse("9a000000-0000-4000-8000-000000000001")
	acme    = uuid.MustParse("9b000000-0000-4000-8000-000000000001")
	beta    = uuid.MustParse("9b000000-0000-4000-8000-000000000002")
	svcA    = uuid.MustParse("9c000000-0000-4000-8000-000000000001")
	svcB    = uuid.MustParse("9c000000-0000-4000-8000-000000000002")
	aud     = domain.MustCurrency("AUD")
	monthly = domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever}
	decider = decidertest.Decider[pi.State, pi.Command]{Fold: pi.Fold, Decide: pi.Decide, ByJSON: true}
	d       = decidertest.Dec
)

func plan() []pi.ServiceChange {
	return []pi.ServiceChange{
		{ServiceID: svcA, ServiceName: "Bookkeeping", ClientID: acme, ClientName: "Acme", Currency: aud, Quantity: d("1"),
			BillingRule: monthly, OldUnitPrice: d("100"), NewUnitPrice: d("110")},
		{ServiceID: svcB, ServiceName: "Payroll", ClientID: beta, ClientName: "Beta", Currency: aud, Quantity: d("2"),
			BillingRule: monthly, OldUnitPrice: d("50"), NewUnitPrice: d("55")},
	}
}

func applyCmd() pi.Apply {
	return pi.Apply{BatchID: batch, Filter: pi.Filter{Tag: "retainer"}, Increase: pi.Increase{Kind: pi.Percent, Value: d("10")},
		Rounding: pi.RoundCent, EffectiveFrom: domain.MustDate(2026, 4, 1), NoticeDays: 14, ApprovedBy: " owner@firm.example ",
		Services: plan(), Today: today, Now: now}
}

func applied() pi.PriceIncreaseApplied {
	return pi.PriceIncreaseApplied{BatchID: batch, Filter: pi.Filter{Tag: "retainer"}, Increase: pi.Increase{Kind: pi.Percent, Value: d("10")},
		Rounding: pi.RoundCent, EffectiveFrom: domain.MustDate(2026, 4, 1), NoticeDays: 14, NoticeOn: domain.MustDate(2026, 3, 18),
		ApprovedBy: "owner@firm.example", Services: plan(), At: now}
}

func with(f func(*pi.Apply)) pi.Apply { c := applyCmd(); f(&c); return c }

func TestApply(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[pi.Command]{
		{Name: "OK", When: applyCmd(), Then: []domain.Event{applied()}},
		{Name: "OKSameAgain", Given: []domain.Event{applied()}, When: applyCmd()},
		{Name: "ErrAlreadyApplied", Given: []domain.Event{applied()}, When: with(func(c *pi.Apply) { c.Services = plan()[:1] }),
			Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrEffectiveNotAfterToday", When: with(func(c *pi.Apply) { c.EffectiveFrom, c.NoticeDays = today, 0 }),
			Err: decidertest.ThenErr(domain.EINVALID, "effective_from").Only()},
		{Name: "ErrNoticeBeforeToday", When: with(func(c *pi.Apply) { c.NoticeDays = 45 }),
			Err: decidertest.ThenErr(domain.EINVALID, "notice_days").Only().Saying("2026-02-15")},
		{Name: "ErrIncrease", When: with(func(c *pi.Apply) { c.Increase = pi.Increase{Kind: pi.Amount, Value: d("-5")} }),
			Err: decidertest.ThenErr(domain.EINVALID, "increase.value").Only()},
		{Name: "ErrIncreaseKind", When: with(func(c *pi.Apply) { c.Increase.Kind = "double" }),
			Err: decidertest.ThenErr(domain.EINVALID, "increase.kind").Only()},
		{Name: "ErrRounding", When: with(func(c *pi.Apply) { c.Rounding = "3" }),
			Err: decidertest.ThenErr(domain.EINVALID, "rounding").Only()},
		{Name: "ErrFilter", When: with(func(c *pi.Apply) {
			c.Filter = pi.Filter{ClientStatus: "gone", Frequency: domain.FrequencyOnce, Currency: "XYZ"}
		}), Err: decidertest.ThenErr(domain.EINVALID, "filter.client_status", "filter.frequency", "filter.currency").Only()},
		{Name: "ErrNoServices", When: with(func(c *pi.Apply) { c.Services = nil }),
			Err: decidertest.ThenErr(domain.EINVALID, "filter").Only()},
		{Name: "ErrNotApproved", When: with(func(c *pi.Apply) { c.ApprovedBy = "  " }),
			Err: decidertest.ThenErr(domain.EINVALID, "approved_by").Only()},
	})
}

func TestSendNotice(t *testing.T) {
	on := domain.MustDate(2026, 3, 18)
	notice := pi.SendNotice{ClientID: acme, ContactName: "Ann", ContactEmail: "ann@acme.example", Today: on, Now: now}
	sent := pi.PriceIncreaseNoticeSent{BatchID: batch, ClientID: acme, ContactName: "Ann", ContactEmail: "ann@acme.example", On: on, At: now}
	early := notice
	early.Today = on.AddDays(-1)
	stranger := notice
	stranger.ClientID = uuid.MustParse("9b000000-0000-4000-8000-000000000009")
	noEmail := notice
	noEmail.ContactEmail = ""
	decidertest.Run(t, decider, []decidertest.Case[pi.Command]{
		{Name: "OK", Given: []domain.Event{applied()}, When: notice, Then: []domain.Event{sent}},
		{Name: "OKOnce", Given: []domain.Event{applied(), sent}, When: notice},
		{Name: "ErrNotApplied", When: notice, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrBeforeNoticeDate", Given: []domain.Event{applied()}, When: early, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("2026-03-18")},
		{Name: "ErrCancelled", Given: []domain.Event{applied(), pi.PriceIncreaseCancelled{BatchID: batch, At: now}}, When: notice,
			Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrClientNotInBatch", Given: []domain.Event{applied()}, When: stranger, Err: decidertest.ThenErr(domain.EINVALID, "client_id")},
		{Name: "ErrNoEmail", Given: []domain.Event{applied()}, When: noEmail, Err: decidertest.ThenErr(domain.EINVALID, "contact_email")},
	})
}

func TestCancel(t *testing.T) {
	c := pi.Cancel{Reason: "client feedback", CancelledBy: "owner@firm.example", Today: domain.MustDate(2026, 3, 31), Now: now}
	cancelled := pi.PriceIncreaseCancelled{BatchID: batch, Reason: "client feedback", CancelledBy: "owner@firm.example", At: now}
	late := c
	late.Today = domain.MustDate(2026, 4, 1)
	// Acme's price from 1 April is still the batch's 110; Beta's was set to
	// 60 by hand since: Beta's is left as it is, and the cancel says so.
	byHand := c
	byHand.Prices = map[uuid.UUID]decimal.Decimal{svcA: d("110.00"), svcB: d("60")}
	leftBeta := cancelled
	leftBeta.LeftAsChanged = []pi.ServiceLeft{{ServiceID: svcB, ServiceName: "Payroll", ClientName: "Beta", Price: d("60")}}
	// Both still at the new price: every service goes back.
	untouched := c
	untouched.Prices = map[uuid.UUID]decimal.Decimal{svcA: d("110"), svcB: d("55")}
	decidertest.Run(t, decider, []decidertest.Case[pi.Command]{
		{Name: "OK", Given: []domain.Event{applied()}, When: c, Then: []domain.Event{cancelled}},
		{Name: "OKAllStillAtNewPrice", Given: []domain.Event{applied()}, When: untouched, Then: []domain.Event{cancelled}},
		{Name: "OKLeavesPriceChangedByHand", Given: []domain.Event{applied()}, When: byHand, Then: []domain.Event{leftBeta}},
		{Name: "OKAlreadyCancelled", Given: []domain.Event{applied(), cancelled}, When: c},
		{Name: "ErrNotApplied", When: c, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrOnEffectiveDate", Given: []domain.Event{applied()}, When: late, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("2026-04-01")},
	})
}

func TestStatus(t *testing.T) {
	s := pi.Fold([]domain.Event{applied()})
	if got := s.Status(today); got != "scheduled" {
		t.Errorf("status before notices = %q, want scheduled", got)
	}
	if got := s.Status(domain.MustDate(2026, 4, 1)); got != "effective" {
		t.Errorf("status on the effective date = %q, want effective", got)
	}
	s = pi.Evolve(s, pi.PriceIncreaseCancelled{BatchID: batch})
	if got := s.Status(today); got != "cancelled" {
		t.Errorf("status cancelled = %q", got)
	}
	s = pi.Fold([]domain.Event{applied(), pi.PriceIncreaseCancelled{BatchID: batch, LeftAsChanged: []pi.ServiceLeft{{ServiceID: svcB, Price: d("60")}}}})
	if s.LeftAlone(svcA) || !s.LeftAlone(svcB) {
		t.Errorf("left alone: Acme %v, Beta %v; want only Beta", s.LeftAlone(svcA), s.LeftAlone(svcB))
	}
}
