package firm_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
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

// MustJSON encodes v or fails the test.
func MustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

// setUpEvent is the FirmSetUp recorded for a firm set up with defaults.
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

// assertEvents compares events by type and JSON encoding, which treats
// decimals by value rather than by representation.
func assertEvents(tb testing.TB, got, want []domain.Event) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d events %s, want %d %s", len(got), MustJSON(tb, got), len(want), MustJSON(tb, want))
	}
	for i := range got {
		if reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) || MustJSON(tb, got[i]) != MustJSON(tb, want[i]) {
			tb.Fatalf("event %d: got %T %s, want %T %s", i, got[i], MustJSON(tb, got[i]), want[i], MustJSON(tb, want[i]))
		}
	}
}

type decideCase struct {
	name   string
	given  []domain.Event
	when   firm.Command
	then   []domain.Event
	code   string   // the refusal's error code, "" when accepted
	fields []string // for EINVALID: the fields at fault
}

func runDecide(t *testing.T, tests []decideCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firm.Decide(firm.Fold(tt.given), tt.when)
			if code := domain.ErrorCode(err); code != tt.code {
				t.Fatalf("error %v (code %q), want code %q", err, code, tt.code)
			}
			if err != nil {
				if len(got) != 0 {
					t.Errorf("refused with events %v", got)
				}
				if domain.ErrorMessage(err) == "" {
					t.Error("refusal without a message")
				}
				if tt.fields != nil {
					ve, ok := err.(*domain.ValidationError)
					if !ok {
						t.Fatalf("error %T, want *domain.ValidationError", err)
					}
					var fields []string
					for _, p := range ve.Problems {
						fields = append(fields, p.Field)
					}
					if !slices.Equal(fields, tt.fields) {
						t.Fatalf("fields %v (%v), want %v", fields, err, tt.fields)
					}
				}
				return
			}
			assertEvents(t, got, tt.then)
		})
	}
}

