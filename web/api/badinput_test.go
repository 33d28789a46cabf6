package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestBadInput sends every kind of bad request and checks that each gets
// the right 4xx as a problem, names the field at fault, and appends
// nothing (the store's head does not move).
func TestBadInput(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	base := "/api/clients/" + clientID
	client := a.do("GET", base, nil)
	missing := uuid.NewString()
	service := func(over map[string]any) map[string]any {
		b := map[string]any{"name": "Payroll", "unit_price": "100", "quantity": "1", "tax_rate": "10", "automatic": true,
			"billing_rule": map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-04-01", "end": "never"}}
		for k, v := range over {
			b[k] = v
		}
		return b
	}

	line := func(over map[string]any) map[string]any {
		b := map[string]any{"description": "Fee", "quantity": "1", "unit_price": "5", "tax_rate": "0"}
		for k, v := range over {
			b[k] = v
		}
		return b
	}
	instant := func(over map[string]any) map[string]any {
		return map[string]any{"client_id": clientID, "lines": []any{line(over)}}
	}
	manyLines := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = line(nil)
		}
		return out
	}
	// Another client's payment method, and a service id, are not this
	// client's methods.
	other := a.mustCreateClient("Globex")
	otherMethod := str(t, a.must(http.StatusCreated, "POST", "/api/clients/"+other+"/payment-methods", map[string]any{
		"kind": "card", "gateway": "sandbox", "gateway_token": "pm_card_visa", "brand": "visa", "last4": "4242", "expiry_month": 12, "expiry_year": 2030,
	}), "id")
	serviceID := str(t, a.must(http.StatusCreated, "POST", base+"/services", service(nil)), "id")
	inv := "/api/invoices/" + str(t, a.must(http.StatusCreated, "POST", "/api/invoices", instant(nil)), "id")

	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		field   string // the field named in errors, "-" for none
	}{
		{"MalformedJSON", "POST", "/api/clients", `{"name": "Acme", `, nil, 400, ""},
		{"NotAnObject", "POST", "/api/clients", `["Acme"]`, nil, 400, ""},
		{"TrailingData", "POST", "/api/clients", `{"name":"A","kind":"business"} {}`, nil, 400, ""},
		{"UnknownField", "POST", "/api/clients", `{"name":"A","kind":"business","colour":"red"}`, nil, 400, "colour"},
		{"UnknownNestedField", "POST", "/api/clients", `{"name":"A","kind":"business","contacts":[{"name":"B","nickname":"Bee"}]}`, nil, 400, "contacts[0].nickname"},
		{"WrongType", "POST", "/api/clients", `{"name":42,"kind":"business"}`, nil, 400, "name"},
		{"WrongTypeArray", "POST", "/api/clients", `{"name":"A","kind":"business","contacts":{"name":"B"}}`, nil, 400, "contacts"},
		{"MissingField", "POST", "/api/clients", `{"kind":"business"}`, nil, 400, "name"},
		{"NullRequiredField", "POST", "/api/clients", `{"name":null,"kind":"business"}`, nil, 400, "name"},
		{"EmptyBody", "POST", "/api/clients", ``, nil, 400, "name"},
		{"NotANumber", "POST", base + "/services", service(map[string]any{"quantity": "lots"}), nil, 400, "quantity"},
		{"ImpossibleDate", "POST", base + "/services", service(map[string]any{"billing_rule": map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-02-30", "end": "never"}}), nil, 400, "billing_rule.start_date"},
		{"BadIDInBody", "POST", "/api/invoices", `{"client_id":"not-a-uuid","lines":[]}`, nil, 400, "client_id"},
		{"NegativeQuantity", "POST", base + "/services", service(map[string]any{"quantity": "-1"}), nil, 422, "quantity"},
		{"ProRataWeekly", "POST", base + "/services", service(map[string]any{"billing_rule": map[string]any{"frequency": "weeks", "start": "on_date", "start_date": "2025-04-15", "end": "never", "pro_rata_first": true}}), nil, 422, "billing_rule.pro_rata_first"},
		{"NegativePrice", "POST", "/api/invoices", map[string]any{"client_id": clientID, "lines": []any{map[string]any{"description": "Fee", "quantity": "1", "unit_price": "-5", "tax_rate": "0"}}}, nil, 422, "-"},
		{"UnknownCurrency", "POST", "/api/clients", `{"name":"B","kind":"business","currency":"XYZ"}`, nil, 422, "currency"},
		{"EmptyName", "POST", "/api/clients", `{"name":"","kind":"business"}`, nil, 422, "name"},
		{"BadEmail", "POST", base + "/contacts", `{"name":"C","email":"not-an-email"}`, nil, 422, "email"},
		{"UnknownClientInPath", "POST", "/api/clients/" + missing + "/contacts", `{"name":"C"}`, nil, 404, "-"},
		{"UnknownClientInBody", "POST", "/api/invoices", map[string]any{"client_id": missing, "lines": []any{map[string]any{"description": "Fee", "quantity": "1", "unit_price": "5", "tax_rate": "0"}}}, nil, 404, "-"},
		{"UnknownInvoice", "POST", "/api/invoices/" + missing + "/void", `{"reason":"x"}`, nil, 404, "-"},
		{"UnknownScheduleItem", "POST", "/api/schedule-items/" + missing + "/1/bill", `{}`, nil, 404, "-"},
		{"PathIDNotAUUID", "POST", "/api/clients/acme/archive", `{}`, nil, 404, "-"},
		{"UnknownRoute", "POST", "/api/widgets", `{}`, nil, 404, "-"},
		{"MethodNotAllowed", "DELETE", "/api/invoices", nil, nil, 405, "-"},
		{"OversizedBody", "POST", "/api/clients", `{"name":"` + strings.Repeat("a", 2<<20) + `","kind":"business"}`, nil, 413, "-"},
		{"NotJSON", "POST", "/api/clients", `name=Acme`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "-"},
		{"BodyOnBodilessAction", "POST", base + "/restore", `{"please":true}`, nil, 400, "please"},
		{"StaleIfMatch", "PUT", base, `{"name":"Acme 2","kind":"business"}`, []string{"If-Match", `"7"`}, 412, "-"},
		{"WeakIfMatch", "PUT", base, `{"name":"Acme 2","kind":"business"}`, []string{"If-Match", "W/" + client.Header.Get("ETag")}, 412, "-"},
		{"AlreadySetUp", "POST", "/api/firm", `{"name":"Again","base_currency":"AUD","time_zone":"Australia/Sydney"}`, nil, 409, "-"},
		{"BadLimit", "GET", "/api/clients?limit=0", nil, nil, 400, "limit"},
		{"BadCursor", "GET", "/api/clients?cursor=zzz", nil, nil, 400, "cursor"},
		{"BadActivityLimit", "GET", base + "/activity?limit=501", nil, nil, 400, "limit"},
		{"BadActivityCursor", "GET", base + "/activity?cursor=zzz", nil, nil, 400, "cursor"},
		{"ActivityCursorOfAnotherList", "GET", base + "/activity?cursor=bzox", nil, nil, 400, "cursor"},
		{"UnknownClientActivity", "GET", "/api/clients/" + missing + "/activity", nil, nil, 404, "-"},
		{"BadStatus", "GET", "/api/invoices?status=lost", nil, nil, 400, "status"},

		// Amounts are plain, bounded decimals (issue 15, defect 6).
		{"ExponentQuantity", "POST", "/api/invoices", instant(map[string]any{"quantity": "1e100000"}), nil, 422, "lines[0].quantity"},
		{"ExponentQuantityNumber", "POST", base + "/services", `{"name":"Payroll","unit_price":"100","quantity":1e5,"tax_rate":"10","billing_rule":{"frequency":"once","start":"on_date","start_date":"2025-04-01"}}`, nil, 422, "quantity"},
		{"HugeExponentQuantity", "POST", "/api/invoices", instant(map[string]any{"quantity": "1e10000000"}), nil, 422, "lines[0].quantity"},
		{"QuantityOverLimit", "POST", "/api/invoices", instant(map[string]any{"quantity": "1000000001"}), nil, 422, "lines[0].quantity"},
		{"QuantityTooPrecise", "POST", base + "/services", service(map[string]any{"quantity": "1.0000001"}), nil, 422, "quantity"},
		{"PriceOverLimit", "POST", base + "/services", service(map[string]any{"unit_price": "1000000000001"}), nil, 422, "unit_price"},
		{"PriceMoreDecimalsThanCurrency", "POST", "/api/invoices", instant(map[string]any{"unit_price": "10.12345"}), nil, 422, "lines[0].unit_price"},
		{"ServicePriceMoreDecimalsThanCurrency", "POST", base + "/services", service(map[string]any{"unit_price": "10.125"}), nil, 422, "unit_price"},
		{"PaymentMoreDecimalsThanCurrency", "POST", base + "/services", service(map[string]any{"discount": map[string]any{"kind": "amount", "value": "1.005"}}), nil, 422, "discount"},

		// Other inputs that were accepted (defect 7).
		{"EveryZeroMonths", "POST", base + "/services", service(map[string]any{"billing_rule": map[string]any{"frequency": "months", "interval": 0, "start": "on_date", "start_date": "2025-04-01", "end": "never"}}), nil, 422, "billing_rule.interval"},
		{"ServiceInAnotherCurrency", "POST", base + "/services", service(map[string]any{"currency": "USD"}), nil, 422, "currency"},
		{"InvoiceInAnotherCurrency", "POST", "/api/invoices", map[string]any{"client_id": clientID, "currency": "USD", "lines": []any{line(nil)}}, nil, 422, "currency"},
		{"InvoiceWithAnotherClientsMethod", "POST", "/api/invoices", map[string]any{"client_id": clientID, "payment_method_id": otherMethod, "lines": []any{line(nil)}}, nil, 422, "payment_method_id"},
		{"InvoiceWithARandomMethod", "POST", "/api/invoices", map[string]any{"client_id": clientID, "payment_method_id": missing, "lines": []any{line(nil)}}, nil, 422, "payment_method_id"},
		{"CollectionFromAnotherClientsMethod", "POST", inv + "/schedule-collection", map[string]any{"date": "2030-01-01", "payment_method_id": otherMethod}, nil, 422, "payment_method_id"},
		{"CollectionFromARandomMethod", "POST", inv + "/schedule-collection", map[string]any{"date": "2030-01-01", "payment_method_id": missing}, nil, 422, "payment_method_id"},
		{"ServiceWithAServiceIDAsMethod", "POST", base + "/services", service(map[string]any{"payment_method_id": serviceID}), nil, 422, "payment_method_id"},
		{"LineBreakInName", "POST", "/api/clients", `{"name":"Acme\nCorp","kind":"business"}`, nil, 422, "name"},
		{"TabInContactName", "POST", base + "/contacts", `{"name":"Ana\tNg"}`, nil, 422, "name"},

		// Invoice size (defect 8).
		{"TooManyLines", "POST", "/api/invoices", map[string]any{"client_id": clientID, "lines": manyLines(501)}, nil, 422, "lines"},
		{"DescriptionTooLong", "POST", "/api/invoices", instant(map[string]any{"description": strings.Repeat("x", 1001)}), nil, 422, "lines[0].description"},
		{"ServiceDescriptionTooLong", "POST", base + "/services", service(map[string]any{"description": strings.Repeat("x", 1001)}), nil, 422, "description"},

		// Card numbers, decoded (defect 10).
		{"EscapedCardNumber", "POST", "/api/invoices", `{"client_id":"` + clientID + `","lines":[{"description":"\u0034242424242424242","quantity":"1","unit_price":"5","tax_rate":"0"}]}`, nil, 422, "lines[0].description"},
		{"CardNumberTouchingLetters", "POST", base + "/services", service(map[string]any{"name": "visa4242424242424242"}), nil, 422, "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := a.head()
			r := a.do(c.method, c.path, c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, c.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			p := r.JSON(t)
			if int(get(t, p, "status").(float64)) != c.status || str(t, p, "title") == "" || str(t, p, "detail") == "" ||
				!strings.HasPrefix(str(t, p, "type"), "https://") {
				t.Fatalf("incomplete problem: %s", r.Body)
			}
			if c.field != "-" {
				errs, _ := p["errors"].([]any)
				found := false
				for _, e := range errs {
					found = found || str(t, e, "field") == c.field
					if str(t, e, "message") == "" {
						t.Errorf("field problem without a message: %v", e)
					}
				}
				if !found {
					t.Fatalf("no error for field %q: %s", c.field, r.Body)
				}
			}
			if after := a.head(); after != before {
				t.Fatalf("head moved from %d to %d on a refused request", before, after)
			}
		})
	}
}

// TestIfMatch checks optimistic concurrency from clients: a change based on
// the current ETag succeeds and answers the next ETag; one based on an old
// ETag is refused with 412 and appends nothing.
func TestIfMatch(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	base := "/api/clients/" + a.mustCreateClient("Acme")
	r := a.do("GET", base, nil)
	tag := r.Header.Get("ETag")
	if tag != `"0"` {
		t.Fatalf("ETag %q", tag)
	}
	if r := a.do("GET", base, nil, "If-None-Match", tag); r.Status != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: %d, want 304", r.Status)
	}
	r = a.do("PUT", base, map[string]any{"name": "Acme Holdings", "kind": "business"}, "If-Match", tag)
	if r.Status != http.StatusOK || r.Header.Get("ETag") != `"1"` || str(t, r.JSON(t), "name") != "Acme Holdings" {
		t.Fatalf("PUT with current ETag: %d %s %s", r.Status, r.Header.Get("ETag"), r.Body)
	}
	before := a.head()
	r = a.do("PUT", base, map[string]any{"name": "Acme Lost Update", "kind": "business"}, "If-Match", tag)
	if r.Status != http.StatusPreconditionFailed {
		t.Fatalf("PUT with a stale ETag: %d, want 412\n%s", r.Status, r.Body)
	}
	if a.head() != before {
		t.Fatal("a 412 appended events")
	}
	if got := str(t, a.must(http.StatusOK, "GET", base, nil), "name"); got != "Acme Holdings" {
		t.Fatalf("name %q after a refused update", got)
	}
}
