package service_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/service"
)

func TestActivate(t *testing.T) {
	mod := func(f func(*service.Activate)) service.Activate {
		c := MustActivate(t)
		f(&c)
		return c
	}
	onCompletion := MustOnCompletion(t)
	run(t, []testCase{
		{name: "OK", when: MustActivate(t), then: []domain.Event{MustActivated(t)}},
		{name: "OKOnCompletion", when: mod(func(c *service.Activate) {
			c.Source = service.Source{InstantBill: true}
			c.Name, c.Description = "Tax return", ""
			c.BillingRule = domain.BillingRule{Frequency: domain.FrequencyOnCompletion}
			c.FirstDate = domain.Date{}
			c.Mode = service.Manual
		}), then: []domain.Event{onCompletion}},
		{name: "OKRetriedActivationIsIdempotent", given: []domain.Event{MustActivated(t)}, when: MustActivate(t), then: nil},
		{name: "ErrAlreadyActive", given: []domain.Event{MustActivated(t)}, when: mod(func(c *service.Activate) { c.Source = service.Source{InstantBill: true} }), wantCode: domain.ECONFLICT, wantMsg: "already active"},
		{name: "ErrMissingFields", when: service.Activate{Now: now}, wantCode: domain.EINVALID, wantMsg: "service_id"},
		{name: "ErrNoName", when: mod(func(c *service.Activate) { c.Name = " " }), wantCode: domain.EINVALID, wantMsg: "name"},
		{name: "ErrBothSources", when: mod(func(c *service.Activate) { c.Source.InstantBill = true }), wantCode: domain.EINVALID, wantMsg: "not both"},
		{name: "ErrProposalWithoutLine", when: mod(func(c *service.Activate) { c.Source.ProposalLineID = uuid.Nil }), wantCode: domain.EINVALID, wantMsg: "source"},
		{name: "ErrNoSource", when: mod(func(c *service.Activate) { c.Source = service.Source{} }), wantCode: domain.EINVALID, wantMsg: "source"},
		{name: "ErrZeroQuantity", when: mod(func(c *service.Activate) { c.Quantity = decimal.Zero }), wantCode: domain.EINVALID, wantMsg: "quantity"},
		{name: "ErrNegativePrice", when: mod(func(c *service.Activate) { c.UnitPrice = dec("-1") }), wantCode: domain.EINVALID, wantMsg: "unit_price"},
		{name: "ErrBadDiscount", when: mod(func(c *service.Activate) {
			c.Discount = domain.Discount{Kind: domain.DiscountPercent, Value: dec("150")}
		}), wantCode: domain.EINVALID, wantMsg: "discount"},
		{name: "ErrBadTaxRate", when: mod(func(c *service.Activate) { c.TaxRate = dec("-10") }), wantCode: domain.EINVALID, wantMsg: "tax_rate"},
		{name: "ErrBadRule", when: mod(func(c *service.Activate) { c.BillingRule.Frequency = "fortnightlyish" }), wantCode: domain.EINVALID, wantMsg: "billing_rule.frequency"},
		{name: "ErrNoFirstDate", when: mod(func(c *service.Activate) { c.FirstDate = domain.Date{} }), wantCode: domain.EINVALID, wantMsg: "first_date"},
		{name: "ErrFirstDateOnCompletion", when: mod(func(c *service.Activate) {
			c.BillingRule = domain.BillingRule{Frequency: domain.FrequencyEstimate}
		}), wantCode: domain.EINVALID, wantMsg: "first_date"},
		{name: "ErrNoMode", when: mod(func(c *service.Activate) { c.Mode = "" }), wantCode: domain.EINVALID, wantMsg: "mode"},
		{name: "ErrNoCurrency", when: mod(func(c *service.Activate) { c.Currency = domain.Currency{} }), wantCode: domain.EINVALID, wantMsg: "currency"},
	})
}

