#!/usr/bin/env bash
# Runs every test of Remit. Installs what the tests need when it is missing
# (quickly skipped when present), then checks formatting, vets, lints
# (staticcheck, gocyclo), runs the whole suite with the race detector and
# checks that it left the repository as it was. The suites that need the
# published specs in ../shared/peers skip without them, or fail when
# REMIT_REQUIRE_PEERS=1, as CI (.ci/run) sets it.
#
#   ./scripts/test.sh            # everything
#   ./scripts/test.sh ./eventstore/...   # only some packages (extra args go to go test)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

apt_updated=""
need_deb() { # need_deb COMMAND PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then
		if [ -z "$apt_updated" ]; then
			say "apt-get update"
			apt-get update -qq
			apt_updated=1
		fi
		say "installing $2 (for $1)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	fi
}

command -v go >/dev/null || { echo "Go is required (https://go.dev/dl); this machine should have it at /usr/local/go/bin" >&2; exit 2; }
need_deb gcc gcc # cgo, for the embedded SQLite store (github.com/mattn/go-sqlite3)
need_deb chromium chromium # headless browser for the UI tests (web/ui/browser_test.go)
export CGO_ENABLED=1
need_deb pdftotext poppler-utils # pdf and outbox tests read invoice PDFs back as text
need_deb hledger hledger # journal tests check the exported journal with the real hledger
need_deb bean-check beancount # and the beancount export with bean-check
need_deb xmllint libxml2-utils # e-invoice tests check UBL documents against the UBL 2.1 schemas
need_deb java default-jre-headless # and the EN 16931 rules with Saxon-HE (a jar run by java):
[ -f /usr/share/java/Saxon-HE.jar ] || need_deb no-saxon-he-jar libsaxonhe-java # (no command to look for)

# mailpit, the SMTP capture server the mail and outbox tests deliver to (a
# few minutes to build the first time).
gobin=$(go env GOBIN); export PATH="${gobin:-$(go env GOPATH)/bin}:$PATH"
if ! command -v mailpit >/dev/null 2>&1; then
	say "installing mailpit (go install, a few minutes)"
	go install github.com/axllent/mailpit@v1.27.11
fi
# stripe-mock, Stripe's mock API server the Stripe gateway tests start on loopback.
if ! command -v stripe-mock >/dev/null 2>&1; then
	say "installing stripe-mock (go install)"
	go install github.com/stripe/stripe-mock@v0.203.0
fi
# staticcheck, the linter run after go vet.
if ! command -v staticcheck >/dev/null 2>&1; then
	say "installing staticcheck (go install)"
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
# gocyclo, which keeps every function outside the tests at cyclomatic
# complexity 30 or less.
if ! command -v gocyclo >/dev/null 2>&1; then
	say "installing gocyclo (go install)"
	go install github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0
fi

# axe-core, the accessibility checker every browser test runs on each page it
# visits (web/ui/uitest), installed outside the repository with npm; the tests
# find it there, or at $REMIT_AXE_CORE.
axe_dir="$(go env GOPATH)/remit-tools"
axe_version=4.10.3 # keep equal to uitest.AxeVersion
if [ "$(node -p "require('$axe_dir/node_modules/axe-core/package.json').version" 2>/dev/null)" != "$axe_version" ]; then
	need_deb npm npm
	say "installing axe-core $axe_version (npm, into $axe_dir)"
	npm install --prefix "$axe_dir" --no-audit --no-fund --silent "axe-core@$axe_version" >/dev/null
fi

# PostgreSQL on 127.0.0.1:5432 for eventstore/postgres (its tests skip with a
# message when none is reachable; make sure one is when this machine has one).
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
	if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
		say "starting PostgreSQL"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
	fi
fi

say "go mod download"
go mod download

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

say "go vet"
go vet ./...

say "staticcheck"
staticcheck ./...

say "gocyclo (no function outside the tests above 30)"
if ! gocyclo -over 30 -ignore _test .; then
	echo "split the functions above into smaller ones" >&2
	exit 1
fi

say "go test -race"
# Tests never write into the repository (screenshots go to temporary
# folders): the tracked files and the untracked ones are the same after.
repo_state() { { git status --porcelain && git diff; } 2>/dev/null | sha256sum; }
before=$(repo_state)
# The end-to-end package (test/) builds and kills real processes on three
# stores; on a loaded machine it outgrows go test's default 10 minutes.
if [ $# -gt 0 ]; then
	go test -race -count=1 -timeout 30m "$@"
else
	go test -race -count=1 -timeout 30m ./...
fi
if [ "$(repo_state)" != "$before" ]; then
	echo "the tests changed files in the repository:" >&2
	git status --short >&2
	exit 1
fi

# The fuzz targets run their committed seeds in every go test above; here
# each also fuzzes briefly, so CI explores a little beyond them. The budget
# is a count of executions, not a duration: Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" when a -fuzztime duration
# ends while a worker on a loaded machine is mid-call (go.dev/issue/75804,
# fixed in Go 1.27). A count has no deadline to race.
if [ $# -eq 0 ]; then
	say "fuzzing briefly"
	go test -run '^$' -fuzz '^FuzzDecodeCommand$' -fuzztime 30000x ./web/api
	go test -run '^$' -fuzz '^FuzzEventDecoding$' -fuzztime 30000x ./eventstore/pii
fi
