package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"remit/integrations/accounting/qbo/qbotest"
)

// TestConnectFormSetsPayoutAccounts: the connect form offers the payout
// accounts with the provider's defaults; one left empty takes the default,
// one given is recorded in the mapping and shown on the Ledger page.
func TestConnectFormSetsPayoutAccounts(t *testing.T) {
	qs := qbotest.New(t, qbotest.Options{})
	c := newConnectApp(t, nil, qs)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	blank := do(t, owner, http.MethodGet, c.url+"/ledger/connect/qbo", nil)
	mustContain(t, blank, "Bank account for payouts", "empty: 35", "Payment fees account", "empty: 8")
	form := connectForm(csrf, qs.ClientID(), qs.ClientSecret())
	form.Set("tax_types", "10=TAX\n0=NON")
	form.Set("clearing_account", "4")
	form.Set("fees_account", "80")
	back := c.start(t, owner, "qbo", form, qs.AuthURL)
	if cb := do(t, owner, http.MethodGet, back, nil); cb.Status != http.StatusSeeOther {
		t.Fatalf("callback = %d: %s", cb.Status, cb.Body)
	}
	p := do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	mustContain(t, p, "Bank account for payouts", "Payment fees account")
	if !strings.Contains(p.Body, "<dd>35 <span class=\"hint\">(default)</span></dd>") || !strings.Contains(p.Body, "<dd>80</dd>") {
		t.Errorf("the Ledger page does not show bank 35 (default) and fees 80:\n%s", p.Body)
	}
	mapped := false
	for _, e := range c.events(t) {
		if strings.Contains(e, `"fees_account":"80"`) && !strings.Contains(e, `"bank_account"`) {
			mapped = true
		}
	}
	if !mapped {
		t.Error("no LedgerConnected records fees account 80 without a bank account")
	}
	again := do(t, owner, http.MethodGet, c.url+"/ledger/connect/qbo", nil)
	if !strings.Contains(again.Body, `value="80"`) {
		t.Error("connecting again does not prefill the fees account")
	}
}
