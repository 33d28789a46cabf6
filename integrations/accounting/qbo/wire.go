package qbo

import (
	"encoding/json"
	"strings"

	"github.com/shopspring/decimal"
)

// The QBO v3 entities as Remit sends and reads them: only the fields it uses.
// Amounts travel as JSON numbers (json.Number), never float64.

type ref struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"` // an EntityRef's kind: "Customer"
}

type emailAddr struct {
	Address string `json:"Address"`
}

type memo struct {
	Value string `json:"value"`
}

type customer struct {
	ID               string     `json:"Id,omitempty"`
	SyncToken        string     `json:"SyncToken,omitempty"`
	DisplayName      string     `json:"DisplayName"`
	PrimaryEmailAddr *emailAddr `json:"PrimaryEmailAddr,omitempty"`
	CurrencyRef      *ref       `json:"CurrencyRef,omitempty"`
	Notes            string     `json:"Notes,omitempty"`
}

type linkedTxn struct {
	TxnID   string `json:"TxnId"`
	TxnType string `json:"TxnType"`
}

type salesItemLineDetail struct {
	ItemRef         ref         `json:"ItemRef"`
	Qty             json.Number `json:"Qty,omitempty"`
	UnitPrice       json.Number `json:"UnitPrice,omitempty"`
	TaxCodeRef      *ref        `json:"TaxCodeRef,omitempty"`
	TaxInclusiveAmt json.Number `json:"TaxInclusiveAmt,omitempty"`
}

type line struct {
	Description         string               `json:"Description,omitempty"`
	Amount              json.Number          `json:"Amount"`
	DetailType          string               `json:"DetailType,omitempty"`
	SalesItemLineDetail *salesItemLineDetail `json:"SalesItemLineDetail,omitempty"`
	LinkedTxn           []linkedTxn          `json:"LinkedTxn,omitempty"`
}

// txn is an Invoice or a CreditMemo (the same shape for what Remit uses), and
// the body of a void (Id and SyncToken only).
type txn struct {
	ID                   string      `json:"Id,omitempty"`
	SyncToken            string      `json:"SyncToken,omitempty"`
	DocNumber            string      `json:"DocNumber,omitempty"`
	TxnDate              string      `json:"TxnDate,omitempty"`
	DueDate              string      `json:"DueDate,omitempty"`
	CustomerRef          *ref        `json:"CustomerRef,omitempty"`
	CurrencyRef          *ref        `json:"CurrencyRef,omitempty"`
	GlobalTaxCalculation string      `json:"GlobalTaxCalculation,omitempty"`
	PrivateNote          string      `json:"PrivateNote,omitempty"`
	CustomerMemo         *memo       `json:"CustomerMemo,omitempty"`
	Line                 []line      `json:"Line,omitempty"`
	TotalAmt             json.Number `json:"TotalAmt,omitempty"`
	Balance              json.Number `json:"Balance,omitempty"`
	RemainingCredit      json.Number `json:"RemainingCredit,omitempty"`
	LinkedTxn            []linkedTxn `json:"LinkedTxn,omitempty"`
}

type paymentLine struct {
	Amount    json.Number `json:"Amount"`
	LinkedTxn []linkedTxn `json:"LinkedTxn"`
}

type payment struct {
	ID                  string        `json:"Id,omitempty"`
	CustomerRef         *ref          `json:"CustomerRef,omitempty"`
	CurrencyRef         *ref          `json:"CurrencyRef,omitempty"`
	TotalAmt            json.Number   `json:"TotalAmt"`
	TxnDate             string        `json:"TxnDate,omitempty"`
	DepositToAccountRef *ref          `json:"DepositToAccountRef,omitempty"`
	PaymentRefNum       string        `json:"PaymentRefNum,omitempty"`
	PrivateNote         string        `json:"PrivateNote,omitempty"`
	Line                []paymentLine `json:"Line,omitempty"`
}

// queryResponse is GET /query's answer; an empty result is {"QueryResponse":{}}.
type queryResponse struct {
	QueryResponse struct {
		Customer   []customer `json:"Customer"`
		Invoice    []txn      `json:"Invoice"`
		CreditMemo []txn      `json:"CreditMemo"`
		Payment    []payment  `json:"Payment"`
	} `json:"QueryResponse"`
}

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// dec reads a QBO amount; "" (absent) is zero.
func dec(n json.Number) decimal.Decimal {
	if n == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return decimal.Zero
	}
	return d
}

// quote makes s a QBO query string literal: single quotes, with ' and \
// escaped by a backslash.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
