package einvoice

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"

	"remit/domain"
	"remit/domain/client"
)

// seller is the firm as AccountingSupplierParty.
func (b *builder) seller() party {
	f := b.in.Firm
	p := party{
		PartyName:   &name{Name: f.Name},
		Address:     postal(f.Address, b.country),
		LegalEntity: legalEntity{RegistrationName: f.Name},
	}
	if e := strings.TrimSpace(b.in.SellerEmail); e != "" {
		p.EndpointID = &identifier{Scheme: "EM", Value: e}
		p.Contact = &contactInfo{Email: e}
	}
	switch {
	case !b.noTax:
		if id := taxID(f.TaxNumber, b.country); id != "" {
			p.TaxScheme = &partyTax{CompanyID: id, TaxScheme: taxScheme{ID: "VAT"}}
		}
	case p.EndpointID != nil:
		// With no tax number the seller needs another identifier (BR-CO-26):
		// its electronic address.
		p.PartyID = &partyID{ID: p.EndpointID.Value}
	default:
		b.problems.Add("firm.tax_number", "an e-invoice identifies the seller by its tax number or its email address, and the firm has neither: set its tax number")
	}
	return p
}

// buyer is the client as AccountingCustomerParty. A client whose personal
// data was erased reads "[erased]" for its names and nothing for its address
// lines and emails: the document stays valid, with the country kept (it was
// never personal data) or the firm's.
func (b *builder) buyer() party {
	c := b.in.Client
	ctry := c.Address.Normalized().Country
	if ctry == "" {
		ctry = b.country
	}
	nm := c.Name
	if strings.TrimSpace(nm) == "" {
		nm = "[unnamed client]"
	}
	p := party{
		PartyName:   &name{Name: nm},
		Address:     postal(c.Address, ctry),
		LegalEntity: legalEntity{RegistrationName: nm},
	}
	if pc, ok := c.PrimaryContact(); ok {
		if pc.Email != "" {
			p.EndpointID = &identifier{Scheme: "EM", Value: pc.Email}
		}
		if pc.Name != "" || pc.Email != "" {
			p.Contact = &contactInfo{Name: pc.Name, Email: pc.Email}
		}
	}
	if !b.noTax {
		if id := taxID(c.TaxNumber, ctry); id != "" {
			p.TaxScheme = &partyTax{CompanyID: id, TaxScheme: taxScheme{ID: "VAT"}}
		}
	}
	return p
}

// postal is an address with the given country code.
func postal(a domain.Address, ctry string) address {
	a = a.Normalized()
	return address{
		StreetName:           a.Line1,
		AdditionalStreetName: a.Line2,
		CityName:             a.City,
		PostalZone:           a.Postcode,
		CountrySubentity:     a.Region,
		Country:              country{Code: ctry},
	}
}

// taxID is a tax number as a VAT identifier: letters and digits only, upper
// case, prefixed with the country code unless it already starts with letters
// (EN 16931 BR-CO-09 wants the ISO 3166 prefix; Greece uses EL). An
// Australian ABN "53 004 085 616" becomes "AU53004085616".
func taxID(number, ctry string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(number) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			sb.WriteRune(r)
		}
	}
	id := sb.String()
	if id == "" {
		return ""
	}
	if len(id) >= 2 && unicode.IsLetter(rune(id[0])) && unicode.IsLetter(rune(id[1])) {
		return id
	}
	if ctry == "GR" {
		ctry = "EL"
	}
	return ctry + id
}

// paymentMeans says how the invoice is paid: the card or bank account on
// file that Remit collects from (UNCL4461 48 bank card, 59 SEPA direct
// debit, 49 other direct debit), or, with nothing on file, 1 (instrument not
// defined) quoting the invoice number.
func (b *builder) paymentMeans() *paymentMeans {
	inv := b.in.Invoice
	pm := &paymentMeans{Code: codeWithName{Value: "1", Name: "Not defined"}, PaymentID: inv.Number}
	m, ok := b.in.Client.PaymentMethod(inv.PaymentMethodID)
	if !ok {
		// Nothing charges it: the client pays by transfer, to the firm's
		// account when it gave one.
		if a := b.in.Firm.BankAccount; a.Number != "" {
			pm.Code = codeWithName{Value: "30", Name: "Credit transfer"}
			pm.Payee = &payeeAccount{ID: strings.ReplaceAll(a.Number, " ", ""), Name: a.Name}
			if bank := cmp.Or(a.BIC, a.BranchCode); bank != "" {
				pm.Payee.Branch = &financialAcc{ID: bank}
			}
		}
		return pm
	}
	switch m.Kind {
	case client.MethodCard:
		brand := m.Brand
		if brand == "" {
			brand = "card"
		}
		pm.Code = codeWithName{Value: "48", Name: "Bank card"}
		if m.Last4 != "" {
			// The last four digits only: EN 16931 (BR-51) allows no more than
			// the first six and last four, and Remit keeps the last four.
			pm.CardAccount = &cardAccount{PrimaryAccountNumberID: m.Last4, NetworkID: brand}
		}
	case client.MethodBankDebit:
		pm.Code = codeWithName{Value: "49", Name: "Direct debit"}
		if m.Scheme == client.SchemeSEPA {
			pm.Code = codeWithName{Value: "59", Name: "SEPA direct debit"}
		}
		if m.MandateReference != "" || m.MaskedAccount != "" {
			pm.PaymentMandate = &mandate{ID: m.MandateReference}
			if m.MaskedAccount != "" {
				pm.PaymentMandate.Payer = &financialAcc{ID: m.MaskedAccount}
			}
		}
	default:
		pm.Code.Name = fmt.Sprintf("Not defined (%s)", m.Kind)
	}
	return pm
}
