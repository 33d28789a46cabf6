package xero

import (
	"encoding/json"

	"github.com/shopspring/decimal"
)

// The wire types carry only the fields Remit sends or reads. Amounts are
// json.Number so they travel as JSON numbers (the spec says number; a
// decimal.Decimal would marshal as a string) without passing through float64.
// Xero's read-only fields (totals, payments) are never set on a request:
// the spec forbids them there.

type xContact struct {
	ContactID     string `json:",omitempty"`
	ContactNumber string `json:",omitempty"`
	ContactStatus string `json:",omitempty"`
	Name          string `json:",omitempty"`
	EmailAddress  string `json:",omitempty"`
	TaxNumber     string `json:",omitempty"`
}

type xContacts struct {
	Contacts []xContact
}

type xLine struct {
	Description    string      `json:",omitempty"`
	Quantity       json.Number `json:",omitempty"`
	UnitAmount     json.Number `json:",omitempty"`
	AccountCode    string      `json:",omitempty"`
	TaxType        string      `json:",omitempty"`
	DiscountRate   json.Number `json:",omitempty"`
	DiscountAmount json.Number `json:",omitempty"`
	LineAmount     json.Number `json:",omitempty"`
}

type xInvoiceRef struct {
	InvoiceID string `json:",omitempty"`
}

type xInvoice struct {
	Type            string    `json:",omitempty"`
	InvoiceID       string    `json:",omitempty"`
	InvoiceNumber   string    `json:",omitempty"`
	Reference       string    `json:",omitempty"`
	Status          string    `json:",omitempty"`
	Contact         *xContact `json:",omitempty"`
	Date            string    `json:",omitempty"`
	DueDate         string    `json:",omitempty"`
	LineAmountTypes string    `json:",omitempty"`
	CurrencyCode    string    `json:",omitempty"`
	LineItems       []xLine   `json:",omitempty"`
	// Read only: answered by Xero.
	SubTotal json.Number `json:",omitempty"`
	TotalTax json.Number `json:",omitempty"`
	Total    json.Number `json:",omitempty"`
}

type xInvoices struct {
	Invoices []xInvoice
}

type xAccount struct {
	Code string `json:",omitempty"`
}

type xPayment struct {
	PaymentID  string          `json:",omitempty"`
	Invoice    *xInvoiceRef    `json:",omitempty"`
	CreditNote *xCreditNoteRef `json:",omitempty"`
	Account    *xAccount       `json:",omitempty"`
	Date       string          `json:",omitempty"`
	Amount     json.Number     `json:",omitempty"`
	Reference  string          `json:",omitempty"`
	Status     string          `json:",omitempty"`
}

type xPayments struct {
	Payments []xPayment
}

type xAllocation struct {
	Invoice xInvoiceRef
	Amount  json.Number
	Date    string
}

type xAllocations struct {
	Allocations []xAllocation
}

type xCreditNote struct {
	Type            string    `json:",omitempty"`
	CreditNoteID    string    `json:",omitempty"`
	Reference       string    `json:",omitempty"`
	Status          string    `json:",omitempty"`
	Contact         *xContact `json:",omitempty"`
	Date            string    `json:",omitempty"`
	LineAmountTypes string    `json:",omitempty"`
	CurrencyCode    string    `json:",omitempty"`
	LineItems       []xLine   `json:",omitempty"`
	// Answered by Xero.
	CreditNoteNumber string        `json:",omitempty"`
	SubTotal         json.Number   `json:",omitempty"`
	TotalTax         json.Number   `json:",omitempty"`
	Total            json.Number   `json:",omitempty"`
	RemainingCredit  json.Number   `json:",omitempty"`
	Allocations      []xAllocation `json:",omitempty"`
}

type xCreditNotes struct {
	CreditNotes []xCreditNote
}

// xError is Xero's error document (400 and most other failures).
type xError struct {
	ErrorNumber int
	Type        string
	Message     string
	Elements    []struct {
		ValidationErrors []struct{ Message string }
	}
	// 401/403 answers use problem details instead.
	Title  string
	Detail string
}

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// dec reads a number Xero answered; "" (absent) is zero.
func dec(n json.Number) (decimal.Decimal, error) {
	if n == "" {
		return decimal.Zero, nil
	}
	return decimal.NewFromString(string(n))
}
