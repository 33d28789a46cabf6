package firm

import (
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// TaxRate is one of the firm's named tax rates, a percentage (10 for 10 %).
type TaxRate struct {
	ID   uuid.UUID       `json:"id"`
	Name string          `json:"name"`
	Rate decimal.Decimal `json:"rate"`
}

// State is the firm's current settings. The zero State is a firm not yet set
// up.
type State struct {
	SetUp     bool
	Name      string
	Address   domain.Address
	TaxNumber string
	Logo      string // a URL or "sha256:<hex>" content hash; "" when none

	BaseCurrency domain.Currency
	// TimeZone is an IANA zone name such as "Australia/Sydney"; the caller
	// loads it with time.LoadLocation (the domain reads no files).
	TimeZone string

	InvoicePrefix    string
	PaymentTermsDays int
	GroupItems       bool // one invoice per client, date and payment method
	// MissedBillings says what a billing run does with automatic billings
	// whose date passed before they were invoiced: catch them up (the zero
	// value, as firms set up before the setting had) or skip them.
	MissedBillings MissedBillings

	TaxMode          domain.TaxMode
	TaxRates         []TaxRate // in the order they were added
	DefaultTaxRateID uuid.UUID // uuid.Nil when there is no default

	CollectionDaysOnceOff   int
	CollectionDaysRecurring int
	RetryAfterDays          []int // days after the first rejection, increasing

	// Surcharges are what a charge adds, by kind of method (surcharge.go);
	// zero (none) until the firm sets them.
	Surcharges Surcharges
	// BankAccount is where clients pay by transfer (bankaccount.go); zero
	// when the firm has given none.
	BankAccount BankAccount
	// ProposalSettings are the firm's proposal settings (proposals.go);
	// nil until it changes them (Proposals gives the defaults then).
	ProposalSettings *ProposalSettings
	// DunningPolicy is the firm's dunning policy (dunning.go) but its retry
	// schedule, which is RetryAfterDays; nil until it changes it (Dunning
	// gives the defaults then).
	DunningPolicy *DunningPolicy
	// LastDigest is the date of the last daily digest sent to the staff
	// (FirmDunningDigestSent); zero before the first.
	LastDigest domain.Date

	SetUpAt   time.Time
	ChangedAt time.Time // when a setting last changed (the set-up included)
}

// Evolve returns the state after event e. It never fails and never validates;
// events of other aggregates are ignored. It never modifies s's slices, so
// earlier states stay as they were.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case FirmSetUp:
		s = State{
			SetUp:                   true,
			Name:                    e.Name,
			Address:                 e.Address,
			TaxNumber:               e.TaxNumber,
			Logo:                    e.Logo,
			BaseCurrency:            e.BaseCurrency,
			TimeZone:                e.TimeZone,
			InvoicePrefix:           e.InvoicePrefix,
			PaymentTermsDays:        e.PaymentTermsDays,
			GroupItems:              e.GroupItems,
			MissedBillings:          e.MissedBillings,
			TaxMode:                 e.TaxMode,
			CollectionDaysOnceOff:   e.CollectionDaysOnceOff,
			CollectionDaysRecurring: e.CollectionDaysRecurring,
			RetryAfterDays:          slices.Clone(e.RetryAfterDays),
			SetUpAt:                 e.At,
			ChangedAt:               e.At,
		}
	case FirmDetailsChanged:
		s.Name, s.Address, s.TaxNumber, s.ChangedAt = e.Name, e.Address, e.TaxNumber, e.At
	case FirmLogoChanged:
		s.Logo, s.ChangedAt = e.Logo, e.At
	case FirmRegionalSettingsChanged:
		s.BaseCurrency, s.TimeZone, s.ChangedAt = e.BaseCurrency, e.TimeZone, e.At
	case FirmInvoiceSettingsChanged:
		s.InvoicePrefix, s.PaymentTermsDays, s.ChangedAt = e.InvoicePrefix, e.PaymentTermsDays, e.At
	case FirmInvoiceGroupingChanged:
		s.GroupItems, s.ChangedAt = e.GroupItems, e.At
	case FirmMissedBillingsChanged:
		s.MissedBillings, s.ChangedAt = e.MissedBillings, e.At
	case FirmTaxModeChanged:
		s.TaxMode, s.ChangedAt = e.TaxMode, e.At
	case FirmTaxRateAdded:
		s.TaxRates = append(slices.Clip(s.TaxRates), TaxRate{ID: e.TaxRateID, Name: e.Name, Rate: e.Rate})
		s.ChangedAt = e.At
	case FirmTaxRateChanged:
		s.TaxRates = slices.Clone(s.TaxRates)
		if i := s.taxRateIndex(e.TaxRateID); i >= 0 {
			s.TaxRates[i] = TaxRate{ID: e.TaxRateID, Name: e.Name, Rate: e.Rate}
		}
		s.ChangedAt = e.At
	case FirmTaxRateRemoved:
		s.TaxRates = slices.DeleteFunc(slices.Clone(s.TaxRates), func(r TaxRate) bool { return r.ID == e.TaxRateID })
		if s.DefaultTaxRateID == e.TaxRateID {
			s.DefaultTaxRateID = uuid.Nil
		}
		if s.Surcharges.TaxRateID == e.TaxRateID {
			s.Surcharges.TaxRateID = uuid.Nil // surcharges are taxed at the default rate again
		}
		s.ChangedAt = e.At
	case FirmDefaultTaxRateSet:
		s.DefaultTaxRateID, s.ChangedAt = e.TaxRateID, e.At
	case FirmCollectionScheduleChanged:
		s.CollectionDaysOnceOff, s.CollectionDaysRecurring, s.ChangedAt = e.CollectionDaysOnceOff, e.CollectionDaysRecurring, e.At
	case FirmRetryPolicyChanged:
		s.RetryAfterDays, s.ChangedAt = slices.Clone(e.RetryAfterDays), e.At
	case FirmBankAccountChanged:
		s.BankAccount, s.ChangedAt = e.Account, e.At
	case FirmSurchargesChanged:
		s.Surcharges, s.ChangedAt = e.Surcharges, e.At
	case FirmProposalSettingsChanged:
		ps := e.ProposalSettings
		ps.ReminderDays = slices.Clone(ps.ReminderDays)
		s.ProposalSettings, s.ChangedAt = &ps, e.At
	case FirmDunningPolicyChanged:
		dp := e.DunningPolicy
		dp.RetryAfterDays = nil // kept in RetryAfterDays, which FirmRetryPolicyChanged changes too
		dp.StaffEmails, dp.RemindBeforeDue, dp.RemindAfterDue = slices.Clone(dp.StaffEmails), slices.Clone(dp.RemindBeforeDue), slices.Clone(dp.RemindAfterDue)
		s.RetryAfterDays, s.DunningPolicy, s.ChangedAt = slices.Clone(e.RetryAfterDays), &dp, e.At
	case FirmDunningDigestSent:
		s.LastDigest = e.Date
	}
	return s
}

