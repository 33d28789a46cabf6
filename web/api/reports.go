package api

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/projections"
)

func (s *Server) registerReportRoutes(r *mux.Router) {
	r.HandleFunc("/api/reports/recurring-revenue", s.handleReportRecurringRevenue).Methods(http.MethodGet)
	r.HandleFunc("/api/reports/projected-billings", s.handleReportProjectedBillings).Methods(http.MethodGet)
	r.HandleFunc("/api/reports/revenue", s.handleReportRevenue).Methods(http.MethodGet)
	r.HandleFunc("/api/reports/receivables", s.handleReportReceivables).Methods(http.MethodGet)
	r.HandleFunc("/api/reports/collections", s.handleReportCollections).Methods(http.MethodGet)
	r.HandleFunc("/api/reports/proposals", s.handleReportProposals).Methods(http.MethodGet)
	r.HandleFunc("/api/reports/dso", s.handleReportDSO).Methods(http.MethodGet)
}

// reportQuery is what the reports are computed for: today in the firm's
// zone, its zone and currency, and for revenue ?from= and ?to=.
func (s *Server) reportQuery(r *http.Request) (projections.ReportQuery, error) {
	f, _, loc, err := s.firmAndZone(r.Context())
	if err != nil {
		return projections.ReportQuery{}, err
	}
	q := projections.ReportQuery{Today: domain.DateOf(AsOfNow(r.Context(), s.cfg.Now), loc), Zone: loc, Currency: f.BaseCurrency}
	var probs domain.Problems
	for _, p := range []struct {
		name string
		into *domain.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			d, err := domain.ParseDate(v)
			if err != nil {
				probs.Add(p.name, "must be a date in the form YYYY-MM-DD")
			}
			*p.into = d
		}
	}
	if (q.From.IsZero()) != (q.To.IsZero()) && probs.Err() == nil {
		probs.Add("to", "give both from and to, or neither")
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		probs.Add("to", "must be on or after from")
	}
	if err := probs.Err(); err != nil {
		return q, malformed(err)
	}
	return q, nil
}

// ReportBasis says what a report was computed from: the firm's date it
// was computed for, the period it covers, and the position in the log the
// read models stood at.
type ReportBasis struct {
	AsOf     domain.Date `json:"as_of"`
	From     domain.Date `json:"from,omitzero"`
	To       domain.Date `json:"to,omitzero"`
	Position uint64      `json:"position"`
}

// tabled is what every report computed by projections offers: its tables.
type tabled interface{ Tables() []projections.Table }

