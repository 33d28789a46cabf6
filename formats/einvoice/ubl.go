package einvoice

import "encoding/xml"

// The UBL 2.1 vocabulary Remit writes. Element names carry their namespace
// prefix literally ("cbc:ID"): encoding/xml then writes them as they are, and
// the root declares the prefixes once, the form e-invoicing tools expect.
// Field order is the XSD's sequence order, which xmllint enforces; Invoice and
// CreditNote share one root type because the elements Remit uses come in the
// same order in both (the ones only one of them has are left empty in the
// other).

// UBL namespaces and the Peppol BIS Billing 3.0 identifiers.
const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

	// CustomizationID names the specification the document follows: EN 16931
	// as Peppol BIS Billing 3.0 uses it.
	CustomizationID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
	// ProfileID is Peppol's billing process (invoices and credit notes).
	ProfileID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
)

type document struct {
	XMLName  xml.Name
	XMLNSCAC string `xml:"xmlns:cac,attr"`
	XMLNSCBC string `xml:"xmlns:cbc,attr"`

	CustomizationID      string     `xml:"cbc:CustomizationID"`
	ProfileID            string     `xml:"cbc:ProfileID"`
	ID                   string     `xml:"cbc:ID"`
	IssueDate            string     `xml:"cbc:IssueDate"`
	DueDate              string     `xml:"cbc:DueDate,omitempty"`         // Invoice only
	InvoiceTypeCode      string     `xml:"cbc:InvoiceTypeCode,omitempty"` // Invoice only
	CreditNoteTypeCode   string     `xml:"cbc:CreditNoteTypeCode,omitempty"`
	Notes                []string   `xml:"cbc:Note"`
	DocumentCurrencyCode string     `xml:"cbc:DocumentCurrencyCode"`
	BuyerReference       string     `xml:"cbc:BuyerReference,omitempty"`
	BillingReference     *billingRe `xml:"cac:BillingReference"` // CreditNote: the invoice credited

	Supplier     partyWrap     `xml:"cac:AccountingSupplierParty"`
	Customer     partyWrap     `xml:"cac:AccountingCustomerParty"`
	PaymentMeans *paymentMeans `xml:"cac:PaymentMeans"`
	PaymentTerms *note         `xml:"cac:PaymentTerms"`
	TaxTotal     taxTotal      `xml:"cac:TaxTotal"`
	Totals       monetaryTotal `xml:"cac:LegalMonetaryTotal"`

	InvoiceLines    []line `xml:"cac:InvoiceLine"`
	CreditNoteLines []line `xml:"cac:CreditNoteLine"`
}

type billingRe struct {
	Invoice docRef `xml:"cac:InvoiceDocumentReference"`
}

type docRef struct {
	ID        string `xml:"cbc:ID"`
	IssueDate string `xml:"cbc:IssueDate,omitempty"`
}

type amount struct {
	Currency string `xml:"currencyID,attr"`
	Value    string `xml:",chardata"`
}

type quantity struct {
	UnitCode string `xml:"unitCode,attr"`
	Value    string `xml:",chardata"`
}

type identifier struct {
	Scheme string `xml:"schemeID,attr,omitempty"`
	Value  string `xml:",chardata"`
}

type partyWrap struct {
	Party party `xml:"cac:Party"`
}

type party struct {
	EndpointID  *identifier  `xml:"cbc:EndpointID"`
	PartyID     *partyID     `xml:"cac:PartyIdentification"`
	PartyName   *name        `xml:"cac:PartyName"`
	Address     address      `xml:"cac:PostalAddress"`
	TaxScheme   *partyTax    `xml:"cac:PartyTaxScheme"`
	LegalEntity legalEntity  `xml:"cac:PartyLegalEntity"`
	Contact     *contactInfo `xml:"cac:Contact"`
}

type partyID struct {
	ID string `xml:"cbc:ID"`
}

type name struct {
	Name string `xml:"cbc:Name"`
}

type address struct {
	StreetName           string  `xml:"cbc:StreetName,omitempty"`
	AdditionalStreetName string  `xml:"cbc:AdditionalStreetName,omitempty"`
	CityName             string  `xml:"cbc:CityName,omitempty"`
	PostalZone           string  `xml:"cbc:PostalZone,omitempty"`
	CountrySubentity     string  `xml:"cbc:CountrySubentity,omitempty"`
	Country              country `xml:"cac:Country"`
}

type country struct {
	Code string `xml:"cbc:IdentificationCode"`
}

