// Package xerotest is a Xero Accounting API test server: every request is
// validated against Xero's published OpenAPI spec (XeroAPI/Xero-OpenAPI,
// kept outside the project at ../shared/peers/xero/xero_accounting.yaml
// from the repository root) with kin-openapi's openapi3filter, and a
// request the spec refuses is answered 400 and recorded as a violation,
// which fails the test unless it called ExpectSpecViolations. Successful
// answers are validated against the spec's response schemas too.
//
// Behind the validator is a small in-memory organisation seeded from the
// spec's own examples (the chart of accounts of GET /Accounts, the tax
// rates of GET /TaxRates, the contacts of GET /Contacts), which computes
// line amounts, tax and totals the way Xero documents them, answers where
// filters (== and != joined by AND/OR) and searchTerm, keeps bank transfers
// and spend/receive bank transactions between its bank accounts (AddAccount
// adds accounts to the chart), takes payments against invoices and, as a
// cash refund, against sales credit notes (ARCREDITPAYMENT), replays
// Idempotency-Key requests, rotates refresh tokens at its token endpoint,
// and can be told to fail (429, 5xx) or to expire access tokens.
//
// kin-openapi follows the spec's self-referencing schemas (Invoice →
// Payment → Invoice …) without inlining them, unlike Prism, so no copy or
// rewrite of the spec is needed; the package's own test proves a bad body
// nested inside that cycle is still refused.
package xerotest

import (
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"remit/test/peers"
)

// specPath is where the spec lives below the peers folder.
var specPath = []string{"xero", "xero_accounting.yaml"}

// spec is the loaded document, shared by every server of one test binary:
// loading and indexing it takes about a second. It is written once, under
// the Once, and only read after.
var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// Spec returns the loaded spec and its router (loaded once per process); the
// error wraps peers.ErrMissing when the spec is not there.
func Spec() (*openapi3.T, routers.Router, error) {
	spec.once.Do(func() {
		path, err := peers.Path(specPath...)
		if err != nil {
			spec.err = fmt.Errorf("xerotest: Xero's OpenAPI spec: %w", err)
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(path)
		if err != nil {
			spec.err = fmt.Errorf("xerotest: load %s: %w", path, err)
			return
		}
		// The spec declares ids as format uuid; kin-openapi checks no
		// format unless told to, for this document only.
		doc.SetStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			spec.err = fmt.Errorf("xerotest: route %s: %w", path, err)
			return
		}
		spec.doc, spec.router = doc, r
	})
	return spec.doc, spec.router, spec.err
}

// example returns the JSON example of an operation's 200 answer.
func example(doc *openapi3.T, path, method string) (any, error) {
	item := doc.Paths.Find(path)
	if item == nil {
		return nil, fmt.Errorf("xerotest: no path %s in the spec", path)
	}
	op := item.GetOperation(method)
	if op == nil || op.Responses == nil {
		return nil, fmt.Errorf("xerotest: no %s %s in the spec", method, path)
	}
	r := op.Responses.Status(200)
	if r == nil || r.Value == nil {
		return nil, fmt.Errorf("xerotest: no 200 answer to %s %s", method, path)
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Example == nil {
		return nil, fmt.Errorf("xerotest: no example answer to %s %s", method, path)
	}
	return mt.Example, nil
}
