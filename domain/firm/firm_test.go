package firm_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/firm"
)

var (
	now   = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	later = now.Add(time.Hour)
	gstID = uuid.MustParse("00000000-0000-4000-8000-000000000001")
	vatID = uuid.MustParse("00000000-0000-4000-8000-000000000002")
	zeroT = uuid.MustParse("00000000-0000-4000-8000-000000000003")
	sydAU = domain.Address{Line1: "1 George St", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "AU"}
)

// MustDecimal parses a decimal literal or fails the test.
func MustDecimal(tb testing.TB, s string) decimal.Decimal {
	tb.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		tb.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

// setUpEvent is the FirmSetUp recorded for a firm set up with defaults.
// decider is the firm decider, its events compared by JSON (decimals).
var decider = decidertest.Decider[firm.State, firm.Command]{Fold: firm.Fold, Decide: firm.Decide, ByJSON: true}

func setUpEvent() firm.FirmSetUp {
	return firm.FirmSetUp{
		Name:             "Ledger & Co",
		Address:          sydAU,
		TaxNumber:        "51 824 753 556",
		BaseCurrency:     domain.MustCurrency("AUD"),
		TimeZone:         "Australia/Sydney",
		InvoicePrefix:    "INV-",
		PaymentTermsDays: 14,
		TaxMode:          domain.TaxExclusive,
		RetryAfterDays:   []int{3, 5, 7},
		GroupItems:       true,
		MissedBillings:   firm.MissedCatchUp,
		At:               now,
	}
}

func gstAdded(t *testing.T) []domain.Event {
	return []domain.Event{
		firm.FirmTaxRateAdded{TaxRateID: gstID, Name: "GST", Rate: MustDecimal(t, "10"), At: now},
		firm.FirmDefaultTaxRateSet{TaxRateID: gstID, At: now},
	}
}

func events(groups ...[]domain.Event) []domain.Event { return slices.Concat(groups...) }

func one(e domain.Event) []domain.Event { return []domain.Event{e} }

func TestSetUp(t *testing.T) {
	valid := firm.SetUp{
		Name: " Ledger & Co ", Address: domain.Address{Line1: "1 George St ", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "au"},
		TaxNumber: "51 824 753 556", BaseCurrency: "aud", TimeZone: "Australia/Sydney", PaymentTermsDays: 14, Now: now,
	}
	with := func(f func(*firm.SetUp)) firm.SetUp { c := valid; f(&c); return c }
	no := false
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "OKWithDefaults", When: valid, Then: one(setUpEvent())},
		{
			Name: "OKEverythingGiven",
			When: with(func(c *firm.SetUp) {
				c.InvoicePrefix, c.TaxMode, c.Logo = "ACME/", domain.TaxInclusive, "https://cdn.example.com/logo.png"
				c.CollectionDaysOnceOff, c.CollectionDaysRecurring, c.RetryAfterDays, c.GroupItems = 2, 5, []int{1, 10}, &no
			}),
			Then: one(func() firm.FirmSetUp {
				e := setUpEvent()
				e.InvoicePrefix, e.TaxMode, e.Logo = "ACME/", domain.TaxInclusive, "https://cdn.example.com/logo.png"
				e.CollectionDaysOnceOff, e.CollectionDaysRecurring, e.RetryAfterDays, e.GroupItems = 2, 5, []int{1, 10}, false
				return e
			}()),
		},
		{
			Name: "OKNoRetries",
			When: with(func(c *firm.SetUp) { c.RetryAfterDays = []int{} }),
			Then: one(func() firm.FirmSetUp { e := setUpEvent(); e.RetryAfterDays = []int{}; return e }()),
		},
		{Name: "ErrAlreadySetUp", Given: one(setUpEvent()), When: valid, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNoName", When: with(func(c *firm.SetUp) { c.Name = "  " }), Err: decidertest.ThenErr(domain.EINVALID, "name").Only()},
		{Name: "ErrBadCountry", When: with(func(c *firm.SetUp) { c.Address.Country = "Australia" }), Err: decidertest.ThenErr(domain.EINVALID, "address.country").Only()},
		{Name: "ErrNoCurrency", When: with(func(c *firm.SetUp) { c.BaseCurrency = "" }), Err: decidertest.ThenErr(domain.EINVALID, "base_currency").Only()},
		{Name: "ErrUnknownCurrency", When: with(func(c *firm.SetUp) { c.BaseCurrency = "AUS" }), Err: decidertest.ThenErr(domain.EINVALID, "base_currency").Only()},
		{Name: "ErrNoTimeZone", When: with(func(c *firm.SetUp) { c.TimeZone = "" }), Err: decidertest.ThenErr(domain.EINVALID, "time_zone").Only()},
		{Name: "ErrTimeZoneForm", When: with(func(c *firm.SetUp) { c.TimeZone = "../etc/passwd" }), Err: decidertest.ThenErr(domain.EINVALID, "time_zone").Only()},
		{Name: "ErrTimeZoneLocal", When: with(func(c *firm.SetUp) { c.TimeZone = "Local" }), Err: decidertest.ThenErr(domain.EINVALID, "time_zone").Only()},
		{Name: "ErrPrefix", When: with(func(c *firm.SetUp) { c.InvoicePrefix = "INV 2026" }), Err: decidertest.ThenErr(domain.EINVALID, "invoice_prefix").Only()},
		{Name: "ErrTaxMode", When: with(func(c *firm.SetUp) { c.TaxMode = "both" }), Err: decidertest.ThenErr(domain.EINVALID, "tax_mode").Only()},
		{Name: "ErrLogoBytes", When: with(func(c *firm.SetUp) { c.Logo = "data:image/png;base64,iVBORw0KGgo=" }), Err: decidertest.ThenErr(domain.EINVALID, "logo").Only()},
		{
			Name: "ErrSeveralAtOnce",
			When: with(func(c *firm.SetUp) {
				c.Name, c.BaseCurrency, c.PaymentTermsDays, c.CollectionDaysOnceOff, c.CollectionDaysRecurring, c.RetryAfterDays = "", "X", -1, 400, -2, []int{5, 3}
			}),
			Err: decidertest.ThenErr(domain.EINVALID, "name", "base_currency", "payment_terms_days", "collection_days_once_off", "collection_days_recurring", "retry_after_days").Only(),
		},
	})
}

