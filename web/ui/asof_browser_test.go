package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/service"
	"remit/projections"
	"remit/web/ui"
	"remit/web/ui/uitest"
)

// newAsOfApp is newApp answering as_of, with a client whose monthly
// Payroll service's billing of 1 May 2025 was edited from quantity 1 to 3;
// it returns the client, the service and the log position before the edit.
func newAsOfApp(t *testing.T) (*app, uuid.UUID, uuid.UUID, uint64) {
	t.Helper()
	a := newBareApp(t, func(c *ui.Config) { c.TimeTravel = projections.NewTimeTravel(c.Store, c.Models, 0) })
	a.mustSetUpFirm()
	id := a.mustClient("Harbour Bakery")
	sid := a.mustService(id, "Payroll", "300", date("2025-04-01"), true)
	before := a.head()
	three := decimal.NewFromInt(3)
	res, err := a.svc.EditScheduleItem(context.Background(), billing.ItemRequest{ItemKey: service.ItemKey(sid, 2),
		ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: &three}}}, a.meta())
	if err != nil {
		t.Fatalf("edit item: %v", err)
	}
	a.wait(res)
	return a, id, sid, before
}

// TestBrowserAsOf, in headless Chromium: the client's Billing schedule
// shows the 1 May billing with quantity 3; as of the moment before the edit
// it shows quantity 1 under a banner saying so, the header's picker holds
// that moment, every internal link keeps as_of, the actions' forms are
// disabled, and "Back to now" shows 3 again. The Changes page lists the
// edit and the quantity from 1 to 3. Screenshots go to uitest.ScreenshotDir.
func TestBrowserAsOf(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a, id, _, before := newAsOfApp(t)
	u := a.server.URL
	may := chromedp.CSS(`section[aria-label="Invoice of 1 May 2025"] tbody tr`)

	step(t, ctx, "schedule now", chromedp.Navigate(u+"/clients/"+id.String()+"/schedule"), chromedp.WaitVisible(may))
	if row := text(t, ctx, may); !strings.Contains(row, "3") || !strings.Contains(row, "A$900.00") {
		t.Fatalf("1 May now: %q, want quantity 3, A$900.00", row)
	}
	screenshot(t, ctx, shots, "asof-now")

	pos := "p:" + strconv.FormatUint(before, 10)
	step(t, ctx, "schedule as of before the edit", chromedp.Navigate(u+"/clients/"+id.String()+"/schedule?as_of="+pos), chromedp.WaitVisible(chromedp.CSS(".asof-banner")))
	if row := text(t, ctx, may); !strings.Contains(row, "A$300.00") || strings.Contains(row, "A$900.00") {
		t.Errorf("1 May as of before the edit: %q, want quantity 1, A$300.00", row)
	}
	if b := text(t, ctx, ".asof-banner"); !strings.Contains(b, "You are looking at") || !strings.Contains(b, "log position "+strconv.FormatUint(before, 10)) {
		t.Errorf("banner %q", b)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("asof-at"))); v == "" {
		t.Error("the picker does not show the moment")
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".clienthead a.button[href]").length`)); n != 0 {
		t.Errorf("%d action links lead somewhere as of the past, want none", n)
	}
	lost, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('a[href^="/"]:not([data-asof-now])')].map(a => a.getAttribute("href")).filter(h => !h.includes("as_of="))`))
	if len(lost) > 0 {
		t.Errorf("links that lose as_of: %v", lost)
	}
	enabled, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('main form[method="post"] button')].filter(b => !b.matches(":disabled")).length`))
	total, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('main form[method="post"] button').length`))
	if total == 0 || enabled != 0 {
		t.Errorf("%d of %d action buttons enabled as of the past, want none (and some)", enabled, total)
	}
	screenshot(t, ctx, shots, "asof-past-schedule")

	step(t, ctx, "Instant bill as of the past", chromedp.Navigate(u+"/clients/"+id.String()+"/bill?as_of="+pos), chromedp.WaitVisible(chromedp.CSS(".asof-banner")))
	if off, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('main form[method="post"] button[type="submit"]').matches(":disabled")`)); !off {
		t.Error("the Instant bill form can be submitted as of the past")
	}
	screenshot(t, ctx, shots, "asof-past-form-disabled")

	step(t, ctx, "back to now", chromedp.Click(chromedp.CSS(`.asof-banner a`)), chromedp.WaitNotPresent(chromedp.CSS(".asof-banner")))
	if l := location(t, ctx); strings.Contains(l, "as_of") {
		t.Errorf("back to now leads to %s", l)
	}

	step(t, ctx, "changes", chromedp.Navigate(u+"/clients/"+id.String()+"/changes?from="+pos), chromedp.WaitVisible(chromedp.CSS("table.changes")))
	if act := text(t, ctx, "ol.activity"); !strings.Contains(act, "quantity") {
		t.Errorf("what happened: %q, want the edit", act)
	}
	found := false
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.changes tbody tr")].map(r => r.innerText)`))
	for _, r := range rows {
		if strings.Contains(r, "].quantity") && strings.Contains(r, "changed\t1\t3") {
			found = true
		}
	}
	if !found {
		t.Errorf("field by field: %q, want the quantity changed from 1 to 3", rows)
	}
	screenshot(t, ctx, shots, "asof-changes")
}

// A form posted with as_of is refused, and nothing is appended.
func TestAsOfRefusesActions(t *testing.T) {
	a, _, sid, before := newAsOfApp(t)
	head := a.head()
	p := a.post("/services/"+sid.String()+"/manual?as_of=p:"+strconv.FormatUint(before, 10), url.Values{})
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "looking at the past") {
		t.Errorf("post as of the past: %d %s", p.Status, errorsOf(p.Body))
	}
	if h := a.head(); h != head {
		t.Errorf("head moved from %d to %d", head, h)
	}
	if p := a.get("/clients?as_of=tomorrow-ish"); p.Status != http.StatusBadRequest {
		t.Errorf("bad as_of: %d, want 400", p.Status)
	}
}
