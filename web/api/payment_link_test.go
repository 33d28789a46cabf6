package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/web/api"
	"remit/web/auth"
)

// TestInvoicePaymentLink: POST /api/invoices/{id}/payment-link answers a
// signed /c/i/ link for that invoice and client, valid 30 days, that only
// the pay-invoice purpose accepts; an invoice with nothing owed gets 409;
// a server without a link key answers 404.
func TestInvoicePaymentLink(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	acme := a.mustCreateClient("Acme")
	inv := a.mustInstantBill(acme)
	if r := a.do("POST", "/api/invoices/"+inv+"/payment-link", nil); r.Status != http.StatusNotFound {
		t.Errorf("without a link key: %d, want 404", r.Status)
	}

	signer, err := auth.NewLinkSigner(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(api.Config{Addr: "127.0.0.1:0", Store: a.gate, Billing: a.svc, Models: a.models, Runner: a.runner,
		Now: func() time.Time { return now }, Links: signer})
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	post := func(id string) (int, map[string]any) {
		resp, err := http.Post(srv.URL()+"/api/invoices/"+id+"/payment-link", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return resp.StatusCode, m
	}
	status, body := post(inv)
	if status != http.StatusOK {
		t.Fatalf("payment link: %d %v", status, body)
	}
	u := body["url"].(string)
	token, ok := strings.CutPrefix(u, srv.URL()+"/c/i/")
	if !ok {
		t.Fatalf("url %q is not a /c/i/ link on the server", u)
	}
	l, err := signer.Verify(token, auth.PurposePayInvoice, now)
	if err != nil || l.Resource.String() != inv || l.ClientID.String() != acme {
		t.Errorf("the link is %+v, %v; want invoice %s of client %s", l, err, inv, acme)
	}
	if _, err := signer.Verify(token, auth.PurposePaymentMethod, now); err == nil {
		t.Error("a pay-now link must be refused for another purpose")
	}
	if exp, _ := time.Parse(time.RFC3339, body["expires_at"].(string)); !exp.Equal(now.Add(30 * 24 * time.Hour)) {
		t.Errorf("expires_at %v, want 30 days from now", body["expires_at"])
	}

	a.must(http.StatusOK, "POST", "/api/invoices/"+inv+"/void", map[string]any{"reason": "sent in error"})
	if status, body := post(inv); status != http.StatusConflict {
		t.Errorf("a void invoice: %d %v, want 409", status, body)
	}
	if status, _ := post(uuid.NewString()); status != http.StatusNotFound {
		t.Errorf("an unknown invoice: %d, want 404", status)
	}
}
