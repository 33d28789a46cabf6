package priceincrease_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	pi "remit/domain/priceincrease"
)

func TestNewPrice(t *testing.T) {
	jpy := domain.MustCurrency("JPY")
	for _, c := range []struct {
		name, old string
		inc       pi.Increase
		r         pi.Rounding
		cur       domain.Currency
		want      string
	}{
		{"PercentCent", "99.99", pi.Increase{Kind: pi.Percent, Value: d("3")}, pi.RoundCent, aud, "102.99"}, // 102.9897 up
		{"PercentUnit", "99.99", pi.Increase{Kind: pi.Percent, Value: d("3")}, pi.RoundUnit, aud, "103"},
		{"PercentFive", "100", pi.Increase{Kind: pi.Percent, Value: d("2")}, pi.RoundFive, aud, "105"}, // never back to 100
		{"AmountTen", "450", pi.Increase{Kind: pi.Amount, Value: d("25")}, pi.RoundTen, aud, "480"},
		{"ExactStaysExact", "200", pi.Increase{Kind: pi.Percent, Value: d("5")}, pi.RoundTen, aud, "210"},
		{"CentOfYen", "1000", pi.Increase{Kind: pi.Percent, Value: d("3.33")}, pi.RoundCent, jpy, "1034"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := pi.NewPrice(d(c.old), c.inc, c.r, c.cur); !got.Equal(d(c.want)) {
				t.Errorf("NewPrice(%s) = %s, want %s", c.old, got, c.want)
			}
		})
	}
}

func TestPlanSelectsAndComputesChange(t *testing.T) {
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3}
	weekly := domain.BillingRule{Frequency: domain.FrequencyWeeks}
	lib := uuid.MustParse("9d000000-0000-4000-8000-000000000001")
	cands := []pi.Candidate{
		{ServiceID: svcA, ServiceName: "Bookkeeping", ClientID: acme, ClientName: "Acme", ClientTags: []string{"Retainer"},
			Currency: aud, UnitPrice: d("100"), Quantity: d("1"), BillingRule: monthly, LibraryServiceID: lib},
		{ServiceID: svcB, ServiceName: "BAS", ClientID: beta, ClientName: "Beta", ClientTags: []string{"retainer"},
			Currency: aud, UnitPrice: d("300"), Quantity: d("1"), BillingRule: quarterly},
		{ServiceID: uuid.New(), ServiceName: "Ended", ClientID: beta, ClientName: "Beta", ClientTags: []string{"retainer"},
			Currency: aud, UnitPrice: d("300"), Quantity: d("1"), BillingRule: monthly, Ended: true},
		{ServiceID: uuid.New(), ServiceName: "Setup", ClientID: beta, ClientName: "Beta", ClientTags: []string{"retainer"},
			Currency: aud, UnitPrice: d("300"), Quantity: d("1"), BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnce}},
		{ServiceID: uuid.New(), ServiceName: "Untagged", ClientID: uuid.New(), ClientName: "Gamma",
			Currency: aud, UnitPrice: d("70"), Quantity: d("1"), BillingRule: weekly},
	}
	got := pi.Plan(cands, pi.Filter{Tag: "RETAINER"}, pi.Increase{Kind: pi.Percent, Value: d("10")}, pi.RoundCent)
	if len(got) != 2 || got[0].ServiceID != svcA || got[1].ServiceID != svcB {
		t.Fatalf("plan = %+v, want Acme's bookkeeping and Beta's BAS", got)
	}
	// Bookkeeping 100 → 110 monthly: +10 a month, +120 a year; BAS 300 →
	// 330 quarterly: +30 four times a year = +120, +10 a month.
	for _, c := range got {
		m, y := c.Change()
		if !m.Equal(d("10")) || !y.Equal(d("120")) {
			t.Errorf("%s: change %s/month %s/year, want 10 and 120", c.ServiceName, m, y)
		}
	}
	if n := len(pi.Plan(cands, pi.Filter{LibraryServiceID: lib}, pi.Increase{Kind: pi.Amount, Value: d("1")}, pi.RoundCent)); n != 1 {
		t.Errorf("library filter selects %d, want 1", n)
	}
	if n := len(pi.Plan(cands, pi.Filter{Frequency: domain.FrequencyMonths, Interval: 3}, pi.Increase{Kind: pi.Amount, Value: d("1")}, pi.RoundCent)); n != 1 {
		t.Errorf("quarterly filter selects %d, want 1", n)
	}
	if n := len(pi.Plan(cands, pi.Filter{ClientIDs: []uuid.UUID{acme}, ClientStatus: pi.StatusActive}, pi.Increase{Kind: pi.Amount, Value: d("1")}, pi.RoundCent)); n != 1 {
		t.Errorf("client filter selects %d, want 1", n)
	}
	if n := len(pi.Plan(cands, pi.Filter{Currency: "NZD"}, pi.Increase{Kind: pi.Amount, Value: d("1")}, pi.RoundCent)); n != 0 {
		t.Errorf("NZD filter selects %d, want 0", n)
	}
	// A weekly 70 → 77: 7 × 52 = 364 a year, 30.33 a month.
	wk := pi.Plan(cands, pi.Filter{Frequency: domain.FrequencyWeeks}, pi.Increase{Kind: pi.Percent, Value: d("10")}, pi.RoundCent)
	if m, y := wk[0].Change(); !m.Equal(d("30.33")) || !y.Equal(d("364")) {
		t.Errorf("weekly change %s/%s, want 30.33/364", m, y)
	}
}
