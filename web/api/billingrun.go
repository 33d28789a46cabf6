package api

import (
	"bytes"
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/processes/billingrun"
)

func (s *Server) registerBillingRunRoutes(r *mux.Router) {
	r.HandleFunc("/api/billing-runs", s.handleBillingRun).Methods(http.MethodPost)
	r.HandleFunc("/api/billing-runs/preview", s.handleBillingPreview).Methods(http.MethodGet)
}

// handleBillingPreview is the dry run as a read (GET, ?date=YYYY-MM-DD,
// default today), so a page can link its CSV download. Not ?as_of=: on a
// read that means the read models as of a past moment (asof.go).
func (s *Server) handleBillingPreview(w http.ResponseWriter, r *http.Request) {
	var asOf domain.Date
	if v := r.URL.Query().Get("date"); v != "" {
		d, err := domain.ParseDate(v)
		if err != nil {
			s.Error(w, r, malformed(domain.Invalid("date", "must be a date in the form YYYY-MM-DD")))
			return
		}
		asOf = d
	}
	s.handleBillingDryRun(w, r, asOf)
}

// BillingRunRequest is the optional body of POST /api/billing-runs.
type BillingRunRequest struct {
	// DryRun answers what the run would do and appends nothing.
	DryRun bool `json:"dry_run"`
	// AsOf is the date of a dry run (default today in the firm's time
	// zone); the real run always bills today.
	AsOf domain.Date `json:"as_of,omitzero"`
}

// handleBillingRun runs billing (and collection) now, for today in the
// firm's time zone: what the daily scheduled run does, on demand. Running it
// twice, or in two processes at once, issues and charges nothing twice.
// With "dry_run": true it answers what the run as of a date would do
// (handleBillingDryRun).
func (s *Server) handleBillingRun(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req BillingRunRequest
	// No body, or a JSON null, is the plain run (as before the body existed).
	if body := bytes.TrimSpace(raw); len(body) > 0 && !bytes.Equal(body, []byte("null")) {
		if err := decodeJSON(raw, &req); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if req.DryRun {
		s.handleBillingDryRun(w, r, req.AsOf)
		return
	}
	if !req.AsOf.IsZero() {
		s.Error(w, r, domain.Invalid("as_of", "only a dry run takes a date; the billing run bills today"))
		return
	}
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
	// DryRun: nothing was written; Preview says what the run would do.
	DryRun  bool            `json:"dry_run,omitzero"`
	Preview *BillingPreview `json:"preview,omitempty"`
	// Jobs is what the daily jobs run after billing and collection did
	// (reminders, final actions, write-offs, notices, payouts, ...), each
	// kind once, in the order they ran; empty when they did nothing, and
	// for a dry run.
	Jobs []BillingJobDone `json:"jobs"`
}

// BillingJobDone is how many of one kind of thing a daily job did:
// {"count": 2, "what": "payment reminders sent"}. A job's failures are one
// too, with failed true (the details are in the operator's log).
type BillingJobDone struct {
	Count  int    `json:"count"`
	What   string `json:"what"`
	Failed bool   `json:"failed"`
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
		Jobs: wireList(rr.Jobs, func(d billingrun.Done) BillingJobDone {
			what := d.Many
			if d.N == 1 {
				what = d.One
			}
			return BillingJobDone{Count: d.N, What: what, Failed: d.Failed}
		}),
	}
}

// handleBillingDryRun answers what the billing run as of asOf (default
// today) would do, writing nothing: the invoices it would issue (decided by
// the run's own code; numbers are given when issued) and the payments
// collection would then take. As CSV (?format=csv or Accept: text/csv), the
// planned invoices' lines.
func (s *Server) handleBillingDryRun(w http.ResponseWriter, r *http.Request, asOf domain.Date) {
	if _, err := wantsCSV(r); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.cfg.BillingDryRun == nil {
		s.handleNotFound(w, r)
		return
	}
	rep, err := s.cfg.BillingDryRun(r.Context(), asOf)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	res := billingRunResultOf(billingrun.RunResult{AsOf: rep.AsOf, Billing: rep})
	res.DryRun = true
	res.Preview = billingPreviewOf(rep.Preview)
	var lines []BillingPreviewLine
	for _, inv := range res.Preview.Invoices {
		for _, l := range inv.Lines {
			lines = append(lines, BillingPreviewLine{Invoice: inv, Line: l})
		}
	}
	writeTable(s, w, r, "billing-preview-"+rep.AsOf.String(), lines, res)
}

