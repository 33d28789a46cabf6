package firm

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Command is a request to change the firm's settings; Decide handles each kind.
type Command interface{ isFirmCommand() }

// SetUp sets the firm up; it is accepted once. Empty InvoicePrefix means
// DefaultInvoicePrefix, empty TaxMode means exclusive, nil RetryAfterDays means
// DefaultRetryAfterDays (an empty non-nil list: no automatic retries), and nil
// GroupItems means grouping, empty MissedBillings means MissedCatchUp. Collection delays default to 0 (collect on the
// day of issue).
type SetUp struct {
	Name                    string
	Address                 domain.Address
	TaxNumber               string
	Logo                    string
	BaseCurrency            string // ISO 4217 code
	TimeZone                string // IANA name; the caller checks it loads
	InvoicePrefix           string
	PaymentTermsDays        int
	TaxMode                 domain.TaxMode
	CollectionDaysOnceOff   int
	CollectionDaysRecurring int
	RetryAfterDays          []int
	GroupItems              *bool
	MissedBillings          MissedBillings
	Now                     time.Time
}

// ChangeDetails changes the firm's name, address and tax number.
type ChangeDetails struct {
	Name      string
	Address   domain.Address
	TaxNumber string
	Now       time.Time
}

// ChangeLogo sets the logo reference (a URL or "sha256:<hex>"); "" removes it.
type ChangeLogo struct {
	Logo string
	Now  time.Time
}

// ChangeRegionalSettings changes the base currency and time zone.
type ChangeRegionalSettings struct {
	BaseCurrency string // ISO 4217 code
	TimeZone     string // IANA name; the caller checks it loads
	Now          time.Time
}

// ChangeInvoiceSettings changes the invoice number prefix and the default
// payment terms.
type ChangeInvoiceSettings struct {
	InvoicePrefix    string
	PaymentTermsDays int
	Now              time.Time
}

// ChangeInvoiceGrouping turns grouping of a client's items with the same date
// and payment method into one invoice on or off.
type ChangeInvoiceGrouping struct {
	GroupItems bool
	Now        time.Time
}

// ChangeMissedBillings chooses whether billing runs catch missed billings up
// (MissedCatchUp) or skip them (MissedSkip).
type ChangeMissedBillings struct {
	MissedBillings MissedBillings
	Now            time.Time
}

// ChangeTaxMode states prices exclusive or inclusive of tax from now on.
type ChangeTaxMode struct {
	TaxMode domain.TaxMode
	Now     time.Time
}

// AddTaxRate adds a named tax rate (percent). The first rate becomes the
// default; MakeDefault makes a later one the default.
type AddTaxRate struct {
	TaxRateID   uuid.UUID
	Name        string
	Rate        decimal.Decimal
	MakeDefault bool
	Now         time.Time
}

// ChangeTaxRate renames a tax rate or changes its percentage.
type ChangeTaxRate struct {
	TaxRateID uuid.UUID
	Name      string
	Rate      decimal.Decimal
	Now       time.Time
}

// RemoveTaxRate stops offering a tax rate. The default rate can be removed
// only when it is the last one.
type RemoveTaxRate struct {
	TaxRateID uuid.UUID
	Now       time.Time
}

// SetDefaultTaxRate makes a tax rate the default for new lines.
type SetDefaultTaxRate struct {
	TaxRateID uuid.UUID
	Now       time.Time
}

// ChangeCollectionSchedule changes how many days after issue payment is
// collected, for once-off and for recurring invoices.
type ChangeCollectionSchedule struct {
	CollectionDaysOnceOff   int
	CollectionDaysRecurring int
	Now                     time.Time
}

// ChangeRetryPolicy changes the days after the first rejection on which a
// rejected payment is retried automatically: increasing, each 1 to MaxDays;
// empty means no automatic retries.
type ChangeRetryPolicy struct {
	RetryAfterDays []int
	Now            time.Time
}

