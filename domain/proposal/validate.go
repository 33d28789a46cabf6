package proposal

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Field length limits.
const (
	maxTitle       = 200
	maxName        = 200
	maxDescription = domain.MaxDescriptionLength
	maxUnit        = 30
	maxEmail       = 254
	maxReason      = 1000
	maxLetter      = 50000
	maxTerms       = 10000
	maxAccount     = 50
	maxPackages    = 3
	maxSignatories = 10
	maxEvidence    = 500 // IP and user agent, as recorded
)

var hundred = decimal.NewFromInt(100)

func normalizeLines(lines []Line) []Line {
	out := make([]Line, len(lines))
	for i, l := range lines {
		l.Name = strings.TrimSpace(l.Name)
		l.Description = strings.TrimSpace(l.Description)
		l.Unit = strings.TrimSpace(l.Unit)
		l.Terms = strings.TrimSpace(l.Terms)
		l.RevenueAccount = strings.TrimSpace(l.RevenueAccount)
		out[i] = l
	}
	return out
}

// validateContent checks what a draft is made of: title, start date and lines.
func validateContent(p *domain.Problems, currency domain.Currency, title string, start domain.Date, lines []Line) {
	switch {
	case title == "":
		p.Add("title", "give the proposal a title")
	case len(title) > maxTitle:
		p.Add("title", "the title is too long (at most %d characters)", maxTitle)
	}
	if len(lines) > domain.MaxInvoiceLines {
		p.Add("lines", "a proposal has at most %d service lines (this one has %d)", domain.MaxInvoiceLines, len(lines))
		return
	}
	seen := map[uuid.UUID]bool{}
	for i, l := range lines {
		prefix := fmt.Sprintf("lines[%d]", i)
		validateLine(p, prefix, currency, l, start)
		if l.ID != uuid.Nil && seen[l.ID] {
			p.Add(prefix+".id", "two service lines have the same id")
		}
		seen[l.ID] = true
	}
}

func validateLine(p *domain.Problems, prefix string, currency domain.Currency, l Line, start domain.Date) {
	if l.ID == uuid.Nil {
		p.Add(prefix+".id", "a service line needs an id")
	}
	switch {
	case l.Name == "":
		p.Add(prefix+".name", "name the service")
	case len(l.Name) > maxName:
		p.Add(prefix+".name", "the name is too long (at most %d characters)", maxName)
	}
	if len(l.Description) > maxDescription {
		p.Add(prefix+".description", "the description is too long (at most %d characters)", maxDescription)
	}
	if domain.CheckUnitPrice(p, prefix+".unit_price", l.UnitPrice, currency) && l.UnitPrice.IsNegative() {
		p.Add(prefix+".unit_price", "the price cannot be negative")
	}
	if domain.CheckQuantity(p, prefix+".quantity", l.Quantity) && !l.Quantity.IsPositive() {
		p.Add(prefix+".quantity", "the quantity must be more than zero")
	}
	if len(l.Unit) > maxUnit {
		p.Add(prefix+".unit", "the unit is too long (at most %d characters)", maxUnit)
	}
	// The discount is checked against quantity × price: only once both are
	// within the limits (their problems are reported above).
	var scratch domain.Problems
	if domain.CheckQuantity(&scratch, "", l.Quantity) && domain.CheckUnitPrice(&scratch, "", l.UnitPrice, currency) {
		validateDiscount(p, prefix+".discount", currency, l)
	}
	if domain.CheckPercent(p, prefix+".tax_rate", l.TaxRate) && (l.TaxRate.IsNegative() || l.TaxRate.GreaterThan(hundred)) {
		p.Add(prefix+".tax_rate", "the tax rate must be between 0 and 100 percent")
	}
	rule := l.BillingRule
	p.Merge(rule.Validate(prefix + ".billing_rule"))
	if rule.Start == domain.StartOnProposalStart && !rule.Frequency.Manual() && start.IsZero() {
		p.Add(prefix+".billing_rule.start", "this service starts on the proposal's start date, so give the proposal a start date")
	}
	if len(l.Terms) > maxTerms {
		p.Add(prefix+".terms", "the terms are too long (at most %d characters)", maxTerms)
	}
	if len(l.RevenueAccount) > maxAccount {
		p.Add(prefix+".revenue_account", "the account code is too long (at most %d characters)", maxAccount)
	}
	if l.Automatic && rule.Frequency.Manual() {
		p.Add(prefix+".automatic", "a service billed on completion or from an estimate is always billed manually")
	}
}

