package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/firm"
)

func (s *Server) registerFirmRoutes(r *mux.Router) {
	r.HandleFunc("/api/firm", s.handleFirmView).Methods(http.MethodGet)
	r.HandleFunc("/api/firm", s.handleFirmSetUp).Methods(http.MethodPost)
	r.HandleFunc("/api/firm", s.handleFirmChange).Methods(http.MethodPatch)
	r.HandleFunc("/api/firm/dunning-policy", s.handleDunningPolicyView).Methods(http.MethodGet)
	r.HandleFunc("/api/firm/dunning-policy", s.handleDunningPolicyChange).Methods(http.MethodPut)
	r.HandleFunc("/api/firm/tax-rates", s.handleTaxRateAdd).Methods(http.MethodPost)
	r.HandleFunc("/api/firm/tax-rates/{id}", s.handleTaxRateView).Methods(http.MethodGet)
	r.HandleFunc("/api/firm/tax-rates/{id}", s.handleTaxRateChange).Methods(http.MethodPatch)
	r.HandleFunc("/api/firm/tax-rates/{id}", s.handleTaxRateRemove).Methods(http.MethodDelete)
	r.HandleFunc("/api/firm/tax-rates/{id}/make-default", s.handleTaxRateMakeDefault).Methods(http.MethodPost)
}

// FirmView is the firm's settings.
type FirmView struct {
	SetUp                   bool      `json:"set_up"`
	Name                    string    `json:"name"`
	Address                 Address   `json:"address"`
	TaxNumber               string    `json:"tax_number"`
	Logo                    string    `json:"logo"`
	BaseCurrency            string    `json:"base_currency"`
	TimeZone                string    `json:"time_zone"`
	InvoicePrefix           string    `json:"invoice_prefix"`
	PaymentTermsDays        int       `json:"payment_terms_days"`
	GroupItems              bool      `json:"group_items"`
	MissedBillings          string    `json:"missed_billings"`
	TaxMode                 string    `json:"tax_mode"`
	TaxRates                []TaxRate `json:"tax_rates"`
	DefaultTaxRateID        ID        `json:"default_tax_rate_id"`
	CollectionDaysOnceOff   int       `json:"collection_days_once_off"`
	CollectionDaysRecurring int       `json:"collection_days_recurring"`
	RetryAfterDays          []int     `json:"retry_after_days"`
	// Surcharges are the percentages added to card and bank debit charges.
	Surcharges Surcharges `json:"surcharges"`
	// BankAccount is where clients pay by transfer (every field empty: not
	// given).
	BankAccount BankAccount `json:"bank_account"`
	// Proposals are the proposal settings: reminder days after sending,
	// the default expiry and the staff notices (the defaults until changed).
	Proposals ProposalSettings `json:"proposals"`
	SetUpAt   Time             `json:"set_up_at"`
	ChangedAt Time             `json:"changed_at"`
	Revision  uint64           `json:"revision"`
}

// ProposalSettings are the firm's settings for the proposals it sends: the
// days after sending on which the daily job reminds the signatories who
// have not signed, how many days after sending a proposal without its own
// expiry date expires (0: never), and whether staff are emailed (at
// staff_email; empty: the server's staff address) of a client's first view,
// acceptance or decline.
type ProposalSettings struct {
	ReminderDays []int  `json:"reminder_days"`
	ExpiryDays   int    `json:"expiry_days"`
	NotifyStaff  bool   `json:"notify_staff"`
	StaffEmail   string `json:"staff_email"`
}

func proposalSettingsOf(p firm.ProposalSettings) ProposalSettings {
	return ProposalSettings{ReminderDays: nonNil(p.ReminderDays), ExpiryDays: p.ExpiryDays, NotifyStaff: p.NotifyStaff, StaffEmail: p.StaffEmail}
}

// firmViewOf converts the firm's settings at a revision of its stream.
func firmViewOf(f firm.State, rev uint64) FirmView {
	return FirmView{
		SetUp: f.SetUp, Name: f.Name, Address: addressOf(f.Address), TaxNumber: f.TaxNumber, Logo: f.Logo,
		BaseCurrency: f.BaseCurrency.Code, TimeZone: f.TimeZone, InvoicePrefix: f.InvoicePrefix,
		PaymentTermsDays: f.PaymentTermsDays, GroupItems: f.GroupItems, MissedBillings: string(f.MissedBillings),
		TaxMode: string(f.TaxMode), TaxRates: wireList(f.TaxRates, taxRateOf), DefaultTaxRateID: ID(f.DefaultTaxRateID),
		CollectionDaysOnceOff: f.CollectionDaysOnceOff, CollectionDaysRecurring: f.CollectionDaysRecurring,
		RetryAfterDays: nonNil(f.RetryAfterDays), Surcharges: surchargesOf(f.Surcharges), BankAccount: BankAccount(f.BankAccount), Proposals: proposalSettingsOf(f.Proposals()), SetUpAt: Time(f.SetUpAt), ChangedAt: Time(f.ChangedAt), Revision: rev,
	}
}

