package api

import (
	"net/http"
	"testing"

	"remit/billing"
)

// FuzzDecodeCommand feeds arbitrary bodies to the strict JSON decoder of
// the command requests: it never panics, and every body it refuses is a
// client error (400 or 422), never an internal one. The seeds under
// testdata/fuzz run in every go test.
func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{
		`{"name":"Harbour Cafe","kind":"business","contacts":[{"name":"Ana","email":"ana@example.com"}]}`,
		`{"client_id":"not-a-uuid","lines":[{"quantity":"1e999999"}]}`,
		`{"address":{"line1":null},"payment_terms_days":-1}`,
		`{"lines":[{"quantity":1e5,"unit_price":"1E+3","description":"\u0034242424242424242"}]}`,
		`{"name":"a\nb","lines":[1,1,1],"k1":1,"k2":2}`,
		`[]`, `null`, `{"a":`, `{"name":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&billing.ClientRequest{}, &billing.IssueInvoiceRequest{}, &billing.ProposalRequest{}, &billing.SetUpFirmRequest{}, &NewPaymentMethod{}, &TokenRequest{}, &LoginRequest{}}
		for _, dst := range targets {
			err := decodeJSON(body, dst, "name")
			if err == nil {
				continue
			}
			if st, _, _ := statusOf(err); st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
				t.Errorf("decode %T of %q: status %d (%v)", dst, body, st, err)
			}
		}
	})
}