func validateDiscount(p *domain.Problems, field string, currency domain.Currency, l Line) {
	d := l.Discount
	switch d.Kind {
	case domain.DiscountNone:
		if !d.Value.IsZero() {
			p.Add(field+".kind", "say whether the discount is a percentage or an amount")
		}
	case domain.DiscountPercent:
		if domain.CheckPercent(p, field+".value", d.Value) && (d.Value.IsNegative() || d.Value.GreaterThan(hundred)) {
			p.Add(field+".value", "a percentage discount must be between 0 and 100")
		}
	case domain.DiscountAmount:
		switch {
		case !domain.CheckAmount(p, field+".value", d.Value, currency):
		case d.Value.IsNegative():
			p.Add(field+".value", "a discount cannot be negative")
		case d.Value.GreaterThan(l.Quantity.Mul(l.UnitPrice)) && !l.UnitPrice.IsNegative() && l.Quantity.IsPositive():
			p.Add(field+".value", "the discount cannot be more than the line's amount")
		}
	default:
		p.Add(field+".kind", "the discount must be a percentage or an amount")
	}
}

func validateCurrency(p *domain.Problems, c domain.Currency) {
	if c.IsZero() {
		p.Add("currency", "choose the proposal's currency")
	} else if known, err := domain.ParseCurrency(c.Code); err != nil || known != c {
		p.Add("currency", "%q is not a currency Remit knows", c.Code)
	}
}

// isEmail reports whether s is a bare address like name@example.com.
func isEmail(s string) bool {
	if len(s) > maxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	host := s[strings.LastIndexByte(s, '@')+1:]
	return strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".")
}

func validateEmail(p *domain.Problems, field, s, missing string) {
	switch {
	case s == "":
		p.Add(field, "%s", missing)
	case !isEmail(s):
		p.Add(field, "%q is not an email address (it should look like name@example.com)", s)
	}
}

func validateReason(reason string) error {
	if len(reason) > maxReason {
		return domain.Invalid("reason", "the reason is too long (at most %d characters)", maxReason)
	}
	return nil
}

func normalizeOffer(o Offer) Offer {
	o.Letter = strings.TrimSpace(o.Letter)
	pkgs := make([]Package, len(o.Packages))
	for i, pk := range o.Packages {
		pk.Name = strings.TrimSpace(pk.Name)
		pk.Description = strings.TrimSpace(pk.Description)
		pk.Lines = normalizeLines(pk.Lines)
		pkgs[i] = pk
	}
	o.Packages = nilIfEmpty(pkgs)
	o.AddOns = nilIfEmpty(normalizeLines(o.AddOns))
	sigs := make([]Signatory, len(o.Signatories))
	for i, g := range o.Signatories {
		g.Name = strings.TrimSpace(g.Name)
		g.Email = strings.TrimSpace(g.Email)
		sigs[i] = g
	}
	o.Signatories = nilIfEmpty(sigs)
	return o
}

