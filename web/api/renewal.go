package api

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
)

func (s *Server) registerRenewalRoutes(r *mux.Router) {
	r.HandleFunc("/api/proposals/renewals", s.handleRenewals).Methods(http.MethodPost)
}

// Renewals is the answer of POST /api/proposals/renewals: the batch id
// (send it again to repeat the run without doing anything twice), whether
// it was a dry run, and one row per proposal renewed.
type Renewals struct {
	BatchID  ID             `json:"batch_id"`
	DryRun   bool           `json:"dry_run"`
	Renewals []RenewalEntry `json:"renewals"`
}

// RenewalEntry is one renewal: the client, the proposal renewed and the
// renewal's id, its start, what the renewed services bill per period
// (gross, per cadence) and in a year before and after, and the renewal's
// status once made ("draft" or "sent"; absent in a dry run).
type RenewalEntry struct {
	ClientID     ID            `json:"client_id"`
	ClientName   string        `json:"client_name"`
	ProposalID   ID            `json:"proposal_id"`
	RenewalID    ID            `json:"renewal_id"`
	Title        string        `json:"title"`
	StartDate    domain.Date   `json:"start_date"`
	OldPerPeriod []PeriodTotal `json:"old_per_period"`
	NewPerPeriod []PeriodTotal `json:"new_per_period"`
	OldPerYear   Money         `json:"old_per_year"`
	NewPerYear   Money         `json:"new_per_year"`
	Status       string        `json:"status,omitempty"`
}

// PeriodTotal is what lines billed at one cadence ("a month", "a year")
// bill each time, tax included.
type PeriodTotal struct {
	Cadence string `json:"cadence"`
	Gross   Money  `json:"gross"`
}

func renewalsOf(r billing.RenewalsResult) Renewals {
	out := Renewals{BatchID: ID(r.BatchID), DryRun: r.DryRun, Renewals: []RenewalEntry{}}
	periods := func(ps []billing.PeriodTotal) []PeriodTotal {
		o := make([]PeriodTotal, len(ps))
		for i, p := range ps {
			o[i] = PeriodTotal{Cadence: p.Cadence, Gross: moneyOf(p.Gross)}
		}
		return o
	}
	for _, x := range r.Renewals {
		out.Renewals = append(out.Renewals, RenewalEntry{
			ClientID: ID(x.ClientID), ClientName: x.ClientName, ProposalID: ID(x.ProposalID), RenewalID: ID(x.RenewalID),
			Title: x.Title, StartDate: x.StartDate, OldPerPeriod: periods(x.OldPerPeriod), NewPerPeriod: periods(x.NewPerPeriod),
			OldPerYear: moneyOf(x.OldPerYear), NewPerYear: moneyOf(x.NewPerYear), Status: string(x.Status),
		})
	}
	return out
}

// handleRenewals previews ("dry_run": true, nothing written) or makes, and
// with "send" sends, the renewals of the accepted proposals named.
func (s *Server) handleRenewals(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"proposal_ids"}, func(b billing.RenewalsRequest) command {
		var out billing.RenewalsResult
		return command{
			location: fixedLocation("/api/proposals/renewals"),
			run: func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
				var err error
				out, err = s.cfg.Billing.RenewProposals(ctx, b, meta)
				return out.Result, err
			},
			read: func(context.Context, billing.Result) (any, string, error) {
				return renewalsOf(out), "", nil
			},
		}
	})
}
