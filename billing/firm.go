package billing

import (
	"context"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/firm"
)

// SetUpFirmRequest sets the firm up (once). Zero values take the defaults
// documented on firm.SetUp.
type SetUpFirmRequest struct {
	Name                    string         `json:"name"`
	Address                 domain.Address `json:"address"`
	TaxNumber               string         `json:"tax_number,omitempty"`
	Logo                    string         `json:"logo,omitempty"`
	BaseCurrency            string         `json:"base_currency"` // ISO 4217
	TimeZone                string         `json:"time_zone"`     // IANA name
	InvoicePrefix           string         `json:"invoice_prefix,omitempty"`
	PaymentTermsDays        int            `json:"payment_terms_days,omitempty"`
	TaxMode                 domain.TaxMode `json:"tax_mode,omitempty"`
	CollectionDaysOnceOff   int            `json:"collection_days_once_off,omitempty"`
	CollectionDaysRecurring int            `json:"collection_days_recurring,omitempty"`
	RetryAfterDays          []int          `json:"retry_after_days,omitempty"`
	GroupItems              *bool          `json:"group_items,omitempty"`
	// MissedBillings: "catch_up" (the default) or "skip".
	MissedBillings firm.MissedBillings `json:"missed_billings,omitempty"`
}

// FirmSettingsRequest changes one group of the firm's settings: set exactly
// the groups to change (nil groups are left as they are). Each group is
// recorded as its own event; a group that changes nothing records nothing.
type FirmSettingsRequest struct {
	Details            *FirmDetails            `json:"details,omitempty"`
	Logo               *string                 `json:"logo,omitempty"`
	Regional           *FirmRegional           `json:"regional,omitempty"`
	Invoice            *FirmInvoiceSettings    `json:"invoice,omitempty"`
	GroupItems         *bool                   `json:"group_items,omitempty"`
	MissedBillings     *firm.MissedBillings    `json:"missed_billings,omitempty"`
	TaxMode            *domain.TaxMode         `json:"tax_mode,omitempty"`
	CollectionSchedule *FirmCollectionSchedule `json:"collection_schedule,omitempty"`
	RetryAfterDays     *[]int                  `json:"retry_after_days,omitempty"`
	// Surcharges sets the percentages added to card and bank debit charges
	// and the surcharge line's tax rate (field names "surcharges.card",
	// "surcharges.bank_debit", "surcharges.tax_rate_id").
	Surcharges *firm.Surcharges `json:"surcharges,omitempty"`
	// BankAccount sets the account clients pay by transfer into, shown
	// wherever they are asked to (field names "bank_account.number", …);
	// every field empty removes it.
	BankAccount *firm.BankAccount `json:"bank_account,omitempty"`
	// Proposals sets the firm's proposal settings, all at once: reminder
	// days after sending, the default expiry and the staff notices (field
	// names "proposals.reminder_days", "proposals.expiry_days",
	// "proposals.staff_email").
	Proposals *firm.ProposalSettings `json:"proposals,omitempty"`
}

// FirmDetails are the firm's name, address and tax number.
type FirmDetails struct {
	Name      string         `json:"name"`
	Address   domain.Address `json:"address"`
	TaxNumber string         `json:"tax_number,omitempty"`
}

// FirmRegional are the firm's base currency and time zone.
type FirmRegional struct {
	BaseCurrency string `json:"base_currency"`
	TimeZone     string `json:"time_zone"`
}

// FirmInvoiceSettings are the invoice number prefix and default payment terms.
type FirmInvoiceSettings struct {
	InvoicePrefix    string `json:"invoice_prefix"`
	PaymentTermsDays int    `json:"payment_terms_days"`
}

// FirmCollectionSchedule is how many days after issue payment is collected.
type FirmCollectionSchedule struct {
	CollectionDaysOnceOff   int `json:"collection_days_once_off"`
	CollectionDaysRecurring int `json:"collection_days_recurring"`
}

// TaxRateRequest adds or changes a named tax rate (percent). TaxRateID is
// required to change one, optional to add one.
type TaxRateRequest struct {
	TaxRateID   uuid.UUID       `json:"tax_rate_id,omitzero"`
	Name        string          `json:"name"`
	Rate        decimal.Decimal `json:"rate"`
	MakeDefault bool            `json:"make_default,omitempty"`
}

// TaxRateRef names a tax rate.
type TaxRateRef struct {
	TaxRateID uuid.UUID `json:"tax_rate_id"`
}

func checkZone(p *domain.Problems, field, zone string) {
	if zone == "" {
		return // the domain reports a missing zone
	}
	if _, err := loadZone(zone); err != nil {
		p.Add(field, "%q is not a time zone Remit knows (use an IANA name such as Australia/Sydney)", zone)
	}
}

// SetUpFirm sets the firm up. Stream "firm"; refused with ECONFLICT once set up.
func (s *Service) SetUpFirm(ctx context.Context, r SetUpFirmRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	var p domain.Problems
	checkZone(&p, "time_zone", r.TimeZone)
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(firm.SetUp{
		Name: r.Name, Address: r.Address, TaxNumber: r.TaxNumber, Logo: r.Logo,
		BaseCurrency: r.BaseCurrency, TimeZone: r.TimeZone, InvoicePrefix: r.InvoicePrefix,
		PaymentTermsDays: r.PaymentTermsDays, TaxMode: r.TaxMode,
		CollectionDaysOnceOff: r.CollectionDaysOnceOff, CollectionDaysRecurring: r.CollectionDaysRecurring,
		RetryAfterDays: r.RetryAfterDays, GroupItems: r.GroupItems, MissedBillings: r.MissedBillings, Now: s.now(),
	}), meta, uuid.Nil)
}

