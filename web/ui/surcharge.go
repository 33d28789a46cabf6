package ui

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/firm"
)

// Surcharges, on the firm's settings page: the percentage added to a card
// charge and to a bank debit (0: none, the default for bank debits) and the
// tax rate of the surcharge line, one small form of their own
// (POST /settings/firm/surcharges). Errors are shown beside their fields.

const (
	surchargeCardField = "surcharges.card"
	surchargeBankField = "surcharges.bank_debit"
	surchargeTaxField  = "surcharges.tax_rate_id"
)

// setSurchargeFields fills the surcharge form's fields from the firm's
// settings.
func setSurchargeFields(fm *form, f firm.State) {
	fm.set(surchargeCardField, f.Surcharges.Card.String())
	fm.set(surchargeBankField, f.Surcharges.BankDebit.String())
	if f.Surcharges.TaxRateID != uuid.Nil {
		fm.set(surchargeTaxField, f.Surcharges.TaxRateID.String())
	}
}

// surchargeTaxInput is the select of the surcharge line's tax rate: the
// firm's default, or one of its rates.
func surchargeTaxInput(fm *form, f firm.State) input {
	in := input{Name: surchargeTaxField, Label: "Tax on the surcharge", Type: "select", Value: fm.Value(surchargeTaxField),
		Error: fm.Error(surchargeTaxField), ID: fieldID(surchargeTaxField)}
	def := "The default tax rate"
	if r, ok := f.DefaultTaxRate(); ok {
		def += " (" + r.Name + ", " + r.Rate.String() + "%)"
	}
	in.Options = append(in.Options, option{Value: "", Label: def})
	for _, r := range f.TaxRates {
		in.Options = append(in.Options, option{Value: r.ID.String(), Label: r.Name + " (" + r.Rate.String() + "%)"})
	}
	return in
}

func (h *handler) handleFirmSurcharges(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	fs := readForm(r)
	s := firm.Surcharges{Card: fs.dec(surchargeCardField, false), BankDebit: fs.dec(surchargeBankField, false)}
	if fs.has(surchargeTaxField) {
		s.TaxRateID = fs.id(surchargeTaxField)
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Surcharges: &s}, meta)
		})
	}
	if err != nil {
		f, _, ferr := h.firmNow(r.Context())
		if ferr != nil {
			h.fail(w, r, ferr)
			return
		}
		fm := firmForm(f)
		for _, k := range []string{surchargeCardField, surchargeBankField, surchargeTaxField} {
			fm.set(k, r.PostFormValue(k))
		}
		fm.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.showFirm(w, r, statusOf(err), f, fm)
		return
	}
	redirect(w, r, firmPath+"#surcharges", "Surcharges saved.")
}

// surchargeNotice tells a client, before they choose a card or a bank
// account on the capture and acceptance pages, what the firm adds to each
// payment: "Card payments carry a 1.50% card surcharge, added to the
// invoice as its own line; bank debits carry none." "" when the firm
// surcharges nothing.
func surchargeNotice(f firm.State) string {
	s := f.Surcharges
	pct := func(d decimal.Decimal) string { return d.StringFixed(2) + "%" }
	switch {
	case s.Card.IsPositive() && s.BankDebit.IsPositive():
		return "Card payments carry a " + pct(s.Card) + " card surcharge and bank debits a " + pct(s.BankDebit) + " surcharge, each added to the invoice as its own line."
	case s.Card.IsPositive():
		return "Card payments carry a " + pct(s.Card) + " card surcharge, added to the invoice as its own line; bank debits carry none."
	case s.BankDebit.IsPositive():
		return "Bank debits carry a " + pct(s.BankDebit) + " surcharge, added to the invoice as its own line; card payments carry none."
	}
	return ""
}
