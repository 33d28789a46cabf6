package sandbox

import (
	"strings"

	"remit/integrations/payments"
)

// A TestCard is a card number the hosted page accepts (Stripe's documented
// test cards) and what it does. A card with a PageDecline is declined on the
// page and nothing is kept; any other is kept as a method whose token
// behaves as Token when charged. In payment mode a card whose charge would
// be rejected is declined on the page, as Stripe declines it while the
// client is there.
type TestCard struct {
	Number      string
	Brand       string
	Token       string // the behaviour of the method it makes (a Token constant)
	PageDecline string // decline code shown on the page, nothing kept
	Says        string // what it does, in the page's list of test cards
}

// TestCards are the cards the hosted page accepts. Any other number is
// refused: the sandbox never takes a real card.
var TestCards = []TestCard{
	{Number: "4242424242424242", Brand: "visa", Token: TokenCardSucceeds, Says: "succeeds"},
	{Number: "5555555555554444", Brand: "mastercard", Token: TokenCardSucceeds, Says: "succeeds"},
	{Number: "378282246310005", Brand: "amex", Token: TokenCardSucceeds, Says: "succeeds"},
	{Number: "4000056655665556", Brand: "visa", Token: TokenCardSucceeds, Says: "succeeds (debit card)"},
	{Number: "4000000000000002", Brand: "visa", PageDecline: "card_declined", Says: "declined on this page"},
	{Number: "4000000000000127", Brand: "visa", PageDecline: "incorrect_cvc", Says: "declined on this page: wrong security code"},
	{Number: "4000000000000341", Brand: "visa", Token: TokenCardDeclined, Says: "saved, but every charge is declined"},
	{Number: "4000000000009995", Brand: "visa", Token: TokenCardInsufficientFunds, Says: "saved, but charges fail: insufficient funds"},
	{Number: "4000000000000259", Brand: "visa", Token: TokenCardDisputed, Says: "charges succeed, then the client's bank disputes them (the dispute is lost)"},
	{Number: "4000000000000069", Brand: "visa", Token: TokenCardExpired, Says: "saved, but charges fail: expired card"},
}

// declineMessages are the page's words for a decline code.
var declineMessages = map[string]string{
	"card_declined":      "Your card was declined.",
	"incorrect_cvc":      "Your card's security code is incorrect.",
	"insufficient_funds": "Your card has insufficient funds.",
	"expired_card":       "Your card has expired.",
	"debit_returned":     "The bank returned the debit.",
}

// A TestAccount is a bank account the hosted page accepts for a scheme
// (Stripe's documented test accounts) and what debits from it do: settle
// after Options.SettleDays, or be returned after Options.ReturnDays.
type TestAccount struct {
	Type payments.MethodType
	// Fields are the account's details by form field name, as typed
	// (separators are ignored when comparing).
	Fields   map[string]string
	Returned bool
	Says     string
}

// TestAccounts are the accounts the hosted page accepts, per scheme. Any
// other account is refused.
var TestAccounts = []TestAccount{
	{Type: payments.TypeAUBECS, Fields: map[string]string{"bsb": "000-000", "account_number": "000123456"}, Says: "settles"},
	{Type: payments.TypeAUBECS, Fields: map[string]string{"bsb": "000-000", "account_number": "900123456"}, Returned: true, Says: "returned by the bank"},
	{Type: payments.TypeUSACH, Fields: map[string]string{"routing_number": "110000000", "account_number": "000123456789"}, Says: "settles"},
	{Type: payments.TypeUSACH, Fields: map[string]string{"routing_number": "110000000", "account_number": "000111111116"}, Returned: true, Says: "returned by the bank"},
	{Type: payments.TypeBacs, Fields: map[string]string{"sort_code": "10-88-00", "account_number": "00012345"}, Says: "settles"},
	{Type: payments.TypeBacs, Fields: map[string]string{"sort_code": "10-88-00", "account_number": "90012345"}, Returned: true, Says: "returned by the bank"},
	{Type: payments.TypeSEPA, Fields: map[string]string{"iban": "DE89370400440532013000"}, Says: "settles"},
	{Type: payments.TypeSEPA, Fields: map[string]string{"iban": "AT861904300235473202"}, Returned: true, Says: "returned by the bank"},
	{Type: payments.TypeACSS, Fields: map[string]string{"transit_number": "11000", "institution_number": "000", "account_number": "000123456789"}, Says: "settles"},
	{Type: payments.TypeACSS, Fields: map[string]string{"transit_number": "11000", "institution_number": "000", "account_number": "900123456789"}, Returned: true, Says: "returned by the bank"},
	{Type: payments.TypeNZBECS, Fields: map[string]string{"account_number": "11-0000-0000000-010"}, Says: "settles"},
	{Type: payments.TypeNZBECS, Fields: map[string]string{"account_number": "11-0000-0000000-020"}, Returned: true, Says: "returned by the bank"},
}

// digits keeps the letters and digits of s, upper-cased (what the page
// compares: "000-000" is "000000", "de89 3704…" is "DE893704…").
func digits(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findCard answers the test card with this number (any spacing).
func findCard(number string) (TestCard, bool) {
	n := digits(number)
	for _, c := range TestCards {
		if c.Number == n {
			return c, true
		}
	}
	return TestCard{}, false
}

// findAccount answers the test account of a scheme with these details.
func findAccount(t payments.MethodType, fields map[string]string) (TestAccount, bool) {
next:
	for _, a := range TestAccounts {
		if a.Type != t {
			continue
		}
		for k, v := range a.Fields {
			if digits(fields[k]) != digits(v) {
				continue next
			}
		}
		return a, true
	}
	return TestAccount{}, false
}

// luhn reports whether a card number passes the Luhn check.
func luhn(n string) bool {
	if len(n) < 12 || len(n) > 19 {
		return false
	}
	sum := 0
	for i := range len(n) {
		d := int(n[len(n)-1-i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// last4 is the last four characters of s (all of it when shorter).
func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

// maskAccount is a bank account as the scheme shows it masked: the bank's
// routing part (not secret) and the account's last four.
func maskAccount(t payments.MethodType, f map[string]string) string {
	acct := "****" + last4(digits(f["account_number"]))
	switch t {
	case payments.TypeAUBECS:
		b := digits(f["bsb"])
		return b[:3] + "-" + b[3:] + " " + acct
	case payments.TypeBacs:
		s := digits(f["sort_code"])
		return s[:2] + "-" + s[2:4] + "-" + s[4:] + " " + acct
	case payments.TypeSEPA:
		iban := digits(f["iban"])
		return iban[:4] + " **** " + last4(iban)
	case payments.TypeACSS:
		return digits(f["transit_number"]) + "-" + digits(f["institution_number"]) + " " + acct
	case payments.TypeNZBECS:
		n := digits(f["account_number"])
		return n[:2] + "-" + n[2:6] + " ****" + last4(n)
	}
	return acct // US ACH: the routing number is the bank's, the account masked
}
