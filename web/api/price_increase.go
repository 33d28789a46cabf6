package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/priceincrease"
	"remit/processes/priceincreases"
	"remit/projections"
)

func (s *Server) registerPriceIncreaseRoutes(r *mux.Router) {
	r.HandleFunc("/api/price-increases", s.handlePriceIncreaseList).Methods(http.MethodGet)
	r.HandleFunc("/api/price-increases", s.handlePriceIncreaseApply).Methods(http.MethodPost)
	r.HandleFunc("/api/price-increases/{id}", s.handlePriceIncreaseView).Methods(http.MethodGet)
	r.HandleFunc("/api/price-increases/{id}/cancel", s.handlePriceIncreaseCancel).Methods(http.MethodPost)
	r.HandleFunc("/api/clients/{id}/tags", s.handleClientTagsChange).Methods(http.MethodPut)
}

// ClientTags is a client's whole set of tags.
type ClientTags struct {
	Tags []string `json:"tags"`
}

func (s *Server) handleClientTagsChange(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.clients(), []string{"tags"}, func(ctx context.Context, id uuid.UUID, b ClientTags, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ChangeClientTags(ctx, billing.ClientTagsRequest{ClientID: id, Tags: b.Tags}, meta)
	})
}

// PriceIncreaseBody is a bulk price increase as a client sends it. With
// dry_run the answer is the plan (200, PriceIncreasePreview) and nothing
// is written.
type PriceIncreaseBody struct {
	DryRun        bool                   `json:"dry_run,omitempty"`
	ID            uuid.UUID              `json:"id,omitzero"`
	Filter        priceincrease.Filter   `json:"filter"`
	Increase      priceincrease.Increase `json:"increase"`
	Rounding      priceincrease.Rounding `json:"rounding"`
	EffectiveFrom domain.Date            `json:"effective_from"`
	NoticeDays    int                    `json:"notice_days"`
	ApprovedBy    string                 `json:"approved_by,omitempty"`
}

func (b PriceIncreaseBody) request() billing.PriceIncreaseRequest {
	return billing.PriceIncreaseRequest{BatchID: b.ID, Filter: b.Filter, Increase: b.Increase, Rounding: b.Rounding,
		EffectiveFrom: b.EffectiveFrom, NoticeDays: b.NoticeDays, ApprovedBy: b.ApprovedBy}
}

// PriceIncreaseFilter is what a price increase selects (empty: all).
type PriceIncreaseFilter struct {
	LibraryServiceID ID     `json:"library_service_id,omitzero"`
	Tag              string `json:"tag"`
	ClientStatus     string `json:"client_status"`
	Frequency        string `json:"frequency"`
	Interval         int    `json:"interval"`
	Currency         string `json:"currency"`
	ClientIDs        []ID   `json:"client_ids"`
}

// PriceIncreaseService is one affected service with its old and new unit
// price.
type PriceIncreaseService struct {
	ServiceID    ID          `json:"service_id"`
	ServiceName  string      `json:"service_name"`
	ClientID     ID          `json:"client_id"`
	ClientName   string      `json:"client_name"`
	Currency     string      `json:"currency"`
	Quantity     Decimal     `json:"quantity"`
	BillingRule  BillingRule `json:"billing_rule"`
	OldUnitPrice Decimal     `json:"old_unit_price"`
	NewUnitPrice Decimal     `json:"new_unit_price"`
	// MonthlyChange and YearlyChange are the change in recurring revenue
	// (unit price × quantity, before discounts and tax).
	MonthlyChange Money `json:"monthly_change"`
	YearlyChange  Money `json:"yearly_change"`
}

// PriceIncreaseNotice is one client's notice, sent.
type PriceIncreaseNotice struct {
	ClientID     ID          `json:"client_id"`
	ContactName  string      `json:"contact_name"`
	ContactEmail string      `json:"contact_email"`
	On           domain.Date `json:"on"`
}

// PriceIncrease is a recorded bulk price increase: its status
// ("scheduled", "notified", "effective" or "cancelled"), its terms, who
// approved it, every affected service and the notices sent.
type PriceIncrease struct {
	ID            ID                     `json:"id"`
	Status        string                 `json:"status"`
	Filter        PriceIncreaseFilter    `json:"filter"`
	IncreaseKind  string                 `json:"increase_kind"`
	IncreaseValue Decimal                `json:"increase_value"`
	Rounding      string                 `json:"rounding"`
	EffectiveFrom domain.Date            `json:"effective_from"`
	NoticeDays    int                    `json:"notice_days"`
	NoticeOn      domain.Date            `json:"notice_on"`
	ApprovedBy    string                 `json:"approved_by"`
	AppliedAt     Time                   `json:"applied_at"`
	Services      []PriceIncreaseService `json:"services"`
	Notices       []PriceIncreaseNotice  `json:"notices"`
	CancelledAt   Time                   `json:"cancelled_at,omitzero"`
	Reason        string                 `json:"reason,omitempty"`
	// LeftAsChanged are the services the cancel left alone: their price
	// was changed by hand after the batch, so they keep it.
	LeftAsChanged []PriceIncreaseLeft `json:"left_as_changed"`
	Revision      uint64              `json:"revision"`
}

