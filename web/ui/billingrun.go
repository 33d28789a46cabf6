package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"remit/domain"
	"remit/processes/billingrun"
)

func (h *handler) registerBillingRunRoutes(rt routes) {
	if h.cfg.BillingDryRun != nil {
		rt.get("/billing-run/preview", h.handleBillingPreview)
	}
	if h.cfg.BillingRun == nil {
		return
	}
	rt.post("/billing-run", h.handleBillingRun)
}

// billingPreview is the billing run preview page: the date asked for and,
// once asked, what the run as of it would do.
type billingPreview struct {
	Report *billingrun.Report
	// CSV is the download of the planned invoices' lines.
	CSV string
}

// handleBillingPreview shows what the billing run on ?date= (default
// today in the firm's time zone, as the menu links it; not ?as_of=, which
// shows pages as of a past moment) would do, writing nothing: the dry run
// (Config.BillingDryRun). The form is a GET, so the preview of a date is a
// link; a bad date is shown beside the field.
func (h *handler) handleBillingPreview(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	v := &view{Title: "Billing run preview", Section: "billing-run", Form: f}
	d := billingPreview{}
	raw := strings.TrimSpace(r.URL.Query().Get("date"))
	if raw == "" { // from the menu: today's run, the one the firm asks about
		today, _, err := h.today(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		raw = today.String()
	}
	f.set("date", raw)
	asOf, err := domain.ParseDate(raw)
	if err != nil {
		f.Errors["date"] = "Enter a date, like 2026-03-31."
		v.D = d
		h.render(w, r, http.StatusUnprocessableEntity, "billing_preview", v)
		return
	}
	rep, err := h.cfg.BillingDryRun(r.Context(), asOf)
	if err != nil {
		f.fail(err, func(err error) string { return h.userMessage(r, err) }, nil)
		v.D = d
		h.render(w, r, http.StatusUnprocessableEntity, "billing_preview", v)
		return
	}
	d.Report = &rep
	d.CSV = "/api/billing-runs/preview?" + url.Values{"date": {asOf.String()}, "format": {"csv"}}.Encode()
	v.D = d
	h.render(w, r, http.StatusOK, "billing_preview", v)
}

// lastRun remembers the confirmation of the latest billing run by its form
// token, so the second request of a double-clicked "Run billing now" (which
// waits for the first under the token's lock) shows what the run did rather
// than "nothing was due".
type lastRun struct {
	mu    sync.Mutex
	token string
	flash string
	bad   bool
}

// handleBillingRun runs billing and collection now (Config.BillingRun),
// waits for the read models to show its effects and redirects to the
// clients page with a one-line summary.
func (h *handler) handleBillingRun(w http.ResponseWriter, r *http.Request) {
	token := h.meta(r).CommandID
	defer h.tokens.lock(token)()
	h.lastRun.mu.Lock()
	if h.lastRun.token == token {
		flash, bad := h.lastRun.flash, h.lastRun.bad
		h.lastRun.mu.Unlock()
		h.runRedirect(w, r, flash, bad)
		return
	}
	h.lastRun.mu.Unlock()

	res, err := h.cfg.BillingRun(r.Context())
	h.waitForHead(r.Context())
	flash, bad := runSummary(res), false
	if err != nil {
		bad = true
		if flash == "" {
			flash = h.userMessage(r, err)
		} else {
			h.log.Error("billing run stopped", "err", err)
			flash += " The run stopped early: " + h.userMessage(r, err)
		}
	} else if n := runErrors(res); n > 0 {
		bad = true
		h.logRunErrors(res)
	}
	h.lastRun.mu.Lock()
	h.lastRun.token, h.lastRun.flash, h.lastRun.bad = token, flash, bad
	h.lastRun.mu.Unlock()
	h.runRedirect(w, r, flash, bad)
}

func (h *handler) runRedirect(w http.ResponseWriter, r *http.Request, flash string, bad bool) {
	if bad {
		redirectError(w, r, "/clients", flash)
		return
	}
	redirect(w, r, "/clients", flash)
}

// waitForHead waits (at most Config.WaitTimeout) for the read models to
// reach the store's head, so the pages show what the run did.
func (h *handler) waitForHead(ctx context.Context) {
	if h.cfg.Runner == nil || h.cfg.Store == nil {
		return
	}
	head, err := h.cfg.Store.Head(ctx)
	if err != nil {
		h.log.Warn("read the store's head after a billing run", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.WaitTimeout)
	defer cancel()
	if err := h.cfg.Runner.WaitFor(ctx, head); err != nil {
		h.log.Warn("read models did not catch up after a billing run", "position", head, "err", err)
	}
}

// runResult is the billing run's result, whatever shape Config.BillingRun
// returns it in.
func runResult(res any) (billingrun.RunResult, bool) {
	switch x := res.(type) {
	case billingrun.RunResult:
		return x, true
	case *billingrun.RunResult:
		if x != nil {
			return *x, true
		}
	}
	return billingrun.RunResult{}, false
}

func runErrors(res any) int {
	rr, ok := runResult(res)
	if !ok {
		return 0
	}
	n := len(rr.Billing.Errors) + len(rr.Collect.Errors)
	for _, d := range rr.Jobs {
		if d.Failed {
			n += d.N
		}
	}
	return n
}

func (h *handler) logRunErrors(res any) {
	rr, _ := runResult(res)
	for _, e := range rr.Billing.Errors {
		h.log.Error("billing run: a group failed", "err", e)
	}
	for _, e := range rr.Collect.Errors {
		h.log.Error("billing run: a collection failed", "err", e)
	}
}

// runSummary says in one line what a billing run did, its daily jobs
// included: "Billing run for 10 Mar 2025: 1 invoice issued, 1 payment
// rejected, 2 payment reminders sent." It is "" for a result it does not
// know.
func runSummary(res any) string {
	rr, ok := runResult(res)
	if !ok {
		if res == nil {
			return ""
		}
		return "Billing run done."
	}
	b, c := rr.Billing, rr.Collect
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(b.Issued, "invoice issued", "invoices issued")
	add(b.AlreadyIssued, "invoice already issued", "invoices already issued")
	add(b.Interrupted, "interrupted invoice completed", "interrupted invoices completed")
	add(b.NumbersVoided, "stranded invoice number voided", "stranded invoice numbers voided")
	add(b.Skipped, "missed billing skipped", "missed billings skipped")
	add(c.Succeeded, "payment collected", "payments collected")
	add(c.Rejected, "payment rejected", "payments rejected")
	add(c.Pending, "payment pending", "payments pending")
	add(c.RetriesScheduled, "retry scheduled", "retries scheduled")
	add(c.GaveUp, "invoice with no retries left", "invoices with no retries left")
	failed := len(b.Errors) + len(c.Errors)
	for _, d := range rr.Jobs {
		if d.Failed {
			failed += d.N
			continue
		}
		add(d.N, d.One, d.Many)
	}
	add(failed, "failure (see the log)", "failures (see the log)")
	if len(parts) == 0 {
		parts = append(parts, "nothing was due")
	}
	head := "Billing run"
	if !rr.AsOf.IsZero() {
		head += " for " + fmtDate(rr.AsOf)
	}
	return head + ": " + strings.Join(parts, ", ") + "."
}

// csvURL is the API's CSV download of a list (every page), with the
// page's filters (empty ones left out): what each list page's "Download
// CSV" link points at.
func csvURL(path string, q url.Values) string {
	out := url.Values{}
	for k, vs := range q {
		if len(vs) > 0 && vs[0] != "" {
			out[k] = vs
		}
	}
	out.Set("format", "csv")
	return path + "?" + out.Encode()
}
