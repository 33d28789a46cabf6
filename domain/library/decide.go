package library

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Field length limits.
const (
	maxName           = 200
	maxDescription    = domain.MaxDescriptionLength
	maxUnit           = 30
	maxRevenueAccount = 30
	maxTerms          = 20000
)

var hundred = decimal.NewFromInt(100)

// Command is a request about the library; Decide handles each kind.
type Command interface{ isLibraryCommand() }

// Add adds Service (its ServiceID is the new id) to the library. Currency is
// the firm's base currency, whose minor units the price is checked against.
type Add struct {
	Service
	Currency domain.Currency
	Now      time.Time
}

// Change replaces the terms of the service Service.ServiceID with Service.
type Change struct {
	Service
	Currency domain.Currency
	Now      time.Time
}

// Archive takes a service off offer.
type Archive struct {
	ServiceID uuid.UUID
	Now       time.Time
}

// Restore offers an archived service again.
type Restore struct {
	ServiceID uuid.UUID
	Now       time.Time
}

func (Add) isLibraryCommand()     {}
func (Change) isLibraryCommand()  {}
func (Archive) isLibraryCommand() {}
func (Restore) isLibraryCommand() {}

// Decide returns the events that c records against s, or why it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Add:
		return add(s, c)
	case Change:
		return change(s, c)
	case Archive:
		return archive(s, c)
	case Restore:
		return restore(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "library: unknown command %T", c)
}

func add(s State, c Add) ([]domain.Event, error) {
	sv := normalize(c.Service)
	if _, ok := s.Services[sv.ServiceID]; ok {
		if en := s.Services[sv.ServiceID]; en.Service.equal(sv) {
			return nil, nil // the same add, sent again
		}
		return nil, domain.Conflict("The library already has a service with this id.")
	}
	var p domain.Problems
	if sv.ServiceID == uuid.Nil {
		p.Add("service_id", "a library service needs an id")
	}
	validate(&p, sv, c.Currency)
	checkUnique(&p, s, sv)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{LibraryServiceAdded{Service: sv, At: c.Now}}, nil
}

func change(s State, c Change) ([]domain.Event, error) {
	sv := normalize(c.Service)
	en, ok := s.Services[sv.ServiceID]
	if !ok {
		return nil, domain.NotFound("The library has no service %s.", sv.ServiceID)
	}
	if en.Archived {
		return nil, domain.Conflict("%s is archived: restore it before changing it.", en.Name)
	}
	var p domain.Problems
	validate(&p, sv, c.Currency)
	checkUnique(&p, s, sv)
	if err := p.Err(); err != nil {
		return nil, err
	}
	changed := en.Service.diff(sv)
	if len(changed) == 0 {
		return nil, nil
	}
	return []domain.Event{LibraryServiceChanged{Service: sv, Changed: changed, At: c.Now}}, nil
}

func archive(s State, c Archive) ([]domain.Event, error) {
	en, ok := s.Services[c.ServiceID]
	if !ok {
		return nil, domain.NotFound("The library has no service %s.", c.ServiceID)
	}
	if en.Archived {
		return nil, nil
	}
	return []domain.Event{LibraryServiceArchived{ServiceID: c.ServiceID, At: c.Now}}, nil
}

func restore(s State, c Restore) ([]domain.Event, error) {
	en, ok := s.Services[c.ServiceID]
	if !ok {
		return nil, domain.NotFound("The library has no service %s.", c.ServiceID)
	}
	if !en.Archived {
		return nil, nil
	}
	var p domain.Problems
	checkUnique(&p, s, en.Service)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{LibraryServiceRestored{ServiceID: c.ServiceID, At: c.Now}}, nil
}

// normalize trims the service's texts.
func normalize(sv Service) Service {
	sv.Name = strings.TrimSpace(sv.Name)
	sv.Description = strings.TrimSpace(sv.Description)
	sv.Unit = strings.TrimSpace(sv.Unit)
	sv.RevenueAccount = strings.TrimSpace(sv.RevenueAccount)
	sv.Terms = strings.TrimSpace(sv.Terms)
	if sv.BillingRule.Interval == 1 {
		sv.BillingRule.Interval = 0 // 1 and left out mean the same
	}
	return sv
}

// SameName reports whether two service names are the same to a person:
// equal but for case and surrounding or repeated spaces.
func SameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// checkUnique refuses a name another active service has.
func checkUnique(p *domain.Problems, s State, sv Service) {
	if sv.Name == "" {
		return
	}
	for _, id := range s.Order {
		en := s.Services[id]
		if id != sv.ServiceID && !en.Archived && SameName(en.Name, sv.Name) {
			p.Add("name", "the library already offers a service named %q: choose another name", en.Name)
			return
		}
	}
}

func validate(p *domain.Problems, sv Service, cur domain.Currency) {
	switch {
	case sv.Name == "":
		p.Add("name", "name the service")
	case len(sv.Name) > maxName:
		p.Add("name", "the name is too long (at most %d characters)", maxName)
	}
	if len(sv.Description) > maxDescription {
		p.Add("description", "the description is too long (at most %d characters)", maxDescription)
	}
	if domain.CheckUnitPrice(p, "unit_price", sv.UnitPrice, cur) && sv.UnitPrice.IsNegative() {
		p.Add("unit_price", "the price cannot be negative")
	}
	if domain.CheckQuantity(p, "quantity", sv.Quantity) && !sv.Quantity.IsPositive() {
		p.Add("quantity", "the quantity must be more than zero")
	}
	if len(sv.Unit) > maxUnit {
		p.Add("unit", "the unit is too long (at most %d characters)", maxUnit)
	}
	if domain.CheckPercent(p, "tax_rate", sv.TaxRate) && (sv.TaxRate.IsNegative() || sv.TaxRate.GreaterThan(hundred)) {
		p.Add("tax_rate", "the tax rate is a percentage from 0 to 100")
	}
	p.Merge(sv.BillingRule.Validate("billing_rule"))
	if sv.BillingRule.Frequency.Manual() && sv.Automatic {
		p.Add("automatic", "a service billed on completion or as an estimate is billed by hand: it cannot be automatic")
	}
	switch {
	case len(sv.RevenueAccount) > maxRevenueAccount:
		p.Add("revenue_account", "the account code is too long (at most %d characters)", maxRevenueAccount)
	case strings.ContainsAny(sv.RevenueAccount, " \t"):
		p.Add("revenue_account", "an account code has no spaces (e.g. 200 or 4000)")
	}
	if len(sv.Terms) > maxTerms {
		p.Add("terms", "the terms are too long (at most %d characters)", maxTerms)
	}
}

// diff returns the json names of the fields in which o differs from sv.
func (sv Service) diff(o Service) []string {
	var out []string
	add := func(differs bool, name string) {
		if differs {
			out = append(out, name)
		}
	}
	add(sv.Name != o.Name, "name")
	add(sv.Description != o.Description, "description")
	add(!sv.UnitPrice.Equal(o.UnitPrice), "unit_price")
	add(!sv.Quantity.Equal(o.Quantity), "quantity")
	add(sv.Unit != o.Unit, "unit")
	add(sv.BillingRule != o.BillingRule, "billing_rule")
	add(sv.Automatic != o.Automatic, "automatic")
	add(!sv.TaxRate.Equal(o.TaxRate), "tax_rate")
	add(sv.RevenueAccount != o.RevenueAccount, "revenue_account")
	add(sv.Terms != o.Terms, "terms")
	return out
}

func (sv Service) equal(o Service) bool { return sv.ServiceID == o.ServiceID && len(sv.diff(o)) == 0 }