// PriceIncreaseLeft is a service a cancelled price increase left at the
// price set by hand since (Price, its unit price from the effective date).
type PriceIncreaseLeft struct {
	ServiceID   ID      `json:"service_id"`
	ServiceName string  `json:"service_name"`
	ClientName  string  `json:"client_name"`
	Price       Decimal `json:"price"`
}

// PriceIncreaseItem is a future billing item of an affected service.
type PriceIncreaseItem struct {
	ItemKey      string      `json:"item_key"`
	Date         domain.Date `json:"date"`
	OldUnitPrice Decimal     `json:"old_unit_price"`
	NewUnitPrice Decimal     `json:"new_unit_price"`
}

// PriceIncreasePreviewService is an affected service of a dry run, with its
// billing items from the effective date, a year ahead.
type PriceIncreasePreviewService struct {
	PriceIncreaseService
	Items []PriceIncreaseItem `json:"items"`
}

// PriceIncreaseClient is a client of a dry run: its change in recurring
// revenue and who its notice would go to (empty: nobody, it has no
// billing contact with an email address).
type PriceIncreaseClient struct {
	ClientID      ID     `json:"client_id"`
	ClientName    string `json:"client_name"`
	Services      int    `json:"services"`
	MonthlyChange Money  `json:"monthly_change"`
	YearlyChange  Money  `json:"yearly_change"`
	ContactName   string `json:"contact_name"`
	ContactEmail  string `json:"contact_email"`
}

// PriceIncreaseTotal is the change in recurring revenue in one currency.
type PriceIncreaseTotal struct {
	MonthlyChange Money `json:"monthly_change"`
	YearlyChange  Money `json:"yearly_change"`
}

// PriceIncreasePreview is a dry run: what the increase would change.
type PriceIncreasePreview struct {
	NoticeOn domain.Date                   `json:"notice_on"`
	Services []PriceIncreasePreviewService `json:"services"`
	Clients  []PriceIncreaseClient         `json:"clients"`
	Totals   []PriceIncreaseTotal          `json:"totals"`
}

func filterOf(f priceincrease.Filter) PriceIncreaseFilter {
	ids := make([]ID, len(f.ClientIDs))
	for i, id := range f.ClientIDs {
		ids[i] = ID(id)
	}
	return PriceIncreaseFilter{LibraryServiceID: ID(f.LibraryServiceID), Tag: f.Tag, ClientStatus: f.ClientStatus,
		Frequency: string(f.Frequency), Interval: f.Interval, Currency: f.Currency, ClientIDs: ids}
}

func priceIncreaseServiceOf(c priceincrease.ServiceChange) PriceIncreaseService {
	m, y := c.Change()
	return PriceIncreaseService{ServiceID: ID(c.ServiceID), ServiceName: c.ServiceName, ClientID: ID(c.ClientID), ClientName: c.ClientName,
		Currency: c.Currency.Code, Quantity: decimalOf(c.Quantity), BillingRule: billingRuleOf(c.BillingRule),
		OldUnitPrice: decimalOf(c.OldUnitPrice), NewUnitPrice: decimalOf(c.NewUnitPrice),
		MonthlyChange: moneyIn(m, c.Currency), YearlyChange: moneyIn(y, c.Currency)}
}

func moneyIn(d decimal.Decimal, c domain.Currency) Money { return moneyOf(domain.NewMoney(d, c)) }

// PriceIncreaseOf converts a projections.PriceIncreaseView as of today.
func priceIncreaseOf(today domain.Date) func(projections.PriceIncreaseView) PriceIncrease {
	return func(v projections.PriceIncreaseView) PriceIncrease {
		st := v.State
		out := PriceIncrease{ID: ID(st.BatchID), Status: st.Status(today), Filter: filterOf(st.Filter), IncreaseKind: string(st.Increase.Kind),
			IncreaseValue: decimalOf(st.Increase.Value), Rounding: string(st.Rounding), EffectiveFrom: st.EffectiveFrom,
			NoticeDays: st.NoticeDays, NoticeOn: st.NoticeOn, ApprovedBy: st.ApprovedBy, AppliedAt: Time(st.At),
			Services: wireList(st.Services, priceIncreaseServiceOf), Notices: []PriceIncreaseNotice{},
			CancelledAt: Time(st.CancelledAt), Reason: st.Reason, Revision: v.Revision}
		out.LeftAsChanged = wireList(st.LeftAsChanged, func(l priceincrease.ServiceLeft) PriceIncreaseLeft {
			return PriceIncreaseLeft{ServiceID: ID(l.ServiceID), ServiceName: l.ServiceName, ClientName: l.ClientName, Price: decimalOf(l.Price)}
		})
		for _, n := range st.Notices {
			out.Notices = append(out.Notices, PriceIncreaseNotice{ClientID: ID(n.ClientID), ContactName: n.ContactName, ContactEmail: n.ContactEmail, On: n.On})
		}
		return out
	}
}