// nilIfEmpty keeps an absent list absent, so events and states compare and
// encode the same as before the list existed.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// validateOffer checks the letter, packages, add-ons, signatories and expiry
// date of a draft; core are its core lines (line ids are unique across all).
func validateOffer(p *domain.Problems, currency domain.Currency, start domain.Date, core []Line, o Offer) {
	if len(o.Letter) > maxLetter {
		p.Add("letter", "the letter is too long (at most %d characters)", maxLetter)
	} else if unknown := unknownPlaceholders(o.Letter); len(unknown) > 0 {
		p.Add("letter", "the letter uses %s, which Remit does not know: use {{%s}}", strings.Join(unknown, ", "), strings.Join(Placeholders(), "}}, {{"))
	}
	seen := map[uuid.UUID]bool{}
	for _, l := range core {
		seen[l.ID] = true
	}
	lineIDs := func(prefix string, lines []Line) {
		for i, l := range lines {
			if l.ID != uuid.Nil && seen[l.ID] {
				p.Add(fmt.Sprintf("%s[%d].id", prefix, i), "two service lines have the same id")
			}
			seen[l.ID] = true
		}
	}
	switch n := len(o.Packages); {
	case n == 1:
		p.Add("packages", "offer two or three packages to choose from, or none (a single package is just lines)")
	case n > maxPackages:
		p.Add("packages", "a proposal offers at most %d packages (this one has %d)", maxPackages, n)
	}
	pkgIDs := map[uuid.UUID]bool{}
	for i, pk := range o.Packages {
		prefix := fmt.Sprintf("packages[%d]", i)
		if pk.ID == uuid.Nil {
			p.Add(prefix+".id", "a package needs an id")
		} else if pkgIDs[pk.ID] {
			p.Add(prefix+".id", "two packages have the same id")
		}
		pkgIDs[pk.ID] = true
		switch {
		case pk.Name == "":
			p.Add(prefix+".name", "name the package")
		case len(pk.Name) > maxName:
			p.Add(prefix+".name", "the name is too long (at most %d characters)", maxName)
		}
		if len(pk.Description) > maxDescription {
			p.Add(prefix+".description", "the description is too long (at most %d characters)", maxDescription)
		}
		if len(pk.Lines) == 0 {
			p.Add(prefix+".lines", "a package needs at least one service")
		}
		validateLines(p, prefix+".lines", currency, start, pk.Lines)
		lineIDs(prefix+".lines", pk.Lines)
	}
	validateLines(p, "add_ons", currency, start, o.AddOns)
	lineIDs("add_ons", o.AddOns)
	validateSignatories(p, o.Signatories)
	if !o.ExpiresOn.IsZero() && !o.Today.IsZero() && o.ExpiresOn.Before(o.Today) {
		p.Add("expires_on", "the expiry date %s is in the past", o.ExpiresOn)
	}
}

func validateLines(p *domain.Problems, prefix string, currency domain.Currency, start domain.Date, lines []Line) {
	if len(lines) > domain.MaxInvoiceLines {
		p.Add(prefix, "at most %d service lines (this one has %d)", domain.MaxInvoiceLines, len(lines))
		return
	}
	for i, l := range lines {
		validateLine(p, fmt.Sprintf("%s[%d]", prefix, i), currency, l, start)
	}
}

func validateSignatories(p *domain.Problems, sigs []Signatory) {
	if len(sigs) > maxSignatories {
		p.Add("signatories", "a proposal has at most %d signatories (this one has %d)", maxSignatories, len(sigs))
		return
	}
	ids := map[uuid.UUID]bool{}
	emails := map[string]bool{}
	for i, g := range sigs {
		prefix := fmt.Sprintf("signatories[%d]", i)
		if g.ID == uuid.Nil {
			p.Add(prefix+".id", "a signatory needs an id")
		} else if ids[g.ID] {
			p.Add(prefix+".id", "two signatories have the same id")
		}
		ids[g.ID] = true
		switch {
		case g.Name == "":
			p.Add(prefix+".name", "enter the signatory's name")
		case len(g.Name) > maxName:
			p.Add(prefix+".name", "the name is too long (at most %d characters)", maxName)
		}
		validateEmail(p, prefix+".email", g.Email, "enter the signatory's email address")
		if e := strings.ToLower(g.Email); e != "" && emails[e] {
			p.Add(prefix+".email", "%s is already a signatory", g.Email)
		}
		emails[strings.ToLower(g.Email)] = true
	}
}

// CheckTemplate checks what a proposal template holds as a draft's title,
// lines and offer would be checked (prefixing nothing: the fields are
// named as in a proposal), except that a template has no currency (prices
// may have up to domain.MaxDecimalLength decimals), no start date (lines
// may start on the proposal's start date: the proposal drafted from it
// gives one), no signatories and no expiry date. It normalizes as a draft
// does and returns the lines and offer kept.
func CheckTemplate(p *domain.Problems, title string, lines []Line, o Offer) ([]Line, Offer) {
	lines = normalizeLines(lines)
	o = normalizeOffer(Offer{Letter: o.Letter, Packages: o.Packages, AddOns: o.AddOns})
	anyStart := domain.MustDate(2000, time.January, 1)
	validateContent(p, domain.Currency{}, strings.TrimSpace(title), anyStart, lines)
	validateOffer(p, domain.Currency{}, anyStart, lines, o)
	return lines, o
}
