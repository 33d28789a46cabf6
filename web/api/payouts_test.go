package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/payout"
	"remit/integrations/payments"
	"remit/processes/payouts"
)

// TestPayoutsAPI: GET /api/payouts lists each payout with its amount, fees
// and counts, paged; GET /api/payouts/{id} has every line, naming the
// invoice of a charge.
func TestPayoutsAPI(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	if l := a.must(http.StatusOK, "GET", "/api/payouts", nil); len(items(t, l)) != 0 {
		t.Fatalf("payouts before any: %v", l)
	}
	clientID := a.mustCreateClient("Acme")
	inv := a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{
		"client_id": clientID, "lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": "100", "tax_rate": "10"}},
	})
	invID := uuid.MustParse(str(t, inv, "id"))
	ctx := context.Background()
	env := billing.Env{Store: a.store, Catalog: catalog.New()}
	dec := decimal.RequireFromString
	for i, ref := range []string{"po_1", "po_2"} {
		p := payments.Payout{Reference: ref, Currency: domain.MustCurrency("AUD"), Amount: domain.MustMoney("105.76", "AUD"),
			ArrivalDate: domain.MustDate(2026, 3, 3+i), Status: "paid", Lines: []payments.PayoutLine{
				{Kind: payments.LineCharge, Reference: "ch_" + ref, InvoiceID: invID, Gross: dec("110.00"), Fee: dec("2.23"), Net: dec("107.77")},
				{Kind: payments.LineRefund, Reference: "re_" + ref, Gross: dec("-2.01"), Fee: dec("0"), Net: dec("-2.01")},
			}}
		if _, _, err := payouts.Record(ctx, env, "sandbox", p, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.runner.WaitFor(ctx, a.head()); err != nil {
		t.Fatal(err)
	}
	list := a.must(http.StatusOK, "GET", "/api/payouts?limit=1", nil)
	if got := items(t, list); len(got) != 1 || str(t, got[0], "reference") != "po_2" || get(t, list, "total").(float64) != 2 || str(t, list, "next") == "" {
		t.Fatalf("first page = %v", list)
	}
	first := items(t, list)[0]
	for path, want := range map[string]string{"amount.amount": "105.76", "fees.amount": "2.23", "gross.amount": "107.99", "arrival_date": "2026-03-04", "status": "paid"} {
		if got := str(t, first, splitPath(path)...); got != want {
			t.Errorf("listed payout %s = %q, want %q", path, got, want)
		}
	}
	if got := str(t, first, "ledger", "status"); got != "not_connected" {
		t.Errorf("ledger status with no ledger connected = %q", got)
	}
	one := a.must(http.StatusOK, "GET", "/api/payouts/"+payout.ID("sandbox", "po_1").String(), nil)
	lines, ok := get(t, one, "lines").([]any)
	if !ok || len(lines) != 2 {
		t.Fatalf("lines = %v", one["lines"])
	}
	if str(t, lines[0], "invoice_id") != invID.String() || str(t, lines[0], "invoice_number") != str(t, inv, "number") || str(t, lines[0], "fee", "amount") != "2.23" {
		t.Errorf("charge line = %v", lines[0])
	}
	if str(t, lines[1], "kind") != "refund" || str(t, lines[1], "net", "amount") != "-2.01" {
		t.Errorf("refund line = %v", lines[1])
	}
	a.must(http.StatusNotFound, "GET", "/api/payouts/"+uuid.NewString(), nil)
	a.must(http.StatusBadRequest, "GET", "/api/payouts?limit=0", nil)
}

func splitPath(p string) []any {
	var out []any
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}