// serveReport answers a report: its query, computed, converted to the
// wire; or, when CSV is asked for, one of its tables (?table=NAME, the
// first by default) as a CSV attachment named after the report and table.
func serveReport[R tabled, W any](s *Server, w http.ResponseWriter, r *http.Request,
	compute func(*projections.Models, *http.Request, projections.ReportQuery) (R, error), wire func(R, ReportBasis) W) {
	csvWanted, err := wantsCSV(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q, err := s.reportQuery(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	m := s.models(r.Context())
	pos := m.Position()
	rep, err := compute(m, r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !csvWanted {
		s.writeJSON(w, r, http.StatusOK, wire(rep, ReportBasis{AsOf: q.Today, Position: pos}))
		return
	}
	t, err := reportTable(rep.Tables(), r.URL.Query().Get("table"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c := startCSV(w, exportName(r)+"-"+t.Name, t.Columns)
	for _, row := range t.Rows {
		c.write(textCells(row))
	}
	_ = c.flush()
}

// reportTable picks a report's table by name; no name is the first.
func reportTable(tables []projections.Table, name string) (projections.Table, error) {
	names := make([]string, len(tables))
	for i, t := range tables {
		if t.Name == name || (name == "" && i == 0) {
			return t, nil
		}
		names[i] = t.Name
	}
	if len(names) == 0 {
		return projections.Table{}, malformed(domain.Invalid("table", "this report has no table"))
	}
	return projections.Table{}, malformed(domain.Invalid("table", "must be one of %s", strings.Join(names, ", ")))
}

// textCells guards a report row's cells against formula injection, all
// but amounts and counts (which may be negative numbers).
func textCells(row []string) []string {
	out := make([]string, len(row))
	for i, v := range row {
		if _, err := decimal.NewFromString(v); err == nil {
			out[i] = v
			continue
		}
		out[i] = cell(v)
	}
	return out
}

// MonthAmount is an amount in a month ("2026-03").
type MonthAmount struct {
	Month  string `json:"month"`
	Amount Money  `json:"amount"`
}

// NamedAmount is an amount of one service (with its client) or client.
type NamedAmount struct {
	ID     ID     `json:"id,omitzero"`
	Name   string `json:"name"`
	Client string `json:"client,omitempty"`
	Amount Money  `json:"amount"`
}

func namedAmountOf(n projections.NamedAmount) NamedAmount {
	return NamedAmount{ID: ID(n.ID), Name: n.Name, Client: n.Client, Amount: moneyOf(n.Amount)}
}

func monthAmountOf(m projections.MonthAmount) MonthAmount {
	return MonthAmount{Month: m.Month.String(), Amount: moneyOf(m.Amount)}
}

// RecurringRevenueReport is monthly recurring revenue (MRR) and annual run
// rate (12 × MRR) today, per currency, with the MRR at each of the last
// twelve month ends. Every frequency is made monthly: every N months ÷ N,
// every N weeks × 30.4375 ÷ (7N), every N days × 30.4375 ÷ N.
type RecurringRevenueReport struct {
	ReportBasis
	Currencies []RecurringRevenueCurrency `json:"currencies"`
}

// RecurringRevenueCurrency is recurring revenue in one currency.
type RecurringRevenueCurrency struct {
	Currency string                  `json:"currency"`
	Monthly  Money                   `json:"monthly"`
	Annual   Money                   `json:"annual"`
	Services int                     `json:"services"`
	History  []RecurringRevenueMonth `json:"history"`
}

// RecurringRevenueMonth is the MRR on a month's last day (today for this
// month) and its change from the month before.
type RecurringRevenueMonth struct {
	Month   string      `json:"month"`
	On      domain.Date `json:"on"`
	Monthly Money       `json:"monthly"`
	Change  Money       `json:"change"`
}

func (s *Server) handleReportRecurringRevenue(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.RecurringRevenue, error) {
		return m.RecurringRevenue(r.Context(), q)
	}, recurringRevenueOf)
}

func recurringRevenueOf(rep projections.RecurringRevenue, b ReportBasis) RecurringRevenueReport {
	out := RecurringRevenueReport{ReportBasis: b}
	if len(rep.Currencies) > 0 && len(rep.Currencies[0].History) > 0 {
		out.From = rep.Currencies[0].History[0].Month.First()
		out.To = rep.AsOf
	}
	out.Currencies = wireList(rep.Currencies, func(c projections.RecurringRevenueIn) RecurringRevenueCurrency {
		return RecurringRevenueCurrency{Currency: c.Currency.Code, Monthly: moneyOf(c.Monthly), Annual: moneyOf(c.Annual), Services: c.Services,
			History: wireList(c.History, func(h projections.RecurringMonth) RecurringRevenueMonth {
				return RecurringRevenueMonth{Month: h.Month.String(), On: h.On, Monthly: moneyOf(h.Monthly), Change: moneyOf(h.Change)}
			})}
	})
	return out
}

// ProjectedBillingsReport is what the schedules will bill, from today to
// the end of the eleventh month after this one, per currency, by month
// and by service (before tax).
type ProjectedBillingsReport struct {
	ReportBasis
	Currencies []ProjectedBillingsCurrency `json:"currencies"`
}

// ProjectedBillingsCurrency is projected billings in one currency.
type ProjectedBillingsCurrency struct {
	Currency  string        `json:"currency"`
	Total     Money         `json:"total"`
	Months    []MonthAmount `json:"months"`
	ByService []NamedAmount `json:"by_service"`
}

func (s *Server) handleReportProjectedBillings(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.ProjectedBillings, error) {
		return m.ProjectedBillings(r.Context(), q)
	}, func(rep projections.ProjectedBillings, b ReportBasis) ProjectedBillingsReport {
		b.From, b.To = rep.From, rep.Through
		return ProjectedBillingsReport{ReportBasis: b, Currencies: wireList(rep.Currencies, func(c projections.ProjectedBillingsIn) ProjectedBillingsCurrency {
			return ProjectedBillingsCurrency{Currency: c.Currency.Code, Total: moneyOf(c.Total), Months: wireList(c.Months, monthAmountOf), ByService: wireList(c.ByService, namedAmountOf)}
		})}
	})
}

// RevenueReport is what was invoiced in a period (?from= and ?to=, both
// included; default the twelve months ending with this one), before tax,
// not void, net of credit notes, per currency, by service and by client.
type RevenueReport struct {
	ReportBasis
	Currencies []RevenueCurrency `json:"currencies"`
}

// RevenueCurrency is revenue in one currency: net = invoiced − credited.
type RevenueCurrency struct {
	Currency  string        `json:"currency"`
	Invoices  int           `json:"invoices"`
	Invoiced  Money         `json:"invoiced"`
	Credited  Money         `json:"credited"`
	Net       Money         `json:"net"`
	ByService []NamedAmount `json:"by_service"`
	ByClient  []NamedAmount `json:"by_client"`
}

func (s *Server) handleReportRevenue(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.Revenue, error) {
		return m.Revenue(r.Context(), q)
	}, func(rep projections.Revenue, b ReportBasis) RevenueReport {
		b.From, b.To = rep.From, rep.To
		return RevenueReport{ReportBasis: b, Currencies: wireList(rep.Currencies, func(c projections.RevenueIn) RevenueCurrency {
			return RevenueCurrency{Currency: c.Currency.Code, Invoices: c.Invoices, Invoiced: moneyOf(c.Invoiced), Credited: moneyOf(c.Credited), Net: moneyOf(c.Net),
				ByService: wireList(c.ByService, namedAmountOf), ByClient: wireList(c.ByClient, namedAmountOf)}
		})}
	})
}

