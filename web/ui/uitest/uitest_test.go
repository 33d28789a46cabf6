package uitest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"remit/web/ui/uitest"
)

// TestViolationsUnderRemitsCSP: axe-core runs in a page served with the
// UI's Content-Security-Policy (no inline script) and finds what a page
// breaks: an input without a label and grey text on white.
func TestViolationsUnderRemitsCSP(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><head><title>Bad page</title></head><body><main>
<h1>Bad page</h1><form><input name="q"></form><p><font color="#bbbbbb">faint text</font></p></main></body></html>`))
	}))
	defer srv.Close()
	ctx := uitest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	vs, err := uitest.Violations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, v := range vs {
		found[v.ID] = v.Impact
	}
	if found["label"] != "critical" || found["color-contrast"] != "serious" {
		t.Errorf("axe-core found %v, want label (critical) and color-contrast (serious)", found)
	}
	for _, v := range vs {
		if v.ID == "label" && (len(v.Nodes) != 1 || !strings.Contains(v.Nodes[0].Target, "input")) {
			t.Errorf("the label violation names %+v, want the input", v.Nodes)
		}
	}
}