// ChangeFirmSettings changes the groups of settings r sets, each as its own
// command on stream "firm" (in the order of FirmSettingsRequest's fields).
// Every group is checked before any is recorded; the Result is the last
// change's.
func (s *Service) ChangeFirmSettings(ctx context.Context, r FirmSettingsRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	now := s.now()
	var cmds []firm.Command
	var p domain.Problems
	if r.Details != nil {
		cmds = append(cmds, firm.ChangeDetails{Name: r.Details.Name, Address: r.Details.Address, TaxNumber: r.Details.TaxNumber, Now: now})
	}
	if r.Logo != nil {
		cmds = append(cmds, firm.ChangeLogo{Logo: *r.Logo, Now: now})
	}
	if r.Regional != nil {
		checkZone(&p, "regional.time_zone", r.Regional.TimeZone)
		cmds = append(cmds, firm.ChangeRegionalSettings{BaseCurrency: r.Regional.BaseCurrency, TimeZone: r.Regional.TimeZone, Now: now})
	}
	if r.Invoice != nil {
		cmds = append(cmds, firm.ChangeInvoiceSettings{InvoicePrefix: r.Invoice.InvoicePrefix, PaymentTermsDays: r.Invoice.PaymentTermsDays, Now: now})
	}
	if r.GroupItems != nil {
		cmds = append(cmds, firm.ChangeInvoiceGrouping{GroupItems: *r.GroupItems, Now: now})
	}
	if r.MissedBillings != nil {
		cmds = append(cmds, firm.ChangeMissedBillings{MissedBillings: *r.MissedBillings, Now: now})
	}
	if r.TaxMode != nil {
		cmds = append(cmds, firm.ChangeTaxMode{TaxMode: *r.TaxMode, Now: now})
	}
	if r.CollectionSchedule != nil {
		cmds = append(cmds, firm.ChangeCollectionSchedule{CollectionDaysOnceOff: r.CollectionSchedule.CollectionDaysOnceOff, CollectionDaysRecurring: r.CollectionSchedule.CollectionDaysRecurring, Now: now})
	}
	if r.RetryAfterDays != nil {
		cmds = append(cmds, firm.ChangeRetryPolicy{RetryAfterDays: *r.RetryAfterDays, Now: now})
	}
	if r.Surcharges != nil {
		cmds = append(cmds, firm.ChangeSurcharges{Surcharges: *r.Surcharges, Now: now})
	}
	if r.BankAccount != nil {
		cmds = append(cmds, firm.ChangeBankAccount{Account: *r.BankAccount, Now: now})
	}
	if r.Proposals != nil {
		cmds = append(cmds, firm.ChangeProposalSettings{Settings: *r.Proposals, Now: now})
	}
	if len(cmds) == 0 {
		p.Add("", "choose a setting to change")
	}
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	// One decision over all groups, so a bad group refuses the whole request.
	return run(ctx, s, Decider[firm.State, []firm.Command]{Evolve: firm.Evolve, Decide: decideAll(firm.Evolve, firm.Decide)}, firm.StreamName(), cmds, meta, uuid.Nil)
}

// decideAll decides several commands in turn, each against the state left by
// the events of the ones before, as one decision.
func decideAll[S, C any](evolve func(S, domain.Event) S, decide func(S, C) ([]domain.Event, error)) func(S, []C) ([]domain.Event, error) {
	return func(s S, cmds []C) ([]domain.Event, error) {
		var all []domain.Event
		for _, c := range cmds {
			events, err := decide(s, c)
			if err != nil {
				return nil, err
			}
			for _, e := range events {
				s = evolve(s, e)
			}
			all = append(all, events...)
		}
		return all, nil
	}
}

// AddTaxRate adds a tax rate; Result.ID is its id.
func (s *Service) AddTaxRate(ctx context.Context, r TaxRateRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	id := pick(r.TaxRateID, meta, "tax-rate")
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(firm.AddTaxRate{TaxRateID: id, Name: r.Name, Rate: r.Rate, MakeDefault: r.MakeDefault, Now: s.now()}), meta, id)
}

// ChangeTaxRate renames a tax rate or changes its percentage.
func (s *Service) ChangeTaxRate(ctx context.Context, r TaxRateRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(firm.ChangeTaxRate{TaxRateID: r.TaxRateID, Name: r.Name, Rate: r.Rate, Now: s.now()}), meta, uuid.Nil)
}

// RemoveTaxRate stops offering a tax rate.
func (s *Service) RemoveTaxRate(ctx context.Context, r TaxRateRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(firm.RemoveTaxRate{TaxRateID: r.TaxRateID, Now: s.now()}), meta, uuid.Nil)
}

// SetDefaultTaxRate makes a tax rate the default for new lines.
func (s *Service) SetDefaultTaxRate(ctx context.Context, r TaxRateRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(firm.SetDefaultTaxRate{TaxRateID: r.TaxRateID, Now: s.now()}), meta, uuid.Nil)
}