// ReceivablesReport is accounts receivable by age today: every open
// invoice's outstanding balance by days past due (current, 1-30, 31-60,
// 61-90, over_90), per currency.
type ReceivablesReport struct {
	ReportBasis
	Currencies []ReceivablesCurrency `json:"currencies"`
}

// ReceivablesCurrency is what is owed in one currency.
type ReceivablesCurrency struct {
	Currency string         `json:"currency"`
	Total    Money          `json:"total"`
	Invoices int            `json:"invoices"`
	Buckets  []AgeingBucket `json:"buckets"`
}

// AgeingBucket is what is owed so many days past due.
type AgeingBucket struct {
	Age      string `json:"age"`
	Invoices int    `json:"invoices"`
	Amount   Money  `json:"amount"`
}

func (s *Server) handleReportReceivables(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.Receivables, error) {
		return m.Receivables(r.Context(), q)
	}, func(rep projections.Receivables, b ReportBasis) ReceivablesReport {
		return ReceivablesReport{ReportBasis: b, Currencies: wireList(rep.Currencies, func(c projections.ReceivablesIn) ReceivablesCurrency {
			return ReceivablesCurrency{Currency: c.Currency.Code, Total: moneyOf(c.Total), Invoices: c.Invoices, Buckets: wireList(c.Buckets, func(a projections.AgeingBucket) AgeingBucket {
				return AgeingBucket{Age: a.Name, Invoices: a.Invoices, Amount: moneyOf(a.Amount)}
			})}
		})}
	})
}

// CollectionsReport is how collection attempts went in the last twelve
// months: attempts, succeeded, rejected, the success rate (succeeded ÷
// attempts, percent), by month, and the rejections by decline code.
type CollectionsReport struct {
	ReportBasis
	Attempts    int                 `json:"attempts"`
	Succeeded   int                 `json:"succeeded"`
	Rejected    int                 `json:"rejected"`
	SuccessRate *Decimal            `json:"success_rate_percent"`
	Months      []CollectionMonth   `json:"months"`
	Failures    []CollectionFailure `json:"failures"`
}

// CollectionMonth is the attempts of one month.
type CollectionMonth struct {
	Month     string `json:"month"`
	Attempts  int    `json:"attempts"`
	Succeeded int    `json:"succeeded"`
	Rejected  int    `json:"rejected"`
}