func TestEdit(t *testing.T) {
	from := date(2026, 3, 1)
	priceEdit := service.Edit{EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("120")}, NotifyClientOfPriceChange: true, Now: now}
	priceEdited := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("120")}, NotifyClientOfPriceChange: true, At: now}
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: from, End: domain.EndNever}
	ruleEdit := service.Edit{EffectiveFrom: from, BillingRule: &quarterly, Now: now}
	ruleEdited := func(firstSeq int) service.ServiceEdited {
		return service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, BillingRule: &quarterly, FirstDate: from, FirstSeq: firstSeq, At: now}
	}
	all := service.Edit{EffectiveFrom: from, Changes: service.Changes{
		Description: strp(" Bookkeeping and payroll "), UnitPrice: decp("150"), Quantity: decp("2"),
		Discount: &domain.Discount{Kind: domain.DiscountAmount, Value: dec("5")}, PaymentMethodID: &method2ID,
	}, Client: domain.ClientFacts{PaymentMethods: []uuid.UUID{methodID, method2ID}}, Now: now}
	allEdited := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: from, Changes: service.Changes{
		Description: strp("Bookkeeping and payroll"), UnitPrice: decp("150"), Quantity: decp("2"),
		Discount: &domain.Discount{Kind: domain.DiscountAmount, Value: dec("5")}, PaymentMethodID: &method2ID,
	}, At: now}
	run(t, []testCase{
		{name: "OKPrice", given: []domain.Event{MustActivated(t)}, when: priceEdit, then: []domain.Event{priceEdited}},
		{name: "OKEverything", given: []domain.Event{MustActivated(t)}, when: all, then: []domain.Event{allEdited}},
		// Items 1 and 2 (Jan, Feb) fall before the change: the new rule numbers from 3.
		{name: "OKRule", given: []domain.Event{MustActivated(t)}, when: ruleEdit, then: []domain.Event{ruleEdited(3)}},
		// Item 4 (Apr) was billed, item 6 edited: the new rule numbers after both.
		{name: "OKRuleAfterBilledAndEditedItems", given: []domain.Event{
			MustActivated(t), billed(4, date(2026, 4, 15), invoiceID),
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(6), ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: decp("3")}}},
		}, when: ruleEdit, then: []domain.Event{ruleEdited(7)}},
		{name: "ErrNotFound", when: priceEdit, wantCode: domain.ENOTFOUND},
		{name: "ErrEnded", given: []domain.Event{MustActivated(t), ended(date(2026, 6, 30))}, when: priceEdit, wantCode: domain.ECONFLICT, wantMsg: `Service "Bookkeeping" ended on 2026-06-30 and cannot be edited.`},
		{name: "ErrNothingToChange", given: []domain.Event{MustActivated(t)}, when: service.Edit{EffectiveFrom: from, Now: now}, wantCode: domain.EINVALID, wantMsg: "nothing to change"},
		{name: "ErrNoEffectiveDate", given: []domain.Event{MustActivated(t)}, when: service.Edit{Changes: service.Changes{UnitPrice: decp("1")}, Now: now}, wantCode: domain.EINVALID, wantMsg: "effective_from"},
		{name: "ErrNegativePrice", given: []domain.Event{MustActivated(t)}, when: service.Edit{EffectiveFrom: from, Changes: service.Changes{UnitPrice: decp("-1")}, Now: now}, wantCode: domain.EINVALID, wantMsg: "unit_price"},
		{name: "ErrZeroQuantity", given: []domain.Event{MustActivated(t)}, when: service.Edit{EffectiveFrom: from, Changes: service.Changes{Quantity: decp("0")}, Now: now}, wantCode: domain.EINVALID, wantMsg: "quantity"},
		{name: "ErrEmptyDescription", given: []domain.Event{MustActivated(t)}, when: service.Edit{EffectiveFrom: from, Changes: service.Changes{Description: strp(" ")}, Now: now}, wantCode: domain.EINVALID, wantMsg: "description"},
		{name: "ErrBadRule", given: []domain.Event{MustActivated(t)}, when: service.Edit{EffectiveFrom: from, BillingRule: &domain.BillingRule{Frequency: domain.FrequencyMonths}, Now: now}, wantCode: domain.EINVALID, wantMsg: "billing_rule.start"},
		{name: "ErrRuleStartsBeforeEffective", given: []domain.Event{MustActivated(t)}, when: service.Edit{EffectiveFrom: from, BillingRule: &quarterly, FirstDate: from.AddDays(-1), Now: now}, wantCode: domain.EINVALID, wantMsg: "first_date"},
	})
}

