package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
)

// cardVariants are the ways a card number was seen to slip past a check of
// raw bytes: every one must be caught on the decoded value.
var cardVariants = []string{
	"4242424242424242",
	"4242 4242 4242 4242",
	"4242-4242-4242-4242",
	"4242.4242.4242.4242",
	"4242/4242/4242/4242",
	"4242\t4242\t4242\t4242",
	"4242  4242  4242  4242",
	"4242 - 4242 / 4242 . 4242",
	"visa4242424242424242",
	"card:4242424242424242exp",
	"4242424242424242.50",
	"4242 4242 4242 4242 12/28",
	"amex 378282246310005 exp",
	"5555555555554444",
	"tok_4111111111111111",
	"４２４２４２４２４２４２４２４２", // full-width digits
}

func TestContainsCardNumber(t *testing.T) {
	for _, s := range cardVariants {
		if !domain.ContainsCardNumber(s) {
			t.Errorf("ContainsCardNumber(%q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"4111111111111112",                                              // fails Luhn
		"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",                          // an id
		"invoice 41111111-1111-1111-1111-111111111111 was never issued", // an id whose digit groups pass as a card
		"+61 2 9000 0000",                                               // a phone number
		"51 824 753 556",                                                // an ABN
		"1111111111111111",                                              // no network starts with 1
		"2026-03-02T09:00:00Z",
		"pm_card_visa",
		"INV-001018",
		"Monthly bookkeeping — February 2026, 3 hours at 150",
	} {
		if domain.ContainsCardNumber(s) {
			t.Errorf("ContainsCardNumber(%q) = true, want false", s)
		}
	}
}

type textLine struct {
	Description string
	Reference   string
}

type textCommand struct {
	Name      string
	Reason    string
	ID        uuid.UUID
	Lines     []textLine
	Recipient *string
}

func TestCheckText(t *testing.T) {
	recipient := "ana@example.com\r\nBcc: x@example.com"
	tests := []struct {
		name  string
		cmd   textCommand
		field string // "" for OK
	}{
		{name: "OK", cmd: textCommand{Name: "Harbour Cafe", Reason: "Client asked:\nplease stop", Lines: []textLine{{Description: "Bookkeeping\n\tMarch", Reference: "PO 1234"}}}},
		{name: "ErrCardInName", cmd: textCommand{Name: "visa4242424242424242"}, field: "name"},
		{name: "ErrCardInNestedDescription", cmd: textCommand{Lines: []textLine{{}, {Description: "4242.4242.4242.4242"}}}, field: "lines[1].description"},
		{name: "ErrLineBreakInName", cmd: textCommand{Name: "Harbour\nCafe"}, field: "name"},
		{name: "ErrTabInReference", cmd: textCommand{Lines: []textLine{{Reference: "PO\t1"}}}, field: "lines[0].reference"},
		{name: "ErrCRLFInPointer", cmd: textCommand{Recipient: &recipient}, field: "recipient"},
		{name: "ErrNULInReason", cmd: textCommand{Reason: "a\x00b"}, field: "reason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := domain.CheckText(tc.cmd)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("code %s", domain.ErrorCode(err))
			}
		})
	}
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"12.50", "-3", "0.125", "1000000000", "007"} {
		if _, err := domain.ParseDecimal("quantity", s); err != nil {
			t.Errorf("ParseDecimal(%q): %v", s, err)
		}
	}
	for _, s := range []string{"1e100000", "1E5", "1e10000000", "12.5.0", "", " 1", "+1", "0x10", "1_000", "5.", strings.Repeat("9", 41), "NaN", "Infinity"} {
		_, err := domain.ParseDecimal("quantity", s)
		var e *domain.Error
		if !errors.As(err, &e) || e.Field != "quantity" {
			t.Errorf("ParseDecimal(%q) = %v, want an error at quantity", s, err)
		}
	}
}

