package ui_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestPriceIncreaseClientPicker: on the Price increases form staff search
// clients ("ac"), tick Acme among those found, search again (Acme stays
// ticked), and preview: the dry run names only Acme's service and says
// "Only these clients: Acme", combined with the other choices; nothing is
// written. An id that is not a client's answers beside the picker.
func TestPriceIncreaseClientPicker(t *testing.T) {
	a := newApp(t)
	acme := a.mustClient("Acme")
	a.mustClient("Acorn")
	beta := a.mustClient("Beta")
	a.mustService(acme, "Bookkeeping", "100", date("2025-04-01"), true)
	a.mustService(beta, "Payroll", "50", date("2025-04-01"), true)
	head := a.head()
	base := url.Values{"increase_kind": {"percent"}, "increase_value": {"10"}, "rounding": {"cent"}, "effective_from": {"2025-05-01"},
		"notice_days": {"14"}, "approved_by": {"Olivia"}, "client_status": {"active"}}
	with := func(extra url.Values) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	found := a.post("/price-increases", with(url.Values{"action": {"find"}, "client_q": {"ac"}}))
	mustContain(t, found, `value="`+acme.String()+`"`, "Acorn")
	if strings.Contains(found.Body, `value="`+beta.String()+`"`) || strings.Contains(found.Body, `id="h-preview"`) {
		t.Errorf("searching ac lists Beta or previews")
	}
	again := a.post("/price-increases", with(url.Values{"action": {"find"}, "client_q": {"be"}, "client_id": {acme.String()}}))
	if !strings.Contains(again.Body, `value="`+acme.String()+`" checked`) || !strings.Contains(again.Body, `value="`+beta.String()+`"`) {
		t.Errorf("after a second search Acme is not still ticked, or Beta not found")
	}
	p := a.post("/price-increases", with(url.Values{"action": {"preview"}, "client_id": {acme.String()}}))
	mustContain(t, p, "Preview: 1 services of 1 clients", "Only these clients: <strong>Acme</strong>", "Bookkeeping")
	if strings.Contains(p.Body, ">Payroll<") {
		t.Errorf("the preview with Acme ticked lists Beta's Payroll")
	}
	bad := a.post("/price-increases", with(url.Values{"action": {"preview"}, "client_id": {"not-an-id"}}))
	mustContain(t, bad, "choose clients from the list")
	if a.head() != head {
		t.Errorf("searching and previewing appended %d events", a.head()-head)
	}
}