func TestSwitchServiceMode(t *testing.T) {
	toManual := service.ServiceSwitchedToManual{ServiceID: serviceID, At: now}
	toAuto := service.ServiceSwitchedToAutomatic{ServiceID: serviceID, At: now}
	itemToAuto := service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(5), At: now}
	run(t, []testCase{
		{name: "OKPause", given: []domain.Event{MustActivated(t)}, when: service.SwitchToManual{Now: now}, then: []domain.Event{toManual}},
		{name: "OKResume", given: []domain.Event{MustActivated(t), toManual}, when: service.SwitchToAutomatic{Now: now}, then: []domain.Event{toAuto}},
		{name: "OKAlreadyPaused", given: []domain.Event{MustActivated(t), toManual}, when: service.SwitchToManual{Now: now}, then: nil},
		{name: "OKAlreadyAutomatic", given: []domain.Event{MustActivated(t)}, when: service.SwitchToAutomatic{Now: now}, then: nil},
		{name: "OKPauseAgainAfterAnItemWasResumed", given: []domain.Event{MustActivated(t), toManual, itemToAuto}, when: service.SwitchToManual{Now: now}, then: []domain.Event{toManual}},
		{name: "ErrNotFound", when: service.SwitchToManual{Now: now}, wantCode: domain.ENOTFOUND},
		{name: "ErrEnded", given: []domain.Event{MustActivated(t), ended(today)}, when: service.SwitchToManual{Now: now}, wantCode: domain.ECONFLICT, wantMsg: "ended"},
		{name: "ErrEndedResume", given: []domain.Event{MustActivated(t), toManual, ended(today)}, when: service.SwitchToAutomatic{Now: now}, wantCode: domain.ECONFLICT, wantMsg: "ended"},
	})
}

func TestEnd(t *testing.T) {
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustActivated(t)}, when: service.End{On: date(2026, 6, 30), Reason: " Client left ", Now: now}, then: []domain.Event{ended(date(2026, 6, 30))}},
		{name: "ErrNotFound", when: service.End{On: today, Now: now}, wantCode: domain.ENOTFOUND},
		{name: "ErrAlreadyEnded", given: []domain.Event{MustActivated(t), ended(date(2026, 6, 30))}, when: service.End{On: date(2026, 6, 30), Now: now}, wantCode: domain.ECONFLICT, wantMsg: "already ended"},
		{name: "ErrNoDate", given: []domain.Event{MustActivated(t)}, when: service.End{Now: now}, wantCode: domain.EINVALID, wantMsg: "on"},
	})
}