func TestLimits(t *testing.T) {
	aud, jpy := domain.MustCurrency("AUD"), domain.MustCurrency("JPY")
	tests := []struct {
		name  string
		check func(*domain.Problems) bool
		want  string // "" for OK, else a part of the message
	}{
		{"OKQuantity", func(p *domain.Problems) bool {
			return domain.CheckQuantity(p, "q", MustDecimal(t, "1000000000.000000"))
		}, ""},
		{"OKQuantityTrailingZeros", func(p *domain.Problems) bool { return domain.CheckQuantity(p, "q", MustDecimal(t, "1.500000000")) }, ""},
		{"ErrQuantityTooBig", func(p *domain.Problems) bool {
			return domain.CheckQuantity(p, "q", MustDecimal(t, "1000000000.000001"))
		}, "at most 1,000,000,000"},
		{"ErrQuantityExponent", func(p *domain.Problems) bool { return domain.CheckQuantity(p, "q", MustDecimal(t, "1e10000000")) }, "at most 1,000,000,000"},
		{"ErrQuantityDecimals", func(p *domain.Problems) bool { return domain.CheckQuantity(p, "q", MustDecimal(t, "0.1234567")) }, "at most 6 decimals"},
		{"ErrQuantityTiny", func(p *domain.Problems) bool { return domain.CheckQuantity(p, "q", MustDecimal(t, "1e-10000000")) }, "at most"},
		{"OKPrice", func(p *domain.Problems) bool {
			return domain.CheckUnitPrice(p, "u", MustDecimal(t, "1000000000000.00"), aud)
		}, ""},
		{"ErrPriceTooBig", func(p *domain.Problems) bool {
			return domain.CheckUnitPrice(p, "u", MustDecimal(t, "1000000000000.01"), aud)
		}, "at most 1,000,000,000,000"},
		{"ErrPriceDecimals", func(p *domain.Problems) bool { return domain.CheckUnitPrice(p, "u", MustDecimal(t, "10.12345"), aud) }, "at most 2 decimals (AUD has 2)"},
		{"ErrYenDecimals", func(p *domain.Problems) bool { return domain.CheckUnitPrice(p, "u", MustDecimal(t, "100.5"), jpy) }, "whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p domain.Problems
			ok := tc.check(&p)
			switch {
			case tc.want == "" && (!ok || len(p) > 0):
				t.Fatalf("refused: %v", p.Err())
			case tc.want != "" && (ok || len(p) != 1 || !strings.Contains(p[0].Message, tc.want)):
				t.Fatalf("got %v (ok %v), want a problem saying %q", p.Err(), ok, tc.want)
			}
		})
	}
}

func TestComputeLineRefusesHugeInputsFast(t *testing.T) {
	// "1e10000000" once took 45 s and 400 MB; it is refused before any
	// arithmetic.
	_, err := domain.ComputeLine(domain.MustCurrency("AUD"), domain.TaxExclusive, domain.LineInput{
		Quantity: MustDecimal(t, "1e10000000"), UnitPrice: MustDecimal(t, "1"), TaxRate: MustDecimal(t, "10"),
	})
	var e *domain.Error
	if !errors.As(err, &e) || e.Field != "quantity" {
		t.Fatalf("got %v, want a problem with the quantity", err)
	}
}

func TestCheckTextLeavesIdentifiersAlone(t *testing.T) {
	// A QuickBooks realm id is a long number that may pass the Luhn check.
	type connect struct{ TenantID, Name string }
	if err := domain.CheckText(connect{TenantID: "4242424242424242", Name: "QBO"}); err != nil {
		t.Fatalf("an external id was refused: %v", err)
	}
	if err := domain.CheckText(connect{TenantID: "realm\n1"}); err == nil {
		t.Fatal("a line break in an id was accepted")
	}
}

// TestCheckTextLeavesGatewayReferencesAlone: a charge id the gateway made
// can hold 13 or more digits in a row that pass the Luhn check; refusing it
// would leave a payment taken and not recorded. The same digits typed in a
// payment's own reference are refused.
func TestCheckTextLeavesGatewayReferencesAlone(t *testing.T) {
	type attempt struct{ GatewayReference, Reference string }
	if err := domain.CheckText(attempt{GatewayReference: "ch_sandbox_a4242424242424242f"}); err != nil {
		t.Fatalf("a gateway's charge id was refused: %v", err)
	}
	if err := domain.CheckText(attempt{Reference: "paid with 4242424242424242"}); err == nil {
		t.Fatal("a card number in a typed reference was accepted")
	}
}
