package einvoice_test

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore/pii"
	"remit/formats/einvoice"
)

// parsed is what the tests read back from a document.
type parsed struct {
	XMLName          xml.Name
	ID               string
	CustomizationID  string
	ProfileID        string
	BuyerReference   string
	BillingReference struct {
		ID string `xml:"InvoiceDocumentReference>ID"`
	}
	BuyerName    string `xml:"AccountingCustomerParty>Party>PartyLegalEntity>RegistrationName"`
	BuyerCountry string `xml:"AccountingCustomerParty>Party>PostalAddress>Country>IdentificationCode"`
	SellerVAT    string `xml:"AccountingSupplierParty>Party>PartyTaxScheme>CompanyID"`
	PaymentCode  string `xml:"PaymentMeans>PaymentMeansCode"`
	PayeeAccount string `xml:"PaymentMeans>PayeeFinancialAccount>ID"`
	PayeeName    string `xml:"PaymentMeans>PayeeFinancialAccount>Name"`
	PayeeBank    string `xml:"PaymentMeans>PayeeFinancialAccount>FinancialInstitutionBranch>ID"`
	TaxAmount    string `xml:"TaxTotal>TaxAmount"`
	Subtotals    []struct {
		Taxable  string `xml:"TaxableAmount"`
		Tax      string `xml:"TaxAmount"`
		Category string `xml:"TaxCategory>ID"`
		Percent  string `xml:"TaxCategory>Percent"`
	} `xml:"TaxTotal>TaxSubtotal"`
	Totals struct {
		LineExtension string `xml:"LineExtensionAmount"`
		TaxExclusive  string `xml:"TaxExclusiveAmount"`
		TaxInclusive  string `xml:"TaxInclusiveAmount"`
		Prepaid       string `xml:"PrepaidAmount"`
		Payable       string `xml:"PayableAmount"`
	} `xml:"LegalMonetaryTotal"`
	Lines []parsedLine `xml:"InvoiceLine"`
	Notes []parsedLine `xml:"CreditNoteLine"`
}

type parsedLine struct {
	Invoiced   string `xml:"InvoicedQuantity"`
	Credited   string `xml:"CreditedQuantity"`
	Net        string `xml:"LineExtensionAmount"`
	Allowances []struct {
		Amount     string `xml:"Amount"`
		Multiplier string `xml:"MultiplierFactorNumeric"`
		Base       string `xml:"BaseAmount"`
	} `xml:"AllowanceCharge"`
	Price string `xml:"Price>PriceAmount"`
}

func dec(tb testing.TB, s string) decimal.Decimal {
	tb.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		tb.Fatalf("%q is not a number: %v", s, err)
	}
	return d
}

// matrixCase is one invoice (or credit note) Remit can issue.
type matrixCase struct {
	name string
	in   einvoice.Input
	// checks beyond the sums every document must satisfy
	check func(t *testing.T, p parsed)
}

var (
	clientID = uuid.MustParse("00000000-0000-4000-8000-00000000c11e")
	cardID   = uuid.MustParse("00000000-0000-4000-8000-0000000000ca")
)