func TestChangeSettings(t *testing.T) {
	set := one(setUpEvent())
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "ErrNotSetUp", When: firm.ChangeDetails{Name: "X", Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND)},

		{
			Name:  "DetailsOK",
			Given: set,
			When:  firm.ChangeDetails{Name: "Ledger and Co Pty Ltd", Address: domain.Address{City: "Melbourne", Country: "au"}, TaxNumber: " 1 ", Now: later},
			Then:  one(firm.FirmDetailsChanged{Name: "Ledger and Co Pty Ltd", Address: domain.Address{City: "Melbourne", Country: "AU"}, TaxNumber: "1", At: later}),
		},
		{Name: "DetailsUnchanged", Given: set, When: firm.ChangeDetails{Name: "Ledger & Co", Address: sydAU, TaxNumber: "51 824 753 556", Now: later}},
		{Name: "DetailsErrNoName", Given: set, When: firm.ChangeDetails{Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "name").Only()},

		{
			Name:  "LogoOKHash",
			Given: set,
			When:  firm.ChangeLogo{Logo: "sha256:" + "ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Now: later},
			Then:  one(firm.FirmLogoChanged{Logo: "sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", At: later}),
		},
		{
			Name:  "LogoOKRemoved",
			Given: events(set, one(firm.FirmLogoChanged{Logo: "https://example.com/l.svg", At: now})),
			When:  firm.ChangeLogo{Now: later},
			Then:  one(firm.FirmLogoChanged{At: later}),
		},
		{Name: "LogoUnchanged", Given: set, When: firm.ChangeLogo{Now: later}},
		{Name: "LogoErrShortHash", Given: set, When: firm.ChangeLogo{Logo: "sha256:abc", Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "logo").Only()},
		{Name: "LogoErrFileURL", Given: set, When: firm.ChangeLogo{Logo: "file:///etc/logo.png", Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "logo").Only()},

		{
			Name:  "RegionalOK",
			Given: set,
			When:  firm.ChangeRegionalSettings{BaseCurrency: "NZD", TimeZone: "Pacific/Auckland", Now: later},
			Then:  one(firm.FirmRegionalSettingsChanged{BaseCurrency: domain.MustCurrency("NZD"), TimeZone: "Pacific/Auckland", At: later}),
		},
		{
			Name:  "RegionalOKEtcZone",
			Given: set,
			When:  firm.ChangeRegionalSettings{BaseCurrency: "AUD", TimeZone: "Etc/GMT-10", Now: later},
			Then:  one(firm.FirmRegionalSettingsChanged{BaseCurrency: domain.MustCurrency("AUD"), TimeZone: "Etc/GMT-10", At: later}),
		},
		{Name: "RegionalUnchanged", Given: set, When: firm.ChangeRegionalSettings{BaseCurrency: "aud", TimeZone: "Australia/Sydney", Now: later}},
		{
			Name: "RegionalErrBoth", Given: set, When: firm.ChangeRegionalSettings{BaseCurrency: "Dollars", TimeZone: "Sydney time", Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "base_currency", "time_zone").Only(),
		},

		{
			Name:  "InvoiceSettingsOK",
			Given: set,
			When:  firm.ChangeInvoiceSettings{InvoicePrefix: "LC-2026/", PaymentTermsDays: 30, Now: later},
			Then:  one(firm.FirmInvoiceSettingsChanged{InvoicePrefix: "LC-2026/", PaymentTermsDays: 30, At: later}),
		},
		{
			Name:  "InvoiceSettingsOKEmptyPrefix",
			Given: set,
			When:  firm.ChangeInvoiceSettings{PaymentTermsDays: 0, Now: later},
			Then:  one(firm.FirmInvoiceSettingsChanged{At: later}),
		},
		{Name: "InvoiceSettingsUnchanged", Given: set, When: firm.ChangeInvoiceSettings{InvoicePrefix: "INV-", PaymentTermsDays: 14, Now: later}},
		{
			Name: "InvoiceSettingsErr", Given: set, When: firm.ChangeInvoiceSettings{InvoicePrefix: "VERY-LONG-PREFIX-", PaymentTermsDays: 366, Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "invoice_prefix", "payment_terms_days").Only(),
		},

		{
			Name:  "GroupingOK",
			Given: set,
			When:  firm.ChangeInvoiceGrouping{GroupItems: false, Now: later},
			Then:  one(firm.FirmInvoiceGroupingChanged{GroupItems: false, At: later}),
		},
		{Name: "GroupingUnchanged", Given: set, When: firm.ChangeInvoiceGrouping{GroupItems: true, Now: later}},

		{
			Name:  "MissedBillingsOK",
			Given: set,
			When:  firm.ChangeMissedBillings{MissedBillings: firm.MissedSkip, Now: later},
			Then:  one(firm.FirmMissedBillingsChanged{MissedBillings: firm.MissedSkip, At: later}),
		},
		{Name: "MissedBillingsUnchanged", Given: set, When: firm.ChangeMissedBillings{MissedBillings: firm.MissedCatchUp, Now: later}},
		{
			Name: "MissedBillingsErr", Given: set, When: firm.ChangeMissedBillings{MissedBillings: "later", Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "missed_billings").Only(),
		},

		{
			Name:  "TaxModeOK",
			Given: set,
			When:  firm.ChangeTaxMode{TaxMode: domain.TaxInclusive, Now: later},
			Then:  one(firm.FirmTaxModeChanged{TaxMode: domain.TaxInclusive, At: later}),
		},
		{Name: "TaxModeUnchanged", Given: set, When: firm.ChangeTaxMode{TaxMode: domain.TaxExclusive, Now: later}},
		{Name: "TaxModeErr", Given: set, When: firm.ChangeTaxMode{TaxMode: "", Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "tax_mode").Only()},

		{
			Name:  "CollectionOK",
			Given: set,
			When:  firm.ChangeCollectionSchedule{CollectionDaysOnceOff: 0, CollectionDaysRecurring: 7, Now: later},
			Then:  one(firm.FirmCollectionScheduleChanged{CollectionDaysRecurring: 7, At: later}),
		},
		{Name: "CollectionUnchanged", Given: set, When: firm.ChangeCollectionSchedule{Now: later}},
		{
			Name: "CollectionErr", Given: set, When: firm.ChangeCollectionSchedule{CollectionDaysOnceOff: -1, CollectionDaysRecurring: 1000, Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "collection_days_once_off", "collection_days_recurring").Only(),
		},

		{
			Name:  "RetryOK",
			Given: set,
			When:  firm.ChangeRetryPolicy{RetryAfterDays: []int{2, 4, 8, 16}, Now: later},
			Then:  one(firm.FirmRetryPolicyChanged{RetryAfterDays: []int{2, 4, 8, 16}, At: later}),
		},
		{
			Name:  "RetryOKNone",
			Given: set,
			When:  firm.ChangeRetryPolicy{Now: later},
			Then:  one(firm.FirmRetryPolicyChanged{RetryAfterDays: []int{}, At: later}),
		},
		{Name: "RetryUnchanged", Given: set, When: firm.ChangeRetryPolicy{RetryAfterDays: []int{3, 5, 7}, Now: later}},
		{Name: "RetryErrNotIncreasing", Given: set, When: firm.ChangeRetryPolicy{RetryAfterDays: []int{3, 3}, Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "retry_after_days").Only()},
		{Name: "RetryErrZero", Given: set, When: firm.ChangeRetryPolicy{RetryAfterDays: []int{0, 3}, Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "retry_after_days").Only()},
		{Name: "RetryErrTooMany", Given: set, When: firm.ChangeRetryPolicy{RetryAfterDays: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "retry_after_days").Only()},
	})
}

