package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/projections"
)

func (s *Server) registerPayoutRoutes(r *mux.Router) {
	r.HandleFunc("/api/payouts", s.handlePayoutList).Methods(http.MethodGet)
	r.HandleFunc("/api/payouts/{id}", s.handlePayoutView).Methods(http.MethodGet)
}

func (s *Server) handlePayoutList(w http.ResponseWriter, r *http.Request) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	servePages(s, w, r, p, func(p projections.Paging) (projections.Page[projections.PayoutView], error) {
		return s.models(r.Context()).ListPayouts(r.Context(), p)
	}, payoutListItemOf)
}

func (s *Server) handlePayoutView(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "payout")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.models(r.Context()).Payout(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, payoutResourceOf(v))
}

// PayoutListItem is one payout of the payment gateway to the firm's bank
// account, as the list shows it: net paid out, the gross it settles and the
// gateway's fees (gross − fees = amount), how many charges and refunds.
type PayoutListItem struct {
	ID          ID          `json:"id"`
	Gateway     string      `json:"gateway"`
	Reference   string      `json:"reference"`
	ArrivalDate domain.Date `json:"arrival_date"`
	Status      string      `json:"status"`
	Reason      string      `json:"reason,omitempty"`
	Amount      Money       `json:"amount"`
	Gross       Money       `json:"gross"`
	Fees        Money       `json:"fees"`
	Charges     int         `json:"charges"`
	Refunds     int         `json:"refunds"`
	// Ledger is its sync status in each connected ledger (Xero, QuickBooks
	// Online): its transfer to the bank account and its fees, pushed once.
	Ledger InvoiceLedger `json:"ledger"`
}

// PayoutLine is one balance transaction a payout settles: a charge, refund,
// dispute, dispute fee or adjustment, with the invoice it was for when Remit
// knows it.
type PayoutLine struct {
	Kind               string `json:"kind"`
	Reference          string `json:"reference"`
	BalanceTransaction string `json:"balance_transaction,omitempty"`
	InvoiceID          ID     `json:"invoice_id,omitzero"`
	InvoiceNumber      string `json:"invoice_number,omitempty"`
	Gross              Money  `json:"gross"`
	Fee                Money  `json:"fee"`
	Net                Money  `json:"net"`
}

// PayoutResource is one payout with every balance transaction it settles.
type PayoutResource struct {
	PayoutListItem
	Lines      []PayoutLine `json:"lines"`
	RecordedAt Time         `json:"recorded_at"`
}

func payoutListItemOf(v projections.PayoutView) PayoutListItem {
	return PayoutListItem{
		ID: ID(v.ID), Gateway: v.Gateway, Reference: v.Reference, ArrivalDate: v.ArrivalDate, Status: string(v.Status), Reason: v.Reason,
		Amount: moneyOf(v.Amount), Gross: moneyOf(v.Gross), Fees: moneyOf(v.Fees), Charges: v.Charges, Refunds: v.Refunds,
		Ledger: invoiceLedgerOf(v.Ledger),
	}
}

func payoutLineOf(l projections.PayoutLine) PayoutLine {
	return PayoutLine{Kind: string(l.Kind), Reference: l.Reference, BalanceTransaction: l.BalanceTransaction, InvoiceID: ID(l.InvoiceID),
		InvoiceNumber: l.InvoiceNumber, Gross: moneyOf(l.Gross), Fee: moneyOf(l.Fee), Net: moneyOf(l.Net)}
}

func payoutResourceOf(v projections.PayoutView) PayoutResource {
	return PayoutResource{PayoutListItem: payoutListItemOf(v), Lines: wireList(v.Lines, payoutLineOf), RecordedAt: Time(v.RecordedAt)}
}