func matrix(t *testing.T) []matrixCase {
	const abn = "53 004 085 616"
	excl, incl := domain.TaxExclusive, domain.TaxInclusive
	aud := MustFirm(t, "AUD", abn, excl)
	cl := MustClient(t, clientID, cardID)
	in := func(evs []domain.Event) einvoice.Input {
		return einvoice.Input{Firm: aud, Client: cl, Invoice: invoice.Fold(evs), SellerEmail: "accounts@harbour.example"}
	}

	var cases []matrixCase
	cases = append(cases, matrixCase{name: "OneRate", in: in(MustIssue(t, "INV-000001", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Monthly bookkeeping", qty: "1", price: "450", rate: "10"},
		lineSpec{desc: "Payroll, per employee", qty: "7", price: "12.35", rate: "10"})),
		check: func(t *testing.T, p parsed) {
			if p.SellerVAT != "AU53004085616" {
				t.Errorf("seller VAT id %q", p.SellerVAT)
			}
			if p.PaymentCode != "48" {
				t.Errorf("payment means %q, want 48 (the card on file)", p.PaymentCode)
			}
			if len(p.Subtotals) != 1 || p.Subtotals[0].Category != "S" || p.Subtotals[0].Percent != "10" {
				t.Errorf("breakdown %+v", p.Subtotals)
			}
		}})

	cases = append(cases, matrixCase{name: "SeveralRatesAndZeroRated", in: in(MustIssue(t, "INV-000002", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Tax return", qty: "1", price: "880", rate: "10"},
		lineSpec{desc: "Overseas advisory", qty: "3", price: "210.10", rate: "0"},
		lineSpec{desc: "Luxury item", qty: "2", price: "19.99", rate: "15"},
		lineSpec{desc: "Second GST line", qty: "1", price: "0.05", rate: "10"})),
		check: func(t *testing.T, p parsed) {
			got := map[string]string{}
			for _, s := range p.Subtotals {
				got[s.Category+"/"+s.Percent] = s.Taxable + "+" + s.Tax
			}
			want := map[string]string{"S/10": "880.05+88.01", "Z/0": "630.30+0.00", "S/15": "39.98+6.00"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("subtotal %s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		}})

	cases = append(cases, matrixCase{name: "LineDiscounts", in: in(MustIssue(t, "INV-000003", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Quarterly BAS, 12.5% off", qty: "3", price: "33.33", discount: pct("12.5"), rate: "10"},
		lineSpec{desc: "Software seats, $7.50 off", qty: "2", price: "19.99", discount: off("7.50"), rate: "10"},
		lineSpec{desc: "Goodwill, 100% off", qty: "1", price: "75", discount: pct("100"), rate: "10"})),
		check: func(t *testing.T, p parsed) {
			if len(p.Lines[0].Allowances) != 1 || p.Lines[0].Allowances[0].Multiplier != "12.5" {
				t.Errorf("percent discount: %+v", p.Lines[0].Allowances)
			}
			if len(p.Lines[1].Allowances) != 1 || p.Lines[1].Allowances[0].Amount != "7.50" {
				t.Errorf("fixed discount: %+v", p.Lines[1].Allowances)
			}
		}})

	cases = append(cases, matrixCase{name: "TaxInclusive", in: einvoice.Input{Firm: MustFirm(t, "AUD", abn, incl), Client: cl, Invoice: invoice.Fold(MustIssue(t, "INV-000004", "AUD", incl, clientID, cardID,
		lineSpec{desc: "Workshop seats", qty: "3", price: "33.33", rate: "10"},
		lineSpec{desc: "Coaching, 15% off", qty: "2.5", price: "199.99", discount: pct("15"), rate: "10"},
		lineSpec{desc: "Books, $3.99 off", qty: "4", price: "24.95", discount: off("3.99"), rate: "15"},
		lineSpec{desc: "Export service", qty: "1", price: "100", rate: "0"}))}})

	cases = append(cases, matrixCase{name: "FractionalQuantities", in: in(MustIssue(t, "INV-000005", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Advisory hours", qty: "1.75", price: "123.45", rate: "10"},
		lineSpec{desc: "Travel, per km", qty: "0.333", price: "99.99", rate: "10"},
		lineSpec{desc: "Storage, per 100 GB", qty: "12.345678", price: "1.25", rate: "10"}))})

	multi := MustIssue(t, "INV-000006", "AUD", incl, clientID, cardID,
		lineSpec{desc: "Tax return", qty: "1", price: "999.99", rate: "10"},
		lineSpec{desc: "Overseas advisory", qty: "2", price: "150", rate: "0"},
		lineSpec{desc: "Discounted pack", qty: "3", price: "45.45", discount: pct("10"), rate: "10"})
	partial := MustApply(t, multi, invoice.IssueCreditNote{CreditNoteID: uuid.MustParse("00000000-0000-4000-8000-00000000c001"), Amount: domain.MustMoney("250.00", "AUD"), Reason: "Goodwill credit", Now: issuedAt.AddDate(0, 0, 3)})
	pin := einvoice.Input{Firm: MustFirm(t, "AUD", abn, incl), Client: cl, Invoice: invoice.Fold(partial),
		CreditNote: &einvoice.CreditNote{ID: uuid.MustParse("00000000-0000-4000-8000-00000000c001"), Number: "INV-000006-CN1", IssueDate: mustDate(t, "2026-03-05"), Amount: domain.MustMoney("250.00", "AUD"), Reason: "Goodwill credit"}}
	cases = append(cases, matrixCase{name: "CreditNotePartial", in: pin, check: func(t *testing.T, p parsed) {
		if p.XMLName.Local != "CreditNote" || p.BillingReference.ID != "INV-000006" || p.ID != "INV-000006-CN1" {
			t.Errorf("credit note %s %s against %q", p.XMLName.Local, p.ID, p.BillingReference.ID)
		}
		if p.Totals.TaxInclusive != "250.00" || p.Totals.Payable != "250.00" {
			t.Errorf("credit totals %+v, want 250.00", p.Totals)
		}
		if len(p.Notes) != 2 {
			t.Errorf("%d lines, want one per tax rate (2)", len(p.Notes))
		}
	}})

	full := MustIssue(t, "INV-000007", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Setup fee", qty: "1", price: "500", discount: off("50"), rate: "10"},
		lineSpec{desc: "Exports", qty: "2", price: "10", rate: "0"})
	fullInv := invoice.Fold(full)
	full = MustApply(t, full, invoice.IssueCreditNote{CreditNoteID: uuid.MustParse("00000000-0000-4000-8000-00000000c002"), Amount: fullInv.Totals.Gross, Reason: "Billed in error", Now: issuedAt})
	cases = append(cases, matrixCase{name: "CreditNoteFull", in: einvoice.Input{Firm: aud, Client: cl, Invoice: invoice.Fold(full),
		CreditNote: &einvoice.CreditNote{ID: uuid.MustParse("00000000-0000-4000-8000-00000000c002"), Number: "INV-000007-CN1", IssueDate: mustDate(t, "2026-03-02"), Amount: fullInv.Totals.Gross, Reason: "Billed in error"}},
		check: func(t *testing.T, p parsed) {
			if len(p.Notes) != 2 || p.Notes[0].Credited != "1" || len(p.Notes[0].Allowances) != 1 {
				t.Errorf("a full credit repeats the invoice's lines: %+v", p.Notes)
			}
		}})

	erased := cl
	erased.Name, erased.TaxNumber = pii.Erased, ""
	erased.Address = domain.Address{Country: "AU"}
	erased.Contacts = []client.Contact{{ID: cl.PrimaryContactID, Name: pii.Erased}}
	cases = append(cases, matrixCase{name: "ErasedClient", in: einvoice.Input{Firm: aud, Client: erased, Invoice: invoice.Fold(MustIssue(t, "INV-000008", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Monthly bookkeeping", qty: "1", price: "450", rate: "10"}))},
		check: func(t *testing.T, p parsed) {
			if p.BuyerName != "[erased]" || p.BuyerCountry != "AU" {
				t.Errorf("buyer %q in %q", p.BuyerName, p.BuyerCountry)
			}
		}})

	noCountry := erased
	noCountry.Address = domain.Address{}
	cases = append(cases, matrixCase{name: "ErasedClientNoCountry", in: einvoice.Input{Firm: aud, Client: noCountry, Invoice: invoice.Fold(MustIssue(t, "INV-000009", "AUD", excl, clientID, uuid.Nil,
		lineSpec{desc: "Monthly bookkeeping", qty: "1", price: "450", rate: "10"}))},
		check: func(t *testing.T, p parsed) {
			if p.BuyerCountry != "AU" || p.PaymentCode != "1" {
				t.Errorf("buyer country %q (want the firm's), payment means %q", p.BuyerCountry, p.PaymentCode)
			}
		}})

	// Nothing charges it: the client pays by transfer to the firm's account.
	banked := aud
	banked.BankAccount = firm.BankAccount{Name: "Harbour Accounting Pty Ltd", BranchCode: "062-000", Number: "1234 5678"}
	cases = append(cases, matrixCase{name: "BankTransfer", in: einvoice.Input{Firm: banked, Client: cl, Invoice: invoice.Fold(MustIssue(t, "INV-000011", "AUD", excl, clientID, uuid.Nil,
		lineSpec{desc: "Tax return", qty: "1", price: "800", rate: "10"}))},
		check: func(t *testing.T, p parsed) {
			if p.PaymentCode != "30" || p.PayeeAccount != "12345678" || p.PayeeName != "Harbour Accounting Pty Ltd" || p.PayeeBank != "062-000" {
				t.Errorf("payment means %q to %q (%q) at %q, want 30, the firm's account", p.PaymentCode, p.PayeeAccount, p.PayeeName, p.PayeeBank)
			}
		}})

	jpy := MustFirm(t, "JPY", "T1234567890123", excl)
	jpy.Address = domain.Address{Line1: "1-1 Marunouchi", City: "Tokyo", Postcode: "100-0005", Country: "JP"}
	cases = append(cases, matrixCase{name: "JPY", in: einvoice.Input{Firm: jpy, Client: cl, Invoice: invoice.Fold(MustIssue(t, "INV-000010", "JPY", excl, clientID, cardID,
		lineSpec{desc: "Consulting", qty: "3", price: "12345", rate: "10"},
		lineSpec{desc: "Reduced-rate goods", qty: "1.5", price: "999", discount: pct("5"), rate: "8"}))},
		check: func(t *testing.T, p parsed) {
			if strings.Contains(p.Totals.Payable, ".") || p.SellerVAT != "JPT1234567890123" {
				t.Errorf("yen amounts have no decimals: payable %q; seller VAT %q", p.Totals.Payable, p.SellerVAT)
			}
		}})

	notRegistered := MustFirm(t, "AUD", "", excl)
	cases = append(cases, matrixCase{name: "NotRegisteredForTax", in: einvoice.Input{Firm: notRegistered, Client: cl, SellerEmail: "hello@dogwalks.example", Invoice: invoice.Fold(MustIssue(t, "INV-000011", "AUD", excl, clientID, cardID,
		lineSpec{desc: "Dog walking", qty: "4", price: "25", rate: "0"}))},
		check: func(t *testing.T, p parsed) {
			if len(p.Subtotals) != 1 || p.Subtotals[0].Category != "O" || p.SellerVAT != "" {
				t.Errorf("category %+v, seller VAT %q", p.Subtotals, p.SellerVAT)
			}
		}})

	paid := MustIssue(t, "INV-000012", "AUD", excl, clientID, cardID, lineSpec{desc: "Monthly bookkeeping", qty: "1", price: "450", rate: "10"})
	paid = MustApply(t, paid, invoice.RecordOfflinePayment{PaymentID: uuid.MustParse("00000000-0000-4000-8000-0000000000b1"), Method: invoice.PaidByBankTransfer, Amount: domain.MustMoney("200", "AUD"), Date: mustDate(t, "2026-03-04"), Now: issuedAt})
	cases = append(cases, matrixCase{name: "PartlyPaid", in: in(paid), check: func(t *testing.T, p parsed) {
		if p.Totals.Prepaid != "200.00" || p.Totals.Payable != "295.00" {
			t.Errorf("prepaid %q payable %q, want 200.00 and 295.00", p.Totals.Prepaid, p.Totals.Payable)
		}
	}})

	// Paid by card with a 1.5 % surcharge: its own line, taxed at 10 %.
	surcharged := MustIssue(t, "INV-000014", "AUD", excl, clientID, cardID, lineSpec{desc: "Monthly bookkeeping", qty: "1", price: "450", rate: "10"})
	surcharged = MustApply(t, surcharged, invoice.RecordCollectionAttempt{AttemptID: uuid.MustParse("00000000-0000-4000-8000-0000000000c1"), Outcome: invoice.AttemptSucceeded,
		GatewayReference: "ch_sur", Amount: domain.MustMoney("503.17", "AUD"), Date: mustDate(t, "2026-03-04"), Now: issuedAt,
		Surcharge: &invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: dec(t, "1.5"), TaxRate: dec(t, "10")}})
	cases = append(cases, matrixCase{name: "CardSurcharge", in: in(surcharged), check: func(t *testing.T, p parsed) {
		if len(p.Lines) != 2 || p.Totals.Prepaid != "503.17" || p.Totals.Payable != "0.00" {
			t.Errorf("%d lines, prepaid %q payable %q; want the surcharge line, 503.17 prepaid, nothing payable", len(p.Lines), p.Totals.Prepaid, p.Totals.Payable)
		}
		if len(p.Subtotals) != 1 || p.Subtotals[0].Taxable != "457.43" || p.Subtotals[0].Tax != "45.74" {
			t.Errorf("breakdown %+v, want 457.43 taxable at 10 %%", p.Subtotals)
		}
	}})

	eur := MustFirm(t, "EUR", "DE123456789", excl)
	eur.Address = domain.Address{Line1: "Hauptstraße 1", City: "Berlin", Postcode: "10115", Country: "DE"}
	sepaID := uuid.MustParse("00000000-0000-4000-8000-0000000000d1")
	sepa := client.Evolve(cl, client.PaymentMethodAdded{ClientID: clientID, PaymentMethodID: sepaID, Method: client.PaymentMethodDetails{
		Kind: client.MethodBankDebit, Gateway: "sandbox", GatewayToken: "pm_debit_settles", Scheme: client.SchemeSEPA, MaskedAccount: "DE89 **** 3000", MandateReference: "MANDATE-42"}})
	sepa.Address.Country = "FR"
	sepa.TaxNumber = "FR12345678901"
	cases = append(cases, matrixCase{name: "EuroSEPADebit", in: einvoice.Input{Firm: eur, Client: sepa, Invoice: invoice.Fold(MustIssue(t, "RE-000013", "EUR", excl, clientID, sepaID,
		lineSpec{desc: "Beratung", qty: "8", price: "95", rate: "19"},
		lineSpec{desc: "Bücher", qty: "2", price: "24.90", rate: "7"}))},
		check: func(t *testing.T, p parsed) {
			if p.PaymentCode != "59" || p.SellerVAT != "DE123456789" {
				t.Errorf("payment means %q, seller VAT %q", p.PaymentCode, p.SellerVAT)
			}
		}})
	return cases
}

// TestUBLMatrix writes an e-invoice for each kind of invoice Remit issues,
// checks that Remit's own amounts are what it states and that its sums hold
// exactly, and then validates every document against the UBL 2.1 schemas
// (xmllint) and the EN 16931 business rules (Saxon-HE).
func TestUBLMatrix(t *testing.T) {
	dir := t.TempDir()
	var invoices, creditNotes []string
	for _, c := range matrix(t) {
		t.Run(c.name, func(t *testing.T) {
			b, err := einvoice.Marshal(c.in)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			again, _ := einvoice.Marshal(c.in)
			if string(again) != string(b) {
				t.Error("the same input gave different bytes")
			}
			file := filepath.Join(dir, c.name+".xml")
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if c.in.CreditNote != nil {
				creditNotes = append(creditNotes, file)
			} else {
				invoices = append(invoices, file)
			}
			var p parsed
			if err := xml.Unmarshal(b, &p); err != nil {
				t.Fatalf("read back: %v", err)
			}
			checkSums(t, c.in, p)
			if c.check != nil {
				c.check(t, p)
			}
		})
	}

	t.Run("Peers", func(t *testing.T) {
		xsdDir, xslt, saxon := needPeers(t)
		if len(invoices)+len(creditNotes) == 0 {
			t.Skip("no documents were written: run the whole of TestUBLMatrix")
		}
		xsdCheck(t, filepath.Join(xsdDir, "UBL-Invoice-2.1.xsd"), invoices)
		xsdCheck(t, filepath.Join(xsdDir, "UBL-CreditNote-2.1.xsd"), creditNotes)
		if t.Failed() {
			return // a schema error can crash the rules (a non-numeric amount)
		}
		// A document whose total is off by a cent must be caught, or the
		// rules would prove nothing.
		good, err := os.ReadFile(invoices[0])
		if err != nil {
			t.Fatal(err)
		}
		const tampered = "tampered.xml"
		bad := regexp.MustCompile(`(<cbc:TaxInclusiveAmount currencyID="[A-Z]+">[0-9]+\.[0-9])([0-9])`).ReplaceAllFunc(good, func(m []byte) []byte {
			last := m[len(m)-1]
			m[len(m)-1] = '0' + (last-'0'+1)%10
			return m
		})
		if err := os.WriteFile(filepath.Join(dir, tampered), bad, 0o644); err != nil {
			t.Fatal(err)
		}
		reports := en16931Check(t, saxon, xslt, dir)
		if len(reports) != len(invoices)+len(creditNotes)+1 {
			t.Errorf("%d reports for %d documents", len(reports), len(invoices)+len(creditNotes)+1)
		}
		if !slices.ContainsFunc(reports[tampered], func(a svrlAssert) bool { return a.ID == "BR-CO-15" }) {
			t.Errorf("a total off by a cent was not reported as BR-CO-15: %v", reports[tampered])
		}
		delete(reports, tampered)
		for file, asserts := range reports {
			for _, a := range asserts {
				if a.Flag == "warning" {
					t.Logf("%s: warning %s", file, describe(a))
					continue
				}
				t.Errorf("%s: failed %s", file, describe(a))
			}
		}
		t.Logf("validated %d invoices and %d credit notes against UBL 2.1 and EN 16931", len(invoices), len(creditNotes))
	})
}

// checkSums checks that the document states Remit's own rounded amounts and
// that the EN 16931 sums hold exactly (the validator allows one unit of
// slack; Remit needs none).
func checkSums(t *testing.T, in einvoice.Input, p parsed) {
	t.Helper()
	inv := in.Invoice
	lines := p.Lines
	if in.CreditNote != nil {
		lines = p.Notes
	}
	if p.CustomizationID != einvoice.CustomizationID || p.ProfileID != einvoice.ProfileID || p.BuyerReference == "" {
		t.Errorf("Peppol ids: %q %q, buyer reference %q", p.CustomizationID, p.ProfileID, p.BuyerReference)
	}
	sumNet := decimal.Zero
	unit := decimal.New(1, -inv.Currency.MinorUnits)
	for i, l := range lines {
		net := dec(t, l.Net)
		sumNet = sumNet.Add(net)
		if in.CreditNote == nil && !net.Equal(inv.Lines[i].Amounts.Net.Amount) {
			t.Errorf("line %d states %s, Remit's net amount is %s", i+1, l.Net, inv.Lines[i].Amounts.Net)
		}
		qty := l.Invoiced + l.Credited
		computed := dec(t, qty).Mul(dec(t, l.Price))
		for _, a := range l.Allowances {
			computed = computed.Sub(dec(t, a.Amount))
			if a.Multiplier != "" && dec(t, a.Base).Mul(dec(t, a.Multiplier)).Div(decimal.NewFromInt(100)).Sub(dec(t, a.Amount)).Abs().GreaterThan(unit) {
				t.Errorf("line %d: allowance %s is not %s%% of %s", i+1, a.Amount, a.Multiplier, a.Base)
			}
		}
		if computed.Sub(net).Abs().GreaterThan(unit) {
			t.Errorf("line %d: quantity × price − allowances = %s, but the line's net amount is %s", i+1, computed, net)
		}
	}
	taxable, tax := decimal.Zero, decimal.Zero
	for _, s := range p.Subtotals {
		taxable = taxable.Add(dec(t, s.Taxable))
		tax = tax.Add(dec(t, s.Tax))
	}
	m := p.Totals
	switch {
	case !dec(t, m.LineExtension).Equal(sumNet):
		t.Errorf("BR-CO-10: line extension %s, lines sum to %s", m.LineExtension, sumNet)
	case !dec(t, m.TaxExclusive).Equal(dec(t, m.LineExtension)):
		t.Errorf("BR-CO-13: tax exclusive %s ≠ line extension %s", m.TaxExclusive, m.LineExtension)
	case !taxable.Equal(sumNet):
		t.Errorf("BR-S-08: taxable amounts sum to %s, lines to %s", taxable, sumNet)
	case !dec(t, p.TaxAmount).Equal(tax):
		t.Errorf("BR-CO-14: tax total %s, breakdown sums to %s", p.TaxAmount, tax)
	case !dec(t, m.TaxInclusive).Equal(dec(t, m.TaxExclusive).Add(tax)):
		t.Errorf("BR-CO-15: tax inclusive %s ≠ %s + %s", m.TaxInclusive, m.TaxExclusive, tax)
	}
	prepaid := decimal.Zero
	if m.Prepaid != "" {
		prepaid = dec(t, m.Prepaid)
	}
	if !dec(t, m.Payable).Equal(dec(t, m.TaxInclusive).Sub(prepaid)) {
		t.Errorf("BR-CO-16: payable %s ≠ %s − %s", m.Payable, m.TaxInclusive, prepaid)
	}
	if in.CreditNote == nil {
		if !dec(t, m.TaxInclusive).Equal(inv.Totals.Gross.Amount) || !dec(t, p.TaxAmount).Equal(inv.Totals.Tax.Amount) || !dec(t, m.LineExtension).Equal(inv.Totals.Net.Amount) {
			t.Errorf("totals %+v tax %s, Remit's are %s / %s / %s", m, p.TaxAmount, inv.Totals.Net, inv.Totals.Tax, inv.Totals.Gross)
		}
	} else if !dec(t, m.TaxInclusive).Equal(in.CreditNote.Amount.Amount) {
		t.Errorf("credit note total %s, credited %s", m.TaxInclusive, in.CreditNote.Amount)
	}
}

// TestRefusals: documents EN 16931 cannot express get a clear error.
func TestRefusals(t *testing.T) {
	cl := MustClient(t, clientID, cardID)
	lines := lineSpec{desc: "Monthly bookkeeping", qty: "1", price: "450", rate: "10"}
	cases := []struct {
		name, want string
		in         einvoice.Input
	}{
		{"ErrTaxWithoutTaxNumber", "tax number", einvoice.Input{Firm: MustFirm(t, "AUD", "", domain.TaxExclusive), Client: cl,
			Invoice: invoice.Fold(MustIssue(t, "INV-1", "AUD", domain.TaxExclusive, clientID, cardID, lines))}},
		{"ErrNoSellerIdentifier", "neither", einvoice.Input{Firm: MustFirm(t, "AUD", "", domain.TaxExclusive), Client: cl,
			Invoice: invoice.Fold(MustIssue(t, "INV-5", "AUD", domain.TaxExclusive, clientID, cardID, lineSpec{desc: "Fee", qty: "1", price: "15", rate: "0"}))}},
		{"ErrThreeDecimals", "at most 2", einvoice.Input{Firm: MustFirm(t, "KWD", "KW123", domain.TaxExclusive), Client: cl,
			Invoice: invoice.Fold(MustIssue(t, "INV-2", "KWD", domain.TaxExclusive, clientID, cardID, lineSpec{desc: "Fee", qty: "1", price: "1.234", rate: "10"}))}},
		{"ErrVoid", "void", einvoice.Input{Firm: MustFirm(t, "AUD", "1", domain.TaxExclusive), Client: cl,
			Invoice: invoice.Fold(MustApply(t, MustIssue(t, "INV-3", "AUD", domain.TaxExclusive, clientID, cardID, lines), invoice.Void{Reason: "Duplicate", Now: issuedAt}))}},
		{"ErrNotIssued", "no such invoice", einvoice.Input{Firm: MustFirm(t, "AUD", "1", domain.TaxExclusive), Client: cl}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := einvoice.Marshal(c.in)
			if err == nil || b != nil {
				t.Fatalf("got a document, want an error saying %q", c.want)
			}
			var de *domain.Error
			var ve *domain.ValidationError
			if !errors.As(err, &de) && !errors.As(err, &ve) {
				t.Errorf("error %T is not a domain error: %v", err, err)
			}
			if !strings.Contains(domain.ErrorMessage(err)+err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	t.Run("KWDWithTwoDecimalsIsFine", func(t *testing.T) {
		in := einvoice.Input{Firm: MustFirm(t, "KWD", "KW123", domain.TaxExclusive), Client: cl,
			Invoice: invoice.Fold(MustIssue(t, "INV-4", "KWD", domain.TaxExclusive, clientID, cardID, lineSpec{desc: "Fee", qty: "1", price: "1.5", rate: "10"}))}
		if _, err := einvoice.Marshal(in); err != nil {
			t.Fatal(err)
		}
	})
}
