package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/service"
	"remit/projections"
)

// A schedule item's key is "<service-uuid>/<seq>", so its URL is
// /api/schedule-items/<service-uuid>/<seq>: the key itself.
func (s *Server) registerScheduleItemRoutes(r *mux.Router) {
	const item = "/api/schedule-items/{service_id}/{seq}"
	r.HandleFunc(item, s.handleScheduleItemView).Methods(http.MethodGet)
	r.HandleFunc(item, s.handleScheduleItemEdit).Methods(http.MethodPatch)
	r.HandleFunc(item+"/switch-to-manual", s.handleScheduleItemSwitchToManual).Methods(http.MethodPost)
	r.HandleFunc(item+"/switch-to-automatic", s.handleScheduleItemSwitchToAutomatic).Methods(http.MethodPost)
	r.HandleFunc(item+"/skip", s.handleScheduleItemSkip).Methods(http.MethodPost)
	r.HandleFunc(item+"/schedule-issue", s.handleScheduleItemScheduleIssue).Methods(http.MethodPost)
	r.HandleFunc(item+"/bill", s.handleScheduleItemBill).Methods(http.MethodPost)
}

// ItemIssue schedules a manual item to be invoiced on a date.
type ItemIssue struct {
	IssueOn domain.Date `json:"issue_on"`
}

// ItemBill bills one item now, with the confirmed quantity, unit price and
// description (absent: as scheduled). invoice_id is optional; issue_date
// defaults to today.
type ItemBill struct {
	Quantity    *decimal.Decimal `json:"quantity,omitempty"`
	UnitPrice   *decimal.Decimal `json:"unit_price,omitempty"`
	Description *string          `json:"description,omitempty"`
	InvoiceID   uuid.UUID        `json:"invoice_id,omitzero"`
	IssueDate   domain.Date      `json:"issue_date,omitzero"`
}

// ScheduleItemResource is one still-to-bill item with its service stream's
// revision.
type ScheduleItemResource struct {
	ScheduleItem
	Revision uint64 `json:"revision"`
}

// itemKey reads the item key of the path.
func itemKey(r *http.Request) (uuid.UUID, string, error) {
	serviceID, err := pathID(r, "service_id", "service")
	if err != nil {
		return uuid.Nil, "", err
	}
	v := mux.Vars(r)["seq"]
	seq, err := strconv.Atoi(v)
	if err != nil || seq < 1 {
		return uuid.Nil, "", domain.NotFound("There is no schedule item %s/%s.", serviceID, v)
	}
	return serviceID, service.ItemKey(serviceID, seq), nil
}

// readItem finds an item still to be billed (archived ones included).
// Billed and skipped items are no longer in the schedule: 404.
func (s *Server) readItem(ctx context.Context, serviceID uuid.UUID, key string) (ScheduleItemResource, error) {
	v, err := s.readService(ctx, serviceID)
	if err != nil {
		return ScheduleItemResource{}, err
	}
	today, err := s.today(ctx)
	if err != nil {
		return ScheduleItemResource{}, err
	}
	f, _, err := s.firmState(ctx)
	if err != nil {
		return ScheduleItemResource{}, err
	}
	items, err := s.models(ctx).ServiceSchedule(ctx, serviceID, projections.ScheduleQuery{Today: today, Through: today.AddDays(366 * 20), IncludeArchived: true,
		OneInvoicePerItem: !f.GroupItems, SkipMissed: f.SkipsMissedBillings()})
	if err != nil {
		return ScheduleItemResource{}, err
	}
	for _, it := range items {
		if it.Key == key {
			return ScheduleItemResource{ScheduleItem: scheduleItemOf(it), Revision: v.Revision}, nil
		}
	}
	return ScheduleItemResource{}, domain.NotFound("There is no schedule item %s still to bill.", key)
}

