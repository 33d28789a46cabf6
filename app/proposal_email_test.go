package app_test

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
)

// TestProposalEmailCarriesTheAcceptanceLink runs the wired app: sending a
// proposal writes an email to the outbox whose signed link opens the
// client's acceptance page for that proposal.
func TestProposalEmailCarriesTheAcceptanceLink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	a := mustOpenApp(t, dir, now)
	meta, must := commandHelpers(t)
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	pid := must(svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: c, Title: "Monthly books", Lines: []proposal.Line{{
		Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), Automatic: true,
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever},
	}}}, meta("draft"))).ID
	must(svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "jo@acme.example"}, meta("send")))

	deadline := time.Now().Add(20 * time.Second)
	var link string
	for link == "" {
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			text, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
			if m := regexp.MustCompile(`https://billing\.example\.com(/c/p/[A-Za-z0-9_\-.]+)`).FindSubmatch(text); m != nil {
				link = string(m[1])
			}
		}
		if link == "" && time.Now().After(deadline) {
			t.Fatalf("no proposal email with an acceptance link in %s/outbox (files %v)", dir, files)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(a.URL() + link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Monthly books") || !strings.Contains(string(body), "A$759.00 a month") {
		t.Fatalf("GET the email's link = %d:\n%s", resp.StatusCode, body)
	}
}
