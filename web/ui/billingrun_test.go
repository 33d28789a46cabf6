package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/processes/billingrun"
	"remit/web/ui"
)

// TestBillingRunNow runs billing from the clients page against the real
// billing run and sandbox gateway: the due automatic item is invoiced and
// the confirmation says so; a second run finds nothing due.
func TestBillingRunNow(t *testing.T) {
	a := newJourneyApp(t)
	c := a.mustClient("Tide Cafe")
	a.mustService(c, "Payroll", "100", date("2025-03-01"), true)

	p := a.get("/clients")
	mustContain(t, p, `action="/billing-run"`, "Run billing now")
	a.mustPost("/billing-run", nil, "Billing run for 10 Mar 2025: 1 invoice issued.")
	inv := a.get("/clients/" + c.String() + "/invoices")
	mustContain(t, inv, "A$110.00")
	a.mustPost("/billing-run", nil, "Billing run for 10 Mar 2025: nothing was due.")
}

// TestBillingRunNowOnce checks that a double-clicked "Run billing now" runs
// once and both answers confirm what that run did; that a failing run is
// shown as an error; and that without Config.BillingRun there is no action.
func TestBillingRunNowOnce(t *testing.T) {
	a := newApp(t)
	var calls atomic.Int32
	var fail atomic.Bool
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now },
		BillingRun: func(context.Context) (any, error) {
			calls.Add(1)
			if fail.Load() {
				return nil, domain.Conflict("Set up the firm before running billing.")
			}
			return nil, nil
		}})
	base := httpServer(t, h)
	post := func(token string) page {
		t.Helper()
		resp, err := a.client.PostForm(base+"/billing-run", url.Values{"_token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}
	token := uuid.NewString()
	for range 2 {
		if p := post(token); p.Status != http.StatusSeeOther || p.Location != "/clients" {
			t.Fatalf("run billing = %d to %q", p.Status, p.Location)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the same form sent twice ran billing %d times, want 1", n)
	}
	fail.Store(true)
	post(uuid.NewString())
	resp, err := a.client.Get(base + "/clients")
	if err != nil {
		t.Fatal(err)
	}
	if p := read(t, resp); !strings.Contains(p.Body, `class="flash err"`) || !strings.Contains(p.Body, "Set up the firm before running billing.") {
		t.Errorf("a failed run is not shown as an error: %s", errorsOf(p.Body))
	}

	off := httpServer(t, newHandlerWith(a, nil, nil))
	if p := getFrom(t, off, "/clients"); strings.Contains(p.Body, "/billing-run") {
		t.Error("the clients page offers a billing run with none configured")
	}
	resp, err = http.PostForm(off+"/billing-run", url.Values{"_token": {uuid.NewString()}})
	if err != nil {
		t.Fatal(err)
	}
	if p := read(t, resp); p.Status != http.StatusNotFound {
		t.Errorf("POST /billing-run without a billing run = %d, want 404", p.Status)
	}
}

// TestBillingRunNowCountsTheJobs: the confirmation counts what the daily
// jobs did beside billing and collection, and a job's failures make it an
// error.
func TestBillingRunNowCountsTheJobs(t *testing.T) {
	a := newApp(t)
	var jobs []billingrun.Done
	h := ui.New(ui.Config{Billing: a.svc, Models: a.models, Runner: a.runner, Store: a.store, Now: func() time.Time { return now },
		BillingRun: func(context.Context) (any, error) {
			return billingrun.RunResult{AsOf: date("2025-03-10"), Billing: billingrun.Report{Skipped: 2}, Jobs: jobs}, nil
		}})
	base := httpServer(t, h)
	run := func() page {
		t.Helper()
		resp, err := a.client.PostForm(base+"/billing-run", url.Values{"_token": {uuid.NewString()}})
		if err != nil {
			t.Fatal(err)
		}
		read(t, resp)
		resp, err = a.client.Get(base + "/clients")
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}
	jobs = billingrun.Count(billingrun.Count(nil, 2, "payment reminder sent", "payment reminders sent"), 1, "proposal expired", "proposals expired")
	if p := run(); !strings.Contains(p.Body, "Billing run for 10 Mar 2025: 2 missed billings skipped, 2 payment reminders sent, 1 proposal expired.") || strings.Contains(p.Body, `class="flash err"`) {
		t.Errorf("the confirmation does not count the jobs: %s", errorsOf(p.Body))
	}
	jobs = billingrun.Failures(billingrun.Count(nil, 1, "invoice written off", "invoices written off"), 1)
	if p := run(); !strings.Contains(p.Body, `class="flash err"`) || !strings.Contains(p.Body, "1 invoice written off, 1 failure (see the log).") {
		t.Errorf("a job's failure is not shown as an error: %s", errorsOf(p.Body))
	}
}