// itemCommand is a command on an item's service stream that answers the
// item.
func (s *Server) itemCommand(serviceID uuid.UUID, key string, run runFunc) command {
	return command{stream: service.StreamName(serviceID), location: fixedLocation("/api/schedule-items/" + key), run: run,
		read: func(ctx context.Context, _ billing.Result) (any, string, error) {
			it, err := s.readItem(ctx, serviceID, key)
			return it, etag(it.Revision), err
		}}
}

// actOnItem is the shape of a handler that changes an item: its key from
// the path, the body B, and the command run sends on the item's service
// stream; build (itemCommand when nil) says what it answers.
func actOnItem[B any](s *Server, w http.ResponseWriter, r *http.Request, required []string, build func(serviceID uuid.UUID, key string, run runFunc) command, run func(ctx context.Context, key string, b B, meta billing.Meta) (billing.Result, error)) {
	serviceID, key, err := itemKey(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if build == nil {
		build = s.itemCommand
	}
	readCommand(s, w, r, required, func(b B) command {
		return build(serviceID, key, func(ctx context.Context, meta billing.Meta) (billing.Result, error) { return run(ctx, key, b, meta) })
	})
}

func (s *Server) handleScheduleItemView(w http.ResponseWriter, r *http.Request) {
	serviceID, key, err := itemKey(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	it, err := s.readItem(r.Context(), serviceID, key)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeResource(w, r, it, it.Revision)
}

func (s *Server) handleScheduleItemEdit(w http.ResponseWriter, r *http.Request) {
	actOnItem(s, w, r, nil, nil, func(ctx context.Context, key string, b service.ItemChanges, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.EditScheduleItem(ctx, billing.ItemRequest{ItemKey: key, ItemChanges: b}, meta)
	})
}

func (s *Server) handleScheduleItemSwitchToManual(w http.ResponseWriter, r *http.Request) {
	actOnItem(s, w, r, nil, nil, func(ctx context.Context, key string, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SwitchItemToManual(ctx, billing.ItemRequest{ItemKey: key}, meta)
	})
}

func (s *Server) handleScheduleItemSwitchToAutomatic(w http.ResponseWriter, r *http.Request) {
	actOnItem(s, w, r, nil, nil, func(ctx context.Context, key string, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SwitchItemToAutomatic(ctx, billing.ItemRequest{ItemKey: key}, meta)
	})
}

// handleScheduleItemSkip answers the item's service: a skipped item leaves
// the schedule.
func (s *Server) handleScheduleItemSkip(w http.ResponseWriter, r *http.Request) {
	answerService := func(serviceID uuid.UUID, _ string, run runFunc) command { return s.services().command(serviceID, run) }
	actOnItem(s, w, r, nil, answerService, func(ctx context.Context, key string, _ none, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.SkipItem(ctx, billing.ItemRequest{ItemKey: key}, meta)
	})
}

func (s *Server) handleScheduleItemScheduleIssue(w http.ResponseWriter, r *http.Request) {
	actOnItem(s, w, r, []string{"issue_on"}, nil, func(ctx context.Context, key string, b ItemIssue, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.ScheduleItemIssue(ctx, billing.ItemRequest{ItemKey: key, IssueOn: b.IssueOn}, meta)
	})
}

// handleScheduleItemBill bills the item now: 201 with the new invoice.
func (s *Server) handleScheduleItemBill(w http.ResponseWriter, r *http.Request) {
	answerInvoice := func(serviceID uuid.UUID, _ string, run runFunc) command {
		c := s.invoices().creation(run)
		c.stream = service.StreamName(serviceID) // If-Match names the item's service
		return c
	}
	actOnItem(s, w, r, nil, answerInvoice, func(ctx context.Context, key string, b ItemBill, meta billing.Meta) (billing.Result, error) {
		return s.cfg.Billing.BillItemNow(ctx, billing.BillItemRequest{
			ItemKey: key, Quantity: b.Quantity, UnitPrice: b.UnitPrice, Description: b.Description,
			InvoiceID: b.InvoiceID, IssueDate: b.IssueDate,
		}, meta)
	})
}