func (SetUp) isFirmCommand()                    {}
func (ChangeDetails) isFirmCommand()            {}
func (ChangeLogo) isFirmCommand()               {}
func (ChangeRegionalSettings) isFirmCommand()   {}
func (ChangeInvoiceSettings) isFirmCommand()    {}
func (ChangeInvoiceGrouping) isFirmCommand()    {}
func (ChangeMissedBillings) isFirmCommand()     {}
func (ChangeTaxMode) isFirmCommand()            {}
func (AddTaxRate) isFirmCommand()               {}
func (ChangeTaxRate) isFirmCommand()            {}
func (RemoveTaxRate) isFirmCommand()            {}
func (SetDefaultTaxRate) isFirmCommand()        {}
func (ChangeCollectionSchedule) isFirmCommand() {}
func (ChangeRetryPolicy) isFirmCommand()        {}

// Decide returns the events that command c records against state s, or the
// reason it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	if _, ok := c.(SetUp); !ok && !s.SetUp {
		return nil, domain.NotFound("the firm is not set up yet")
	}
	switch c := c.(type) {
	case SetUp:
		return setUp(s, c)
	case ChangeDetails:
		return changeDetails(s, c)
	case ChangeLogo:
		return changeLogo(s, c)
	case ChangeRegionalSettings:
		return changeRegionalSettings(s, c)
	case ChangeInvoiceSettings:
		return changeInvoiceSettings(s, c)
	case ChangeInvoiceGrouping:
		return changeInvoiceGrouping(s, c)
	case ChangeMissedBillings:
		return changeMissedBillings(s, c)
	case ChangeTaxMode:
		return changeTaxMode(s, c)
	case AddTaxRate:
		return addTaxRate(s, c)
	case ChangeTaxRate:
		return changeTaxRate(s, c)
	case RemoveTaxRate:
		return removeTaxRate(s, c)
	case SetDefaultTaxRate:
		return setDefaultTaxRate(s, c)
	case ChangeCollectionSchedule:
		return changeCollectionSchedule(s, c)
	case ChangeRetryPolicy:
		return changeRetryPolicy(s, c)
	case ChangeSurcharges:
		return changeSurcharges(s, c)
	case ChangeBankAccount:
		return changeBankAccount(s, c)
	case ChangeProposalSettings:
		return changeProposalSettings(s, c)
	case ChangeDunningPolicy:
		return changeDunningPolicy(s, c)
	case SendDunningDigest:
		return sendDunningDigest(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "firm: unknown command %T", c)
}

func setUp(s State, c SetUp) ([]domain.Event, error) {
	if s.SetUp {
		return nil, domain.Conflict("the firm is already set up; change its settings instead")
	}
	e := FirmSetUp{
		Name:                    strings.TrimSpace(c.Name),
		Address:                 c.Address.Normalized(),
		TaxNumber:               strings.TrimSpace(c.TaxNumber),
		Logo:                    strings.TrimSpace(c.Logo),
		TimeZone:                strings.TrimSpace(c.TimeZone),
		InvoicePrefix:           strings.TrimSpace(c.InvoicePrefix),
		PaymentTermsDays:        c.PaymentTermsDays,
		TaxMode:                 c.TaxMode,
		CollectionDaysOnceOff:   c.CollectionDaysOnceOff,
		CollectionDaysRecurring: c.CollectionDaysRecurring,
		RetryAfterDays:          slices.Clone(c.RetryAfterDays),
		GroupItems:              c.GroupItems == nil || *c.GroupItems,
		MissedBillings:          c.MissedBillings,
		At:                      c.Now,
	}
	if e.MissedBillings == "" {
		e.MissedBillings = MissedCatchUp
	}
	if e.InvoicePrefix == "" {
		e.InvoicePrefix = DefaultInvoicePrefix
	}
	if e.TaxMode == "" {
		e.TaxMode = domain.TaxExclusive
	}
	if c.RetryAfterDays == nil {
		e.RetryAfterDays = DefaultRetryAfterDays()
	} else if len(e.RetryAfterDays) == 0 {
		e.RetryAfterDays = []int{} // recorded as [], not null: "no retries" is a choice
	}
	var p domain.Problems
	checkName(&p, "name", e.Name, maxNameLength)
	p.Merge(e.Address.Validate("address"))
	checkTaxNumber(&p, e.TaxNumber)
	checkLogo(&p, e.Logo)
	e.BaseCurrency = checkCurrency(&p, c.BaseCurrency)
	checkTimeZone(&p, e.TimeZone)
	checkPrefix(&p, e.InvoicePrefix)
	checkDays(&p, "payment_terms_days", e.PaymentTermsDays)
	checkTaxMode(&p, e.TaxMode)
	checkDays(&p, "collection_days_once_off", e.CollectionDaysOnceOff)
	checkDays(&p, "collection_days_recurring", e.CollectionDaysRecurring)
	checkRetryPolicy(&p, e.RetryAfterDays)
	checkMissedBillings(&p, e.MissedBillings)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{e}, nil
}

