package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

// TestNewLinesStartWithTheDefaultTaxRate: once the firm makes GST 10 % its
// default "for new lines", every form that starts a line (instant bill,
// add a service, new proposal, the proposal editor's blank rows, new
// library service, new proposal template) starts it at 10, not empty (an
// empty rate bills 0 %: a firm's first invoices went out without GST). A
// rate staff type stays theirs, a draft's own line keeps its rate, and
// blank rows holding only the rate are still left out.
func TestNewLinesStartWithTheDefaultTaxRate(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme := a.mustClient("Acme")
	base := "/clients/" + acme.String()
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	draft := a.mustOK(a.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: acme, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), BillingRule: rule, Automatic: true},
	}}, a.meta()))
	a.wait(draft)
	forms := []struct {
		path   string
		inputs []string
	}{
		{base + "/bill", []string{"lines[0].tax_rate", "lines[1].tax_rate", "lines[2].tax_rate"}},
		{base + "/services/new", []string{"tax_rate"}},
		{base + "/proposals/new", []string{"lines[0].tax_rate", "lines[2].tax_rate"}},
		{"/proposals/" + draft.ID.String() + "/edit", []string{"lines[1].tax_rate", "packages[0].lines[0].tax_rate", "add_ons[0].tax_rate"}},
		{"/settings/library/new", []string{"tax_rate"}},
		{"/settings/proposal-templates/new", []string{"lines[0].tax_rate", "packages[2].lines[1].tax_rate", "add_ons[1].tax_rate"}},
	}
	check := func(want string) {
		t.Helper()
		for _, f := range forms {
			p := a.get(f.path)
			for _, in := range f.inputs {
				if got := inputValue(p.Body, in); got != want {
					t.Errorf("%s: %s starts at %q, want %q", f.path, in, got, want)
				}
			}
		}
	}
	check("") // no tax rates yet: nothing to start from

	a.wait(a.mustOK(a.svc.AddTaxRate(ctx, billing.TaxRateRequest{Name: "GST", Rate: decimal.NewFromInt(10), MakeDefault: true}, a.meta())))
	check("10")
	if got := inputValue(a.get("/proposals/"+draft.ID.String()+"/edit").Body, "lines[0].tax_rate"); got != "0" {
		t.Errorf("the draft's own line shows tax %q, want its 0", got)
	}

	// The browser sends every row's prefilled rate: the one line typed in
	// is billed with it, the blank rows are left out.
	form := url.Values{"lines[0].description": {"Advice"}, "lines[0].quantity": {"1"}, "lines[0].unit_price": {"1000"}}
	for i := range 3 {
		form.Set(fmt.Sprintf("lines[%d].tax_rate", i), "10")
	}
	p := a.mustPost(base+"/bill", form, "Invoice issued.")
	mustContain(t, p, "A$1,000.00", "A$100.00", "A$1,100.00")
	if n := strings.Count(p.Body, "<td>Advice"); n > 1 {
		t.Errorf("the invoice has %d Advice lines", n)
	}
}
