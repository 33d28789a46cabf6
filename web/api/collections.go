package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/projections"
)

func (s *Server) registerCollectionsRoutes(r *mux.Router) {
	r.HandleFunc("/api/collections", s.handleCollectionsView).Methods(http.MethodGet)
}

// collectionSections are the sections of the collections page, as the
// section query parameter names them.
var collectionSections = []string{"upcoming", "failed", "overdue"}

// CollectionsView is the collections page as of a day in the firm's time
// zone: the totals per currency of everything its filters select, and a
// page of each section (only the one ?section= names, when it is given).
type CollectionsView struct {
	AsOf     domain.Date                  `json:"as_of"`
	Totals   []CollectionTotals           `json:"totals"`
	Upcoming *List[UpcomingCollectionRow] `json:"upcoming,omitempty"`
	Failed   *List[FailedPaymentRow]      `json:"failed,omitempty"`
	Overdue  *List[OverdueInvoiceRow]     `json:"overdue,omitempty"`
}

// CollectionTotals are one currency's sums over each whole section and the
// open balances per aging bucket.
type CollectionTotals struct {
	Currency string        `json:"currency"`
	Upcoming CountedAmount `json:"upcoming"`
	Failed   CountedAmount `json:"failed"`
	Overdue  CountedAmount `json:"overdue"`
	// Aging has one entry per bucket: current (not yet due), 1_30, 31_60,
	// 61_90 and over_90 days past due.
	Aging []AgingTotal `json:"aging"`
}

// CountedAmount is a sum and how many invoices it adds.
type CountedAmount struct {
	Amount Money `json:"amount"`
	Count  int   `json:"count"`
}

// AgingTotal is the open balance of one aging bucket.
type AgingTotal struct {
	Bucket string `json:"bucket"`
	CountedAmount
}

// CollectionInvoiceRow is what each row of the collections page says of its
// invoice, client and payment method.
type CollectionInvoiceRow struct {
	InvoiceID       ID          `json:"invoice_id"`
	Number          string      `json:"number"`
	ClientID        ID          `json:"client_id"`
	ClientName      string      `json:"client_name"`
	IssueDate       domain.Date `json:"issue_date"`
	DueDate         domain.Date `json:"due_date"`
	Status          string      `json:"stored_status"`
	Balance         Money       `json:"balance"`
	PaymentMethodID ID          `json:"payment_method_id"`
	PaymentMethod   string      `json:"payment_method"`
	Brand           string      `json:"brand"`
	Last4           string      `json:"last4"`
	// DunningStage and LastReminder say where the invoice stands in the
	// firm's dunning sequence ("" and null until dunning events record it).
	DunningStage string      `json:"dunning_stage"`
	LastReminder domain.Date `json:"last_reminder"`
}

// UpcomingCollectionRow is a collection scheduled for a date: the balance
// is what will be charged.
type UpcomingCollectionRow struct {
	CollectionInvoiceRow
	Date domain.Date `json:"date"`
}

// FailedPaymentRow is an invoice whose payment was declined and not
// rescheduled since (only retried, or left).
type FailedPaymentRow struct {
	CollectionInvoiceRow
	DeclineCode    string      `json:"decline_code"`
	DeclineMessage string      `json:"decline_message"`
	Attempts       int         `json:"attempts"`
	NextRetry      domain.Date `json:"next_retry"` // null: no retry scheduled
	RejectedSince  domain.Date `json:"rejected_since"`
}

// OverdueInvoiceRow is an open invoice past its due date.
type OverdueInvoiceRow struct {
	CollectionInvoiceRow
	DaysOverdue int    `json:"days_overdue"`
	Bucket      string `json:"bucket"`
}

