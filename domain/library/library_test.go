package library_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/library"
)

var (
	now  = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	aud  = domain.MustCurrency("AUD")
	idA  = uuid.MustParse("0f6c1f8e-7a2b-4c3d-9e4f-5a6b7c8d9e01")
	idB  = uuid.MustParse("0f6c1f8e-7a2b-4c3d-9e4f-5a6b7c8d9e02")
	rule = domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever}
)

var decider = decidertest.Decider[library.State, library.Command]{Fold: library.Fold, Decide: library.Decide, ByJSON: true}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func bookkeeping() library.Service {
	return library.Service{
		ServiceID: idA, Name: "Monthly bookkeeping", Description: "Bank reconciliation and reports", UnitPrice: d("450"),
		Quantity: d("1"), Unit: "month", BillingRule: rule, Automatic: true, TaxRate: d("10"), RevenueAccount: "4000",
		Terms: "We reconcile your accounts **monthly**.\n\nYou send us statements by the 5th.",
	}
}

func payroll() library.Service {
	return library.Service{ServiceID: idB, Name: "Payroll", UnitPrice: d("25"), Quantity: d("4"), Unit: "employee",
		BillingRule: rule, TaxRate: d("10")}
}

func TestDecide(t *testing.T) {
	added := library.LibraryServiceAdded{Service: bookkeeping(), At: now}
	addedB := library.LibraryServiceAdded{Service: payroll(), At: now}
	archived := library.LibraryServiceArchived{ServiceID: idA, At: now}

	spaced := bookkeeping()
	spaced.Name = "  Monthly bookkeeping "
	dupName := payroll()
	dupName.Name = "monthly  BOOKKEEPING"
	noName := payroll()
	noName.Name = " "
	negative := payroll()
	negative.UnitPrice = d("-1")
	badRule := payroll()
	badRule.BillingRule = domain.BillingRule{Frequency: "fortnightly"}
	noStart := payroll()
	noStart.BillingRule = domain.BillingRule{Frequency: domain.FrequencyMonths}
	badTax := payroll()
	badTax.TaxRate = d("120")
	zeroQty := payroll()
	zeroQty.Quantity = d("0")
	autoOnCompletion := payroll()
	autoOnCompletion.BillingRule, autoOnCompletion.Automatic = domain.BillingRule{Frequency: domain.FrequencyOnCompletion}, true
	badAccount := payroll()
	badAccount.RevenueAccount = "sales income"
	cents := payroll()
	cents.UnitPrice = d("25.001")

	repriced := bookkeeping()
	repriced.UnitPrice, repriced.Terms = d("495"), "New terms."
	renamedToB := bookkeeping()
	renamedToB.Name = "payroll"
	unknown := payroll()
	unknown.ServiceID = uuid.MustParse("0f6c1f8e-7a2b-4c3d-9e4f-5a6b7c8d9e09")

	decidertest.Run(t, decider, []decidertest.Case[library.Command]{
		{Name: "Add/OK", When: library.Add{Service: spaced, Currency: aud, Now: now}, Then: []domain.Event{added}},
		{Name: "Add/SentAgain", Given: []domain.Event{added}, When: library.Add{Service: bookkeeping(), Currency: aud, Now: now}},
		{Name: "Add/ErrNameRequired", When: library.Add{Service: noName, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "name").Only()},
		{Name: "Add/ErrDuplicateName", Given: []domain.Event{added}, When: library.Add{Service: dupName, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "name").Only()},
		{Name: "Add/DuplicateOfArchivedOK", Given: []domain.Event{added, archived}, When: library.Add{Service: dupName, Currency: aud, Now: now},
			Then: []domain.Event{library.LibraryServiceAdded{Service: func() library.Service { s := dupName; s.Name = "monthly  BOOKKEEPING"; return s }(), At: now}}},
		{Name: "Add/ErrNegativePrice", When: library.Add{Service: negative, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "unit_price").Only()},
		{Name: "Add/ErrPriceInMinorUnits", When: library.Add{Service: cents, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "unit_price").Only()},
		{Name: "Add/ErrBadRule", When: library.Add{Service: badRule, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "billing_rule.frequency").Only()},
		{Name: "Add/ErrRuleWithoutStart", When: library.Add{Service: noStart, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "billing_rule.start").Only()},
		{Name: "Add/ErrTaxRate", When: library.Add{Service: badTax, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "tax_rate").Only()},
		{Name: "Add/ErrQuantity", When: library.Add{Service: zeroQty, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "quantity").Only()},
		{Name: "Add/ErrAutomaticOnCompletion", When: library.Add{Service: autoOnCompletion, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "automatic").Only()},
		{Name: "Add/ErrRevenueAccount", When: library.Add{Service: badAccount, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "revenue_account").Only()},
		{Name: "Add/ErrSameIDOtherService", Given: []domain.Event{added}, When: library.Add{Service: repriced, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},

		{Name: "Change/OK", Given: []domain.Event{added}, When: library.Change{Service: repriced, Currency: aud, Now: now},
			Then: []domain.Event{library.LibraryServiceChanged{Service: repriced, Changed: []string{"unit_price", "terms"}, At: now}}},
		{Name: "Change/NothingChanged", Given: []domain.Event{added}, When: library.Change{Service: spaced, Currency: aud, Now: now}},
		{Name: "Change/ErrDuplicateName", Given: []domain.Event{added, addedB}, When: library.Change{Service: renamedToB, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "name").Only()},
		{Name: "Change/ErrNotFound", Given: []domain.Event{added}, When: library.Change{Service: unknown, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "Change/ErrArchived", Given: []domain.Event{added, archived}, When: library.Change{Service: repriced, Currency: aud, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "Change/ErrNegativePrice", Given: []domain.Event{added}, When: library.Change{Service: func() library.Service { s := bookkeeping(); s.UnitPrice = d("-5"); return s }(), Currency: aud, Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "unit_price").Only()},

		{Name: "Archive/OK", Given: []domain.Event{added}, When: library.Archive{ServiceID: idA, Now: now}, Then: []domain.Event{archived}},
		{Name: "Archive/AlreadyArchived", Given: []domain.Event{added, archived}, When: library.Archive{ServiceID: idA, Now: now}},
		{Name: "Archive/ErrNotFound", When: library.Archive{ServiceID: idA, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},

		{Name: "Restore/OK", Given: []domain.Event{added, archived}, When: library.Restore{ServiceID: idA, Now: now},
			Then: []domain.Event{library.LibraryServiceRestored{ServiceID: idA, At: now}}},
		{Name: "Restore/NotArchived", Given: []domain.Event{added}, When: library.Restore{ServiceID: idA, Now: now}},
		{Name: "Restore/ErrNameTaken", Given: []domain.Event{added, archived, library.LibraryServiceAdded{Service: dupName, At: now}},
			When: library.Restore{ServiceID: idA, Now: now}, Err: decidertest.ThenErr(domain.EINVALID, "name").Only()},
		{Name: "Restore/ErrNotFound", When: library.Restore{ServiceID: idA, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestEvolve(t *testing.T) {
	repriced := bookkeeping()
	repriced.UnitPrice = d("495")
	before := library.Fold([]domain.Event{library.LibraryServiceAdded{Service: bookkeeping(), At: now}, library.LibraryServiceAdded{Service: payroll(), At: now}})
	after := library.Evolve(library.Evolve(before, library.LibraryServiceChanged{Service: repriced, Changed: []string{"unit_price"}, At: now}),
		library.LibraryServiceArchived{ServiceID: idB, At: now})
	if got := before.Services[idA].UnitPrice; !got.Equal(d("450")) {
		t.Errorf("a state once returned changed: price %s", got)
	}
	if !after.Services[idA].UnitPrice.Equal(d("495")) || !after.Services[idB].Archived {
		t.Errorf("state = %+v", after.Services)
	}
	if act := after.Active(); len(act) != 1 || act[0].ServiceID != idA {
		t.Errorf("active = %+v", act)
	}
}
