package billing

import (
	"context"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/library"
	"remit/domain/proposal"
)

var libraryDecider = Decider[library.State, library.Command]{Evolve: library.Evolve, Decide: library.Decide}

// LibraryServiceRequest adds a service to the firm's services library, or
// (with LibraryServiceID) replaces one's terms whole. UnitPrice is in the
// firm's base currency; a zero Quantity means 1.
type LibraryServiceRequest struct {
	LibraryServiceID uuid.UUID          `json:"library_service_id,omitzero"`
	Name             string             `json:"name"`
	Description      string             `json:"description,omitempty"`
	UnitPrice        decimal.Decimal    `json:"unit_price"`
	Quantity         decimal.Decimal    `json:"quantity"`
	Unit             string             `json:"unit,omitempty"`
	BillingRule      domain.BillingRule `json:"billing_rule"`
	Automatic        bool               `json:"automatic"`
	TaxRate          decimal.Decimal    `json:"tax_rate"`
	RevenueAccount   string             `json:"revenue_account,omitempty"`
	Terms            string             `json:"terms,omitempty"`
}

// LibraryServiceRef names a library service.
type LibraryServiceRef struct {
	LibraryServiceID uuid.UUID `json:"library_service_id"`
}

func (r LibraryServiceRequest) service(id uuid.UUID) library.Service {
	qty := r.Quantity
	if qty.IsZero() {
		qty = decimal.NewFromInt(1)
	}
	return library.Service{
		ServiceID: id, Name: r.Name, Description: r.Description, UnitPrice: r.UnitPrice, Quantity: qty, Unit: r.Unit,
		BillingRule: r.BillingRule, Automatic: r.Automatic, TaxRate: r.TaxRate, RevenueAccount: r.RevenueAccount, Terms: r.Terms,
	}
}

func (s *Service) library(ctx context.Context, c library.Command, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, libraryDecider, library.StreamName(), c, meta, created)
}

// AddLibraryService adds a service to the library (stream "library");
// Result.ID is its id. A name an active service has is refused (field
// "name").
func (s *Service) AddLibraryService(ctx context.Context, r LibraryServiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	id := pick(r.LibraryServiceID, meta, "library-service")
	return s.library(ctx, library.Add{Service: r.service(id), Currency: f.BaseCurrency, Now: s.now()}, meta, id)
}

// ChangeLibraryService replaces the terms of library service
// r.LibraryServiceID with r's; proposals and services started from it do
// not change.
func (s *Service) ChangeLibraryService(ctx context.Context, r LibraryServiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	return s.library(ctx, library.Change{Service: r.service(r.LibraryServiceID), Currency: f.BaseCurrency, Now: s.now()}, meta, r.LibraryServiceID)
}

// ArchiveLibraryService takes a library service off offer (never deleted).
func (s *Service) ArchiveLibraryService(ctx context.Context, r LibraryServiceRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.library(ctx, library.Archive{ServiceID: r.LibraryServiceID, Now: s.now()}, meta, r.LibraryServiceID)
}

// RestoreLibraryService offers an archived library service again.
func (s *Service) RestoreLibraryService(ctx context.Context, r LibraryServiceRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.library(ctx, library.Restore{ServiceID: r.LibraryServiceID, Now: s.now()}, meta, r.LibraryServiceID)
}

// ProposalLineFrom is the proposal line a library service starts: its
// name, description, price, quantity, unit, tax rate, billing rule and
// mode, under the line id lineID. Every field may then be overridden.
func ProposalLineFrom(sv library.Service, lineID uuid.UUID) proposal.Line {
	return proposal.Line{
		ID: lineID, Name: sv.Name, Description: sv.Description, UnitPrice: sv.UnitPrice, Quantity: sv.Quantity,
		Unit: sv.Unit, TaxRate: sv.TaxRate, BillingRule: sv.BillingRule, Automatic: sv.Automatic,
	}
}

// ServiceRequestFrom is the additional service (instant bill) a library
// service starts for a client, first billed on start when its rule starts
// on acceptance or on a proposal's start date (an instant bill has
// neither). Every field may then be overridden.
func ServiceRequestFrom(sv library.Service, clientID uuid.UUID, start domain.Date) ServiceRequest {
	rule := sv.BillingRule
	if !rule.Frequency.Manual() && rule.Start != domain.StartOnDate {
		rule.Start, rule.StartDate, rule.StartDelayDays = domain.StartOnDate, start, 0
	}
	return ServiceRequest{
		ClientID: clientID, LibraryServiceID: sv.ServiceID, Name: sv.Name, Description: sv.Description,
		UnitPrice: sv.UnitPrice, Quantity: sv.Quantity, Unit: sv.Unit, TaxRate: sv.TaxRate,
		BillingRule: rule, Automatic: sv.Automatic, RevenueAccount: sv.RevenueAccount,
	}
}

// InstantLineFrom is the one-time invoice line (instant bill) a library
// service starts: its name (and description) as the line's description,
// price, quantity and tax rate. Every field may then be overridden.
func InstantLineFrom(sv library.Service) InstantLine {
	desc := sv.Name
	if sv.Description != "" {
		desc += ": " + sv.Description
	}
	return InstantLine{Description: desc, Quantity: sv.Quantity, UnitPrice: sv.UnitPrice, TaxRate: sv.TaxRate}
}
