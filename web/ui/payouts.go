package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"remit/projections"
)

// payoutsPerPage is how many payouts the Payouts page lists at once.
const payoutsPerPage = 50

// registerPayoutRoutes adds the Payouts page (the payment gateway's payouts
// to the firm's bank account, newest first) and a payout's page (each
// charge, refund and fee it settles, with links to the invoices).
func (h *handler) registerPayoutRoutes(rt routes) {
	rt.get("/payouts", h.handlePayoutList)
	rt.get("/payouts/{pid}", h.handlePayoutView)
}

type payoutList struct {
	Page             projections.Page[projections.PayoutView]
	Prev, Next, Show string
}

func (h *handler) handlePayoutList(w http.ResponseWriter, r *http.Request) {
	pageNo := pageParam(r.URL.Query())
	page, err := h.models(r.Context()).ListPayouts(r.Context(), projections.Paging{Offset: (pageNo - 1) * payoutsPerPage, Limit: payoutsPerPage})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := payoutList{Page: page}
	link := func(p int) string { return "/payouts?" + url.Values{"page": {strconv.Itoa(p)}}.Encode() }
	d.Prev, d.Next, d.Show = pager(pageNo, payoutsPerPage, page.Total, len(page.Items), link)
	h.render(w, r, http.StatusOK, "payouts", &view{Title: "Payouts", Section: "payouts", D: d})
}

func (h *handler) handlePayoutView(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "pid")
	if !ok {
		return
	}
	p, err := h.models(r.Context()).Payout(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "payout", &view{Title: "Payout " + p.Reference, Section: "payouts", D: p})
}
