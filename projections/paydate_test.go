package projections

import (
	"strings"
	"testing"
	"time"

	"remit/domain/firm"
	"remit/domain/invoice"
)

// TestGatewayPaymentDate: a gateway payment is dated by its event's date
// (the collection run's as-of date); one recorded before events carried a
// date is dated on the firm's calendar (01:37 in Sydney is the next day in
// Sydney, not the UTC day), on the invoice's payments and in the activity
// line, also after a snapshot is restored.
func TestGatewayPaymentDate(t *testing.T) {
	e := newEnv(t)
	e.MustAppend(firm.StreamName(), "user:alice", firm.FirmSetUp{Name: "Ledger & Co", BaseCurrency: aud, TimeZone: "Australia/Sydney"})
	e.at(date(2025, 3, 1))
	e.MustAppend(invoice.StreamName(inv1), "user:alice", issued(t, inv1, acme, "INV-000001", date(2025, 3, 1), date(2025, 3, 15), line(t, "Advice", "100", [16]byte{}, "")))
	e.MustAppend(invoice.StreamName(inv2), "user:alice", issued(t, inv2, acme, "INV-000002", date(2025, 3, 1), date(2025, 3, 15), line(t, "Advice", "100", [16]byte{}, "")))
	sydney137 := time.Date(2025, 3, 10, 14, 37, 0, 0, time.UTC) // 01:37 on 11 March in Sydney
	// Recorded before events carried a date: no "date" field.
	e.MustAppendRaw(invoice.StreamName(inv1), "InvoicePaymentSucceeded",
		`{"invoice_id":"`+inv1.String()+`","attempt_id":"`+id("attempt/1").String()+`","gateway_reference":"ch_1","amount":{"amount":"50","currency":"AUD"},"at":"`+sydney137.Format(time.RFC3339)+`"}`)
	e.MustAppend(invoice.StreamName(inv2), "system:collections",
		invoice.InvoicePaymentSucceeded{InvoiceID: inv2, AttemptID: id("attempt/2"), GatewayReference: "ch_2", Amount: aus("50"), Date: date(2027, 2, 5), At: sydney137})

	m := e.MustModels()
	check := func(m *Models, when string) {
		t.Helper()
		for _, tc := range []struct {
			inv        [16]byte
			want, text string // the payment's date, and as the activity reads it
		}{{inv1, "2025-03-11", "11 Mar 2025"}, {inv2, "2027-02-05", "5 Feb 2027"}} {
			d, err := m.Invoice(tc.inv, today)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Payments) != 1 || d.Payments[0].Date.String() != tc.want {
				t.Errorf("%s: invoice %s payments %+v, want one dated %s", when, d.Number, d.Payments, tc.want)
			}
			lines, err := m.ActivityOf(SubjectInvoice, tc.inv)
			if err != nil {
				t.Fatal(err)
			}
			if all := strings.Join(texts(lines), "\n"); !strings.Contains(all, "collected on "+tc.text+" ") {
				t.Errorf("%s: invoice %s activity %q, want the payment collected on %s", when, d.Number, all, tc.text)
			}
		}
	}
	check(m, "replayed")

	restored := NewModels()
	for _, p := range m.Projections() {
		data, cp, err := p.MarshalSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		q, _ := restored.Projection(p.Name())
		if err := q.UnmarshalSnapshot(data, cp); err != nil {
			t.Fatal(err)
		}
	}
	check(restored, "restored")
}
