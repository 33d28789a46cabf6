package pdf_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/formats/pdf"
	"remit/projections"
)

// TestInvoiceShowsPaymentsCreditsAndWaiversApart: an invoice of 1,622.50
// paid 600.00 by bank transfer, credited 200.00 and the rest written off
// shows each on its own row (a credit or a waiver is never "Paid") and asks
// for nothing more.
func TestInvoiceShowsPaymentsCreditsAndWaiversApart(t *testing.T) {
	e, f, c := sample(t)
	st := invoice.Fold([]domain.Event{e})
	for _, cmd := range []invoice.Command{
		invoice.RecordOfflinePayment{PaymentID: uuid.New(), Method: invoice.PaidByBankTransfer, Amount: domain.NewMoney(decidertest.Dec("600"), aud), Date: e.IssueDate, Now: e.At},
		invoice.IssueCreditNote{CreditNoteID: uuid.New(), Amount: domain.NewMoney(decidertest.Dec("200"), aud), Reason: "Goodwill", Now: e.At},
		invoice.WriteOff{Reason: "Agreed at the review", Now: e.At},
	} {
		events, err := invoice.Decide(st, cmd)
		if err != nil {
			t.Fatalf("%T: %v", cmd, err)
		}
		for _, ev := range events {
			st = invoice.Evolve(st, ev)
		}
	}
	text := Text(t, pdf.FromDetail(detailOf(st), f, c))
	for label, amount := range map[string]string{"Paid": "600.00", "Credited": "200.00", "Waived": "822.50", "Amount due": "0.00"} {
		if !regexp.MustCompile(`(?m)^\s*` + label + `\s+` + regexp.QuoteMeta(amount) + ` AUD\s*$`).MatchString(text) {
			t.Errorf("the PDF has no row %q of %s AUD:\n%s", label, amount, text)
		}
	}
	shows(t, "a settled invoice's PDF", text, "Nothing is left to pay on this invoice.")
	if strings.Contains(text, "please pay") {
		t.Errorf("a settled invoice's PDF still asks to be paid:\n%s", text)
	}
	if n := strings.Count(text, "Paid"); n != 1 {
		t.Errorf("the PDF says Paid %d times, want once (the payment's row):\n%s", n, text)
	}
}

// TestVoidInvoicePDFAsksForNothing: a void invoice's PDF is titled so and
// says nothing is to be paid, rather than how to pay.
func TestVoidInvoicePDFAsksForNothing(t *testing.T) {
	e, f, c := sample(t)
	st := invoice.Fold([]domain.Event{e})
	st.Status = invoice.StatusVoid
	text := Text(t, pdf.FromDetail(detailOf(st), f, c))
	shows(t, "a void invoice's PDF", text, "VOID INVOICE")
	shows(t, "a void invoice's PDF", text, "This invoice is void: nothing is to be paid.")
	if strings.Contains(text, "please pay") {
		t.Errorf("a void invoice's PDF asks to be paid:\n%s", text)
	}
}

// detailOf is the invoice's read model as the projections build it from
// st, with what the PDF shows.
func detailOf(st invoice.State) projections.InvoiceDetail {
	return projections.InvoiceDetail{
		InvoiceListItem: projections.InvoiceListItem{ID: st.ID, ClientID: st.ClientID, Number: st.Number, IssueDate: st.IssueDate, DueDate: st.DueDate,
			Status: st.Status, Total: st.Totals.Gross, Balance: st.Balance()},
		StoredStatus: st.Status, TaxMode: st.TaxMode, Lines: st.Lines, Totals: st.Totals,
		Paid: st.Paid, Credited: st.Credited, WrittenOff: st.WrittenOff,
	}
}

// TestTransferNamesTheFirmsAccount: an invoice nothing charges asks for a
// bank transfer to the firm's account, named as its country names the
// parts (an Australian BSB; an IBAN elsewhere), not to nowhere.
func TestTransferNamesTheFirmsAccount(t *testing.T) {
	e, f, c := sample(t)
	st := invoice.Fold([]domain.Event{e})
	if text := Text(t, pdf.FromDetail(detailOf(st), f, c)); !strings.Contains(text, "please pay by bank transfer, quoting") {
		t.Errorf("without an account the PDF should only ask for a transfer:\n%s", text)
	}
	f.Address.Country = "AU"
	f.BankAccount = firm.BankAccount{Name: "Harbour Accounting Pty Ltd", BranchCode: "062-000", Number: "1234 5678"}
	text := Text(t, pdf.FromDetail(detailOf(st), f, c))
	shows(t, "the PDF of an invoice nothing charges", strings.Join(strings.Fields(text), " "),
		"please pay by bank transfer to Harbour Accounting Pty Ltd, BSB 062-000, account 1234 5678, quoting "+e.Number+" as the reference.")
	f.Address.Country = "DE"
	f.BankAccount = firm.BankAccount{Number: "DE89 3704 0044 0532 0130 00", BIC: "COBADEFFXXX"}
	if got := pdf.TransferTo(f); got != "IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX" {
		t.Errorf("an IBAN reads %q", got)
	}
}