func TestSetUp(t *testing.T) {
	valid := firm.SetUp{
		Name: " Ledger & Co ", Address: domain.Address{Line1: "1 George St ", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "au"},
		TaxNumber: "51 824 753 556", BaseCurrency: "aud", TimeZone: "Australia/Sydney", PaymentTermsDays: 14, Now: now,
	}
	with := func(f func(*firm.SetUp)) firm.SetUp { c := valid; f(&c); return c }
	no := false
	runDecide(t, []decideCase{
		{name: "OKWithDefaults", when: valid, then: one(setUpEvent())},
		{
			name: "OKEverythingGiven",
			when: with(func(c *firm.SetUp) {
				c.InvoicePrefix, c.TaxMode, c.Logo = "ACME/", domain.TaxInclusive, "https://cdn.example.com/logo.png"
				c.CollectionDaysOnceOff, c.CollectionDaysRecurring, c.RetryAfterDays, c.GroupItems = 2, 5, []int{1, 10}, &no
			}),
			then: one(func() firm.FirmSetUp {
				e := setUpEvent()
				e.InvoicePrefix, e.TaxMode, e.Logo = "ACME/", domain.TaxInclusive, "https://cdn.example.com/logo.png"
				e.CollectionDaysOnceOff, e.CollectionDaysRecurring, e.RetryAfterDays, e.GroupItems = 2, 5, []int{1, 10}, false
				return e
			}()),
		},
		{
			name: "OKNoRetries",
			when: with(func(c *firm.SetUp) { c.RetryAfterDays = []int{} }),
			then: one(func() firm.FirmSetUp { e := setUpEvent(); e.RetryAfterDays = []int{}; return e }()),
		},
		{name: "ErrAlreadySetUp", given: one(setUpEvent()), when: valid, code: domain.ECONFLICT},
		{name: "ErrNoName", when: with(func(c *firm.SetUp) { c.Name = "  " }), code: domain.EINVALID, fields: []string{"name"}},
		{name: "ErrBadCountry", when: with(func(c *firm.SetUp) { c.Address.Country = "Australia" }), code: domain.EINVALID, fields: []string{"address.country"}},
		{name: "ErrNoCurrency", when: with(func(c *firm.SetUp) { c.BaseCurrency = "" }), code: domain.EINVALID, fields: []string{"base_currency"}},
		{name: "ErrUnknownCurrency", when: with(func(c *firm.SetUp) { c.BaseCurrency = "AUS" }), code: domain.EINVALID, fields: []string{"base_currency"}},
		{name: "ErrNoTimeZone", when: with(func(c *firm.SetUp) { c.TimeZone = "" }), code: domain.EINVALID, fields: []string{"time_zone"}},
		{name: "ErrTimeZoneForm", when: with(func(c *firm.SetUp) { c.TimeZone = "../etc/passwd" }), code: domain.EINVALID, fields: []string{"time_zone"}},
		{name: "ErrTimeZoneLocal", when: with(func(c *firm.SetUp) { c.TimeZone = "Local" }), code: domain.EINVALID, fields: []string{"time_zone"}},
		{name: "ErrPrefix", when: with(func(c *firm.SetUp) { c.InvoicePrefix = "INV 2026" }), code: domain.EINVALID, fields: []string{"invoice_prefix"}},
		{name: "ErrTaxMode", when: with(func(c *firm.SetUp) { c.TaxMode = "both" }), code: domain.EINVALID, fields: []string{"tax_mode"}},
		{name: "ErrLogoBytes", when: with(func(c *firm.SetUp) { c.Logo = "data:image/png;base64,iVBORw0KGgo=" }), code: domain.EINVALID, fields: []string{"logo"}},
		{
			name: "ErrSeveralAtOnce",
			when: with(func(c *firm.SetUp) {
				c.Name, c.BaseCurrency, c.PaymentTermsDays, c.CollectionDaysOnceOff, c.CollectionDaysRecurring, c.RetryAfterDays = "", "X", -1, 400, -2, []int{5, 3}
			}),
			code:   domain.EINVALID,
			fields: []string{"name", "base_currency", "payment_terms_days", "collection_days_once_off", "collection_days_recurring", "retry_after_days"},
		},
	})
}