type partyTax struct {
	CompanyID string    `xml:"cbc:CompanyID"`
	TaxScheme taxScheme `xml:"cac:TaxScheme"`
}

type taxScheme struct {
	ID string `xml:"cbc:ID"`
}

type legalEntity struct {
	RegistrationName string `xml:"cbc:RegistrationName"`
}

type contactInfo struct {
	Name  string `xml:"cbc:Name,omitempty"`
	Email string `xml:"cbc:ElectronicMail,omitempty"`
}

type paymentMeans struct {
	Code           codeWithName  `xml:"cbc:PaymentMeansCode"`
	PaymentID      string        `xml:"cbc:PaymentID,omitempty"`
	CardAccount    *cardAccount  `xml:"cac:CardAccount"`
	Payee          *payeeAccount `xml:"cac:PayeeFinancialAccount"`
	PaymentMandate *mandate      `xml:"cac:PaymentMandate"`
}

// payeeAccount is the seller's account a credit transfer goes to: its
// identifier (BT-84), name (BT-85) and the bank's (BT-86).
type payeeAccount struct {
	ID     string        `xml:"cbc:ID"`
	Name   string        `xml:"cbc:Name,omitempty"`
	Branch *financialAcc `xml:"cac:FinancialInstitutionBranch"`
}

type codeWithName struct {
	Name  string `xml:"name,attr,omitempty"`
	Value string `xml:",chardata"`
}

type cardAccount struct {
	PrimaryAccountNumberID string `xml:"cbc:PrimaryAccountNumberID"`
	NetworkID              string `xml:"cbc:NetworkID"`
}

type mandate struct {
	ID    string        `xml:"cbc:ID,omitempty"`
	Payer *financialAcc `xml:"cac:PayerFinancialAccount"`
}

type financialAcc struct {
	ID string `xml:"cbc:ID"`
}

type note struct {
	Note string `xml:"cbc:Note"`
}

type taxTotal struct {
	TaxAmount amount        `xml:"cbc:TaxAmount"`
	Subtotals []taxSubtotal `xml:"cac:TaxSubtotal"`
}

type taxSubtotal struct {
	TaxableAmount amount      `xml:"cbc:TaxableAmount"`
	TaxAmount     amount      `xml:"cbc:TaxAmount"`
	Category      taxCategory `xml:"cac:TaxCategory"`
}

type taxCategory struct {
	ID                  string    `xml:"cbc:ID"`
	Percent             string    `xml:"cbc:Percent,omitempty"`
	ExemptionReasonCode string    `xml:"cbc:TaxExemptionReasonCode,omitempty"`
	ExemptionReason     string    `xml:"cbc:TaxExemptionReason,omitempty"`
	TaxScheme           taxScheme `xml:"cac:TaxScheme"`
}

type monetaryTotal struct {
	LineExtensionAmount amount  `xml:"cbc:LineExtensionAmount"`
	TaxExclusiveAmount  amount  `xml:"cbc:TaxExclusiveAmount"`
	TaxInclusiveAmount  amount  `xml:"cbc:TaxInclusiveAmount"`
	PrepaidAmount       *amount `xml:"cbc:PrepaidAmount"`
	PayableAmount       amount  `xml:"cbc:PayableAmount"`
}

type line struct {
	ID                  string            `xml:"cbc:ID"`
	InvoicedQuantity    *quantity         `xml:"cbc:InvoicedQuantity"`
	CreditedQuantity    *quantity         `xml:"cbc:CreditedQuantity"`
	LineExtensionAmount amount            `xml:"cbc:LineExtensionAmount"`
	AllowanceCharges    []allowanceCharge `xml:"cac:AllowanceCharge"`
	Item                item              `xml:"cac:Item"`
	Price               price             `xml:"cac:Price"`
}

type allowanceCharge struct {
	ChargeIndicator bool    `xml:"cbc:ChargeIndicator"`
	ReasonCode      string  `xml:"cbc:AllowanceChargeReasonCode,omitempty"`
	Reason          string  `xml:"cbc:AllowanceChargeReason,omitempty"`
	Multiplier      string  `xml:"cbc:MultiplierFactorNumeric,omitempty"`
	Amount          amount  `xml:"cbc:Amount"`
	BaseAmount      *amount `xml:"cbc:BaseAmount"`
}

type item struct {
	Name     string      `xml:"cbc:Name"`
	Category taxCategory `xml:"cac:ClassifiedTaxCategory"`
}

type price struct {
	PriceAmount amount `xml:"cbc:PriceAmount"`
}
