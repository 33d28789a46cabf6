package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/projections"
)

// The Renewals page (/renewals): the firm's accepted proposals, ticked to
// renew (all, or the one whose page's Renew button led here), a filter by
// acceptance date, the new start date, expiry and price change; Preview
// shows each client's old and new totals per period and per year (nothing
// written), and Renew drafts the renewals, sending them when asked.

func (h *handler) registerRenewalRoutes(rt routes) {
	rt.get("/renewals", h.handleRenewals)
	rt.post("/renewals", h.handleRenewalsPost)
}

// renewalsPage is the Renewals page's data.
type renewalsPage struct {
	Candidates []renewalCandidate
	Preview    []billing.Renewal
	Previewed  bool
}

// renewalCandidate is an accepted proposal that may be renewed.
type renewalCandidate struct {
	ClientName string
	Proposal   projections.ProposalView
}

// PerPeriod says a renewal row's totals per cadence for people.
func (renewalsPage) PerPeriod(ps []billing.PeriodTotal) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = domain.FormatMoney(p.Gross) + " " + p.Cadence
	}
	return strings.Join(parts, ", ")
}

// candidates lists every client's accepted proposals, by client name.
func (h *handler) renewalCandidates(ctx context.Context, today domain.Date) ([]renewalCandidate, error) {
	var out []renewalCandidate
	for offset := 0; ; offset += projections.MaxLimit {
		page, err := h.models(ctx).ListClients(ctx, projections.ClientQuery{Today: today, Paging: projections.Paging{Offset: offset, Limit: projections.MaxLimit}})
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			s, err := h.models(ctx).Summary(ctx, c.ID, today)
			if err != nil {
				return nil, err
			}
			for _, p := range s.Proposals {
				if p.Status == proposal.StatusAccepted {
					out = append(out, renewalCandidate{ClientName: c.Name, Proposal: p})
				}
			}
		}
		if offset+len(page.Items) >= page.Total || len(page.Items) == 0 {
			return out, nil
		}
	}
}

func (h *handler) renewalsView(r *http.Request, f *form, d renewalsPage) (*view, error) {
	today, _, err := h.today(r.Context())
	if err != nil {
		return nil, err
	}
	d.Candidates, err = h.renewalCandidates(r.Context(), today)
	if err != nil {
		return nil, err
	}
	return &view{Title: "Renewals", Section: "renewals", Today: today, Form: f, D: d}, nil
}

func (h *handler) handleRenewals(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	v, err := h.renewalsView(r, f, renewalsPage{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ticked := r.URL.Query()["proposal_ids"]
	for _, c := range v.D.(renewalsPage).Candidates {
		if len(ticked) == 0 || slices.Contains(ticked, c.Proposal.ID.String()) {
			f.Values.Add("proposal_ids", c.Proposal.ID.String())
		}
	}
	f.set("send", "on")
	h.render(w, r, http.StatusOK, "renewals", v)
}

// renewalsRequest reads the form.
func renewalsRequest(r *http.Request) (billing.RenewalsRequest, error) {
	fs := readForm(r)
	req := billing.RenewalsRequest{
		AcceptedFrom: fs.date("accepted_from", false), AcceptedTo: fs.date("accepted_to", false),
		StartDate: fs.date("start_date", false), ExpiresOn: fs.date("expires_on", false),
		Send: fs.str("send") == "on", DryRun: fs.str("action") != "renew",
		Price: billing.PriceChange{Kind: proposal.PriceChangeKind(fs.str("price_kind")), Rounding: proposal.Rounding(fs.str("rounding"))},
	}
	switch req.Price.Kind {
	case proposal.PricePercent:
		req.Price.Percent = fs.dec("price_value", true)
	case proposal.PriceAmount:
		req.Price.Amount = fs.dec("price_value", true)
	}
	for _, s := range r.PostForm["proposal_ids"] {
		if id, err := uuid.Parse(s); err == nil {
			req.ProposalIDs = append(req.ProposalIDs, id)
		}
	}
	return req, fs.err()
}

// renewalField maps billing's field names to the form's.
func renewalField(field string) string {
	switch {
	case strings.HasPrefix(field, "proposal_ids"):
		return "proposal_ids"
	case field == "price.kind":
		return "price_kind"
	case field == "price.percent" || field == "price.amount":
		return "price_value"
	case field == "price.rounding":
		return "rounding"
	}
	return field
}

func (h *handler) handleRenewalsPost(w http.ResponseWriter, r *http.Request) {
	req, err := renewalsRequest(r)
	var out billing.RenewalsResult
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			var err error
			out, err = h.cfg.Billing.RenewProposals(ctx, req, meta)
			return out.Result, err
		})
	}
	f := formFrom(r)
	if err == nil && !req.DryRun {
		what := "drafted"
		if req.Send {
			what = "drafted and sent"
		}
		redirect(w, r, "/renewals", fmt.Sprintf("%d renewals %s.", len(out.Renewals), what))
		return
	}
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, renewalField)
	}
	v, verr := h.renewalsView(r, f, renewalsPage{Preview: out.Renewals, Previewed: err == nil})
	if verr != nil {
		h.fail(w, r, verr)
		return
	}
	h.render(w, r, statusOf(err), "renewals", v)
}
