package service_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

func TestActivate(t *testing.T) {
	mod := func(f func(*service.Activate)) service.Activate {
		c := MustActivate(t)
		f(&c)
		return c
	}
	onCompletion := MustOnCompletion(t)
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", When: MustActivate(t), Then: []domain.Event{MustActivated(t)}},
		{Name: "OKOnCompletion", When: mod(func(c *service.Activate) {
			c.Source = service.Source{InstantBill: true}
			c.Name, c.Description = "Tax return", ""
			c.BillingRule = domain.BillingRule{Frequency: domain.FrequencyOnCompletion}
			c.FirstDate = domain.Date{}
			c.Mode = service.Manual
		}), Then: []domain.Event{onCompletion}},
		{Name: "OKRetriedActivationIsIdempotent", Given: []domain.Event{MustActivated(t)}, When: MustActivate(t), Then: nil},
		{Name: "ErrAlreadyActive", Given: []domain.Event{MustActivated(t)}, When: mod(func(c *service.Activate) { c.Source = service.Source{InstantBill: true} }), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already active")},
		{Name: "ErrMissingFields", When: service.Activate{Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("service_id")},
		{Name: "ErrNoName", When: mod(func(c *service.Activate) { c.Name = " " }), Err: decidertest.ThenErr(domain.EINVALID).Saying("name")},
		{Name: "ErrBothSources", When: mod(func(c *service.Activate) { c.Source.InstantBill = true }), Err: decidertest.ThenErr(domain.EINVALID).Saying("not both")},
		{Name: "ErrProposalWithoutLine", When: mod(func(c *service.Activate) { c.Source.ProposalLineID = uuid.Nil }), Err: decidertest.ThenErr(domain.EINVALID).Saying("source")},
		{Name: "ErrNoSource", When: mod(func(c *service.Activate) { c.Source = service.Source{} }), Err: decidertest.ThenErr(domain.EINVALID).Saying("source")},
		{Name: "ErrZeroQuantity", When: mod(func(c *service.Activate) { c.Quantity = decimal.Zero }), Err: decidertest.ThenErr(domain.EINVALID).Saying("quantity")},
		{Name: "ErrNegativePrice", When: mod(func(c *service.Activate) { c.UnitPrice = decidertest.Dec("-1") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("unit_price")},
		{Name: "ErrBadDiscount", When: mod(func(c *service.Activate) {
			c.Discount = domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("150")}
		}), Err: decidertest.ThenErr(domain.EINVALID).Saying("discount")},
		{Name: "ErrBadTaxRate", When: mod(func(c *service.Activate) { c.TaxRate = decidertest.Dec("-10") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("tax_rate")},
		{Name: "ErrBadRule", When: mod(func(c *service.Activate) { c.BillingRule.Frequency = "fortnightlyish" }), Err: decidertest.ThenErr(domain.EINVALID).Saying("billing_rule.frequency")},
		{Name: "ErrNoFirstDate", When: mod(func(c *service.Activate) { c.FirstDate = domain.Date{} }), Err: decidertest.ThenErr(domain.EINVALID).Saying("first_date")},
		{Name: "ErrFirstDateOnCompletion", When: mod(func(c *service.Activate) {
			c.BillingRule = domain.BillingRule{Frequency: domain.FrequencyEstimate}
		}), Err: decidertest.ThenErr(domain.EINVALID).Saying("first_date")},
		{Name: "ErrNoMode", When: mod(func(c *service.Activate) { c.Mode = "" }), Err: decidertest.ThenErr(domain.EINVALID).Saying("mode")},
		{Name: "ErrNoCurrency", When: mod(func(c *service.Activate) { c.Currency = domain.Currency{} }), Err: decidertest.ThenErr(domain.EINVALID).Saying("currency")},
	})
}

func TestEdit(t *testing.T) {
	from := date(2026, 3, 1)
	priceEdit := service.Edit{EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("120")}, NotifyClientOfPriceChange: true, Now: now}
	priceEdited := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("120")}, NotifyClientOfPriceChange: true, At: now}
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: from, End: domain.EndNever}
	ruleEdit := service.Edit{EffectiveFrom: from, BillingRule: &quarterly, Now: now}
	putBack := service.Edit{EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("100")}, UnlessPriceChangedFrom: decp("120"), Now: now}
	putBackEdited := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("100")}, At: now}
	byHand := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 2, 1), Changes: service.Changes{UnitPrice: decp("130")}, At: now}
	ruleEdited := func(firstSeq int) service.ServiceEdited {
		return service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, BillingRule: &quarterly, FirstDate: from, FirstSeq: firstSeq, At: now}
	}
	all := service.Edit{EffectiveFrom: from, Changes: service.Changes{
		Description: strp(" Bookkeeping and payroll "), UnitPrice: decp("150"), Quantity: decp("2"),
		Discount: &domain.Discount{Kind: domain.DiscountAmount, Value: decidertest.Dec("5")}, PaymentMethodID: &method2ID,
	}, Client: domain.ClientFacts{PaymentMethods: []uuid.UUID{methodID, method2ID}}, Now: now}
	allEdited := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, Changes: service.Changes{
		Description: strp("Bookkeeping and payroll"), UnitPrice: decp("150"), Quantity: decp("2"),
		Discount: &domain.Discount{Kind: domain.DiscountAmount, Value: decidertest.Dec("5")}, PaymentMethodID: &method2ID,
	}, At: now}
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OKPrice", Given: []domain.Event{MustActivated(t)}, When: priceEdit, Then: []domain.Event{priceEdited}},
		{Name: "OKEverything", Given: []domain.Event{MustActivated(t)}, When: all, Then: []domain.Event{allEdited}},
		// Items 1 and 2 (Jan, Feb) fall before the change: the new rule numbers from 3.
		{Name: "OKRule", Given: []domain.Event{MustActivated(t)}, When: ruleEdit, Then: []domain.Event{ruleEdited(3)}},
		// Item 4 (Apr) was billed, item 6 edited: the new rule numbers after both.
		{Name: "OKRuleAfterBilledAndEditedItems", Given: []domain.Event{
			MustActivated(t), billed(4, date(2026, 4, 15), invoiceID),
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(6), ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: decp("3")}}},
		}, When: ruleEdit, Then: []domain.Event{ruleEdited(7)}},
		// A price put back only while it is still the one it replaces (a
		// cancelled price increase): 120 from March is put back to 100.
		{Name: "OKPutBackUnlessChanged", Given: []domain.Event{MustActivated(t), priceEdited}, When: putBack, Then: []domain.Event{putBackEdited}},
		// Someone set 130 from February since: the price from March is 130, left alone.
		{Name: "ErrPriceChangedByHand", Given: []domain.Event{MustActivated(t), priceEdited, byHand}, When: putBack,
			Err: decidertest.ThenErr(domain.ECONFLICT).Saying("it is 130, not 120")},
		{Name: "ErrNotFound", When: priceEdit, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrEnded", Given: []domain.Event{MustActivated(t), ended(date(2026, 6, 30))}, When: priceEdit, Err: decidertest.ThenErr(domain.ECONFLICT).Saying(`Service "Bookkeeping" ended on 2026-06-30 and cannot be edited.`)},
		{Name: "ErrNothingToChange", Given: []domain.Event{MustActivated(t)}, When: service.Edit{EffectiveFrom: from, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("nothing to change")},
		{Name: "ErrNoEffectiveDate", Given: []domain.Event{MustActivated(t)}, When: service.Edit{Changes: service.Changes{UnitPrice: decp("1")}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("effective_from")},
		{Name: "ErrNegativePrice", Given: []domain.Event{MustActivated(t)}, When: service.Edit{EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("-1")}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("unit_price")},
		{Name: "ErrZeroQuantity", Given: []domain.Event{MustActivated(t)}, When: service.Edit{EffectiveFrom: from, Changes: service.Changes{Quantity: decp("0")}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("quantity")},
		{Name: "ErrEmptyDescription", Given: []domain.Event{MustActivated(t)}, When: service.Edit{EffectiveFrom: from, Changes: service.Changes{Description: strp(" ")}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("description")},
		{Name: "ErrBadRule", Given: []domain.Event{MustActivated(t)}, When: service.Edit{EffectiveFrom: from, BillingRule: &domain.BillingRule{Frequency: domain.FrequencyMonths}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("billing_rule.start")},
		{Name: "ErrRuleStartsBeforeEffective", Given: []domain.Event{MustActivated(t)}, When: service.Edit{EffectiveFrom: from, BillingRule: &quarterly, FirstDate: from.AddDays(-1), Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("first_date")},
	})
}

func TestSwitchServiceMode(t *testing.T) {
	toManual := service.ServiceSwitchedToManual{ServiceID: serviceID, At: now}
	toAuto := service.ServiceSwitchedToAutomatic{ServiceID: serviceID, At: now}
	itemToAuto := service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(5), At: now}
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OKPause", Given: []domain.Event{MustActivated(t)}, When: service.SwitchToManual{Now: now}, Then: []domain.Event{toManual}},
		{Name: "OKResume", Given: []domain.Event{MustActivated(t), toManual}, When: service.SwitchToAutomatic{Now: now}, Then: []domain.Event{toAuto}},
		{Name: "OKAlreadyPaused", Given: []domain.Event{MustActivated(t), toManual}, When: service.SwitchToManual{Now: now}, Then: nil},
		{Name: "OKAlreadyAutomatic", Given: []domain.Event{MustActivated(t)}, When: service.SwitchToAutomatic{Now: now}, Then: nil},
		{Name: "OKPauseAgainAfterAnItemWasResumed", Given: []domain.Event{MustActivated(t), toManual, itemToAuto}, When: service.SwitchToManual{Now: now}, Then: []domain.Event{toManual}},
		{Name: "ErrNotFound", When: service.SwitchToManual{Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrEnded", Given: []domain.Event{MustActivated(t), ended(today)}, When: service.SwitchToManual{Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("ended")},
		{Name: "ErrEndedResume", Given: []domain.Event{MustActivated(t), toManual, ended(today)}, When: service.SwitchToAutomatic{Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("ended")},
	})
}

func TestEnd(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", Given: []domain.Event{MustActivated(t)}, When: service.End{On: date(2026, 6, 30), Reason: " Client left ", Now: now}, Then: []domain.Event{ended(date(2026, 6, 30))}},
		{Name: "ErrNotFound", When: service.End{On: today, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrAlreadyEnded", Given: []domain.Event{MustActivated(t), ended(date(2026, 6, 30))}, When: service.End{On: date(2026, 6, 30), Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already ended")},
		{Name: "ErrNoDate", Given: []domain.Event{MustActivated(t)}, When: service.End{Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("on")},
	})
}

func TestEditItem(t *testing.T) {
	move := service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 3, 20)), Changes: service.Changes{Quantity: decp("2"), Description: strp(" March, with payroll ")}}, Now: now}
	moved := service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 3, 20)), Changes: service.Changes{Quantity: decp("2"), Description: strp("March, with payroll")}}, At: now}
	price := func(k string) service.EditItem {
		return service.EditItem{ItemKey: k, ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("90")}}, Now: now}
	}
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", Given: []domain.Event{MustActivated(t)}, When: move, Then: []domain.Event{moved}},
		{Name: "OKFarFutureItem", Given: []domain.Event{MustActivated(t)}, When: price(key(120)), Then: []domain.Event{
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(120), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("90")}}, At: now},
		}},
		{Name: "ErrNotFound", When: price(key(3)), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNoSuchItem", Given: []domain.Event{MustActivated(t)}, When: price(key(0)), Err: decidertest.ThenErr(domain.ENOTFOUND).Saying("no billing")},
		{Name: "ErrOtherServicesItem", Given: []domain.Event{MustActivated(t)}, When: price(service.ItemKey(otherSvcID, 3)), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrGarbageKey", Given: []domain.Event{MustActivated(t)}, When: price("march"), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrBilled", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, When: price(key(3)), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("The billing of 2026-03-15 (Monthly bookkeeping) was already invoiced and cannot be edited.")},
		{Name: "ErrArchived", Given: []domain.Event{MustActivated(t), ended(date(2026, 3, 31))}, When: price(key(5)), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("archived")},
		{Name: "ErrSkipped", Given: []domain.Event{MustActivated(t), service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(3)}}, When: price(key(3)), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("skipped")},
		{Name: "ErrNothingToChange", Given: []domain.Event{MustActivated(t)}, When: service.EditItem{ItemKey: key(3), Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("nothing to change")},
		{Name: "ErrZeroDate", Given: []domain.Event{MustActivated(t)}, When: service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Date: &domain.Date{}}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("date")},
		{Name: "ErrDateAfterEnd", Given: []domain.Event{MustActivated(t), ended(date(2026, 3, 31))}, When: service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 4, 2))}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("ends on 2026-03-31")},
		{Name: "ErrNegativeQuantity", Given: []domain.Event{MustActivated(t)}, When: service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: decp("-1")}}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("quantity")},
		// The rule change from March replaced the monthly item 3 (Mar 15).
		{Name: "ErrReplacedByRuleChange", Given: []domain.Event{MustActivated(t), service.ServiceEdited{
			ServiceID: serviceID, EffectiveFrom: date(2026, 3, 1), FirstDate: date(2026, 3, 1), FirstSeq: 3,
			BillingRule: &domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 3, 1), End: domain.EndAfterN, EndAfter: 1},
		}}, When: price(key(4)), Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestSwitchItemMode(t *testing.T) {
	toManual := service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(5), At: now}
	toAuto := service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(5), At: now}
	onCompletionKey := key(1)
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OKToManual", Given: []domain.Event{MustActivated(t)}, When: service.SwitchItemToManual{ItemKey: key(5), Now: now}, Then: []domain.Event{toManual}},
		{Name: "OKToAutomatic", Given: []domain.Event{MustActivated(t), toManual}, When: service.SwitchItemToAutomatic{ItemKey: key(5), Now: now}, Then: []domain.Event{toAuto}},
		{Name: "OKAlreadyManual", Given: []domain.Event{MustActivated(t), toManual}, When: service.SwitchItemToManual{ItemKey: key(5), Now: now}, Then: nil},
		{Name: "OKPausedServiceItemToAutomatic", Given: []domain.Event{MustActivated(t), service.ServiceSwitchedToManual{ServiceID: serviceID}}, When: service.SwitchItemToAutomatic{ItemKey: key(5), Now: now}, Then: []domain.Event{toAuto}},
		{Name: "ErrUndatedToAutomatic", Given: []domain.Event{MustOnCompletion(t)}, When: service.SwitchItemToAutomatic{ItemKey: onCompletionKey, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("billed by hand")},
		{Name: "ErrBilled", Given: []domain.Event{MustActivated(t), billed(5, date(2026, 5, 15), invoiceID)}, When: service.SwitchItemToManual{ItemKey: key(5), Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already invoiced")},
		{Name: "ErrNoSuchItem", Given: []domain.Event{MustActivated(t)}, When: service.SwitchItemToManual{ItemKey: "x", Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestSkipItem(t *testing.T) {
	skipped := service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2), At: now}
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", Given: []domain.Event{MustActivated(t)}, When: service.SkipItem{ItemKey: key(2), Now: now}, Then: []domain.Event{skipped}},
		{Name: "OKAlreadySkipped", Given: []domain.Event{MustActivated(t), skipped}, When: service.SkipItem{ItemKey: key(2), Now: now}, Then: nil},
		{Name: "ErrBilled", Given: []domain.Event{MustActivated(t), billed(2, date(2026, 2, 15), invoiceID)}, When: service.SkipItem{ItemKey: key(2), Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already invoiced and cannot be skipped")},
		{Name: "ErrArchived", Given: []domain.Event{MustActivated(t), ended(date(2026, 1, 31))}, When: service.SkipItem{ItemKey: key(2), Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("archived")},
		{Name: "ErrNotFound", When: service.SkipItem{ItemKey: key(2), Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestScheduleItemIssue(t *testing.T) {
	toManual := service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(5), At: now}
	issue := service.ScheduleItemIssue{ItemKey: key(5), IssueOn: date(2026, 5, 20), Now: now}
	issued := service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(5), IssueOn: date(2026, 5, 20), At: now}
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", Given: []domain.Event{MustActivated(t), toManual}, When: issue, Then: []domain.Event{issued}},
		{Name: "OKUndatedItem", Given: []domain.Event{MustOnCompletion(t)}, When: service.ScheduleItemIssue{ItemKey: key(1), IssueOn: today, Now: now}, Then: []domain.Event{
			service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(1), IssueOn: today, At: now},
		}},
		{Name: "OKSameDateAgain", Given: []domain.Event{MustActivated(t), toManual, issued}, When: issue, Then: nil},
		{Name: "OKNewDate", Given: []domain.Event{MustActivated(t), toManual, issued}, When: service.ScheduleItemIssue{ItemKey: key(5), IssueOn: date(2026, 5, 25), Now: now}, Then: []domain.Event{
			service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(5), IssueOn: date(2026, 5, 25), At: now},
		}},
		{Name: "ErrAutomatic", Given: []domain.Event{MustActivated(t)}, When: issue, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is automatic")},
		{Name: "ErrNoDate", Given: []domain.Event{MustActivated(t), toManual}, When: service.ScheduleItemIssue{ItemKey: key(5), Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("issue_on")},
		{Name: "ErrSkipped", Given: []domain.Event{MustActivated(t), toManual, service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(5)}}, When: issue, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("skipped")},
		{Name: "ErrBilled", Given: []domain.Event{MustActivated(t), toManual, billed(5, date(2026, 5, 15), invoiceID)}, When: issue, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already invoiced")},
	})
}

func TestMarkItemBilled(t *testing.T) {
	bill := func(seq int, invoice uuid.UUID) service.MarkItemBilled {
		return service.MarkItemBilled{ItemKey: key(seq), InvoiceID: invoice, Now: now}
	}
	repriced := billed(3, date(2026, 3, 15), invoiceID)
	repriced.UnitPrice = decidertest.Dec("120")
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", Given: []domain.Event{MustActivated(t)}, When: bill(3, invoiceID), Then: []domain.Event{billed(3, date(2026, 3, 15), invoiceID)}},
		{Name: "OKRecordsTheTermsBilled", Given: []domain.Event{MustActivated(t), service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 3, 1), Changes: service.Changes{UnitPrice: decp("120")}}}, When: bill(3, invoiceID), Then: []domain.Event{repriced}},
		{Name: "OKSameInvoiceAgainIsIdempotent", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, When: bill(3, invoiceID), Then: nil},
		{Name: "OKUndatedItem", Given: []domain.Event{MustOnCompletion(t)}, When: bill(1, invoiceID), Then: []domain.Event{service.ScheduleItemBilled{
			ServiceID: serviceID, ItemKey: key(1), InvoiceID: invoiceID, Description: "Tax return", Quantity: decidertest.Dec("1"), UnitPrice: decidertest.Dec("100"),
			TaxRate: decidertest.Dec("10"), Mode: service.Manual, PaymentMethodID: methodID, At: now,
		}}},
		{Name: "OKLastDayOfEndedService", Given: []domain.Event{MustActivated(t), ended(date(2026, 3, 15))}, When: bill(3, invoiceID), Then: []domain.Event{billed(3, date(2026, 3, 15), invoiceID)}},
		{Name: "ErrBilledOnAnotherInvoice", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, When: bill(3, invoice2ID), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already invoiced on invoice " + invoiceID.String())},
		{Name: "ErrSkipped", Given: []domain.Event{MustActivated(t), service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(3)}}, When: bill(3, invoiceID), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("skipped")},
		{Name: "ErrArchived", Given: []domain.Event{MustActivated(t), ended(date(2026, 3, 14))}, When: bill(3, invoiceID), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("archived")},
		{Name: "ErrNoInvoice", Given: []domain.Event{MustActivated(t)}, When: bill(3, uuid.Nil), Err: decidertest.ThenErr(domain.EINVALID).Saying("invoice_id")},
		{Name: "ErrNoSuchItem", Given: []domain.Event{MustActivated(t)}, When: service.MarkItemBilled{ItemKey: key(0), InvoiceID: invoiceID, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: bill(3, invoiceID), Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestReleaseBilledItem(t *testing.T) {
	release := func(seq int, invoice uuid.UUID) service.ReleaseBilledItem {
		return service.ReleaseBilledItem{ItemKey: key(seq), InvoiceID: invoice, Reason: "invoice voided", SwitchToManual: true, Now: now}
	}
	released := service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(3), InvoiceID: invoiceID, Reason: "invoice voided", SwitchedToManual: true, At: now}
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{Name: "OK", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, When: release(3, invoiceID), Then: []domain.Event{released}},
		{Name: "OKAgainIsIdempotent", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID), released}, When: release(3, invoiceID), Then: nil},
		{Name: "OKReleasedItemCanBeBilledAgain", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID), released}, When: service.MarkItemBilled{ItemKey: key(3), InvoiceID: invoice2ID, Now: now}, Then: []domain.Event{func() service.ScheduleItemBilled {
			e := billed(3, date(2026, 3, 15), invoice2ID)
			e.Mode = service.Manual
			return e
		}()}},
		{Name: "ErrBilledOnAnotherInvoice", Given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, When: release(3, invoice2ID), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("only voiding that invoice")},
		{Name: "ErrNoInvoice", Given: []domain.Event{MustActivated(t)}, When: release(3, uuid.Nil), Err: decidertest.ThenErr(domain.EINVALID).Saying("invoice_id")},
		{Name: "ErrNoSuchItem", Given: []domain.Event{MustActivated(t)}, When: release(0, invoiceID), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrNotFound", When: release(3, invoiceID), Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestReleasedItemTurnsManualAndLeavesDueItems(t *testing.T) {
	s := service.Fold([]domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID),
		service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(3), InvoiceID: invoiceID, SwitchedToManual: true, At: now}})
	it, ok := s.Item(key(3))
	if !ok || it.Status == service.ItemBilled || it.Mode != service.Manual {
		t.Fatalf("released item = %+v, %v; want unbilled and manual", it, ok)
	}
	for _, due := range s.DueItems(date(2026, 3, 20)) {
		if due.Key == key(3) {
			t.Fatalf("a released item is due for automatic billing again: %+v", due)
		}
	}
}

func TestReleasedWithoutSwitchKeepsItsMode(t *testing.T) {
	s := service.Fold([]domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID),
		service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(3), InvoiceID: invoiceID, Reason: "invoice not issued", At: now}})
	it, ok := s.Item(key(3))
	if !ok || it.Status == service.ItemBilled || it.Mode != service.Automatic {
		t.Fatalf("released item = %+v, %v; want unbilled and still automatic", it, ok)
	}
}
