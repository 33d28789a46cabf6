package client

import (
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"remit/domain"
)

// Field length limits, generous enough for real names and addresses while
// keeping one client's events small.
const (
	maxName       = 200
	maxEmail      = 254
	maxPhone      = 30
	maxRole       = 100
	maxTaxNumber  = 50
	maxReason     = 500
	maxGateway    = 40
	maxToken      = 255
	maxBrand      = 30
	maxAccount    = 40
	maxMandate    = 100
	maxTermsDays  = 365
	minExpiryYear = 2000
	maxExpiryYear = 2100
)

func normalizeContact(c Contact) Contact {
	c.Name = strings.TrimSpace(c.Name)
	c.Email = strings.TrimSpace(c.Email)
	c.Phone = strings.TrimSpace(c.Phone)
	c.Role = strings.TrimSpace(c.Role)
	return c
}

func normalizeMethod(m PaymentMethodDetails) PaymentMethodDetails {
	m.Gateway = strings.TrimSpace(m.Gateway)
	m.GatewayToken = strings.TrimSpace(m.GatewayToken)
	m.GatewayCustomer = strings.TrimSpace(m.GatewayCustomer)
	m.Brand = strings.ToLower(strings.TrimSpace(m.Brand))
	m.Last4 = strings.TrimSpace(m.Last4)
	m.MaskedAccount = strings.TrimSpace(m.MaskedAccount)
	m.MandateReference = strings.TrimSpace(m.MandateReference)
	return m
}

// details is what CreateClient and ChangeClientDetails have in common.
type details struct {
	Name             string
	Kind             Kind
	Address          domain.Address
	TaxNumber        string
	Currency         domain.Currency
	PaymentTermsDays *int
}

func (d details) normalize() details {
	d.Name = strings.TrimSpace(d.Name)
	d.Address = d.Address.Normalized()
	d.TaxNumber = strings.TrimSpace(d.TaxNumber)
	return d
}

func (d details) equal(s State) bool {
	return d.Name == s.Name && d.Kind == s.Kind && d.Address == s.Address &&
		d.TaxNumber == s.TaxNumber && d.Currency == s.Currency &&
		equalTerms(d.PaymentTermsDays, s.PaymentTermsDays)
}

