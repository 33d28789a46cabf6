package priceincrease

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Limits of a batch.
const (
	MaxNoticeDays = 365
	maxApprovedBy = 200
	maxReason     = 500
)

// Command is a request about a batch; Decide handles each kind.
type Command interface{ isPriceIncreaseCommand() }

// Apply records a planned batch. Services is the plan (Plan) for Filter,
// Increase and Rounding as of Now; Today is the firm's date.
type Apply struct {
	BatchID       uuid.UUID
	Filter        Filter
	Increase      Increase
	Rounding      Rounding
	EffectiveFrom domain.Date
	NoticeDays    int
	ApprovedBy    string
	Services      []ServiceChange
	Today         domain.Date
	Now           time.Time
}

// SendNotice records that a client's notice goes to a contact on Today.
type SendNotice struct {
	ClientID     uuid.UUID
	ContactName  string
	ContactEmail string
	Today        domain.Date
	Now          time.Time
}

// Cancel calls the batch off (before its effective date). Prices is each
// service's unit price from the effective date as its stream has it now
// (billing reads them): a service whose price is no longer the batch's new
// price was changed by hand and is left as it is. A service missing from
// Prices (ended, say) is neither put back nor listed.
type Cancel struct {
	Reason      string
	CancelledBy string
	Prices      map[uuid.UUID]decimal.Decimal
	Today       domain.Date
	Now         time.Time
}

func (Apply) isPriceIncreaseCommand()      {}
func (SendNotice) isPriceIncreaseCommand() {}
func (Cancel) isPriceIncreaseCommand()     {}

// Decide returns the events that c records against s, or why it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Apply:
		return apply(s, c)
	case SendNotice:
		return sendNotice(s, c)
	case Cancel:
		return cancel(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "priceincrease: unknown command %T", c)
}

// CheckTerms adds to p what is wrong with a batch's terms, whatever it
// selects: the dry run and Apply refuse alike.
func CheckTerms(p *domain.Problems, f Filter, inc Increase, r Rounding, effective domain.Date, noticeDays int, today domain.Date) {
	switch inc.Kind {
	case Percent, Amount:
		if domain.CheckPercent(p, "increase.value", inc.Value) && !inc.Value.IsPositive() {
			p.Add("increase.value", "the increase must be more than zero")
		}
	default:
		p.Add("increase.kind", "choose percent or amount")
	}
	switch r {
	case RoundCent, RoundUnit, RoundFive, RoundTen:
	default:
		p.Add("rounding", "round to cent, unit, 5 or 10")
	}
	switch f.ClientStatus {
	case "", StatusActive, StatusArchived:
	default:
		p.Add("filter.client_status", "a client status is active or archived")
	}
	if f.Frequency != "" && !f.Frequency.Repeats() {
		p.Add("filter.frequency", "choose a repeating frequency: days, weeks or months")
	}
	if f.Interval < 0 || f.Interval > domain.MaxInterval {
		p.Add("filter.interval", "the interval is from 1 to %d", domain.MaxInterval)
	}
	if f.Currency != "" {
		if _, err := domain.ParseCurrency(f.Currency); err != nil {
			p.Add("filter.currency", "%q is not a currency code", f.Currency)
		}
	}
	switch {
	case effective.IsZero():
		p.Add("effective_from", "choose the date the new prices take effect")
	case !today.Before(effective):
		p.Add("effective_from", "the new prices must take effect after today (%s)", today)
	}
	switch {
	case noticeDays < 0 || noticeDays > MaxNoticeDays:
		p.Add("notice_days", "the notice period is from 0 to %d days", MaxNoticeDays)
	case !effective.IsZero() && effective.AddDays(-noticeDays).Before(today):
		p.Add("notice_days", "%d days' notice would go out on %s, before today: move the effective date or shorten the notice", noticeDays, effective.AddDays(-noticeDays))
	}
}

