package ui

import (
	"context"
	"net/http"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/projections"
)

// The invoice page's Refund action: staff refund all or part of a
// collected gateway payment, with a reason, through processes/refunds (the
// gateway, then the refund and its credit note). The form's token is the
// command id, from which the refund's id is derived: submitting the form
// twice refunds once.

func (h *handler) registerRefundRoutes(rt routes) {
	rt.get("/invoices/{iid}/refund", h.handleRefundForm)
	rt.post("/invoices/{iid}/refund", h.handleRefund)
}

const refundTitle = "Refund a payment"

func (h *handler) handleRefundForm(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "invoice_action", &view{Title: refundTitle + " · " + d.Number, Section: "clients", Tab: "invoices", Client: c, Today: today,
		D: invoicePage{Invoice: d, Action: "refund", Title: refundTitle}, Form: newForm()})
}

func (h *handler) handleRefund(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.RefundRequest{InvoiceID: d.ID, ChargeReference: fs.str("charge_reference"), Reason: fs.str("reason")}
	if fs.has("amount") {
		a := fs.dec("amount", true)
		req.Amount = &a
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			if h.cfg.Refunds == nil {
				return billing.Result{}, domain.Conflict("Remit runs without a payment gateway here, so it cannot refund payments.")
			}
			return h.cfg.Refunds.Refund(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "invoice_action", &view{Title: refundTitle + " · " + d.Number, Section: "clients", Tab: "invoices", Client: c, Today: today,
			D: invoicePage{Invoice: d, Action: "refund", Title: refundTitle}, Form: f})
		return
	}
	redirect(w, r, "/invoices/"+d.ID.String(), "Payment refunded; its credit note is issued.")
}

// Refundable is what may still be refunded of the invoice's gateway
// payments (nothing while a dispute is open): the Refund action shows when
// it is more than zero.
func (p invoicePage) Refundable() domain.Money {
	d := p.Invoice
	left := decimal.Zero
	for _, pm := range d.Payments {
		if pm.Gateway {
			left = left.Add(pm.Amount.Amount)
		}
	}
	for _, rf := range d.Refunds {
		left = left.Sub(rf.Amount.Amount)
	}
	for _, ds := range d.Disputes {
		if ds.Open() {
			return domain.Zero(d.Total.Currency)
		}
		if ds.Outcome != "won" {
			left = left.Sub(ds.Amount.Amount)
		}
	}
	return domain.Money{Amount: left, Currency: d.Total.Currency}
}

// OpenDispute is the open dispute of the invoice's payments, if any: the
// page shows the invoice as disputed.
func (p invoicePage) OpenDispute() *projections.DisputeView {
	for i := range p.Invoice.Disputes {
		if p.Invoice.Disputes[i].Open() {
			return &p.Invoice.Disputes[i]
		}
	}
	return nil
}

// PaymentChoice is the Refund form's choice of which gateway payment to
// refund: each with what is left of it to refund, newest first (the one
// refunded when none is chosen, as the API does), so staff pick a payment
// rather than type its gateway reference.
func (p invoicePage) PaymentChoice(f *form) input {
	in := input{Name: "charge_reference", Label: "Payment", Type: "select", Value: f.Value("charge_reference"), Error: f.Error("charge_reference"), ID: fieldID("charge_reference")}
	refunded := map[string]decimal.Decimal{}
	for _, rf := range p.Invoice.Refunds {
		refunded[rf.GatewayReference] = refunded[rf.GatewayReference].Add(rf.Amount.Amount)
	}
	pays := p.Invoice.Payments
	for i := len(pays) - 1; i >= 0; i-- {
		pm := pays[i]
		if !pm.Gateway || pm.Reference == "" {
			continue
		}
		left := domain.NewMoney(pm.Amount.Amount.Sub(refunded[pm.Reference]), pm.Amount.Currency)
		if !left.Amount.IsPositive() {
			continue // refunded in full
		}
		label := fmtMoney(pm.Amount) + " paid " + fmtDate(pm.Date) + " (" + pm.Reference + ")"
		if !left.Amount.Equal(pm.Amount.Amount) {
			label += ", " + fmtMoney(left) + " left to refund"
		}
		in.Options = append(in.Options, option{Value: pm.Reference, Label: label})
	}
	return in
}