// MissedBillings is what a billing run does with an automatic billing whose
// date passed before it was invoiced (a service started in the past, a run
// that did not happen): MissedCatchUp invoices it on the run's date,
// MissedSkip records it as skipped.
type MissedBillings string

// What to do with missed billings.
const (
	MissedCatchUp MissedBillings = "catch_up"
	MissedSkip    MissedBillings = "skip"
)

// SkipsMissedBillings reports whether billing runs skip missed billings
// rather than catch them up (the default).
func (s State) SkipsMissedBillings() bool { return s.MissedBillings == MissedSkip }

// Fold returns the state after events, from the zero State.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

func (s State) taxRateIndex(id uuid.UUID) int {
	return slices.IndexFunc(s.TaxRates, func(r TaxRate) bool { return r.ID == id })
}

// TaxRate returns the tax rate with the given id, if the firm offers it.
func (s State) TaxRate(id uuid.UUID) (TaxRate, bool) {
	if i := s.taxRateIndex(id); i >= 0 {
		return s.TaxRates[i], true
	}
	return TaxRate{}, false
}

// DefaultTaxRate returns the rate new lines get by default, if there is one.
func (s State) DefaultTaxRate() (TaxRate, bool) {
	if s.DefaultTaxRateID == uuid.Nil {
		return TaxRate{}, false
	}
	return s.TaxRate(s.DefaultTaxRateID)
}

// DueDate returns the due date of an invoice issued on issue under the firm's
// default payment terms. A client's own terms, where it has them, come first;
// the caller chooses.
func (s State) DueDate(issue domain.Date) domain.Date {
	return issue.AddDays(s.PaymentTermsDays)
}

// CollectionDate returns the date on which payment of an invoice issued on
// issue is collected from the payment method on file: a recurring invoice
// (from a repeating service) and a once-off invoice each have their own delay.
func (s State) CollectionDate(issue domain.Date, recurring bool) domain.Date {
	if recurring {
		return issue.AddDays(s.CollectionDaysRecurring)
	}
	return issue.AddDays(s.CollectionDaysOnceOff)
}

// RetryDates returns the dates on which a rejected payment is retried
// automatically, given the date of its first rejection; none when the policy
// has no retries.
func (s State) RetryDates(firstRejection domain.Date) []domain.Date {
	out := make([]domain.Date, 0, len(s.RetryAfterDays))
	for _, d := range s.RetryAfterDays {
		out = append(out, firstRejection.AddDays(d))
	}
	return out
}

// NextRetryDate returns the first automatic retry date after the given
// attempt date (the first rejection's date is day 0), or false when the
// policy's retries are used up.
func (s State) NextRetryDate(firstRejection, lastAttempt domain.Date) (domain.Date, bool) {
	for _, d := range s.RetryDates(firstRejection) {
		if d.After(lastAttempt) {
			return d, true
		}
	}
	return domain.Date{}, false
}
