package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/priceincrease"
	"remit/domain/service"
	"remit/eventstore"
)

var priceIncreaseDecider = Decider[priceincrease.State, priceincrease.Command]{Evolve: priceincrease.Evolve, Decide: priceincrease.Decide}

// ClientTagsRequest replaces a client's tags with Tags (the whole set).
type ClientTagsRequest struct {
	ClientID uuid.UUID `json:"client_id"`
	Tags     []string  `json:"tags"`
}

// ChangeClientTags replaces a client's tags.
func (s *Service) ChangeClientTags(ctx context.Context, r ClientTagsRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.client(ctx, client.ChangeTags{ClientID: r.ClientID, Tags: r.Tags, Now: s.now()}, r.ClientID, meta, uuid.Nil)
}

// PriceIncreaseRequest is a bulk price increase: what it selects, by how
// much, rounded how, from when, with how many days' notice, approved by
// whom (the actor when empty). BatchID is optional (derived from the
// command id).
type PriceIncreaseRequest struct {
	BatchID       uuid.UUID              `json:"batch_id,omitzero"`
	Filter        priceincrease.Filter   `json:"filter"`
	Increase      priceincrease.Increase `json:"increase"`
	Rounding      priceincrease.Rounding `json:"rounding"`
	EffectiveFrom domain.Date            `json:"effective_from"`
	NoticeDays    int                    `json:"notice_days"`
	ApprovedBy    string                 `json:"approved_by,omitempty"`
}

// Today is the firm's date now.
func (s *Service) Today(ctx context.Context) (domain.Date, error) {
	f, err := s.firm(ctx)
	if err != nil {
		return domain.Date{}, err
	}
	return s.today(f, s.now()), nil
}

// CheckPriceIncrease refuses the terms of a price increase that Apply
// would refuse whatever it selects (the dry run answers the same errors).
func (s *Service) CheckPriceIncrease(ctx context.Context, r PriceIncreaseRequest) error {
	today, err := s.Today(ctx)
	if err != nil {
		return err
	}
	var p domain.Problems
	priceincrease.CheckTerms(&p, r.Filter, r.Increase, r.Rounding, r.EffectiveFrom, r.NoticeDays, today)
	return p.Err()
}

// ApplyPriceIncrease records the batch r with its plan (priceincrease.Plan
// of the services as the caller read them), then changes each planned
// service's unit price from the effective date (ServiceEdited, one command
// per service under priceincrease.ServiceCommandID). Result.ID is the
// batch's id.
func (s *Service) ApplyPriceIncrease(ctx context.Context, r PriceIncreaseRequest, plan []priceincrease.ServiceChange, meta Meta) (Result, error) {
	meta = s.begin(meta)
	today, err := s.Today(ctx)
	if err != nil {
		return Result{}, err
	}
	id := pick(r.BatchID, meta, "priceincrease")
	approved := r.ApprovedBy
	if approved == "" {
		approved = meta.Actor
	}
	res, err := run(ctx, s, priceIncreaseDecider, priceincrease.StreamName(id), priceincrease.Command(priceincrease.Apply{
		BatchID: id, Filter: r.Filter, Increase: r.Increase, Rounding: r.Rounding, EffectiveFrom: r.EffectiveFrom,
		NoticeDays: r.NoticeDays, ApprovedBy: approved, Services: plan, Today: today, Now: s.now(),
	}), meta, id)
	if err != nil {
		return Result{}, err
	}
	pos, err := s.SettlePriceIncrease(ctx, id, meta)
	res.Position = max(res.Position, pos)
	return res, err
}