func changeDetails(s State, c ChangeDetails) ([]domain.Event, error) {
	e := FirmDetailsChanged{
		Name:      strings.TrimSpace(c.Name),
		Address:   c.Address.Normalized(),
		TaxNumber: strings.TrimSpace(c.TaxNumber),
		At:        c.Now,
	}
	var p domain.Problems
	checkName(&p, "name", e.Name, maxNameLength)
	p.Merge(e.Address.Validate("address"))
	checkTaxNumber(&p, e.TaxNumber)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if e.Name == s.Name && e.Address == s.Address && e.TaxNumber == s.TaxNumber {
		return nil, nil
	}
	return []domain.Event{e}, nil
}

func changeLogo(s State, c ChangeLogo) ([]domain.Event, error) {
	logo := strings.TrimSpace(c.Logo)
	var p domain.Problems
	checkLogo(&p, logo)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if logo == s.Logo {
		return nil, nil
	}
	return []domain.Event{FirmLogoChanged{Logo: logo, At: c.Now}}, nil
}

func changeRegionalSettings(s State, c ChangeRegionalSettings) ([]domain.Event, error) {
	e := FirmRegionalSettingsChanged{TimeZone: strings.TrimSpace(c.TimeZone), At: c.Now}
	var p domain.Problems
	e.BaseCurrency = checkCurrency(&p, c.BaseCurrency)
	checkTimeZone(&p, e.TimeZone)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if e.BaseCurrency == s.BaseCurrency && e.TimeZone == s.TimeZone {
		return nil, nil
	}
	return []domain.Event{e}, nil
}

func changeInvoiceSettings(s State, c ChangeInvoiceSettings) ([]domain.Event, error) {
	e := FirmInvoiceSettingsChanged{InvoicePrefix: strings.TrimSpace(c.InvoicePrefix), PaymentTermsDays: c.PaymentTermsDays, At: c.Now}
	var p domain.Problems
	checkPrefix(&p, e.InvoicePrefix)
	checkDays(&p, "payment_terms_days", e.PaymentTermsDays)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if e.InvoicePrefix == s.InvoicePrefix && e.PaymentTermsDays == s.PaymentTermsDays {
		return nil, nil
	}
	return []domain.Event{e}, nil
}

func changeInvoiceGrouping(s State, c ChangeInvoiceGrouping) ([]domain.Event, error) {
	if c.GroupItems == s.GroupItems {
		return nil, nil
	}
	return []domain.Event{FirmInvoiceGroupingChanged{GroupItems: c.GroupItems, At: c.Now}}, nil
}

func changeMissedBillings(s State, c ChangeMissedBillings) ([]domain.Event, error) {
	var p domain.Problems
	checkMissedBillings(&p, c.MissedBillings)
	if err := p.Err(); err != nil {
		return nil, err
	}
	current := s.MissedBillings
	if current == "" {
		current = MissedCatchUp
	}
	if c.MissedBillings == current {
		return nil, nil
	}
	return []domain.Event{FirmMissedBillingsChanged{MissedBillings: c.MissedBillings, At: c.Now}}, nil
}

func checkMissedBillings(p *domain.Problems, m MissedBillings) {
	if m != MissedCatchUp && m != MissedSkip {
		p.Add("missed_billings", "%q is not a choice: use catch_up (invoice missed billings on the run's date) or skip", m)
	}
}

func changeTaxMode(s State, c ChangeTaxMode) ([]domain.Event, error) {
	var p domain.Problems
	checkTaxMode(&p, c.TaxMode)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.TaxMode == s.TaxMode {
		return nil, nil
	}
	return []domain.Event{FirmTaxModeChanged{TaxMode: c.TaxMode, At: c.Now}}, nil
}

// rateNameTaken reports whether another rate than id already has name
// (ignoring case), which would make the two indistinguishable in a list.
func (s State) rateNameTaken(name string, id uuid.UUID) bool {
	for _, r := range s.TaxRates {
		if r.ID != id && strings.EqualFold(r.Name, name) {
			return true
		}
	}
	return false
}

