package projections

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/service"
)

// TestRecurringRevenueHistoryKeepsThePast: the MRR on each past month end
// is what the services gave as they stood then. A price raised in March
// (from 1 March, or back-dated to 1 January) and a service switched from
// monthly to quarterly billing in March leave January's and February's
// MRR as they were; from March the new terms count.
func TestRecurringRevenueHistoryKeepsThePast(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	raised, backdated, requarter := id("service/raised"), id("service/backdated"), id("service/quarterly")
	price := func(s string) *decimal.Decimal { v := dec(s); return &v }
	for _, tc := range []struct {
		name   string
		svc    domain.Date // first billing
		edit   service.ServiceEdited
		before string // MRR at the end of January and February
		after  string // at the end of March
	}{
		{"PriceRaisedFromMarch", date(2025, 1, 1), service.ServiceEdited{ServiceID: raised, EffectiveFrom: date(2025, 3, 1),
			Changes: service.Changes{UnitPrice: price("150")}}, "100.00", "150.00"},
		{"PriceRaisedBackdated", date(2025, 1, 1), service.ServiceEdited{ServiceID: backdated, EffectiveFrom: date(2025, 1, 1),
			Changes: service.Changes{UnitPrice: price("150")}}, "100.00", "150.00"},
		{"SwitchedToQuarterly", date(2025, 1, 1), service.ServiceEdited{ServiceID: requarter, EffectiveFrom: date(2025, 3, 1),
			Changes: service.Changes{UnitPrice: price("600")}, BillingRule: ptr(domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3,
				Start: domain.StartOnDate, StartDate: date(2025, 3, 1), End: domain.EndNever}), FirstDate: date(2025, 3, 1)}, "100.00", "200.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.at(date(2025, 1, 1))
			e.MustAppend(service.StreamName(tc.edit.ServiceID), "user:alice",
				activated(tc.edit.ServiceID, acme, "Bookkeeping", "100", monthly(tc.svc), tc.svc, service.Automatic))
			e.at(date(2025, 3, 10))
			e.MustAppend(service.StreamName(tc.edit.ServiceID), "user:alice", tc.edit)
			m := e.MustModels()
			rep, err := m.RecurringRevenue(context.Background(), ReportQuery{Today: date(2025, 6, 15), Zone: sydney, Currency: aud})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, h := range rep.Currencies[0].History {
				got[h.Month.String()] = h.Monthly.Amount.StringFixed(2)
			}
			for month, want := range map[string]string{"2024-12": "0.00", "2025-01": tc.before, "2025-02": tc.before, "2025-03": tc.after, "2025-06": tc.after} {
				if got[month] != want {
					t.Errorf("MRR at the end of %s = %s, want %s (history %v)", month, got[month], want, got)
				}
			}
		})
	}
}
