package billingrun

import (
	"context"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/integrations/payments"
)

// # Surcharges
//
// When the firm passes the card fee on (firm.Surcharges), Collect charges
// a card the invoice's balance plus the surcharge line
// (invoice.State.SurchargedAmount) and records the attempt with the
// surcharge, so that InvoiceSurchargeAdded and InvoicePaymentSucceeded are
// appended together; a rejected charge adds nothing. The surcharge's terms
// travel in the charge's metadata (SurchargeMetadata), so that a bank
// debit's later answer by webhook is recorded with the surcharge it was
// charged with.

// Metadata keys of a charge's surcharge.
const (
	MetaSurchargeKind    = "surcharge_kind"
	MetaSurchargePercent = "surcharge_percent"
	MetaSurchargeTaxRate = "surcharge_tax_rate"
)

// SurchargeFor is the surcharge the firm adds to a charge from a card
// (card) or a bank debit, or nil when it adds none.
func SurchargeFor(f firm.State, card bool) *invoice.Surcharge {
	t, ok := f.Surcharge(card)
	if !ok {
		return nil
	}
	kind := invoice.SurchargeBankDebit
	if card {
		kind = invoice.SurchargeCard
	}
	return &invoice.Surcharge{Kind: kind, Percent: t.Percent, TaxRate: t.TaxRate}
}

// SurchargeMetadata writes sur's terms into a charge's metadata md (nothing
// when sur is nil).
func SurchargeMetadata(sur *invoice.Surcharge, md map[string]string) {
	if sur == nil {
		return
	}
	md[MetaSurchargeKind] = string(sur.Kind)
	md[MetaSurchargePercent] = sur.Percent.String()
	md[MetaSurchargeTaxRate] = sur.TaxRate.String()
}

// SurchargeFromMetadata reads the surcharge a charge's metadata carries, or
// nil when it carries none.
func SurchargeFromMetadata(md map[string]string) *invoice.Surcharge {
	kind := invoice.SurchargeKind(md[MetaSurchargeKind])
	if kind != invoice.SurchargeCard && kind != invoice.SurchargeBankDebit {
		return nil
	}
	pct, err1 := decimal.NewFromString(md[MetaSurchargePercent])
	rate, err2 := decimal.NewFromString(md[MetaSurchargeTaxRate])
	if err1 != nil || err2 != nil || !pct.IsPositive() {
		return nil
	}
	return &invoice.Surcharge{Kind: kind, Percent: pct, TaxRate: rate}
}

// RecordSurchargedAttempt is RecordAttempt for a charge that carried
// surcharge sur (nil: none): a successful charge of the balance plus the
// surcharge adds the surcharge line with the payment.
func RecordSurchargedAttempt(ctx context.Context, svc *billing.Service, invoiceID, attemptID, methodID uuid.UUID, date domain.Date, res payments.ChargeResult, sur *invoice.Surcharge, meta billing.Meta) (billing.Result, error) {
	return recordAttempt(ctx, svc, billing.InvoiceRequest{InvoiceID: invoiceID, AttemptID: attemptID, PaymentMethodID: methodID, Date: date, Surcharge: sur}, res, meta)
}

// RecordPayNowAttempt is RecordSurchargedAttempt, dated the firm's today,
// for a payment the client made on the pay-now page (methodID zero unless
// they kept the method): the payment says so (invoice.PaidThroughPayNow),
// and names the method it was made with (paidWith, when the client did not
// keep it and the gateway described it; else nil).
// Its command id is the same, so whichever of the browser's return and the
// gateway's webhooks records the payment first, the others append nothing.
func RecordPayNowAttempt(ctx context.Context, svc *billing.Service, invoiceID, attemptID, methodID uuid.UUID, paidWith *invoice.MethodUsed, res payments.ChargeResult, sur *invoice.Surcharge, meta billing.Meta) (billing.Result, error) {
	if methodID != uuid.Nil {
		paidWith = nil
	}
	return recordAttempt(ctx, svc, billing.InvoiceRequest{InvoiceID: invoiceID, AttemptID: attemptID, PaymentMethodID: methodID, Surcharge: sur,
		Through: invoice.PaidThroughPayNow, PaidWith: paidWith}, res, meta)
}

func recordAttempt(ctx context.Context, svc *billing.Service, r billing.InvoiceRequest, res payments.ChargeResult, meta billing.Meta) (billing.Result, error) {
	attemptID := r.AttemptID
	switch res.Status {
	case payments.StatusSucceeded:
		r.Outcome, r.GatewayReference, r.Amount = invoice.AttemptSucceeded, res.Reference, res.Amount.Amount
	case payments.StatusRejected:
		r.Outcome, r.GatewayReference, r.DeclineCode, r.DeclineMessage = invoice.AttemptRejected, res.Reference, res.DeclineCode, res.Message
	default:
		return billing.Result{}, nil
	}
	if meta.CommandID == "" {
		meta.CommandID = collectPrefix + attemptID.String()
	}
	return svc.RecordCollectionAttempt(ctx, r, meta)
}