func TestEditItem(t *testing.T) {
	move := service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 3, 20)), Changes: service.Changes{Quantity: decp("2"), Description: strp(" March, with payroll ")}}, Now: now}
	moved := service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 3, 20)), Changes: service.Changes{Quantity: decp("2"), Description: strp("March, with payroll")}}, At: now}
	price := func(k string) service.EditItem {
		return service.EditItem{ItemKey: k, ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("90")}}, Now: now}
	}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustActivated(t)}, when: move, then: []domain.Event{moved}},
		{name: "OKFarFutureItem", given: []domain.Event{MustActivated(t)}, when: price(key(120)), then: []domain.Event{
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(120), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("90")}}, At: now},
		}},
		{name: "ErrNotFound", when: price(key(3)), wantCode: domain.ENOTFOUND},
		{name: "ErrNoSuchItem", given: []domain.Event{MustActivated(t)}, when: price(key(0)), wantCode: domain.ENOTFOUND, wantMsg: "no billing"},
		{name: "ErrOtherServicesItem", given: []domain.Event{MustActivated(t)}, when: price(service.ItemKey(otherSvcID, 3)), wantCode: domain.ENOTFOUND},
		{name: "ErrGarbageKey", given: []domain.Event{MustActivated(t)}, when: price("march"), wantCode: domain.ENOTFOUND},
		{name: "ErrBilled", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, when: price(key(3)), wantCode: domain.ECONFLICT, wantMsg: "The billing of 2026-03-15 (Monthly bookkeeping) was already invoiced and cannot be edited."},
		{name: "ErrArchived", given: []domain.Event{MustActivated(t), ended(date(2026, 3, 31))}, when: price(key(5)), wantCode: domain.ECONFLICT, wantMsg: "archived"},
		{name: "ErrSkipped", given: []domain.Event{MustActivated(t), service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(3)}}, when: price(key(3)), wantCode: domain.ECONFLICT, wantMsg: "skipped"},
		{name: "ErrNothingToChange", given: []domain.Event{MustActivated(t)}, when: service.EditItem{ItemKey: key(3), Now: now}, wantCode: domain.EINVALID, wantMsg: "nothing to change"},
		{name: "ErrZeroDate", given: []domain.Event{MustActivated(t)}, when: service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Date: &domain.Date{}}, Now: now}, wantCode: domain.EINVALID, wantMsg: "date"},
		{name: "ErrDateAfterEnd", given: []domain.Event{MustActivated(t), ended(date(2026, 3, 31))}, when: service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 4, 2))}, Now: now}, wantCode: domain.EINVALID, wantMsg: "ends on 2026-03-31"},
		{name: "ErrNegativeQuantity", given: []domain.Event{MustActivated(t)}, when: service.EditItem{ItemKey: key(3), ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: decp("-1")}}, Now: now}, wantCode: domain.EINVALID, wantMsg: "quantity"},
		// The rule change from March replaced the monthly item 3 (Mar 15).
		{name: "ErrReplacedByRuleChange", given: []domain.Event{MustActivated(t), service.ServiceEdited{
			ServiceID: serviceID, EffectiveFrom: date(2026, 3, 1), FirstDate: date(2026, 3, 1), FirstSeq: 3,
			BillingRule: &domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 3, 1), End: domain.EndAfterN, EndAfter: 1},
		}}, when: price(key(4)), wantCode: domain.ENOTFOUND},
	})
}

func TestSwitchItemMode(t *testing.T) {
	toManual := service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(5), At: now}
	toAuto := service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(5), At: now}
	onCompletionKey := key(1)
	run(t, []testCase{
		{name: "OKToManual", given: []domain.Event{MustActivated(t)}, when: service.SwitchItemToManual{ItemKey: key(5), Now: now}, then: []domain.Event{toManual}},
		{name: "OKToAutomatic", given: []domain.Event{MustActivated(t), toManual}, when: service.SwitchItemToAutomatic{ItemKey: key(5), Now: now}, then: []domain.Event{toAuto}},
		{name: "OKAlreadyManual", given: []domain.Event{MustActivated(t), toManual}, when: service.SwitchItemToManual{ItemKey: key(5), Now: now}, then: nil},
		{name: "OKPausedServiceItemToAutomatic", given: []domain.Event{MustActivated(t), service.ServiceSwitchedToManual{ServiceID: serviceID}}, when: service.SwitchItemToAutomatic{ItemKey: key(5), Now: now}, then: []domain.Event{toAuto}},
		{name: "ErrUndatedToAutomatic", given: []domain.Event{MustOnCompletion(t)}, when: service.SwitchItemToAutomatic{ItemKey: onCompletionKey, Now: now}, wantCode: domain.ECONFLICT, wantMsg: "billed by hand"},
		{name: "ErrBilled", given: []domain.Event{MustActivated(t), billed(5, date(2026, 5, 15), invoiceID)}, when: service.SwitchItemToManual{ItemKey: key(5), Now: now}, wantCode: domain.ECONFLICT, wantMsg: "already invoiced"},
		{name: "ErrNoSuchItem", given: []domain.Event{MustActivated(t)}, when: service.SwitchItemToManual{ItemKey: "x", Now: now}, wantCode: domain.ENOTFOUND},
	})
}