func equalTerms(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (d details) validate(p *domain.Problems) {
	switch {
	case d.Name == "":
		p.Add("name", "enter the client's name")
	case len(d.Name) > maxName:
		p.Add("name", "the name is too long (at most %d characters)", maxName)
	}
	if d.Kind != KindIndividual && d.Kind != KindBusiness {
		p.Add("kind", "choose whether the client is an individual or a business")
	}
	p.Merge(d.Address.Validate("address"))
	if len(d.TaxNumber) > maxTaxNumber {
		p.Add("tax_number", "the tax number is too long (at most %d characters)", maxTaxNumber)
	}
	if d.Currency.IsZero() {
		p.Add("currency", "choose the client's currency")
	} else if c, err := domain.ParseCurrency(d.Currency.Code); err != nil || c != d.Currency {
		p.Add("currency", "%q is not a currency Remit knows", d.Currency.Code)
	}
	if d.PaymentTermsDays != nil && (*d.PaymentTermsDays < 0 || *d.PaymentTermsDays > maxTermsDays) {
		p.Add("payment_terms_days", "payment terms must be between 0 and %d days", maxTermsDays)
	}
}

// validateContact checks one contact; the primary billing contact needs an
// email address because invoices are sent to it.
func validateContact(p *domain.Problems, prefix string, c Contact, primary bool) {
	if c.ID == uuid.Nil {
		p.Add(prefix+".id", "a contact needs an id")
	}
	switch {
	case c.Name == "":
		p.Add(prefix+".name", "enter the contact's name")
	case len(c.Name) > maxName:
		p.Add(prefix+".name", "the name is too long (at most %d characters)", maxName)
	}
	switch {
	case c.Email == "" && primary:
		p.Add(prefix+".email", "the primary billing contact needs an email address to receive invoices")
	case c.Email != "" && !isEmail(c.Email):
		p.Add(prefix+".email", "%q is not an email address (it should look like name@example.com)", c.Email)
	}
	if c.Phone != "" && !isPhone(c.Phone) {
		p.Add(prefix+".phone", "%q is not a phone number (digits, spaces and + - ( ) only)", c.Phone)
	}
	if len(c.Role) > maxRole {
		p.Add(prefix+".role", "the role is too long (at most %d characters)", maxRole)
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
	at := strings.LastIndexByte(s, '@')
	host := s[at+1:]
	return at > 0 && strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".")
}

func isPhone(s string) bool {
	if len(s) > maxPhone {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '+' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return false
		}
	}
	return digits >= 3
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// validateMethod checks a payment method's details, as at now (a card that has
// already expired is refused).
func validateMethod(p *domain.Problems, prefix string, m PaymentMethodDetails, now time.Time) {
	switch {
	case m.Gateway == "":
		p.Add(prefix+".gateway", "name the payment gateway that holds this payment method")
	case len(m.Gateway) > maxGateway:
		p.Add(prefix+".gateway", "the gateway name is too long (at most %d characters)", maxGateway)
	}
	switch {
	case m.GatewayToken == "":
		p.Add(prefix+".gateway_token", "the gateway's token for this payment method is missing")
	case len(m.GatewayToken) > maxToken || strings.ContainsFunc(m.GatewayToken, unicode.IsSpace):
		p.Add(prefix+".gateway_token", "the gateway token is not valid (at most %d characters, no spaces)", maxToken)
	}
	if len(m.GatewayCustomer) > maxToken || strings.ContainsFunc(m.GatewayCustomer, unicode.IsSpace) {
		p.Add(prefix+".gateway_customer", "the gateway customer is not valid (at most %d characters, no spaces)", maxToken)
	}
	refuseCardNumber(p, prefix+".gateway", m.Gateway)
	refuseCardNumber(p, prefix+".gateway_token", m.GatewayToken)
	refuseCardNumber(p, prefix+".gateway_customer", m.GatewayCustomer)
	switch m.Kind {
	case MethodCard:
		validateCard(p, prefix, m, now)
	case MethodBankDebit:
		validateBankDebit(p, prefix, m)
	default:
		p.Add(prefix+".kind", "choose a card or a bank debit account")
	}
}

func validateCard(p *domain.Problems, prefix string, m PaymentMethodDetails, now time.Time) {
	switch {
	case m.Brand == "":
		p.Add(prefix+".brand", "enter the card's brand (for example visa or mastercard)")
	case len(m.Brand) > maxBrand:
		p.Add(prefix+".brand", "the card brand is too long (at most %d characters)", maxBrand)
	default:
		refuseCardNumber(p, prefix+".brand", m.Brand)
	}
	switch {
	case len(m.Last4) > 4 && looksLikeCardNumber(m.Last4):
		p.Add(prefix+".last4", "never enter a full card number: only the last 4 digits are stored")
	case len(m.Last4) != 4 || !isDigits(m.Last4):
		p.Add(prefix+".last4", "enter exactly the last 4 digits of the card")
	}
	monthOK := m.ExpiryMonth >= 1 && m.ExpiryMonth <= 12
	yearOK := m.ExpiryYear >= minExpiryYear && m.ExpiryYear <= maxExpiryYear
	if !monthOK {
		p.Add(prefix+".expiry_month", "the expiry month must be between 1 and 12")
	}
	if !yearOK {
		p.Add(prefix+".expiry_year", "enter the expiry year with four digits (for example 2028)")
	}
	if monthOK && yearOK {
		// Checked in UTC: at a month boundary a card may be accepted a few
		// hours late, and is then marked expired by the daily job.
		now = now.UTC()
		if m.ExpiryYear < now.Year() || (m.ExpiryYear == now.Year() && time.Month(m.ExpiryMonth) < now.Month()) {
			p.Add(prefix+".expiry_year", "this card expired in %02d/%d", m.ExpiryMonth, m.ExpiryYear)
		}
	}
	if m.Scheme != "" || m.MaskedAccount != "" || m.MandateReference != "" {
		p.Add(prefix+".kind", "a card has no debit scheme, account or mandate")
	}
}

func validateBankDebit(p *domain.Problems, prefix string, m PaymentMethodDetails) {
	if !isScheme(m.Scheme) {
		p.Add(prefix+".scheme", "choose the debit scheme: au_becs, nz_becs, ach, bacs, sepa or pad")
	}
	switch {
	case m.MaskedAccount == "":
		p.Add(prefix+".masked_account", "enter the masked account number (for example ****1234)")
	case len(m.MaskedAccount) > maxAccount:
		p.Add(prefix+".masked_account", "the masked account number is too long (at most %d characters)", maxAccount)
	case looksLikeCardNumber(m.MaskedAccount):
		p.Add(prefix+".masked_account", "this looks like a card number: never enter a full card number")
	case !strings.ContainsAny(m.MaskedAccount, "*•xX"):
		p.Add(prefix+".masked_account", "mask the account number (for example ****1234): the full number is never stored")
	}
	switch {
	case m.MandateReference == "":
		p.Add(prefix+".mandate_reference", "enter the debit mandate reference")
	case len(m.MandateReference) > maxMandate:
		p.Add(prefix+".mandate_reference", "the mandate reference is too long (at most %d characters)", maxMandate)
	}
	if m.Brand != "" || m.Last4 != "" || m.ExpiryMonth != 0 || m.ExpiryYear != 0 {
		p.Add(prefix+".kind", "a bank debit account has no card brand, last 4 digits or expiry")
	}
}

func isScheme(s DebitScheme) bool {
	for _, k := range DebitSchemes() {
		if s == k {
			return true
		}
	}
	return false
}

func refuseCardNumber(p *domain.Problems, field, s string) {
	if looksLikeCardNumber(s) {
		p.Add(field, "this looks like a card number: never enter a full card number")
	}
}

// looksLikeCardNumber is domain.ContainsCardNumber: the one card-number
// check of every command's text, here with a message for the field at hand.
func looksLikeCardNumber(s string) bool { return domain.ContainsCardNumber(s) }