func TestChangeSettings(t *testing.T) {
	set := one(setUpEvent())
	runDecide(t, []decideCase{
		{name: "ErrNotSetUp", when: firm.ChangeDetails{Name: "X", Now: later}, code: domain.ENOTFOUND},

		{
			name:  "DetailsOK",
			given: set,
			when:  firm.ChangeDetails{Name: "Ledger and Co Pty Ltd", Address: domain.Address{City: "Melbourne", Country: "au"}, TaxNumber: " 1 ", Now: later},
			then:  one(firm.FirmDetailsChanged{Name: "Ledger and Co Pty Ltd", Address: domain.Address{City: "Melbourne", Country: "AU"}, TaxNumber: "1", At: later}),
		},
		{name: "DetailsUnchanged", given: set, when: firm.ChangeDetails{Name: "Ledger & Co", Address: sydAU, TaxNumber: "51 824 753 556", Now: later}},
		{name: "DetailsErrNoName", given: set, when: firm.ChangeDetails{Now: later}, code: domain.EINVALID, fields: []string{"name"}},

		{
			name:  "LogoOKHash",
			given: set,
			when:  firm.ChangeLogo{Logo: "sha256:" + "ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Now: later},
			then:  one(firm.FirmLogoChanged{Logo: "sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", At: later}),
		},
		{
			name:  "LogoOKRemoved",
			given: events(set, one(firm.FirmLogoChanged{Logo: "https://example.com/l.svg", At: now})),
			when:  firm.ChangeLogo{Now: later},
			then:  one(firm.FirmLogoChanged{At: later}),
		},
		{name: "LogoUnchanged", given: set, when: firm.ChangeLogo{Now: later}},
		{name: "LogoErrShortHash", given: set, when: firm.ChangeLogo{Logo: "sha256:abc", Now: later}, code: domain.EINVALID, fields: []string{"logo"}},
		{name: "LogoErrFileURL", given: set, when: firm.ChangeLogo{Logo: "file:///etc/logo.png", Now: later}, code: domain.EINVALID, fields: []string{"logo"}},

		{
			name:  "RegionalOK",
			given: set,
			when:  firm.ChangeRegionalSettings{BaseCurrency: "NZD", TimeZone: "Pacific/Auckland", Now: later},
			then:  one(firm.FirmRegionalSettingsChanged{BaseCurrency: domain.MustCurrency("NZD"), TimeZone: "Pacific/Auckland", At: later}),
		},
		{
			name:  "RegionalOKEtcZone",
			given: set,
			when:  firm.ChangeRegionalSettings{BaseCurrency: "AUD", TimeZone: "Etc/GMT-10", Now: later},
			then:  one(firm.FirmRegionalSettingsChanged{BaseCurrency: domain.MustCurrency("AUD"), TimeZone: "Etc/GMT-10", At: later}),
		},
		{name: "RegionalUnchanged", given: set, when: firm.ChangeRegionalSettings{BaseCurrency: "aud", TimeZone: "Australia/Sydney", Now: later}},
		{
			name: "RegionalErrBoth", given: set, when: firm.ChangeRegionalSettings{BaseCurrency: "Dollars", TimeZone: "Sydney time", Now: later},
			code: domain.EINVALID, fields: []string{"base_currency", "time_zone"},
		},

		{
			name:  "InvoiceSettingsOK",
			given: set,
			when:  firm.ChangeInvoiceSettings{InvoicePrefix: "LC-2026/", PaymentTermsDays: 30, Now: later},
			then:  one(firm.FirmInvoiceSettingsChanged{InvoicePrefix: "LC-2026/", PaymentTermsDays: 30, At: later}),
		},
		{
			name:  "InvoiceSettingsOKEmptyPrefix",
			given: set,
			when:  firm.ChangeInvoiceSettings{PaymentTermsDays: 0, Now: later},
			then:  one(firm.FirmInvoiceSettingsChanged{At: later}),
		},
		{name: "InvoiceSettingsUnchanged", given: set, when: firm.ChangeInvoiceSettings{InvoicePrefix: "INV-", PaymentTermsDays: 14, Now: later}},
		{
			name: "InvoiceSettingsErr", given: set, when: firm.ChangeInvoiceSettings{InvoicePrefix: "VERY-LONG-PREFIX-", PaymentTermsDays: 366, Now: later},
			code: domain.EINVALID, fields: []string{"invoice_prefix", "payment_terms_days"},
		},

		{
			name:  "GroupingOK",
			given: set,
			when:  firm.ChangeInvoiceGrouping{GroupItems: false, Now: later},
			then:  one(firm.FirmInvoiceGroupingChanged{GroupItems: false, At: later}),
		},
		{name: "GroupingUnchanged", given: set, when: firm.ChangeInvoiceGrouping{GroupItems: true, Now: later}},

		{
			name:  "MissedBillingsOK",
			given: set,
			when:  firm.ChangeMissedBillings{MissedBillings: firm.MissedSkip, Now: later},
			then:  one(firm.FirmMissedBillingsChanged{MissedBillings: firm.MissedSkip, At: later}),
		},
		{name: "MissedBillingsUnchanged", given: set, when: firm.ChangeMissedBillings{MissedBillings: firm.MissedCatchUp, Now: later}},
		{
			name: "MissedBillingsErr", given: set, when: firm.ChangeMissedBillings{MissedBillings: "later", Now: later},
			code: domain.EINVALID, fields: []string{"missed_billings"},
		},

		{
			name:  "TaxModeOK",
			given: set,
			when:  firm.ChangeTaxMode{TaxMode: domain.TaxInclusive, Now: later},
			then:  one(firm.FirmTaxModeChanged{TaxMode: domain.TaxInclusive, At: later}),
		},
		{name: "TaxModeUnchanged", given: set, when: firm.ChangeTaxMode{TaxMode: domain.TaxExclusive, Now: later}},
		{name: "TaxModeErr", given: set, when: firm.ChangeTaxMode{TaxMode: "", Now: later}, code: domain.EINVALID, fields: []string{"tax_mode"}},

		{
			name:  "CollectionOK",
			given: set,
			when:  firm.ChangeCollectionSchedule{CollectionDaysOnceOff: 0, CollectionDaysRecurring: 7, Now: later},
			then:  one(firm.FirmCollectionScheduleChanged{CollectionDaysRecurring: 7, At: later}),
		},
		{name: "CollectionUnchanged", given: set, when: firm.ChangeCollectionSchedule{Now: later}},
		{
			name: "CollectionErr", given: set, when: firm.ChangeCollectionSchedule{CollectionDaysOnceOff: -1, CollectionDaysRecurring: 1000, Now: later},
			code: domain.EINVALID, fields: []string{"collection_days_once_off", "collection_days_recurring"},
		},

		{
			name:  "RetryOK",
			given: set,
			when:  firm.ChangeRetryPolicy{RetryAfterDays: []int{2, 4, 8, 16}, Now: later},
			then:  one(firm.FirmRetryPolicyChanged{RetryAfterDays: []int{2, 4, 8, 16}, At: later}),
		},
		{
			name:  "RetryOKNone",
			given: set,
			when:  firm.ChangeRetryPolicy{Now: later},
			then:  one(firm.FirmRetryPolicyChanged{RetryAfterDays: []int{}, At: later}),
		},
		{name: "RetryUnchanged", given: set, when: firm.ChangeRetryPolicy{RetryAfterDays: []int{3, 5, 7}, Now: later}},
		{name: "RetryErrNotIncreasing", given: set, when: firm.ChangeRetryPolicy{RetryAfterDays: []int{3, 3}, Now: later}, code: domain.EINVALID, fields: []string{"retry_after_days"}},
		{name: "RetryErrZero", given: set, when: firm.ChangeRetryPolicy{RetryAfterDays: []int{0, 3}, Now: later}, code: domain.EINVALID, fields: []string{"retry_after_days"}},
		{name: "RetryErrTooMany", given: set, when: firm.ChangeRetryPolicy{RetryAfterDays: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Now: later}, code: domain.EINVALID, fields: []string{"retry_after_days"}},
	})
}

func TestTaxRates(t *testing.T) {
	set := one(setUpEvent())
	withGST := events(set, gstAdded(t))
	ten, twenty := MustDecimal(t, "10"), MustDecimal(t, "20")
	runDecide(t, []decideCase{
		{name: "AddErrNotSetUp", when: firm.AddTaxRate{TaxRateID: gstID, Name: "GST", Rate: ten, Now: now}, code: domain.ENOTFOUND},
		{
			name:  "AddOKFirstBecomesDefault",
			given: set,
			when:  firm.AddTaxRate{TaxRateID: gstID, Name: " GST ", Rate: ten, Now: now},
			then:  gstAdded(t),
		},
		{
			name:  "AddOKSecond",
			given: withGST,
			when:  firm.AddTaxRate{TaxRateID: zeroT, Name: "GST free", Rate: decimal.Zero, Now: later},
			then:  one(firm.FirmTaxRateAdded{TaxRateID: zeroT, Name: "GST free", Rate: decimal.Zero, At: later}),
		},
		{
			name:  "AddOKAsDefault",
			given: withGST,
			when:  firm.AddTaxRate{TaxRateID: vatID, Name: "VAT", Rate: twenty, MakeDefault: true, Now: later},
			then: []domain.Event{
				firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: later},
				firm.FirmDefaultTaxRateSet{TaxRateID: vatID, At: later},
			},
		},
		{name: "AddRepeated", given: withGST, when: firm.AddTaxRate{TaxRateID: gstID, Name: "GST", Rate: MustDecimal(t, "10.0"), Now: later}},
		{name: "AddErrIDReused", given: withGST, when: firm.AddTaxRate{TaxRateID: gstID, Name: "VAT", Rate: twenty, Now: later}, code: domain.ECONFLICT},
		{name: "AddErrNameTaken", given: withGST, when: firm.AddTaxRate{TaxRateID: vatID, Name: "gst", Rate: twenty, Now: later}, code: domain.ECONFLICT},
		{
			name: "AddErrInvalid", given: set, when: firm.AddTaxRate{Name: "", Rate: MustDecimal(t, "100.5"), Now: later},
			code: domain.EINVALID, fields: []string{"tax_rate_id", "name", "rate"},
		},

		{
			name:  "ChangeOK",
			given: withGST,
			when:  firm.ChangeTaxRate{TaxRateID: gstID, Name: "GST (2027)", Rate: MustDecimal(t, "12.5"), Now: later},
			then:  one(firm.FirmTaxRateChanged{TaxRateID: gstID, Name: "GST (2027)", Rate: MustDecimal(t, "12.5"), At: later}),
		},
		{name: "ChangeUnchanged", given: withGST, when: firm.ChangeTaxRate{TaxRateID: gstID, Name: "GST", Rate: ten, Now: later}},
		{name: "ChangeErrNotFound", given: withGST, when: firm.ChangeTaxRate{TaxRateID: vatID, Name: "VAT", Rate: twenty, Now: later}, code: domain.ENOTFOUND},
		{
			name:  "ChangeErrNameTaken",
			given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			when:  firm.ChangeTaxRate{TaxRateID: vatID, Name: "GST", Rate: twenty, Now: later},
			code:  domain.ECONFLICT,
		},
		{name: "ChangeErrNegative", given: withGST, when: firm.ChangeTaxRate{TaxRateID: gstID, Name: "GST", Rate: MustDecimal(t, "-1"), Now: later}, code: domain.EINVALID, fields: []string{"rate"}},

		{
			name:  "RemoveOK",
			given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			when:  firm.RemoveTaxRate{TaxRateID: vatID, Now: later},
			then:  one(firm.FirmTaxRateRemoved{TaxRateID: vatID, At: later}),
		},
		{
			name:  "RemoveOKLastDefault",
			given: withGST,
			when:  firm.RemoveTaxRate{TaxRateID: gstID, Now: later},
			then:  one(firm.FirmTaxRateRemoved{TaxRateID: gstID, At: later}),
		},
		{name: "RemoveAlreadyGone", given: withGST, when: firm.RemoveTaxRate{TaxRateID: vatID, Now: later}},
		{
			name:  "RemoveErrDefault",
			given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			when:  firm.RemoveTaxRate{TaxRateID: gstID, Now: later},
			code:  domain.ECONFLICT,
		},

		{
			name:  "SetDefaultOK",
			given: events(withGST, one(firm.FirmTaxRateAdded{TaxRateID: vatID, Name: "VAT", Rate: twenty, At: now})),
			when:  firm.SetDefaultTaxRate{TaxRateID: vatID, Now: later},
			then:  one(firm.FirmDefaultTaxRateSet{TaxRateID: vatID, At: later}),
		},
		{name: "SetDefaultUnchanged", given: withGST, when: firm.SetDefaultTaxRate{TaxRateID: gstID, Now: later}},
		{name: "SetDefaultErrNotFound", given: withGST, when: firm.SetDefaultTaxRate{TaxRateID: vatID, Now: later}, code: domain.ENOTFOUND},
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
			data := MustJSON(t, e)
			got, err := firm.DecodeEvent(e.EventType(), []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(e) {
				t.Fatalf("decoded %T, want %T", got, e)
			}
			if again := MustJSON(t, got); again != data {
				t.Fatalf("round trip changed the event:\n%s\n%s", data, again)
			}
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
		}
		return e
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