// Surcharges are what the firm adds to a charge, by kind of method: a
// percentage (0: none) and the tax rate of the surcharge line (empty: the
// firm's default rate).
type Surcharges struct {
	Card      Decimal `json:"card"`
	BankDebit Decimal `json:"bank_debit"`
	TaxRateID ID      `json:"tax_rate_id"`
}

func surchargesOf(s firm.Surcharges) Surcharges {
	return Surcharges{Card: decimalOf(s.Card), BankDebit: decimalOf(s.BankDebit), TaxRateID: ID(s.TaxRateID)}
}

// BankAccount is the account clients pay invoices into by transfer: its
// name, BSB, sort code or routing number (branch_code), account number or
// IBAN, and the bank's BIC.
type BankAccount struct {
	Name       string `json:"name"`
	BranchCode string `json:"branch_code"`
	Number     string `json:"number"`
	BIC        string `json:"bic"`
}

// TaxRateView is one of the firm's tax rates.
type TaxRateView struct {
	TaxRate
	Default  bool   `json:"default"`
	Revision uint64 `json:"revision"`
}

// TaxRateChange renames a tax rate or changes its percentage.
type TaxRateChange struct {
	Name string          `json:"name"`
	Rate decimal.Decimal `json:"rate"`
}

func (s *Server) readFirm(ctx context.Context) (FirmView, error) {
	f, rev, err := s.firmState(ctx)
	if err != nil {
		return FirmView{}, err
	}
	if !f.SetUp {
		return FirmView{}, domain.NotFound("The firm is not set up yet: POST /api/firm.")
	}
	return firmViewOf(f, rev), nil
}

func (s *Server) readTaxRate(ctx context.Context, id uuid.UUID) (TaxRateView, error) {
	f, err := s.readFirm(ctx)
	if err != nil {
		return TaxRateView{}, err
	}
	for _, t := range f.TaxRates {
		if uuid.UUID(t.ID) == id {
			return TaxRateView{TaxRate: t, Default: uuid.UUID(f.DefaultTaxRateID) == id, Revision: f.Revision}, nil
		}
	}
	return TaxRateView{}, domain.NotFound("There is no tax rate %s.", id)
}

// firmCommand is a command on the firm stream that answers the firm.
func (s *Server) firmCommand(created bool, run runFunc) command {
	c := command{stream: firm.StreamName(), created: created, location: fixedLocation("/api/firm"), run: run,
		read: func(ctx context.Context, _ billing.Result) (any, string, error) {
			f, err := s.readFirm(ctx)
			return f, etag(f.Revision), err
		}}
	if created {
		c.stream = "" // set-up creates the stream
	}
	return c
}

func (s *Server) handleFirmView(w http.ResponseWriter, r *http.Request) {
	f, err := s.readFirm(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, f, f.Revision)
}

func (s *Server) handleFirmSetUp(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"name", "base_currency", "time_zone"}, func(b billing.SetUpFirmRequest) command {
		return s.firmCommand(true, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.SetUpFirm(ctx, b, meta)
		})
	})
}

func (s *Server) handleFirmChange(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, nil, func(b billing.FirmSettingsRequest) command {
		return s.firmCommand(false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.ChangeFirmSettings(ctx, b, meta)
		})
	})
}

// taxRates are the firm's tax rates: parts of the firm stream, each at its
// own URL.
func (s *Server) taxRates() root[TaxRateView] {
	return root[TaxRateView]{what: "tax rate", base: "/api/firm/tax-rates/", read: s.readTaxRate,
		stream: func(uuid.UUID) string { return firm.StreamName() },
		rev:    func(t TaxRateView) uint64 { return t.Revision }}
}

// handleTaxRateAdd answers the new rate; If-Match names the firm stream.
func (s *Server) handleTaxRateAdd(w http.ResponseWriter, r *http.Request) {
	readCommand(s, w, r, []string{"name", "rate"}, func(b billing.TaxRateRequest) command {
		k := s.taxRates()
		return answering(firm.StreamName(), k.base, uuid.Nil, true, k.get, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.AddTaxRate(ctx, b, meta)
		})
	})
}

func (s *Server) handleTaxRateView(w http.ResponseWriter, r *http.Request) {
	s.taxRates().view(s, w, r)
}

func (s *Server) handleTaxRateChange(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.taxRates(), []string{"name", "rate"}, func(ctx context.Context, id uuid.UUID, b TaxRateChange, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ChangeTaxRate(ctx, billing.TaxRateRequest{TaxRateID: id, Name: b.Name, Rate: b.Rate}, meta)
	})
}

// handleTaxRateRemove answers the firm.
func (s *Server) handleTaxRateRemove(w http.ResponseWriter, r *http.Request) {
	id, err := s.taxRates().id(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	readCommand(s, w, r, nil, func(none) command {
		return s.firmCommand(false, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return s.cfg.Billing.RemoveTaxRate(ctx, billing.TaxRateRef{TaxRateID: id}, meta)
		})
	})
}

func (s *Server) handleTaxRateMakeDefault(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.taxRates(), nil, func(ctx context.Context, id uuid.UUID, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SetDefaultTaxRate(ctx, billing.TaxRateRef{TaxRateID: id}, meta)
	})
}
