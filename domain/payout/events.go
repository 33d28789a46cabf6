package payout

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Namespace is the uuid namespace payout ids are derived in. Changing it
// would rename every payout stream: never do.
var Namespace = uuid.MustParse("9c41e7d2-3a58-5b0f-8e16-7d2a4c9b0e35")

// ID is the id of a gateway's payout: the same gateway and reference always
// name the same stream.
func ID(gateway, reference string) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte(gateway+"/"+reference))
}

// StreamName returns the name of a payout's stream, "payout-<uuid>".
func StreamName(id uuid.UUID) string { return "payout-" + id.String() }

// Kind is what a balance transaction in a payout is.
type Kind string

// Line kinds. A charge's gross is positive; a refund's, a dispute's and a
// dispute fee's are negative (money leaving the gateway balance).
const (
	KindCharge     Kind = "charge"
	KindRefund     Kind = "refund"
	KindDispute    Kind = "dispute"
	KindDisputeFee Kind = "dispute_fee"
	KindAdjustment Kind = "adjustment"
)

// Kinds lists the line kinds.
func Kinds() []Kind {
	return []Kind{KindCharge, KindRefund, KindDispute, KindDisputeFee, KindAdjustment}
}

// Status is a payout's status at the gateway.
type Status string

// Payout statuses Remit records. A payout is recorded once the gateway has
// paid it (or sent it on its way); PayoutFailed marks one that bounced.
const (
	StatusPaid      Status = "paid"
	StatusInTransit Status = "in_transit"
	StatusFailed    Status = "failed"
)

// Line is one balance transaction settled by a payout, in the payout's
// currency. Gross − Fee = Net.
type Line struct {
	Kind Kind `json:"kind"`
	// Reference is the gateway's id of the charge, refund or dispute
	// (ch_…, re_…, dp_…; the sandbox's ch_sandbox_…).
	Reference string `json:"reference"`
	// BalanceTransaction is the gateway's id of the balance transaction
	// (txn_…), when it has one apart from Reference.
	BalanceTransaction string `json:"balance_transaction,omitempty"`
	// InvoiceID is the invoice the money was for, when Remit knows it (the
	// charge's metadata names it).
	InvoiceID uuid.UUID       `json:"invoice_id,omitzero"`
	Gross     decimal.Decimal `json:"gross"`
	Fee       decimal.Decimal `json:"fee"`
	Net       decimal.Decimal `json:"net"`
}

// PayoutRecorded records a payout of the gateway to the firm's bank account
// and the balance transactions it settles: all of them, or, for a payout of
// more than MaxLinesPerEvent lines, the first MaxLinesPerEvent, the rest
// following in PayoutLinesRecorded events of the same append (Parts of
// them). Amount and Fees are always the whole payout's.
type PayoutRecorded struct {
	PayoutID  uuid.UUID       `json:"payout_id"`
	Gateway   string          `json:"gateway"`
	Reference string          `json:"reference"`
	Currency  domain.Currency `json:"currency"`
	// Amount is what was paid out: the sum of the lines' nets.
	Amount decimal.Decimal `json:"amount"`
	// Fees is the sum of the lines' fees.
	Fees        decimal.Decimal `json:"fees"`
	ArrivalDate domain.Date     `json:"arrival_date"`
	Status      Status          `json:"status"`
	Lines       []Line          `json:"lines"`
	// Parts is how many PayoutLinesRecorded follow with the rest of the
	// lines (0: Lines are all of them).
	Parts int       `json:"parts,omitempty"`
	At    time.Time `json:"at"`
}

// MaxLinesPerEvent bounds the lines one event carries, so a payout of a
// day's thousands of charges is recorded under the event store's size
// limit (a line is about 250 bytes of JSON).
const MaxLinesPerEvent = 1000

// PayoutLinesRecorded carries part of a payout's lines, after its
// PayoutRecorded in the same append: part Part (1 to the payout's Parts).
type PayoutLinesRecorded struct {
	PayoutID uuid.UUID `json:"payout_id"`
	Part     int       `json:"part"`
	Lines    []Line    `json:"lines"`
}

// PayoutFailed records that a recorded payout bounced (the bank refused
// it): the money is back in the gateway balance.
type PayoutFailed struct {
	PayoutID  uuid.UUID `json:"payout_id"`
	Gateway   string    `json:"gateway"`
	Reference string    `json:"reference"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// EventType returns "PayoutRecorded".
func (PayoutRecorded) EventType() string { return "PayoutRecorded" }

// EventType returns "PayoutLinesRecorded".
func (PayoutLinesRecorded) EventType() string { return "PayoutLinesRecorded" }

// EventType returns "PayoutFailed".
func (PayoutFailed) EventType() string { return "PayoutFailed" }

// EventTypes lists every event type of the payout aggregate.
func EventTypes() []string { return []string{"PayoutRecorded", "PayoutLinesRecorded", "PayoutFailed"} }

// DecodeEvent decodes the JSON data of an event of the given type into its
// value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "PayoutRecorded":
		return domain.DecodeAs[PayoutRecorded](eventType, data)
	case "PayoutLinesRecorded":
		return domain.DecodeAs[PayoutLinesRecorded](eventType, data)
	case "PayoutFailed":
		return domain.DecodeAs[PayoutFailed](eventType, data)
	}
	return nil, fmt.Errorf("payout: unknown event type %q", eventType)
}
