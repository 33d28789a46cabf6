package billing_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/projections"
	"remit/projections/rmdb"
)

// TestClientServicesFromTheReadModels: with the read models as its
// directory (remit serve), the client → services index reads the log only
// after the read models' position, and still sees a service activated a
// moment ago that the read models have not applied yet: archiving a client
// is refused while either kind of service is active.
func TestClientServicesFromTheReadModels(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	models := projections.NewModels(db)
	r, err := projections.NewRunner(ctx, f.store, models, projections.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	svc := billing.New(billing.Config{Store: f.store, Now: f.clock, NewID: f.newID, Services: models})

	c := f.mustCreateClient("Acme")
	activate := func(name string) uuid.UUID {
		t.Helper()
		return f.ok(svc.ActivateService(ctx, billing.ServiceRequest{ClientID: c, Name: name, UnitPrice: dec("100"), Quantity: dec("1"),
			BillingRule: monthly(domain.MustDate(2025, 4, 1))}, meta("activate-"+name))).ID
	}
	old := activate("Bookkeeping")
	if err := r.CatchUp(ctx); err != nil { // the read models hold Bookkeeping
		t.Fatal(err)
	}
	ids, upTo, err := models.ClientServiceIDs(ctx, c)
	if err != nil || len(ids) != 1 || ids[0] != old || upTo < f.head() {
		t.Fatalf("ClientServiceIDs = %v, %d, %v; want Bookkeeping, complete up to %d", ids, upTo, err, f.head())
	}
	fresh := activate("Payroll") // not applied to the read models

	archive := func(step string) error {
		_, err := svc.ArchiveClient(ctx, billing.ClientRef{ClientID: c, Reason: "left"}, meta("archive-"+step))
		return err
	}
	if err := archive("both"); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("archive with two active services: %v; want a conflict", err)
	}
	f.ok(svc.EndService(ctx, billing.ServiceRef{ServiceID: old, Reason: "done"}, meta("end-old")))
	if err := archive("fresh"); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("archive with the service the read models have not applied active: %v; want a conflict", err)
	}
	f.ok(svc.EndService(ctx, billing.ServiceRef{ServiceID: fresh, Reason: "done"}, meta("end-fresh")))
	if err := archive("none"); err != nil {
		t.Fatalf("archive once both ended: %v", err)
	}
}