// BillingPreview is what a billing dry run would do.
type BillingPreview struct {
	AsOf domain.Date `json:"as_of"`
	// Note: invoice numbers are given when issued, so planned invoices
	// have none.
	Note        string              `json:"note"`
	Invoices    []PlannedInvoice    `json:"invoices"`
	Collections []PlannedCollection `json:"collections"`
}

// PlannedInvoice is an invoice a billing dry run would issue: its id is the
// one the run will give it; it has no number yet.
type PlannedInvoice struct {
	InvoiceID       ID            `json:"invoice_id"`
	ClientID        ID            `json:"client_id"`
	ClientName      string        `json:"client_name"`
	IssueDate       domain.Date   `json:"issue_date"`
	DueDate         domain.Date   `json:"due_date"`
	Currency        string        `json:"currency"`
	PaymentMethodID ID            `json:"payment_method_id"`
	PaymentMethod   string        `json:"payment_method"`
	CollectionDate  domain.Date   `json:"collection_date"`
	Lines           []InvoiceLine `json:"lines"`
	Totals          InvoiceTotals `json:"totals"`
	ItemKeys        []string      `json:"item_keys"`
	Interrupted     bool          `json:"interrupted"`
}

// PlannedCollection is a payment collection would take on the run's date.
type PlannedCollection struct {
	InvoiceID ID     `json:"invoice_id"`
	ClientID  ID     `json:"client_id"`
	Client    string `json:"client_name"`
	// Number is "" for an invoice the run would issue (Issued false).
	Number          string      `json:"number"`
	Issued          bool        `json:"issued"`
	Date            domain.Date `json:"date"`
	Retry           bool        `json:"retry"`
	Amount          Money       `json:"amount"`
	PaymentMethodID ID          `json:"payment_method_id"`
	PaymentMethod   string      `json:"payment_method"`
}

// billingPreviewOf converts a billingrun.Preview (nil: nothing to do).
func billingPreviewOf(p *billingrun.Preview) *BillingPreview {
	out := &BillingPreview{Note: "Invoice numbers are given when issued.", Invoices: []PlannedInvoice{}, Collections: []PlannedCollection{}}
	if p == nil {
		return out
	}
	out.AsOf = p.AsOf
	out.Invoices = wireList(p.Invoices, func(pi billingrun.PlannedInvoice) PlannedInvoice {
		st := pi.Invoice
		return PlannedInvoice{InvoiceID: ID(st.ID), ClientID: ID(st.ClientID), ClientName: pi.ClientName, IssueDate: st.IssueDate, DueDate: st.DueDate,
			Currency: st.Currency.Code, PaymentMethodID: ID(st.PaymentMethodID), PaymentMethod: pi.PaymentMethod, CollectionDate: st.Collection.Date,
			Lines: wireList(st.Lines, invoiceLineOf), Totals: invoiceTotalsOf(st.Totals), ItemKeys: nonNil(pi.ItemKeys), Interrupted: pi.Interrupted}
	})
	out.Collections = wireList(p.Collections, func(c billingrun.PlannedCollection) PlannedCollection {
		return PlannedCollection{InvoiceID: ID(c.InvoiceID), ClientID: ID(c.ClientID), Client: c.ClientName, Number: c.Number, Issued: c.Issued,
			Date: c.Date, Retry: c.Retry, Amount: moneyOf(c.Amount), PaymentMethodID: ID(c.PaymentMethodID), PaymentMethod: c.PaymentMethod}
	})
	return out
}
