package invoice_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"remit/domain"
	"remit/domain/invoice"
)

// TestStateJSONLeavesOutZeroFields: a State's JSON (the invoices read
// model's document, projections.invoiceRecord) holds only the fields that
// are set, and reads back as the same State, as does the older form that
// held every field: a read model written before decodes alike.
func TestStateJSONLeavesOutZeroFields(t *testing.T) {
	cases := []struct {
		name   string
		events []domain.Event
	}{
		{"Issued", []domain.Event{MustIssued(t)}},
		{"Paid", []domain.Event{MustIssued(t), scheduled(), succeeded("159.50")}},
		{"Rejected", []domain.Event{MustIssued(t), scheduled(), rejected()}},
		{"PartlyPaidCreditedWrittenOff", []domain.Event{MustIssued(t), recorded(paymentID, "59.50"), credited("9.50"), writtenOff("90.50")}},
		{"Void", []domain.Event{MustIssued(t), voided()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var st invoice.State
			for _, e := range tc.events {
				st = invoice.Evolve(st, e)
			}
			doc, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var back invoice.State
			if err := json.Unmarshal(doc, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back)
			if string(again) != string(doc) {
				t.Errorf("round trip changed the state:\n%s\n%s", doc, again)
			}
			for _, zero := range []string{`null`, `""`, `false`, `"00000000-0000-0000-0000-000000000000"`, `"0001-01-01T00:00:00Z"`} {
				if strings.Contains(string(doc), `":`+zero) {
					t.Errorf("the document holds a zero field (%s): %s", zero, doc)
				}
			}
			// The older form: every field, zero or not.
			full := map[string]any{}
			v := reflect.ValueOf(st)
			for i := range v.NumField() {
				full[v.Type().Field(i).Name] = v.Field(i).Interface()
			}
			old, err := json.Marshal(full)
			if err != nil {
				t.Fatal(err)
			}
			var fromOld invoice.State
			if err := json.Unmarshal(old, &fromOld); err != nil {
				t.Fatal(err)
			}
			if again, _ := json.Marshal(fromOld); string(again) != string(doc) {
				t.Errorf("the older form reads back otherwise:\n%s\n%s", doc, again)
			}
		})
	}
}
