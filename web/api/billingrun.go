package api

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/processes/billingrun"
)

func (s *Server) registerBillingRunRoutes(r *mux.Router) {
	r.HandleFunc("/api/billing-runs", s.handleBillingRun).Methods(http.MethodPost)
}

// handleBillingRun runs billing (and collection) now, for today in the
// firm's time zone: what the daily scheduled run does, on demand. Running it
// twice, or in two processes at once, issues and charges nothing twice.
func (s *Server) handleBillingRun(w http.ResponseWriter, r *http.Request) {
	if s.cfg.BillingRun == nil {
		s.handleNotFound(w, r)
		return
	}
	res, err := s.cfg.BillingRun(context.WithoutCancel(r.Context()))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, billingRunResultOf(res))
}

// BillingRunResult answers POST /api/billing-runs: what billing and
// collection did.
type BillingRunResult struct {
	AsOf    domain.Date      `json:"as_of"`
	Billing BillingReport    `json:"billing"`
	Collect CollectionReport `json:"collect"`
	// Err is always null: a run that fails answers a problem instead.
	Err *string `json:"err"`
}

// BillingReport is what billing did: the due items found, the invoices
// they make, those issued by this run or an earlier one, and the groups
// that failed (the run went on).
type BillingReport struct {
	AsOf                 domain.Date         `json:"as_of"`
	Items                int                 `json:"items"`
	Groups               int                 `json:"groups"`
	Issued               int                 `json:"issued"`
	AlreadyIssued        int                 `json:"already_issued"`
	Skipped              int                 `json:"skipped"`
	Interrupted          int                 `json:"interrupted"`
	CollectionsScheduled int                 `json:"collections_scheduled"`
	NumbersVoided        int                 `json:"numbers_voided"`
	Errors               []BillingGroupError `json:"errors"`
}

// BillingGroupError is a billing group the run could not invoice.
type BillingGroupError struct {
	ClientID  ID          `json:"client_id"`
	Date      domain.Date `json:"date"`
	ItemKeys  []string    `json:"item_keys"`
	InvoiceID ID          `json:"invoice_id"`
	Number    string      `json:"number"`
	// Err is the user-facing message of what went wrong (the details are
	// in the operator's log).
	Err string `json:"err"`
}

// CollectionReport is what payment collection did.
type CollectionReport struct {
	AsOf             domain.Date       `json:"as_of"`
	Due              int               `json:"due"`
	Succeeded        int               `json:"succeeded"`
	Rejected         int               `json:"rejected"`
	Pending          int               `json:"pending"`
	RetriesScheduled int               `json:"retries_scheduled"`
	GaveUp           int               `json:"gave_up"`
	Errors           []CollectionError `json:"errors"`
}

// CollectionError is an invoice the run could not collect or schedule.
type CollectionError struct {
	InvoiceID ID     `json:"invoice_id"`
	Number    string `json:"number"`
	Err       string `json:"err"`
}

// billingRunResultOf converts what Config.BillingRun answers: a
// billingrun.RunResult (or a pointer to one); anything else reads as a run
// that did nothing.
func billingRunResultOf(res any) BillingRunResult {
	var rr billingrun.RunResult
	switch x := res.(type) {
	case billingrun.RunResult:
		rr = x
	case *billingrun.RunResult:
		if x != nil {
			rr = *x
		}
	}
	b, c := rr.Billing, rr.Collect
	return BillingRunResult{
		AsOf: rr.AsOf,
		Billing: BillingReport{
			AsOf: b.AsOf, Items: b.Items, Groups: b.Groups, Issued: b.Issued, AlreadyIssued: b.AlreadyIssued,
			Skipped: b.Skipped, Interrupted: b.Interrupted, CollectionsScheduled: b.CollectionsScheduled,
			NumbersVoided: b.NumbersVoided,
			Errors: wireList(b.Errors, func(e billingrun.GroupError) BillingGroupError {
				return BillingGroupError{ClientID: ID(e.ClientID), Date: e.Date, ItemKeys: nonNil(e.ItemKeys), InvoiceID: ID(e.InvoiceID),
					Number: e.Number, Err: domain.ErrorMessage(e.Err)}
			}),
		},
		Collect: CollectionReport{
			AsOf: c.AsOf, Due: c.Due, Succeeded: c.Succeeded, Rejected: c.Rejected, Pending: c.Pending,
			RetriesScheduled: c.RetriesScheduled, GaveUp: c.GaveUp,
			Errors: wireList(c.Errors, func(e billingrun.InvoiceError) CollectionError {
				return CollectionError{InvoiceID: ID(e.InvoiceID), Number: e.Number, Err: domain.ErrorMessage(e.Err)}
			}),
		},
	}
}