func TestTaxRates(t *testing.T) {
	set := one(setUpEvent())
	withGST := events(set, gstAdded(t))
	ten, twenty := MustDecimal(t, "10"), MustDecimal(t, "20")
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "AddErrNotSetUp", When: firm.AddTaxRate{TaxRateID: gstID, Name: "GST", Rate: ten, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{
			Name:  "AddOKFirstBecomesDefault",
			Given: set,
			When:  firm.AddTaxRate{TaxRateID: gstID, Name: " GST ", Rate: ten, Now: now},
			Then:  gstAdded(t),
		},
		{
			Name:  "AddOKSecond",
			Given: withGST,
			When:  firm.AddTaxRate{TaxRateID: zeroT, Name: "GST free", Rate: decimal.Zero, Now: later},
			Then:  one(firm.FirmTaxRateAdded{TaxRateID: zeroT, Name: "GST free", Rate: decimal.Zero, At: later}),
		},
		{
			Name:  "AddOKAsDefault",
			Given: withGST,
			When:  firm.AddTaxRate{TaxRateID: vatID, Name: "VAT", Rate: twenty, MakeDefault: true, Now: later},
			Then: []domain.Event{
				firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: later},
				firm.FirmDefaultTaxRateSet{TaxRateID: vatID, At: later},
			},
		},
		{Name: "AddRepeated", Given: withGST, When: firm.AddTaxRate{TaxRateID: gstID, Name: "GST", Rate: MustDecimal(t, "10.0"), Now: later}},
		{Name: "AddErrIDReused", Given: withGST, When: firm.AddTaxRate{TaxRateID: gstID, Name: "VAT", Rate: twenty, Now: later}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "AddErrNameTaken", Given: withGST, When: firm.AddTaxRate{TaxRateID: vatID, Name: "gst", Rate: twenty, Now: later}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{
			Name: "AddErrInvalid", Given: set, When: firm.AddTaxRate{Name: "", Rate: MustDecimal(t, "100.5"), Now: later},
			Err: decidertest.ThenErr(domain.EINVALID, "tax_rate_id", "name", "rate").Only(),
		},

		{
			Name:  "ChangeOK",
			Given: withGST,
			When:  firm.ChangeTaxRate{TaxRateID: gstID, Name: "GST (2027)", Rate: MustDecimal(t, "12.5"), Now: later},
			Then:  one(firm.FirmTaxRateChanged{TaxRateID: gstID, Name: "GST (2027)", Rate: MustDecimal(t, "12.5"), At: later}),
		},
		{Name: "ChangeUnchanged", Given: withGST, When: firm.ChangeTaxRate{TaxRateID: gstID, Name: "GST", Rate: ten, Now: later}},
		{Name: "ChangeErrNotFound", Given: withGST, When: firm.ChangeTaxRate{TaxRateID: vatID, Name: "VAT", Rate: twenty, Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{
			Name:  "ChangeErrNameTaken",
			Given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			When:  firm.ChangeTaxRate{TaxRateID: vatID, Name: "GST", Rate: twenty, Now: later},
			Err:   decidertest.ThenErr(domain.ECONFLICT),
		},
		{Name: "ChangeErrNegative", Given: withGST, When: firm.ChangeTaxRate{TaxRateID: gstID, Name: "GST", Rate: MustDecimal(t, "-1"), Now: later}, Err: decidertest.ThenErr(domain.EINVALID, "rate").Only()},

		{
			Name:  "RemoveOK",
			Given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			When:  firm.RemoveTaxRate{TaxRateID: vatID, Now: later},
			Then:  one(firm.FirmTaxRateRemoved{TaxRateID: vatID, At: later}),
		},
		{
			Name:  "RemoveOKLastDefault",
			Given: withGST,
			When:  firm.RemoveTaxRate{TaxRateID: gstID, Now: later},
			Then:  one(firm.FirmTaxRateRemoved{TaxRateID: gstID, At: later}),
		},
		{Name: "RemoveAlreadyGone", Given: withGST, When: firm.RemoveTaxRate{TaxRateID: vatID, Now: later}},
		{
			Name:  "RemoveErrDefault",
			Given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			When:  firm.RemoveTaxRate{TaxRateID: gstID, Now: later},
			Err:   decidertest.ThenErr(domain.ECONFLICT),
		},

		{
			Name:  "SetDefaultOK",
			Given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			When:  firm.SetDefaultTaxRate{TaxRateID: vatID, Now: later},
			Then:  one(firm.FirmDefaultTaxRateSet{TaxRateID: vatID, At: later}),
		},
		{Name: "SetDefaultUnchanged", Given: withGST, When: firm.SetDefaultTaxRate{TaxRateID: gstID, Now: later}},
		{Name: "SetDefaultErrNotFound", Given: withGST, When: firm.SetDefaultTaxRate{TaxRateID: vatID, Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestStateHelpers(t *testing.T) {
	s := firm.Fold(events(one(setUpEvent()), gstAdded(t),
		one(firm.FirmCollectionScheduleChanged{CollectionDaysOnceOff: 1, CollectionDaysRecurring: 3, At: later})))
	issue := domain.MustDate(2026, 2, 20)
	if got, want := s.DueDate(issue), domain.MustDate(2026, 3, 6); got != want {
		t.Errorf("DueDate = %s, want %s", got, want)
	}
	if got, want := s.CollectionDate(issue, false), domain.MustDate(2026, 2, 21); got != want {
		t.Errorf("CollectionDate(once-off) = %s, want %s", got, want)
	}
	if got, want := s.CollectionDate(issue, true), domain.MustDate(2026, 2, 23); got != want {
		t.Errorf("CollectionDate(recurring) = %s, want %s", got, want)
	}
	rejected := domain.MustDate(2026, 2, 27)
	want := []domain.Date{domain.MustDate(2026, 3, 2), domain.MustDate(2026, 3, 4), domain.MustDate(2026, 3, 6)}
	if got := s.RetryDates(rejected); !slices.Equal(got, want) {
		t.Errorf("RetryDates = %v, want %v", got, want)
	}
	if got, ok := s.NextRetryDate(rejected, rejected); !ok || got != want[0] {
		t.Errorf("NextRetryDate after the first rejection = %s, %v", got, ok)
	}
	if got, ok := s.NextRetryDate(rejected, want[1]); !ok || got != want[2] {
		t.Errorf("NextRetryDate after the second retry = %s, %v", got, ok)
	}
	if _, ok := s.NextRetryDate(rejected, want[2]); ok {
		t.Error("NextRetryDate after the last retry gave a date")
	}
	if r, ok := s.DefaultTaxRate(); !ok || r.ID != gstID || r.Name != "GST" {
		t.Errorf("DefaultTaxRate = %+v, %v", r, ok)
	}
	if _, ok := s.TaxRate(vatID); ok {
		t.Error("TaxRate found a rate that was never added")
	}
	none := firm.Evolve(s, firm.FirmRetryPolicyChanged{RetryAfterDays: []int{}, At: later})
	if got := none.RetryDates(rejected); len(got) != 0 {
		t.Errorf("RetryDates with no retries = %v", got)
	}
	gone := firm.Evolve(s, firm.FirmTaxRateRemoved{TaxRateID: gstID, At: later})
	if _, ok := gone.DefaultTaxRate(); ok || len(gone.TaxRates) != 0 {
		t.Errorf("after removing the only rate: %+v", gone.TaxRates)
	}
	if len(s.TaxRates) != 1 {
		t.Error("Evolve changed an earlier state's tax rates")
	}
}

func TestEvolveDoesNotShareSlices(t *testing.T) {
	base := firm.Fold(events(one(setUpEvent()), gstAdded(t)))
	a := firm.Evolve(base, firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: MustDecimal(t, "20"), At: later})
	b := firm.Evolve(base, firm.FirmTaxRateAdded{TaxRateID: zeroT, Name: "Zero", Rate: decimal.Zero, At: later})
	if a.TaxRates[1].ID != vatID || b.TaxRates[1].ID != zeroT || len(base.TaxRates) != 1 {
		t.Fatalf("states share tax rates: base %v, a %v, b %v", base.TaxRates, a.TaxRates, b.TaxRates)
	}
	c := firm.Evolve(a, firm.FirmTaxRateChanged{TaxRateID: gstID, Name: "GST", Rate: MustDecimal(t, "15"), At: later})
	if !a.TaxRates[0].Rate.Equal(MustDecimal(t, "10")) || !c.TaxRates[0].Rate.Equal(MustDecimal(t, "15")) {
		t.Fatalf("changing a rate changed an earlier state: a %v, c %v", a.TaxRates, c.TaxRates)
	}
	e := setUpEvent()
	s := firm.Evolve(firm.State{}, e)
	e.RetryAfterDays[0] = 99
	if s.RetryAfterDays[0] != 3 {
		t.Fatal("state shares the event's retry days")
	}
}

// sampleEvents has one event of every type, with every field set.
func sampleEvents(t *testing.T) []domain.Event {
	e := setUpEvent()
	e.Logo, e.CollectionDaysOnceOff, e.CollectionDaysRecurring = "https://example.com/logo.png", 1, 2
	return []domain.Event{
		e,
		firm.FirmDetailsChanged{Name: "New name", Address: domain.Address{City: "Perth", Country: "AU"}, TaxNumber: "T1", At: later},
		firm.FirmLogoChanged{Logo: "https://example.com/new.png", At: later},
		firm.FirmRegionalSettingsChanged{BaseCurrency: domain.MustCurrency("JPY"), TimeZone: "Asia/Tokyo", At: later},
		firm.FirmInvoiceSettingsChanged{InvoicePrefix: "JP-", PaymentTermsDays: 30, At: later},
		firm.FirmInvoiceGroupingChanged{GroupItems: false, At: later},
		firm.FirmMissedBillingsChanged{MissedBillings: firm.MissedSkip, At: later},
		firm.FirmTaxModeChanged{TaxMode: domain.TaxInclusive, At: later},
		firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: MustDecimal(t, "20"), At: later},
		firm.FirmTaxRateChanged{TaxRateID: vatID, Name: "VAT reduced", Rate: MustDecimal(t, "5.5"), At: later},
		firm.FirmDefaultTaxRateSet{TaxRateID: vatID, At: later},
		firm.FirmTaxRateRemoved{TaxRateID: vatID, At: later},
		firm.FirmCollectionScheduleChanged{CollectionDaysOnceOff: 4, CollectionDaysRecurring: 6, At: later},
		firm.FirmRetryPolicyChanged{RetryAfterDays: []int{1, 2}, At: later},
		firm.FirmSurchargesChanged{Surcharges: firm.Surcharges{Card: MustDecimal(t, "1.5"), BankDebit: MustDecimal(t, "0")}, At: later},
		firm.FirmBankAccountChanged{Account: firm.BankAccount{Name: "Ledger & Co", BranchCode: "062-000", Number: "1234 5678", BIC: "CTBAAU2S"}, At: later},
		firm.FirmProposalSettingsChanged{ProposalSettings: firm.ProposalSettings{ReminderDays: []int{2, 9}, ExpiryDays: 21, NotifyStaff: true, StaffEmail: "staff@firm.example"}, At: later},
		firm.FirmDunningPolicyChanged{DunningPolicy: dunningPolicy(), At: later},
		firm.FirmDunningDigestSent{Date: domain.MustDate(2026, 3, 2), Failed: 1, Overdue: 2, Totals: []firm.DigestTotal{{Failed: domain.NewMoney(MustDecimal(t, "110.00"), domain.MustCurrency("AUD")), Overdue: domain.NewMoney(MustDecimal(t, "220.00"), domain.MustCurrency("AUD"))}}, At: later},
	}
}

func TestEventCatalogue(t *testing.T) {
	samples := sampleEvents(t)
	var types []string
	for _, e := range samples {
		types = append(types, e.EventType())
	}
	catalogue := firm.EventTypes()
	slices.Sort(types)
	slices.Sort(catalogue)
	if !slices.Equal(types, catalogue) {
		t.Fatalf("sample events %v, catalogue %v: every event type needs a sample here and an entry in EventTypes", types, catalogue)
	}
	if got := firm.StreamName(); got != "firm" {
		t.Errorf("StreamName() = %q", got)
	}
}

// TestEvolveEveryEvent checks that each event type changes the state, so a
// new event without an Evolve case fails here.
func TestEvolveEveryEvent(t *testing.T) {
	s := firm.Fold(events(one(setUpEvent()), gstAdded(t)))
	s = firm.Evolve(s, firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: MustDecimal(t, "20"), At: now})
	for _, e := range sampleEvents(t) {
		t.Run(e.EventType(), func(t *testing.T) {
			next := firm.Evolve(s, e)
			if reflect.DeepEqual(next, s) {
				t.Fatalf("Evolve(%s) did not change the state", e.EventType())
			}
			s = next
		})
	}
	if !reflect.DeepEqual(firm.Evolve(s, otherEvent{}), s) {
		t.Error("an unknown event changed the state")
	}
}

type otherEvent struct{}

func (otherEvent) EventType() string { return "SomethingElse" }

func TestEventRoundTrip(t *testing.T) {
	for _, e := range sampleEvents(t) {
		t.Run(e.EventType(), func(t *testing.T) {
			_, got := decidertest.MustRoundTrip(t, e, firm.DecodeEvent)
			if !equalIgnoringDecimalScale(got, e) {
				t.Fatalf("decoded %+v, want %+v", got, e)
			}
		})
	}
	if _, err := firm.DecodeEvent("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Error("DecodeEvent accepted an unknown type")
	}
	if _, err := firm.DecodeEvent("FirmSetUp", []byte(`{"name":`)); err == nil {
		t.Error("DecodeEvent accepted broken JSON")
	}
}

// equalIgnoringDecimalScale compares events with reflect.DeepEqual after
// normalising decimal rates, whose internal form differs after decoding.
func equalIgnoringDecimalScale(a, b domain.Event) bool {
	norm := func(e domain.Event) domain.Event {
		switch e := e.(type) {
		case firm.FirmTaxRateAdded:
			e.Rate = decimal.RequireFromString(e.Rate.String())
			return e
		case firm.FirmTaxRateChanged:
			e.Rate = decimal.RequireFromString(e.Rate.String())
			return e
		case firm.FirmDunningDigestSent:
			e.Totals = slices.Clone(e.Totals)
			for i, t := range e.Totals {
				t.Failed.Amount, t.Overdue.Amount = decimal.RequireFromString(t.Failed.Amount.String()), decimal.RequireFromString(t.Overdue.Amount.String())
				e.Totals[i] = t
			}
			return e
		}
		return e
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
