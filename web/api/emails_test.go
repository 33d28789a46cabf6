package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"remit/integrations/mail"
	"remit/processes/emailer"
)

// TestInvoiceJSONListsItsEmails: the invoice's JSON lists the emails about
// it, with recipient, time and delivery status, from the outbox's events.
func TestInvoiceJSONListsItsEmails(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	inv := a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{
		"client_id": clientID, "lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": "100", "tax_rate": "10"}},
	})
	ob, err := emailer.New(emailer.Config{Store: a.store, Mailer: mail.Files{Dir: t.TempDir()}, From: "accounts@ledger.example", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ob.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.runner.WaitFor(ctx, a.head()); err != nil {
		t.Fatal(err)
	}
	detail := a.must(http.StatusOK, "GET", "/api/invoices/"+str(t, inv, "id"), nil)
	emails, ok := get(t, detail, "emails").([]any)
	if !ok || len(emails) != 1 {
		t.Fatalf("emails = %v, want the issue email", detail["emails"])
	}
	for field, want := range map[string]string{"kind": "invoice_issued", "to": "alice@client.test", "status": "sent"} {
		if got := str(t, emails[0], field); got != want {
			t.Errorf("email %s = %q, want %q", field, got, want)
		}
	}
	if str(t, emails[0], "queued_at") == "" {
		t.Error("the email has no time")
	}
}
