package ui_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFormsRefuseCardNumbersAndBadAmounts: the UI's forms get the same
// checks as the API, on the decoded values (issue 15, defects 6 and 10): a
// card number however written (the browser percent-encodes it), and an
// amount in exponent form or past its limits, are shown beside their field
// and nothing is appended.
func TestFormsRefuseCardNumbersAndBadAmounts(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	base := "/clients/" + id.String()
	line := func(field, value string) url.Values {
		v := url.Values{"lines[0].description": {"Advice"}, "lines[0].quantity": {"1"}, "lines[0].unit_price": {"10"}}
		v.Set(field, value)
		return v
	}
	cases := []struct{ field, value string }{
		{"lines[0].description", "4242424242424242"},
		{"lines[0].description", "visa4242424242424242"},
		{"lines[0].description", "4242.4242.4242.4242"},
		{"lines[0].description", "4242/4242/4242/4242"},
		{"lines[0].description", "4242\t4242\t4242\t4242"},
		{"lines[0].description", "4242  4242  4242  4242"},
		{"lines[0].quantity", "1e100000"},
		{"lines[0].quantity", "1000000001"},
		{"lines[0].unit_price", "10.12345"},
	}
	for _, c := range cases {
		before := a.head()
		p := a.post(base+"/bill", line(c.field, c.value))
		if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, c.field) == "" {
			t.Errorf("%s = %q: status %d, error beside the field %q; want 422 and an error (%s)", c.field, c.value, p.Status, fieldError(p.Body, c.field), errorsOf(p.Body))
		}
		if a.head() != before {
			t.Errorf("%s = %q was appended", c.field, c.value)
		}
	}
	dir := a.store.Dir()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "4242424242424242") || strings.Contains(string(b), "4242.4242") {
			t.Errorf("%s holds the card number", f)
		}
	}
}
