#!/usr/bin/env bash
# Refreshes the README's screenshots in docs/screenshots: runs the browser
# journey (web/ui/browser_test.go) with REMIT_SCREENSHOTS pointing there. Test
# runs never write them otherwise (they use a temporary folder). Needs
# Chromium and axe-core, as ./scripts/test.sh installs them.
#
#   ./scripts/screenshots.sh                # the README's screenshots (the journey's, the dashboard's and the as-of ones)
#   ./scripts/screenshots.sh loop           # also the whole loop's (test/), into docs/screenshots/loop
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
REMIT_SCREENSHOTS="$PWD/docs/screenshots" go test -count=1 -run '^(TestBrowserJourney|TestBrowserDashboard|TestBrowserAsOf)$' ./web/ui
if [ "${1:-}" = loop ]; then
	REMIT_SCREENSHOTS="$PWD/docs/screenshots/loop" go test -count=1 -run '^TestWholeLoopInABrowser$' ./test
fi
git status --short docs/screenshots
