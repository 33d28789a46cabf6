package journal

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// The chart of accounts, in beancount's spelling (hledger's is the same
// lower-cased). Receivable accounts of clients sit under AccountReceivable.
const (
	AccountReceivable   = "Assets:Receivable"
	AccountGateway      = "Assets:Clearing:Gateway"        // collected by the payment gateway, not yet settled to the bank
	AccountOtherPayment = "Assets:Clearing:Other-Payments" // offline payments recorded as "other": to be classified
	AccountBank         = "Assets:Bank"                    // bank transfers and cheques
	AccountCash         = "Assets:Cash"
	AccountTaxPayable   = "Liabilities:Tax-Payable"
	AccountRevenue      = "Income:Revenue"
	AccountBadDebts     = "Expenses:Bad-Debts"
	AccountPaymentFees  = "Expenses:Payment-Fees" // the gateway's fees: on charges (from payouts) and a lost dispute's fee
)

// fixedAccounts are the accounts every journal declares, in order.
var fixedAccounts = [...]string{
	AccountBank, AccountCash, AccountGateway, AccountOtherPayment,
	AccountTaxPayable, AccountRevenue, AccountBadDebts, AccountPaymentFees,
}

// idDigits is how many hex digits of a client's id its account name carries.
const idDigits = 8

// maxSlugLen bounds the name part of a client's account.
const maxSlugLen = 40

// Slug turns a client's name into an account-name component: ASCII letters
// and digits in hyphen-separated words, each capitalised ("Café Ōno & Sons"
// → "Cafe-Ono-Sons"); "" when the name has no letter or digit left.
func Slug(name string) string {
	var words []string
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent, dropped: é → e
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if w.Len() == 0 {
				r = unicode.ToUpper(r)
			}
			w.WriteRune(r)
		case r == '\'' || r == '’':
			// O'Brien → Obrien rather than O-Brien
		default:
			flush()
		}
	}
	flush()
	s := strings.Join(words, "-")
	for len(s) > maxSlugLen {
		i := strings.LastIndexByte(s[:maxSlugLen+1], '-')
		if i <= 0 {
			s = s[:maxSlugLen]
			break
		}
		s = s[:i]
	}
	return s
}

// receivableAccount names a client's receivable account; digits says how
// many hex digits of the id it carries.
func receivableAccount(name string, id uuid.UUID, digits int) string {
	hex := strings.ReplaceAll(id.String(), "-", "")[:digits]
	slug := Slug(name)
	if slug == "" {
		slug = "Client"
	}
	return AccountReceivable + ":" + slug + "-" + hex
}

// hledgerAccount is an account as the hledger journal spells it.
func hledgerAccount(a string) string { return strings.ToLower(a) }
