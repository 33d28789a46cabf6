package ui_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"remit/billing"
	"remit/projections"
)

// TestServiceActivityPages: a service's activity tab shows its newest lines
// (projections.DefaultLimit of them) with a link to the older ones; that page
// shows the rest, the oldest first line among them, and a link back to the
// newest; no line shows on both.
func TestServiceActivityPages(t *testing.T) {
	a := newApp(t)
	acme := a.mustClient("Acme")
	sid := a.mustService(acme, "Bookkeeping", "100", date("2025-03-01"), true)
	ctx := context.Background()
	// Pausing and resuming: two lines each, past one page.
	for range projections.DefaultLimit/2 + 3 {
		if _, err := a.svc.SwitchServiceToManual(ctx, billing.ServiceRef{ServiceID: sid}, a.meta()); err != nil {
			t.Fatal(err)
		}
		res, err := a.svc.SwitchServiceToAutomatic(ctx, billing.ServiceRef{ServiceID: sid}, a.meta())
		if err != nil {
			t.Fatal(err)
		}
		a.wait(res)
	}
	all, err := a.models.ActivityOf(ctx, projections.SubjectService, sid)
	if err != nil || len(all) <= projections.DefaultLimit {
		t.Fatalf("%d lines, %v", len(all), err)
	}
	lines := regexp.MustCompile(`<li><time>`)
	path := "/services/" + sid.String() + "/activity"
	newest := a.get(path)
	if n := len(lines.FindAllString(newest.Body, -1)); n != projections.DefaultLimit {
		t.Errorf("the newest page shows %d lines, want %d", n, projections.DefaultLimit)
	}
	older := regexp.MustCompile(`<a href="(/services/[^"]+/activity\?before=\d+)" rel="prev">Older activity</a>`).FindStringSubmatch(newest.Body)
	if older == nil {
		t.Fatalf("the newest page has no link to older activity:\n%s", newest.Body)
	}
	if strings.Contains(newest.Body, `activated`) || strings.Contains(newest.Body, "Newest activity") {
		t.Errorf("the newest page shows the activation, or links to itself")
	}
	rest := a.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if n := len(lines.FindAllString(rest.Body, -1)); n != len(all)-projections.DefaultLimit {
		t.Errorf("the older page shows %d lines, want %d", n, len(all)-projections.DefaultLimit)
	}
	mustContain(t, rest, "activated", `<a href="`+path+`">Newest activity</a>`)
	if strings.Contains(rest.Body, "Older activity") {
		t.Errorf("the oldest page links to older activity")
	}
}