func TestSkipItem(t *testing.T) {
	skipped := service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2), At: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustActivated(t)}, when: service.SkipItem{ItemKey: key(2), Now: now}, then: []domain.Event{skipped}},
		{name: "OKAlreadySkipped", given: []domain.Event{MustActivated(t), skipped}, when: service.SkipItem{ItemKey: key(2), Now: now}, then: nil},
		{name: "ErrBilled", given: []domain.Event{MustActivated(t), billed(2, date(2026, 2, 15), invoiceID)}, when: service.SkipItem{ItemKey: key(2), Now: now}, wantCode: domain.ECONFLICT, wantMsg: "already invoiced and cannot be skipped"},
		{name: "ErrArchived", given: []domain.Event{MustActivated(t), ended(date(2026, 1, 31))}, when: service.SkipItem{ItemKey: key(2), Now: now}, wantCode: domain.ECONFLICT, wantMsg: "archived"},
		{name: "ErrNotFound", when: service.SkipItem{ItemKey: key(2), Now: now}, wantCode: domain.ENOTFOUND},
	})
}

func TestScheduleItemIssue(t *testing.T) {
	toManual := service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(5), At: now}
	issue := service.ScheduleItemIssue{ItemKey: key(5), IssueOn: date(2026, 5, 20), Now: now}
	issued := service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(5), IssueOn: date(2026, 5, 20), At: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustActivated(t), toManual}, when: issue, then: []domain.Event{issued}},
		{name: "OKUndatedItem", given: []domain.Event{MustOnCompletion(t)}, when: service.ScheduleItemIssue{ItemKey: key(1), IssueOn: today, Now: now}, then: []domain.Event{
			service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(1), IssueOn: today, At: now},
		}},
		{name: "OKSameDateAgain", given: []domain.Event{MustActivated(t), toManual, issued}, when: issue, then: nil},
		{name: "OKNewDate", given: []domain.Event{MustActivated(t), toManual, issued}, when: service.ScheduleItemIssue{ItemKey: key(5), IssueOn: date(2026, 5, 25), Now: now}, then: []domain.Event{
			service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(5), IssueOn: date(2026, 5, 25), At: now},
		}},
		{name: "ErrAutomatic", given: []domain.Event{MustActivated(t)}, when: issue, wantCode: domain.ECONFLICT, wantMsg: "is automatic"},
		{name: "ErrNoDate", given: []domain.Event{MustActivated(t), toManual}, when: service.ScheduleItemIssue{ItemKey: key(5), Now: now}, wantCode: domain.EINVALID, wantMsg: "issue_on"},
		{name: "ErrSkipped", given: []domain.Event{MustActivated(t), toManual, service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(5)}}, when: issue, wantCode: domain.ECONFLICT, wantMsg: "skipped"},
		{name: "ErrBilled", given: []domain.Event{MustActivated(t), toManual, billed(5, date(2026, 5, 15), invoiceID)}, when: issue, wantCode: domain.ECONFLICT, wantMsg: "already invoiced"},
	})
}