// CancelPriceIncrease calls a batch off before its effective date and puts
// back the old price, from that date, of every service whose price from
// then is still the batch's new price; a service whose price was changed
// by hand since the batch keeps it, and the cancel lists it
// (PriceIncreaseCancelled.LeftAsChanged). The batch's own changes are
// settled first, so a batch a crash cut short is not mistaken for prices
// changed by hand.
func (s *Service) CancelPriceIncrease(ctx context.Context, batchID uuid.UUID, reason string, meta Meta) (Result, error) {
	meta = s.begin(meta)
	today, err := s.Today(ctx)
	if err != nil {
		return Result{}, err
	}
	st, _, ok, err := fold(ctx, s.env, priceIncreaseDecider, priceincrease.StreamName(batchID))
	if err != nil {
		return Result{}, err
	}
	prices := map[uuid.UUID]decimal.Decimal{}
	if ok && !st.Cancelled && today.Before(st.EffectiveFrom) {
		if _, err := s.SettlePriceIncrease(ctx, batchID, meta); err != nil {
			return Result{}, err
		}
		for _, c := range st.Services {
			sv, _, found, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(c.ServiceID))
			if err != nil {
				return Result{}, err
			}
			if found && !sv.Ended {
				prices[c.ServiceID] = sv.UnitPriceOn(st.EffectiveFrom)
			}
		}
	}
	res, err := run(ctx, s, priceIncreaseDecider, priceincrease.StreamName(batchID), priceincrease.Command(priceincrease.Cancel{
		Reason: reason, CancelledBy: meta.Actor, Prices: prices, Today: today, Now: s.now(),
	}), meta, batchID)
	if err != nil {
		return Result{}, err
	}
	pos, err := s.SettlePriceIncrease(ctx, batchID, meta)
	res.Position = max(res.Position, pos)
	return res, err
}

// SettlePriceIncrease makes the services of a batch agree with it: each
// gets the new price from the effective date, and, once the batch is
// cancelled, the old price back from that date unless the cancel left it
// as changed by hand, or its price from that date is no longer the new one
// (changed by hand after the cancel was decided: the edit is conditional,
// service.Edit.UnlessPriceChangedFrom). Each change runs under a command
// id derived from the batch and the service, so settling again (the daily
// job does, after a crash between the batch and its services) changes
// nothing twice. A service that has ended meanwhile is left alone. It
// returns the highest log position appended at.
func (s *Service) SettlePriceIncrease(ctx context.Context, batchID uuid.UUID, meta Meta) (uint64, error) {
	st, _, ok, err := fold(ctx, s.env, priceIncreaseDecider, priceincrease.StreamName(batchID))
	if err != nil || !ok {
		return 0, err
	}
	var pos uint64
	var errs []error
	for _, c := range st.Services {
		steps := []string{"apply"}
		if st.Cancelled && !st.LeftAlone(c.ServiceID) {
			steps = append(steps, "cancel")
		}
		for _, step := range steps {
			edit := service.Edit{EffectiveFrom: st.EffectiveFrom, Changes: service.Changes{UnitPrice: &c.NewUnitPrice}, Now: s.now()}
			if step == "cancel" {
				edit.Changes.UnitPrice, edit.UnlessPriceChangedFrom = &c.OldUnitPrice, &c.NewUnitPrice
			}
			sub := Meta{Actor: meta.Actor, CommandID: priceincrease.ServiceCommandID(batchID, c.ServiceID, step),
				CorrelationID: "priceincrease/" + batchID.String(), CausationID: meta.CommandID}
			res, err := s.service(ctx, edit, c.ServiceID, sub, uuid.Nil)
			switch {
			case domain.ErrorCode(err) == domain.ECONFLICT && !errors.Is(err, eventstore.ErrWrongExpectedVersion):
				// ended meanwhile (nothing is billed from the effective
				// date), or, putting back, its price changed by hand
			case err != nil:
				errs = append(errs, fmt.Errorf("service %s: %w", c.ServiceID, err))
			default:
				pos = max(pos, res.Position)
			}
		}
	}
	return pos, errors.Join(errs...)
}

// NoticeCommandID is the command id of a client's notice of a batch.
func NoticeCommandID(batchID, clientID uuid.UUID) string {
	return "priceincrease/" + batchID.String() + "/notice/" + clientID.String()
}

// SendPriceIncreaseNotice records that a client's notice of a batch goes
// out today to its primary billing contact (the emailer emails it), under
// NoticeCommandID: sent once however often it is asked.
func (s *Service) SendPriceIncreaseNotice(ctx context.Context, batchID, clientID uuid.UUID, meta Meta) (Result, error) {
	meta.CommandID = NoticeCommandID(batchID, clientID)
	today, err := s.Today(ctx)
	if err != nil {
		return Result{}, err
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(clientID))
	if err != nil {
		return Result{}, err
	}
	ct, _ := cl.PrimaryContact()
	return run(ctx, s, priceIncreaseDecider, priceincrease.StreamName(batchID), priceincrease.Command(priceincrease.SendNotice{
		ClientID: clientID, ContactName: ct.Name, ContactEmail: ct.Email, Today: today, Now: s.now(),
	}), meta, batchID)
}
