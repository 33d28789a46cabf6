package billingrun_test

import (
	"bytes"
	"context"
	"testing"

	"remit/eventstore"
	"remit/processes/billingrun"
)

// TestRunEventsSortTogether: every event a billing run appends under its
// own ids (items marked, invoices issued, their collections) has an id
// beginning with the same six bytes, so the store's index of ids takes the
// run in one place; the events of the set-up before it do not share them;
// and a re-run for the same date finds the run done and appends nothing.
func TestRunEventsSortTogether(t *testing.T) {
	f := newFixture(t, crashAsOf)
	f.MustSetUpFirm(false, 0)
	f.names = nil
	f.MustManyDueItems(6, 2, crashAsOf)
	before := f.head()
	rep, err := billingrun.Run(context.Background(), f.store, f.svc, crashAsOf, billingrun.Options{})
	if err != nil || len(rep.Errors) > 0 || rep.Issued == 0 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	recs, err := f.store.ReadAll(context.Background(), before+1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var prefix []byte
	kinds := map[string]int{}
	for _, r := range recs {
		if r.Type == "InvoiceNumbersReserved" {
			continue // named by the block it records
		}
		kinds[r.Type]++
		if prefix == nil {
			prefix = r.ID[:6]
		}
		if !bytes.Equal(r.ID[:6], prefix) {
			t.Errorf("%s %s (%s): id %s does not begin like the run's first event's (%x)", r.Type, r.Stream, r.Metadata.CommandID, r.ID, prefix)
		}
		if v := r.ID.Version(); v != 5 {
			t.Errorf("%s: id %s is a version %d UUID, want 5", r.Type, r.ID, v)
		}
	}
	for _, kind := range []string{"ScheduleItemBilled", "InvoiceIssued", "InvoiceCollectionScheduled"} {
		if kinds[kind] == 0 {
			t.Errorf("the run appended no %s (appended %v)", kind, kinds)
		}
	}
	setUp, err := f.store.ReadAll(context.Background(), 1, eventstore.Forward, int(before), eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, r := range setUp {
		if bytes.Equal(r.ID[:6], prefix) {
			shared++
		}
	}
	if shared > 0 {
		t.Errorf("%d of the set-up's %d events begin like the run's", shared, len(setUp))
	}
	head := f.head()
	if again, err := billingrun.Run(context.Background(), f.store, f.newService(), crashAsOf, billingrun.Options{}); err != nil || again.Issued != 0 || f.head() != head {
		t.Errorf("re-run: %+v, %v, head %d → %d; want nothing appended", again, err, head, f.head())
	}
}
