package billing_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/library"
	"remit/domain/service"
)

// TestLibraryServices adds, changes and archives library services through
// the command handler on the embedded store, and starts a client's service
// and a proposal line from one: the service records the library entry and
// its revenue account.
func TestLibraryServices(t *testing.T) {
	f := newFixture(t)
	f.mustSetUpFirm()
	ctx := context.Background()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever}
	req := billing.LibraryServiceRequest{Name: "Monthly bookkeeping", Description: "Reconciliations", UnitPrice: dec("450"),
		Unit: "month", BillingRule: rule, Automatic: true, TaxRate: dec("10"), RevenueAccount: "4000", Terms: "Monthly.\n\nTerms."}
	res := f.ok(f.svc.AddLibraryService(ctx, req, meta("lib-add")))
	if res.ID == uuid.Nil {
		t.Fatal("no id for the new library service")
	}
	// The same command again appends nothing; the name again is refused.
	head := f.head()
	f.ok(f.svc.AddLibraryService(ctx, req, meta("lib-add")))
	if f.head() != head {
		t.Error("a repeated command appended")
	}
	_, err := f.svc.AddLibraryService(ctx, req, meta("lib-add-again"))
	f.refused(err, domain.EINVALID, head)
	// A price in more decimals than AUD has is refused.
	cents := req
	cents.Name, cents.UnitPrice = "Payroll", dec("1.005")
	_, err = f.svc.AddLibraryService(ctx, cents, meta("lib-cents"))
	f.refused(err, domain.EINVALID, head)

	changed := req
	changed.LibraryServiceID, changed.UnitPrice = res.ID, dec("495")
	f.ok(f.svc.ChangeLibraryService(ctx, changed, meta("lib-change")))
	if got := f.last(library.StreamName()); got != "LibraryServiceChanged" {
		t.Errorf("last library event %s", got)
	}

	lib := library.Service{ServiceID: res.ID, Name: changed.Name, Description: changed.Description, UnitPrice: changed.UnitPrice,
		Quantity: dec("1"), Unit: "month", BillingRule: rule, Automatic: true, TaxRate: dec("10"), RevenueAccount: "4000"}
	line := billing.ProposalLineFrom(lib, uuid.MustParse("00000000-0000-0000-0000-00000000000a"))
	if line.Name != "Monthly bookkeeping" || !line.UnitPrice.Equal(dec("495")) || line.BillingRule != rule || !line.Automatic {
		t.Errorf("proposal line = %+v", line)
	}
	c := f.mustCreateClient("Harbour Bakery")
	sr := billing.ServiceRequestFrom(lib, c, domain.MustDate(2025, 3, 10))
	if sr.BillingRule.Start != domain.StartOnDate || sr.BillingRule.StartDate != domain.MustDate(2025, 3, 10) {
		t.Errorf("the rule of a service from the library starts %s %s", sr.BillingRule.Start, sr.BillingRule.StartDate)
	}
	sr.UnitPrice = dec("400") // overridden
	sid := f.ok(f.svc.ActivateService(ctx, sr, meta("lib-activate"))).ID
	var activated service.ServiceActivated
	for _, r := range f.events() {
		if r.Stream == service.StreamName(sid) && r.Type == "ServiceActivated" {
			if err := json.Unmarshal(r.Data, &activated); err != nil {
				t.Fatal(err)
			}
		}
	}
	if activated.Source.LibraryServiceID != res.ID || activated.RevenueAccount != "4000" || !activated.UnitPrice.Equal(dec("400")) || !activated.Source.InstantBill {
		t.Errorf("activated = %+v", activated)
	}

	f.ok(f.svc.ArchiveLibraryService(ctx, billing.LibraryServiceRef{LibraryServiceID: res.ID}, meta("lib-archive")))
	head = f.head()
	_, err = f.svc.ChangeLibraryService(ctx, changed, meta("lib-change-archived"))
	f.refused(err, domain.ECONFLICT, head)
	f.ok(f.svc.RestoreLibraryService(ctx, billing.LibraryServiceRef{LibraryServiceID: res.ID}, meta("lib-restore")))
	if got := f.last(library.StreamName()); got != "LibraryServiceRestored" {
		t.Errorf("last library event %s", got)
	}
}