func TestMarkItemBilled(t *testing.T) {
	bill := func(seq int, invoice uuid.UUID) service.MarkItemBilled {
		return service.MarkItemBilled{ItemKey: key(seq), InvoiceID: invoice, Now: now}
	}
	repriced := billed(3, date(2026, 3, 15), invoiceID)
	repriced.UnitPrice = dec("120")
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustActivated(t)}, when: bill(3, invoiceID), then: []domain.Event{billed(3, date(2026, 3, 15), invoiceID)}},
		{name: "OKRecordsTheTermsBilled", given: []domain.Event{MustActivated(t), service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 3, 1), Changes: service.Changes{UnitPrice: decp("120")}}}, when: bill(3, invoiceID), then: []domain.Event{repriced}},
		{name: "OKSameInvoiceAgainIsIdempotent", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, when: bill(3, invoiceID), then: nil},
		{name: "OKUndatedItem", given: []domain.Event{MustOnCompletion(t)}, when: bill(1, invoiceID), then: []domain.Event{service.ScheduleItemBilled{
			ServiceID: serviceID, ItemKey: key(1), InvoiceID: invoiceID, Description: "Tax return", Quantity: dec("1"), UnitPrice: dec("100"),
			TaxRate: dec("10"), Mode: service.Manual, PaymentMethodID: methodID, At: now,
		}}},
		{name: "OKLastDayOfEndedService", given: []domain.Event{MustActivated(t), ended(date(2026, 3, 15))}, when: bill(3, invoiceID), then: []domain.Event{billed(3, date(2026, 3, 15), invoiceID)}},
		{name: "ErrBilledOnAnotherInvoice", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, when: bill(3, invoice2ID), wantCode: domain.ECONFLICT, wantMsg: "already invoiced on invoice " + invoiceID.String()},
		{name: "ErrSkipped", given: []domain.Event{MustActivated(t), service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(3)}}, when: bill(3, invoiceID), wantCode: domain.ECONFLICT, wantMsg: "skipped"},
		{name: "ErrArchived", given: []domain.Event{MustActivated(t), ended(date(2026, 3, 14))}, when: bill(3, invoiceID), wantCode: domain.ECONFLICT, wantMsg: "archived"},
		{name: "ErrNoInvoice", given: []domain.Event{MustActivated(t)}, when: bill(3, uuid.Nil), wantCode: domain.EINVALID, wantMsg: "invoice_id"},
		{name: "ErrNoSuchItem", given: []domain.Event{MustActivated(t)}, when: service.MarkItemBilled{ItemKey: key(0), InvoiceID: invoiceID, Now: now}, wantCode: domain.ENOTFOUND},
		{name: "ErrNotFound", when: bill(3, invoiceID), wantCode: domain.ENOTFOUND},
	})
}

func TestReleaseBilledItem(t *testing.T) {
	release := func(seq int, invoice uuid.UUID) service.ReleaseBilledItem {
		return service.ReleaseBilledItem{ItemKey: key(seq), InvoiceID: invoice, Reason: "invoice voided", SwitchToManual: true, Now: now}
	}
	released := service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(3), InvoiceID: invoiceID, Reason: "invoice voided", SwitchedToManual: true, At: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, when: release(3, invoiceID), then: []domain.Event{released}},
		{name: "OKAgainIsIdempotent", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID), released}, when: release(3, invoiceID), then: nil},
		{name: "OKReleasedItemCanBeBilledAgain", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID), released}, when: service.MarkItemBilled{ItemKey: key(3), InvoiceID: invoice2ID, Now: now}, then: []domain.Event{func() service.ScheduleItemBilled {
			e := billed(3, date(2026, 3, 15), invoice2ID)
			e.Mode = service.Manual
			return e
		}()}},
		{name: "ErrBilledOnAnotherInvoice", given: []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}, when: release(3, invoice2ID), wantCode: domain.ECONFLICT, wantMsg: "only voiding that invoice"},
		{name: "ErrNoInvoice", given: []domain.Event{MustActivated(t)}, when: release(3, uuid.Nil), wantCode: domain.EINVALID, wantMsg: "invoice_id"},
		{name: "ErrNoSuchItem", given: []domain.Event{MustActivated(t)}, when: release(0, invoiceID), wantCode: domain.ENOTFOUND},
		{name: "ErrNotFound", when: release(3, invoiceID), wantCode: domain.ENOTFOUND},
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
