// Package uitest drives headless Chromium for Remit's browser tests: it
// starts the browser, keeps screenshots out of the repository, and checks
// each page with axe-core. Tests that need a tool this machine lacks skip
// with a message saying how to install it (scripts/test.sh installs them
// all).
package uitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release scripts/test.sh installs.
const AxeVersion = "4.10.3"

// Browser starts headless Chromium for one test, or skips the test when this
// machine has no Chromium or no axe-core (every page a browser test visits
// is checked for accessibility, so one is no use without the other).
func Browser(tb testing.TB) context.Context {
	tb.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		tb.Skip("no Chromium on this machine: install it (apt-get install -y chromium) to run the browser tests")
	}
	axe := axeSource(tb)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start Chromium: %v", err)
	}
	return context.WithValue(ctx, axeKey{}, axe)
}

type axeKey struct{}

// AxePath is where axe.min.js is looked for: $REMIT_AXE_CORE (the file, or
// the axe-core package folder), else the folder scripts/test.sh installs it
// into, outside the repository: $(go env GOPATH)/remit-tools/node_modules.
func AxePath() string {
	if p := os.Getenv("REMIT_AXE_CORE"); p != "" {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return filepath.Join(p, "axe.min.js")
		}
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	gopath, _, _ = strings.Cut(gopath, string(os.PathListSeparator))
	return filepath.Join(gopath, "remit-tools", "node_modules", "axe-core", "axe.min.js")
}

func axeSource(tb testing.TB) string {
	tb.Helper()
	p := AxePath()
	src, err := os.ReadFile(p)
	if err != nil {
		tb.Skipf("no axe-core at %s, which every browser test checks pages with: run scripts/test.sh, or npm install --prefix \"$(go env GOPATH)/remit-tools\" axe-core@%s (or set REMIT_AXE_CORE to an axe.min.js)", p, AxeVersion)
	}
	return string(src)
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// runAxe is evaluated in the page once axe-core is in it: every violation
// of the WCAG 2.x A and AA rules and axe's best practices.
const runAxe = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary || ""}))})))`

// Violations runs axe-core on the page the browser shows and returns what
// it finds. axe-core is evaluated through the DevTools protocol, which the
// pages' Content-Security-Policy (no inline script) does not govern.
func Violations(ctx context.Context) ([]Violation, error) {
	src, _ := ctx.Value(axeKey{}).(string)
	if src == "" {
		return nil, fmt.Errorf("this browser context was not started by uitest.Browser")
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return nil, fmt.Errorf("look for axe-core: %w", err)
	}
	if !has {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](runAxe, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return vs, nil
}

// CheckAccessible runs axe-core on the page the browser shows and fails the
// test on every serious or critical violation, naming the rule, its help
// and the elements that break it; lesser ones are logged.
func CheckAccessible(tb testing.TB, ctx context.Context, page string) {
	tb.Helper()
	vs, err := Violations(ctx)
	if err != nil {
		tb.Fatalf("accessibility of %s: %v", page, err)
	}
	for _, v := range vs {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe-core %s (%s): %s <%s>", page, v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t%s: %s", n.Target, n.HTML)
			if n.Summary != "" {
				fmt.Fprintf(&b, "\n\t\t%s", strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
			}
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.Error(b.String())
		} else {
			tb.Log(b.String())
		}
	}
}

// ScreenshotDir is where a test's screenshots go: $REMIT_SCREENSHOTS when
// set (made if missing; scripts/screenshots.sh points it at
// docs/screenshots to refresh the README's), else a temporary folder removed
// after the test. Tests never write into the repository otherwise.
func ScreenshotDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("REMIT_SCREENSHOTS")
	if dir == "" {
		return tb.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("screenshot folder: %v", err)
	}
	return dir
}

// Screenshot saves the whole page the browser shows as dir/name.png and
// returns the file's path.
func Screenshot(tb testing.TB, ctx context.Context, dir, name string) string {
	tb.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