func addTaxRate(s State, c AddTaxRate) ([]domain.Event, error) {
	name := strings.TrimSpace(c.Name)
	if existing, ok := s.TaxRate(c.TaxRateID); ok {
		// A repeated command (same id) is a no-op; the same id for another rate is not.
		if existing.Name == name && existing.Rate.Equal(c.Rate) {
			return nil, nil
		}
		return nil, domain.Conflict("a tax rate with this id already exists")
	}
	var p domain.Problems
	if c.TaxRateID == uuid.Nil {
		p.Add("tax_rate_id", "a new tax rate needs an id")
	}
	checkRate(&p, name, c.Rate)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.rateNameTaken(name, c.TaxRateID) {
		return nil, domain.Conflict("there is already a tax rate named %q", name)
	}
	events := []domain.Event{FirmTaxRateAdded{TaxRateID: c.TaxRateID, Name: name, Rate: c.Rate, At: c.Now}}
	if c.MakeDefault || s.DefaultTaxRateID == uuid.Nil {
		events = append(events, FirmDefaultTaxRateSet{TaxRateID: c.TaxRateID, At: c.Now})
	}
	return events, nil
}

func changeTaxRate(s State, c ChangeTaxRate) ([]domain.Event, error) {
	existing, ok := s.TaxRate(c.TaxRateID)
	if !ok {
		return nil, domain.NotFound("there is no such tax rate")
	}
	name := strings.TrimSpace(c.Name)
	var p domain.Problems
	checkRate(&p, name, c.Rate)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.rateNameTaken(name, c.TaxRateID) {
		return nil, domain.Conflict("there is already a tax rate named %q", name)
	}
	if existing.Name == name && existing.Rate.Equal(c.Rate) {
		return nil, nil
	}
	return []domain.Event{FirmTaxRateChanged{TaxRateID: c.TaxRateID, Name: name, Rate: c.Rate, At: c.Now}}, nil
}

func removeTaxRate(s State, c RemoveTaxRate) ([]domain.Event, error) {
	if _, ok := s.TaxRate(c.TaxRateID); !ok {
		return nil, nil // already gone: removing twice changes nothing
	}
	if c.TaxRateID == s.DefaultTaxRateID && len(s.TaxRates) > 1 {
		return nil, domain.Conflict("this is the default tax rate; make another rate the default before removing it")
	}
	return []domain.Event{FirmTaxRateRemoved{TaxRateID: c.TaxRateID, At: c.Now}}, nil
}

func setDefaultTaxRate(s State, c SetDefaultTaxRate) ([]domain.Event, error) {
	if _, ok := s.TaxRate(c.TaxRateID); !ok {
		return nil, domain.NotFound("there is no such tax rate")
	}
	if c.TaxRateID == s.DefaultTaxRateID {
		return nil, nil
	}
	return []domain.Event{FirmDefaultTaxRateSet{TaxRateID: c.TaxRateID, At: c.Now}}, nil
}

func changeCollectionSchedule(s State, c ChangeCollectionSchedule) ([]domain.Event, error) {
	var p domain.Problems
	checkDays(&p, "collection_days_once_off", c.CollectionDaysOnceOff)
	checkDays(&p, "collection_days_recurring", c.CollectionDaysRecurring)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.CollectionDaysOnceOff == s.CollectionDaysOnceOff && c.CollectionDaysRecurring == s.CollectionDaysRecurring {
		return nil, nil
	}
	return []domain.Event{FirmCollectionScheduleChanged{
		CollectionDaysOnceOff:   c.CollectionDaysOnceOff,
		CollectionDaysRecurring: c.CollectionDaysRecurring,
		At:                      c.Now,
	}}, nil
}

func changeRetryPolicy(s State, c ChangeRetryPolicy) ([]domain.Event, error) {
	var p domain.Problems
	checkRetryPolicy(&p, c.RetryAfterDays)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if sameInts(c.RetryAfterDays, s.RetryAfterDays) {
		return nil, nil
	}
	days := slices.Clone(c.RetryAfterDays)
	if days == nil {
		days = []int{}
	}
	return []domain.Event{FirmRetryPolicyChanged{RetryAfterDays: days, At: c.Now}}, nil
}
