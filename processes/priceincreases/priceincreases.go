// Package priceincreases plans, applies and follows up bulk price
// increases (domain/priceincrease).
//
// Plan is the dry run: it reads every service and its client from the read
// models (projections.Models.AllServices, ClientsByID), selects and prices
// them with priceincrease.Plan, and answers every affected service with its
// future billing items (from the effective date, a year ahead) at the old
// and new price, the change in recurring revenue per month and per year by
// client and in total (per currency: amounts in different currencies are
// never added up), and who each client's notice would go to. It appends
// nothing. Apply plans the same way and records the batch through the
// billing service (billing.Service.ApplyPriceIncrease), which changes each
// service's price from the effective date.
//
// Run is the daily job (remit serve runs it after the billing run, with
// the proposals job): for every batch with a notice still to send it
// settles the batch's services again (a no-op unless a crash cut Apply
// short) and, on or after the notice date, records each client's notice
// (billing.Service.SendPriceIncreaseNotice, under a command id derived from
// the batch and the client), which the emailer emails. A re-run, or the
// job on two nodes, sends nothing twice.
package priceincreases

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/priceincrease"
	"remit/domain/service"
	"remit/projections"
)

// Config is what the planner and the daily job need.
type Config struct {
	Billing *billing.Service
	Models  *projections.Models
	// UpToDate, when set, brings the read models up to the log's head
	// before they are read.
	UpToDate func(context.Context) error
	// Actor names the daily job in the events' metadata
	// ("system:price-increases" when empty).
	Actor  string
	Logger *slog.Logger
}

// Preview is a dry run: what a price increase would change.
type Preview struct {
	Request  billing.PriceIncreaseRequest `json:"request"`
	NoticeOn domain.Date                  `json:"notice_on"`
	Services []ServicePreview             `json:"services"`
	Clients  []ClientPreview              `json:"clients"`
	Totals   []Total                      `json:"totals"`
}

// ServicePreview is one affected service: its old and new price, the change
// in recurring revenue, and its billing items from the effective date.
type ServicePreview struct {
	priceincrease.ServiceChange
	MonthlyChange decimal.Decimal `json:"monthly_change"`
	YearlyChange  decimal.Decimal `json:"yearly_change"`
	Items         []ItemPreview   `json:"items"`
}

// ItemPreview is one future billing item of an affected service.
type ItemPreview struct {
	Key          string          `json:"item_key"`
	Date         domain.Date     `json:"date"`
	OldUnitPrice decimal.Decimal `json:"old_unit_price"`
	NewUnitPrice decimal.Decimal `json:"new_unit_price"`
}

// ClientPreview is one client of a price increase: the change in its
// recurring revenue and who its notice goes to (its primary billing
// contact; ContactEmail empty: nobody, the notice cannot be sent).
type ClientPreview struct {
	ClientID      uuid.UUID       `json:"client_id"`
	ClientName    string          `json:"client_name"`
	Currency      domain.Currency `json:"currency"`
	Services      int             `json:"services"`
	MonthlyChange decimal.Decimal `json:"monthly_change"`
	YearlyChange  decimal.Decimal `json:"yearly_change"`
	ContactName   string          `json:"contact_name,omitempty"`
	ContactEmail  string          `json:"contact_email,omitempty"`
}

// Total is the change in recurring revenue in one currency.
type Total struct {
	Currency      domain.Currency `json:"currency"`
	MonthlyChange decimal.Decimal `json:"monthly_change"`
	YearlyChange  decimal.Decimal `json:"yearly_change"`
}

// Changes returns the plan as the batch records it.
func (p Preview) Changes() []priceincrease.ServiceChange {
	out := make([]priceincrease.ServiceChange, len(p.Services))
	for i, s := range p.Services {
		out[i] = s.ServiceChange
	}
	return out
}

// Plan answers what r would change, appending nothing. Terms Apply would
// refuse are refused here alike (EINVALID naming the field).
func Plan(ctx context.Context, cfg Config, r billing.PriceIncreaseRequest) (Preview, error) {
	if err := cfg.Billing.CheckPriceIncrease(ctx, r); err != nil {
		return Preview{}, err
	}
	if cfg.UpToDate != nil {
		if err := cfg.UpToDate(ctx); err != nil {
			return Preview{}, fmt.Errorf("price increase: read models: %w", err)
		}
	}
	services, err := cfg.Models.AllServices(ctx)
	if err != nil {
		return Preview{}, err
	}
	ids := make([]uuid.UUID, 0, len(services))
	for _, s := range services {
		ids = append(ids, s.State.ClientID)
	}
	clients, err := cfg.Models.ClientsByID(ctx, ids)
	if err != nil {
		return Preview{}, err
	}
	states := map[uuid.UUID]service.State{}
	cands := make([]priceincrease.Candidate, 0, len(services))
	for _, fs := range services {
		s := fs.State
		states[s.ID] = s
		cl := clients[s.ClientID]
		cands = append(cands, priceincrease.Candidate{
			ServiceID: s.ID, ServiceName: s.Name, LibraryServiceID: s.Source.LibraryServiceID,
			ClientID: s.ClientID, ClientName: cl.Name, ClientTags: cl.Tags, ClientArchived: cl.Archived,
			Currency: s.Currency, UnitPrice: s.Terms.UnitPrice, Quantity: s.Terms.Quantity, BillingRule: s.BillingRule, Ended: s.Ended,
		})
	}
	plan := priceincrease.Plan(cands, r.Filter, r.Increase, r.Rounding)
	p := Preview{Request: r, NoticeOn: r.EffectiveFrom.AddDays(-r.NoticeDays), Services: []ServicePreview{}, Clients: []ClientPreview{}, Totals: []Total{}}
	through := r.EffectiveFrom.AddMonthsClamped(12, 0).AddDays(-1)
	for _, c := range plan {
		m, y := c.Change()
		sp := ServicePreview{ServiceChange: c, MonthlyChange: m, YearlyChange: y, Items: []ItemPreview{}}
		for _, it := range states[c.ServiceID].Schedule(through) {
			if it.Date.Before(r.EffectiveFrom) || (it.Status != service.ItemScheduled && it.Status != service.ItemScheduledToIssue) {
				continue
			}
			sp.Items = append(sp.Items, ItemPreview{Key: it.Key, Date: it.Date, OldUnitPrice: it.UnitPrice.Amount, NewUnitPrice: c.NewUnitPrice})
		}
		p.Services = append(p.Services, sp)
		p.addClient(c, m, y, clients)
		p.addTotal(c.Currency, m, y)
	}
	slices.SortFunc(p.Totals, func(a, b Total) int { return cmp.Compare(a.Currency.Code, b.Currency.Code) })
	return p, nil
}