func previewOf(p priceincreases.Preview) PriceIncreasePreview {
	out := PriceIncreasePreview{NoticeOn: p.NoticeOn, Services: []PriceIncreasePreviewService{}, Clients: []PriceIncreaseClient{}, Totals: []PriceIncreaseTotal{}}
	for _, sp := range p.Services {
		ps := PriceIncreasePreviewService{PriceIncreaseService: priceIncreaseServiceOf(sp.ServiceChange), Items: []PriceIncreaseItem{}}
		for _, it := range sp.Items {
			ps.Items = append(ps.Items, PriceIncreaseItem{ItemKey: it.Key, Date: it.Date, OldUnitPrice: decimalOf(it.OldUnitPrice), NewUnitPrice: decimalOf(it.NewUnitPrice)})
		}
		out.Services = append(out.Services, ps)
	}
	for _, c := range p.Clients {
		out.Clients = append(out.Clients, PriceIncreaseClient{ClientID: ID(c.ClientID), ClientName: c.ClientName, Services: c.Services,
			MonthlyChange: moneyIn(c.MonthlyChange, c.Currency), YearlyChange: moneyIn(c.YearlyChange, c.Currency),
			ContactName: c.ContactName, ContactEmail: c.ContactEmail})
	}
	for _, t := range p.Totals {
		out.Totals = append(out.Totals, PriceIncreaseTotal{MonthlyChange: moneyIn(t.MonthlyChange, t.Currency), YearlyChange: moneyIn(t.YearlyChange, t.Currency)})
	}
	return out
}

// PriceIncreases is the configuration of the price increase planner over
// the server's billing service and read models, brought up to the log's
// head before it reads them.
func (s *Server) priceIncreases() priceincreases.Config {
	return priceincreases.Config{Billing: s.cfg.Billing, Models: s.cfg.Models, UpToDate: func(ctx context.Context) error {
		head, err := s.cfg.Store.Head(ctx)
		if err != nil {
			return err
		}
		return s.cfg.Runner.WaitFor(ctx, head)
	}}
}

func (s *Server) readPriceIncrease(ctx context.Context, id uuid.UUID) (PriceIncrease, error) {
	v, err := s.models(ctx).PriceIncrease(ctx, id)
	if err != nil {
		return PriceIncrease{}, err
	}
	today, err := s.today(ctx)
	return priceIncreaseOf(today)(v), err
}

// priceIncreaseBatches are the bulk price increases.
func (s *Server) priceIncreaseBatches() root[PriceIncrease] {
	return root[PriceIncrease]{what: "price increase", base: "/api/price-increases/", read: s.readPriceIncrease,
		stream: priceincrease.StreamName, rev: func(v PriceIncrease) uint64 { return v.Revision }}
}

func (s *Server) handlePriceIncreaseList(w http.ResponseWriter, r *http.Request) {
	p, err := paging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	all, err := s.models(r.Context()).PriceIncreaseList(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	today, err := s.today(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeList(s, w, r, pageOf(all, p), priceIncreaseOf(today))
}

// handlePriceIncreaseApply answers the recorded batch (201), or with
// dry_run the plan (200), writing nothing.
func (s *Server) handlePriceIncreaseApply(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var b PriceIncreaseBody
	if err := decodeJSON(raw, &b, "increase", "rounding", "effective_from"); err != nil {
		s.Error(w, r, err)
		return
	}
	if b.DryRun {
		p, err := priceincreases.Plan(r.Context(), s.priceIncreases(), b.request())
		if err != nil {
			s.Error(w, r, err)
			return
		}
		s.writeJSON(w, r, http.StatusOK, previewOf(p))
		return
	}
	s.execute(w, r, raw, s.priceIncreaseBatches().creation(func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		res, _, err := priceincreases.Apply(ctx, s.priceIncreases(), b.request(), meta)
		return res, err
	}))
}

func (s *Server) handlePriceIncreaseView(w http.ResponseWriter, r *http.Request) {
	s.priceIncreaseBatches().view(s, w, r)
}

func (s *Server) handlePriceIncreaseCancel(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, s.priceIncreaseBatches(), nil, func(ctx context.Context, id uuid.UUID, b Reason, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.CancelPriceIncrease(ctx, id, b.Reason, meta)
	})
}
