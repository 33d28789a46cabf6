package firm

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// DefaultInvoicePrefix is the invoice number prefix a firm is set up with
// unless told otherwise.
const DefaultInvoicePrefix = "INV-"

// DefaultRetryAfterDays is the default rejected-payment retry policy: retry
// 3, 5 and 7 days after the first rejection. It is a function so that no
// caller can change a shared slice.
func DefaultRetryAfterDays() []int { return []int{3, 5, 7} }

// Limits on settings, so that typing slips are caught early.
const (
	MaxDays        = 365 // payment terms, collection delays and retry offsets
	MaxRetries     = 10
	maxNameLength  = 200
	maxTaxNumber   = 50
	maxPrefix      = 12
	maxTimeZone    = 64
	maxLogoLength  = 2048
	maxRateNameLen = 50
)

var hundred = decimal.NewFromInt(100)

func checkName(p *domain.Problems, field, name string, max int) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		p.Add(field, "give a name")
	case n > max:
		p.Add(field, "the name is too long (at most %d characters)", max)
	}
}

func checkTaxNumber(p *domain.Problems, tn string) {
	if utf8.RuneCountInString(tn) > maxTaxNumber {
		p.Add("tax_number", "the tax number is too long (at most %d characters)", maxTaxNumber)
	}
}

// checkTimeZone checks the form of an IANA time zone name ("Area/Location",
// "UTC", "Etc/GMT+10") only. Whether the zone exists is for the caller to
// check with time.LoadLocation: that reads the zone database from files, which
// the domain never does.
func checkTimeZone(p *domain.Problems, tz string) {
	if tz == "" {
		p.Add("time_zone", "give the firm's time zone, such as Australia/Sydney")
		return
	}
	ok := len(tz) <= maxTimeZone && tz != "Local"
	for part := range strings.SplitSeq(tz, "/") {
		if part == "" || part == "." || part == ".." || !unicode.IsLetter(rune(part[0])) {
			ok = false
			break
		}
		for _, r := range part {
			if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_+-", r))) {
				ok = false
			}
		}
	}
	if !ok {
		p.Add("time_zone", "%q is not a time zone name (use an IANA name such as Australia/Sydney or UTC)", tz)
	}
}

func checkCurrency(p *domain.Problems, code string) domain.Currency {
	if strings.TrimSpace(code) == "" {
		p.Add("base_currency", "give the firm's base currency, such as AUD")
		return domain.Currency{}
	}
	c, err := domain.ParseCurrency(code)
	if err != nil {
		p.Add("base_currency", "%q is not a currency Remit knows (use an ISO 4217 code such as AUD, USD or EUR)", code)
	}
	return c
}

// checkPrefix allows letters, digits and the separators - / _ . # so that an
// invoice number reads well in an email subject and a file name alike.
func checkPrefix(p *domain.Problems, prefix string) {
	if len(prefix) > maxPrefix {
		p.Add("invoice_prefix", "the invoice number prefix is too long (at most %d characters)", maxPrefix)
		return
	}
	for _, r := range prefix {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-/_.#", r))) {
			p.Add("invoice_prefix", "the invoice number prefix may hold only letters, digits and - / _ . #")
			return
		}
	}
}

func checkDays(p *domain.Problems, field string, days int) {
	if days < 0 || days > MaxDays {
		p.Add(field, "give a number of days from 0 to %d", MaxDays)
	}
}

func checkTaxMode(p *domain.Problems, mode domain.TaxMode) {
	if mode != domain.TaxExclusive && mode != domain.TaxInclusive {
		p.Add("tax_mode", "tax mode must be \"exclusive\" or \"inclusive\"")
	}
}

func checkRetryPolicy(p *domain.Problems, days []int) {
	if len(days) > MaxRetries {
		p.Add("retry_after_days", "at most %d automatic retries", MaxRetries)
		return
	}
	for i, d := range days {
		switch {
		case d < 1 || d > MaxDays:
			p.Add("retry_after_days", "each retry is 1 to %d days after the first rejection", MaxDays)
			return
		case i > 0 && d <= days[i-1]:
			p.Add("retry_after_days", "retry days must increase (for example 3, 5, 7)")
			return
		}
	}
}

// checkLogo accepts a reference to the logo, never its bytes: an absolute
// http(s) URL or a content hash "sha256:<64 hex digits>" of a stored file.
func checkLogo(p *domain.Problems, logo string) {
	if logo == "" {
		return
	}
	if hash, ok := strings.CutPrefix(logo, "sha256:"); ok {
		if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
			p.Add("logo", "a logo hash is \"sha256:\" and 64 lower-case hex digits")
		}
		return
	}
	u, err := url.Parse(logo)
	if len(logo) > maxLogoLength || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		strings.ContainsFunc(logo, unicode.IsSpace) {
		p.Add("logo", "the logo must be an http(s) URL or a sha256 content hash")
	}
}

func checkRate(p *domain.Problems, name string, rate decimal.Decimal) {
	checkName(p, "name", name, maxRateNameLen)
	if rate.IsNegative() || rate.GreaterThan(hundred) {
		p.Add("rate", "a tax rate is a percentage from 0 to 100")
	}
}

// sameInts reports whether two retry policies are the same, nil and empty
// alike.
func sameInts(a, b []int) bool { return slices.Equal(a, b) }