func apply(s State, c Apply) ([]domain.Event, error) {
	if s.Applied() {
		if s.BatchID == c.BatchID && len(s.Services) == len(c.Services) && s.EffectiveFrom == c.EffectiveFrom {
			return nil, nil // the same batch, sent again
		}
		return nil, domain.Conflict("This price increase was already applied.")
	}
	var p domain.Problems
	if c.BatchID == uuid.Nil {
		p.Add("batch_id", "a price increase needs an id")
	}
	CheckTerms(&p, c.Filter, c.Increase, c.Rounding, c.EffectiveFrom, c.NoticeDays, c.Today)
	approved := strings.TrimSpace(c.ApprovedBy)
	switch {
	case approved == "":
		p.Add("approved_by", "say who approved the increase")
	case len(approved) > maxApprovedBy:
		p.Add("approved_by", "at most %d characters", maxApprovedBy)
	}
	if len(c.Services) == 0 {
		p.Add("filter", "the filter selects no service: nothing would change")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{PriceIncreaseApplied{
		BatchID: c.BatchID, Filter: c.Filter, Increase: c.Increase, Rounding: c.Rounding, EffectiveFrom: c.EffectiveFrom,
		NoticeDays: c.NoticeDays, NoticeOn: c.EffectiveFrom.AddDays(-c.NoticeDays), ApprovedBy: approved,
		Services: c.Services, At: c.Now,
	}}, nil
}

func sendNotice(s State, c SendNotice) ([]domain.Event, error) {
	switch {
	case !s.Applied():
		return nil, domain.NotFound("There is no such price increase.")
	case s.NoticeSent(c.ClientID):
		return nil, nil
	case s.Cancelled:
		return nil, domain.Conflict("This price increase was cancelled: no notice goes out.")
	case len(s.ClientServices(c.ClientID)) == 0:
		return nil, domain.Invalid("client_id", "this client has no service in the price increase")
	case c.Today.Before(s.NoticeOn):
		return nil, domain.Conflict("The notices of this price increase go out on %s.", s.NoticeOn)
	case !strings.Contains(c.ContactEmail, "@"):
		return nil, domain.Invalid("contact_email", "the client's billing contact has no email address")
	}
	return []domain.Event{PriceIncreaseNoticeSent{
		BatchID: s.BatchID, ClientID: c.ClientID, ContactName: c.ContactName, ContactEmail: c.ContactEmail, On: c.Today, At: c.Now,
	}}, nil
}

func cancel(s State, c Cancel) ([]domain.Event, error) {
	switch {
	case !s.Applied():
		return nil, domain.NotFound("There is no such price increase.")
	case s.Cancelled:
		return nil, nil
	case !c.Today.Before(s.EffectiveFrom):
		return nil, domain.Conflict("The new prices took effect on %s: a price increase is cancelled only before its effective date.", s.EffectiveFrom)
	case len(c.Reason) > maxReason:
		return nil, domain.Invalid("reason", "at most %d characters", maxReason)
	}
	e := PriceIncreaseCancelled{BatchID: s.BatchID, Reason: strings.TrimSpace(c.Reason), CancelledBy: c.CancelledBy, At: c.Now}
	for _, sc := range s.Services {
		if p, ok := c.Prices[sc.ServiceID]; ok && !p.Equal(sc.NewUnitPrice) {
			e.LeftAsChanged = append(e.LeftAsChanged, ServiceLeft{ServiceID: sc.ServiceID, ServiceName: sc.ServiceName, ClientName: sc.ClientName, Price: p})
		}
	}
	return []domain.Event{e}, nil
}

// ServiceCommandID is the command id of the price change a batch makes to
// one service ("apply") or of its reversal ("cancel"): a repeat of either
// appends nothing new.
func ServiceCommandID(batchID, serviceID uuid.UUID, step string) string {
	return "priceincrease/" + batchID.String() + "/" + serviceID.String() + "/" + step
}