func (s *Server) handleCollectionsView(w http.ResponseWriter, r *http.Request) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	var probs domain.Problems
	section := q.Get("section")
	if section != "" && !slices.Contains(collectionSections, section) {
		probs.Add("section", "must be one of %s", strings.Join(collectionSections, ", "))
	}
	if section == "" && q.Get("cursor") != "" {
		probs.Add("section", "say which section the cursor pages (use a section's next link)")
	}
	currency := strings.ToUpper(strings.TrimSpace(q.Get("currency")))
	if currency != "" {
		if _, err := domain.ParseCurrency(currency); err != nil {
			probs.Add("currency", "is not an ISO 4217 currency code")
		}
	}
	if err := probs.Err(); err != nil {
		s.Error(w, r, malformed(err))
		return
	}
	today, err := s.today(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cq := projections.CollectionsQuery{Today: today, Currency: currency, Search: q.Get("search"),
		Upcoming: p, Failed: p, Overdue: p}
	v, err := s.models(r.Context()).Collections(r.Context(), cq)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := CollectionsView{AsOf: today, Totals: wireList(v.Totals, collectionTotalsOf)}
	if section == "" || section == "upcoming" {
		out.Upcoming = ptrTo(sectionList(r, "upcoming", v.Upcoming, upcomingRowOf))
	}
	if section == "" || section == "failed" {
		out.Failed = ptrTo(sectionList(r, "failed", v.Failed, failedRowOf))
	}
	if section == "" || section == "overdue" {
		out.Overdue = ptrTo(sectionList(r, "overdue", v.Overdue, overdueRowOf))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func ptrTo[T any](v T) *T { return &v }

// sectionList is one section's page as a List whose next link names the
// section.
func sectionList[T, W any](r *http.Request, section string, p projections.Page[T], conv func(T) W) List[W] {
	l := List[W]{Items: wireList(p.Items, conv), Total: p.Total, Limit: p.Limit}
	if next := p.Offset + len(p.Items); next < p.Total && len(p.Items) > 0 {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("section", section)
		q.Set("cursor", encodeCursor(next))
		q.Set("limit", strconv.Itoa(p.Limit))
		l.Next = r.URL.Path + "?" + q.Encode()
	}
	return l
}

func collectionTotalsOf(t projections.CollectionTotals) CollectionTotals {
	return CollectionTotals{Currency: t.Currency.Code, Upcoming: countedOf(t.Upcoming), Failed: countedOf(t.Failed), Overdue: countedOf(t.Overdue),
		Aging: wireList(t.Aging, func(a projections.AgingTotal) AgingTotal {
			return AgingTotal{Bucket: string(a.Bucket), CountedAmount: countedOf(a.CountedMoney)}
		})}
}

func countedOf(c projections.CountedMoney) CountedAmount {
	return CountedAmount{Amount: moneyOf(c.Amount), Count: c.Count}
}

func collectionRowOf(v projections.CollectionInvoice) CollectionInvoiceRow {
	return CollectionInvoiceRow{InvoiceID: ID(v.InvoiceID), Number: v.Number, ClientID: ID(v.ClientID), ClientName: v.ClientName,
		IssueDate: v.IssueDate, DueDate: v.DueDate, Status: string(v.Status), Balance: moneyOf(v.Balance),
		PaymentMethodID: ID(v.PaymentMethodID), PaymentMethod: v.Method, Brand: v.Brand, Last4: v.Last4,
		DunningStage: v.Stage, LastReminder: v.LastReminder}
}

func upcomingRowOf(v projections.UpcomingCollection) UpcomingCollectionRow {
	return UpcomingCollectionRow{CollectionInvoiceRow: collectionRowOf(v.CollectionInvoice), Date: v.Date}
}

func failedRowOf(v projections.FailedPayment) FailedPaymentRow {
	return FailedPaymentRow{CollectionInvoiceRow: collectionRowOf(v.CollectionInvoice), DeclineCode: v.DeclineCode, DeclineMessage: v.DeclineMessage,
		Attempts: v.Attempts, NextRetry: v.NextRetry, RejectedSince: v.RejectedSince}
}

func overdueRowOf(v projections.OverdueInvoice) OverdueInvoiceRow {
	return OverdueInvoiceRow{CollectionInvoiceRow: collectionRowOf(v.CollectionInvoice), DaysOverdue: v.DaysOverdue, Bucket: string(v.Bucket)}
}
