package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"remit/integrations/accounting/qbo/qbotest"
)

// TestConnectFormSetsDisputesAccount: the connect form offers a disputes
// account (and, for QuickBooks, the receivable account of refunds); the one
// given is recorded in the mapping, shown on the Ledger page and prefilled
// when connecting again.
func TestConnectFormSetsDisputesAccount(t *testing.T) {
	qs := qbotest.New(t, qbotest.Options{})
	c := newConnectApp(t, nil, qs)
	owner, csrf := c.browser(t, "owner@firm.example", "owner-password-1")
	blank := do(t, owner, http.MethodGet, c.url+"/ledger/connect/qbo", nil)
	mustContain(t, blank, "Disputes account", "disputes are not pushed", "Accounts receivable", "empty: 84")
	form := connectForm(csrf, qs.ClientID(), qs.ClientSecret())
	form.Set("tax_types", "10=TAX\n0=NON")
	form.Set("clearing_account", "4")
	form.Set("disputes_account", "90")
	back := c.start(t, owner, "qbo", form, qs.AuthURL)
	if cb := do(t, owner, http.MethodGet, back, nil); cb.Status != http.StatusSeeOther {
		t.Fatalf("callback = %d: %s", cb.Status, cb.Body)
	}
	p := do(t, owner, http.MethodGet, c.url+"/ledger", nil)
	if !strings.Contains(p.Body, "<dt>Disputes account</dt><dd>90</dd>") || !strings.Contains(p.Body, "<dd>84 <span class=\"hint\">(default)</span></dd>") {
		t.Errorf("the Ledger page does not show disputes 90 and receivable 84 (default):\n%s", p.Body)
	}
	mapped := false
	for _, e := range c.events(t) {
		mapped = mapped || strings.Contains(e, `"disputes_account":"90"`)
	}
	if !mapped {
		t.Error("no LedgerConnected records disputes account 90")
	}
	again := do(t, owner, http.MethodGet, c.url+"/ledger/connect/qbo", nil)
	if !strings.Contains(again.Body, `value="90"`) {
		t.Error("connecting again does not prefill the disputes account")
	}
}