func (p *Preview) addClient(c priceincrease.ServiceChange, m, y decimal.Decimal, clients map[uuid.UUID]client.State) {
	for i := range p.Clients {
		if cp := &p.Clients[i]; cp.ClientID == c.ClientID && cp.Currency == c.Currency {
			cp.Services++
			cp.MonthlyChange, cp.YearlyChange = cp.MonthlyChange.Add(m), cp.YearlyChange.Add(y)
			return
		}
	}
	cp := ClientPreview{ClientID: c.ClientID, ClientName: c.ClientName, Currency: c.Currency, Services: 1, MonthlyChange: m, YearlyChange: y}
	if ct, ok := clients[c.ClientID].PrimaryContact(); ok {
		cp.ContactName, cp.ContactEmail = ct.Name, ct.Email
	}
	p.Clients = append(p.Clients, cp)
}

func (p *Preview) addTotal(cur domain.Currency, m, y decimal.Decimal) {
	for i := range p.Totals {
		if t := &p.Totals[i]; t.Currency == cur {
			t.MonthlyChange, t.YearlyChange = t.MonthlyChange.Add(m), t.YearlyChange.Add(y)
			return
		}
	}
	p.Totals = append(p.Totals, Total{Currency: cur, MonthlyChange: m, YearlyChange: y})
}

// Apply plans r and records it (billing.Service.ApplyPriceIncrease):
// Result.ID is the batch's id.
func Apply(ctx context.Context, cfg Config, r billing.PriceIncreaseRequest, meta billing.Meta) (billing.Result, Preview, error) {
	p, err := Plan(ctx, cfg, r)
	if err != nil {
		return billing.Result{}, p, err
	}
	res, err := cfg.Billing.ApplyPriceIncrease(ctx, r, p.Changes(), meta)
	return res, p, err
}

// Report is what a run of the daily job did.
type Report struct {
	Batches int // batches with a notice still to send
	Sent    int // notices recorded now
	Already int // notices recorded before (a re-run)
	Errors  []error
}

// Run is the daily job for today (the firm's date): see the package doc. A
// failure on one batch or client is reported in Report.Errors and does not
// stop the others.
func Run(ctx context.Context, cfg Config, today domain.Date) (Report, error) {
	var rep Report
	if cfg.UpToDate != nil {
		if err := cfg.UpToDate(ctx); err != nil {
			return rep, fmt.Errorf("price increases job: read models: %w", err)
		}
	}
	actor := cmp.Or(cfg.Actor, "system:price-increases")
	open, err := cfg.Models.PriceIncreasesWithNotices(ctx)
	if err != nil {
		return rep, fmt.Errorf("price increases job: %w", err)
	}
	rep.Batches = len(open)
	for _, v := range open {
		st := v.State
		meta := billing.Meta{Actor: actor, CommandID: "priceincreases-job/" + st.BatchID.String() + "/" + today.String(),
			CorrelationID: "priceincreases-job/" + today.String()}
		if _, err := cfg.Billing.SettlePriceIncrease(ctx, st.BatchID, meta); err != nil {
			rep.Errors = append(rep.Errors, fmt.Errorf("price increase %s: %w", st.BatchID, err))
		}
		if today.Before(st.NoticeOn) {
			continue
		}
		for _, clientID := range st.Clients() {
			if st.NoticeSent(clientID) {
				continue
			}
			res, err := cfg.Billing.SendPriceIncreaseNotice(ctx, st.BatchID, clientID, meta)
			switch {
			case err != nil:
				rep.Errors = append(rep.Errors, fmt.Errorf("price increase %s: notice to client %s: %w", st.BatchID, clientID, err))
			case res.Appended == 0 || res.AlreadyApplied:
				rep.Already++
			default:
				rep.Sent++
			}
		}
	}
	if cfg.Logger != nil && rep.Sent+len(rep.Errors) > 0 {
		cfg.Logger.Info("price increases job", "as_of", today, "batches", rep.Batches, "sent", rep.Sent, "already", rep.Already, "errors", len(rep.Errors))
	}
	return rep, nil
}