// CollectionFailure is how often a decline reason came back.
type CollectionFailure struct {
	DeclineCode string `json:"decline_code"`
	Message     string `json:"message"`
	Count       int    `json:"count"`
}

func (s *Server) handleReportCollections(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.CollectionRate, error) {
		return m.CollectionRate(r.Context(), q)
	}, func(rep projections.CollectionRate, b ReportBasis) CollectionsReport {
		b.From, b.To = rep.From, rep.To
		return CollectionsReport{ReportBasis: b, Attempts: rep.Attempts, Succeeded: rep.Succeeded, Rejected: rep.Rejected, SuccessRate: percentOf(rep.SuccessRate),
			Months: wireList(rep.Months, func(m projections.CollectionMonth) CollectionMonth {
				return CollectionMonth{Month: m.Month.String(), Attempts: m.Attempts, Succeeded: m.Succeeded, Rejected: m.Rejected}
			}),
			Failures: wireList(rep.Failures, func(f projections.CollectionFailure) CollectionFailure {
				return CollectionFailure{DeclineCode: f.Code, Message: f.Message, Count: f.Count}
			})}
	})
}

// ProposalsReport counts proposals sent, accepted and declined in each of
// the last twelve months, and the conversion: of the proposals sent (in
// the twelve months, or in a month), the percentage accepted since.
type ProposalsReport struct {
	ReportBasis
	Sent       int             `json:"sent"`
	Accepted   int             `json:"accepted"`
	Declined   int             `json:"declined"`
	Conversion *Decimal        `json:"conversion_percent"`
	Months     []ProposalMonth `json:"months"`
}

// ProposalMonth is what happened to proposals in one month.
type ProposalMonth struct {
	Month      string   `json:"month"`
	Sent       int      `json:"sent"`
	Accepted   int      `json:"accepted"`
	Declined   int      `json:"declined"`
	Conversion *Decimal `json:"conversion_percent"`
}

func (s *Server) handleReportProposals(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.Proposals, error) {
		return m.Proposals(r.Context(), q)
	}, func(rep projections.Proposals, b ReportBasis) ProposalsReport {
		b.From, b.To = rep.From, rep.To
		return ProposalsReport{ReportBasis: b, Sent: rep.Sent, Accepted: rep.Accepted, Declined: rep.Declined, Conversion: percentOf(rep.Conversion),
			Months: wireList(rep.Months, func(m projections.ProposalMonth) ProposalMonth {
				return ProposalMonth{Month: m.Month.String(), Sent: m.Sent, Accepted: m.Accepted, Declined: m.Declined, Conversion: percentOf(m.Conversion)}
			})}
	})
}

// DSOReport is days sales outstanding today, per currency: receivable
// (open balances today) ÷ invoiced (totals of invoices issued in the last
// window_days days, not void) × window_days; null when nothing was invoiced.
type DSOReport struct {
	ReportBasis
	WindowDays int           `json:"window_days"`
	Currencies []DSOCurrency `json:"currencies"`
}

// DSOCurrency is days sales outstanding in one currency.
type DSOCurrency struct {
	Currency   string   `json:"currency"`
	Receivable Money    `json:"receivable"`
	Invoiced   Money    `json:"invoiced"`
	DSO        *Decimal `json:"dso_days"`
}

func (s *Server) handleReportDSO(w http.ResponseWriter, r *http.Request) {
	serveReport(s, w, r, func(m *projections.Models, r *http.Request, q projections.ReportQuery) (projections.DSO, error) {
		return m.DSO(r.Context(), q)
	}, func(rep projections.DSO, b ReportBasis) DSOReport {
		b.From, b.To = rep.From, rep.AsOf
		return DSOReport{ReportBasis: b, WindowDays: rep.Days, Currencies: wireList(rep.Currencies, func(c projections.DSOIn) DSOCurrency {
			return DSOCurrency{Currency: c.Currency.Code, Receivable: moneyOf(c.Receivable), Invoiced: moneyOf(c.Invoiced), DSO: percentOf(c.DSO)}
		})}
	})
}

// percentOf writes a ratio with its one decimal; nil stays null.
func percentOf(d *decimal.Decimal) *Decimal {
	if d == nil {
		return nil
	}
	v := Decimal(d.StringFixed(1))
	return &v
}
