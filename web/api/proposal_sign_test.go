package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"remit/processes/signeddoc"
)

// fieldsOf returns the fields a problem reply names.
func fieldsOf(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range items(t, map[string]any{"items": body["errors"]}) {
		out = append(out, str(t, e, "field"))
	}
	return out
}

// TestProposalSignatures drafts a proposal with two packages, an add-on and
// two signatories, refuses bad offers naming their fields, and has each
// signatory sign the document the API served: the second signature accepts
// and starts the chosen services.
func TestProposalSignatures(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	line := func(name, price string) map[string]any {
		return map[string]any{"name": name, "unit_price": price, "quantity": "1", "tax_rate": "10", "automatic": true,
			"billing_rule": map[string]any{"frequency": "months", "start": "on_acceptance", "end": "never"}}
	}
	body := map[string]any{
		"client_id": clientID, "title": "Services 2026",
		"letter": "Dear {{client_name}},\n\n{{firm_name}} will keep your books. {{fees}}.",
		"lines":  []any{line("Tax return", "900")},
		"packages": []any{
			map[string]any{"name": "Basic", "lines": []any{line("Basic books", "200")}},
			map[string]any{"name": "Full", "lines": []any{line("Full books", "400")}},
		},
		"add_ons":     []any{line("Payroll", "50")},
		"signatories": []any{map[string]any{"name": "Alice Ng", "email": "alice@acme.test"}, map[string]any{"name": "Bob Ng", "email": "bob@acme.test"}},
	}

	head := a.head()
	bad := map[string]any{}
	for k, v := range body {
		bad[k] = v
	}
	bad["letter"] = "Hello {{nickname}}"
	bad["packages"] = []any{map[string]any{"name": "", "lines": []any{line("x", "-1")}}, map[string]any{"name": "Full", "lines": []any{}}}
	bad["signatories"] = []any{map[string]any{"name": "Alice", "email": "not-an-email"}}
	r := a.do("POST", "/api/proposals", bad)
	if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Fatalf("bad offer: %d %s", r.Status, r.Body)
	}
	got := fieldsOf(t, r.JSON(t))
	for _, want := range []string{"letter", "packages[0].name", "packages[0].lines[0].unit_price", "packages[1].lines", "signatories[0].email"} {
		if !slices.Contains(got, want) {
			t.Errorf("bad offer: fields %v lack %s", got, want)
		}
	}
	if !strings.Contains(string(r.Body), "{{nickname}}") {
		t.Errorf("the letter's problem does not name the placeholder: %s", r.Body)
	}
	if a.head() != head {
		t.Fatal("a refused draft appended")
	}

	prop := a.must(http.StatusCreated, "POST", "/api/proposals", body)
	url := "/api/proposals/" + str(t, prop, "id")
	a.must(http.StatusOK, "POST", url+"/send", map[string]any{"recipient_email": "alice@acme.test"})
	full := str(t, prop, "packages", 1, "id")
	payroll := str(t, prop, "add_ons", 0, "id")
	alice, bob := str(t, prop, "signatories", 0, "id"), str(t, prop, "signatories", 1, "id")

	r = a.do("POST", url+"/accept", map[string]any{"accepted_by_name": "Alice", "accepted_by_email": "alice@acme.test", "signature_name": "Alice"})
	if r.Status != http.StatusConflict {
		t.Fatalf("staff accepting a proposal with signatories: %d %s", r.Status, r.Body)
	}

	doc := a.must(http.StatusOK, "GET", url+"/document", nil)
	if !strings.Contains(str(t, doc, "document"), "Dear Acme,") {
		t.Fatalf("document: %s", doc["document"])
	}
	md := a.do("GET", url+"/document", nil, "Accept", "text/markdown")
	if md.Header.Get("Document-Hash") != str(t, doc, "document_hash") || !strings.HasPrefix(md.Header.Get("Content-Type"), "text/markdown") {
		t.Fatalf("markdown document: %v", md.Header)
	}

	head = a.head()
	r = a.do("POST", url+"/signatures", map[string]any{"signatory_id": alice, "signed_name": " ", "document_hash": "stale", "package_id": full})
	got = fieldsOf(t, r.JSON(t))
	if r.Status/100 != 4 || !slices.Contains(got, "signed_name") || !slices.Contains(got, "document_hash") || a.head() != head {
		t.Fatalf("bad signature: %d %v", r.Status, got)
	}
	signed := a.must(http.StatusOK, "POST", url+"/signatures", map[string]any{"signatory_id": alice, "signed_name": "Alice Ng",
		"document_hash": str(t, doc, "document_hash"), "package_id": full, "add_on_ids": []any{payroll}}, "User-Agent", "RemitTest/1")
	if str(t, signed, "status") != "sent" || str(t, signed, "signatures", 0, "ip") != "127.0.0.1" || str(t, signed, "signatures", 0, "user_agent") != "RemitTest/1" {
		t.Fatalf("after one signature: %v", signed)
	}
	doc = a.must(http.StatusOK, "GET", url+"/document", nil)
	accepted := a.must(http.StatusOK, "POST", url+"/signatures", map[string]any{"signatory_id": bob, "signed_name": "Bob Ng",
		"document_hash": str(t, doc, "document_hash"), "package_id": full, "add_on_ids": []any{payroll}})
	if str(t, accepted, "status") != "accepted" || str(t, accepted, "document_hash") == "" || str(t, accepted, "package_id") != full {
		t.Fatalf("after both signatures: %v", accepted)
	}
	services := a.must(http.StatusOK, "GET", "/api/clients/"+clientID+"/services", nil)
	var names []string
	for _, s := range items(t, services) {
		names = append(names, str(t, s, "name"))
	}
	slices.Sort(names)
	if want := []string{"Full books", "Payroll", "Tax return"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}

	// The signed PDF: not there until filed, then downloadable, and the
	// evidence verified.
	if r := a.do("GET", url+"/signed.pdf", nil); r.Status != http.StatusNotFound {
		t.Errorf("the signed PDF before it is filed: %d", r.Status)
	}
	if err := (&signeddoc.Filer{Billing: a.svc, Store: a.gate, DataDir: t.TempDir()}).CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := a.must(http.StatusOK, "GET", url+"/evidence", nil)
	if ev["verified"] != true || str(t, ev, "signatures", 0, "signed_name") != "Alice Ng" || str(t, ev, "signatures", 1, "ip") != "127.0.0.1" ||
		str(t, ev, "document_hash") != str(t, accepted, "document_hash") || str(t, ev, "pdf_sha256") == "" {
		t.Errorf("evidence %v", ev)
	}
	if r := a.do("GET", url+"/signed.pdf", nil); r.Status != http.StatusOK || !strings.HasPrefix(string(r.Body), "%PDF-") {
		t.Errorf("the signed PDF: %d %.40q", r.Status, r.Body)
	}
}
