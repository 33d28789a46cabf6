// Package payouts is the payout sync: it asks the payment gateway for the
// payouts it made since the last one Remit recorded, and records each, with
// every charge, refund, dispute and fee it settles, as a payout event
// (domain/payout). `remit serve` runs it every day after the billing run
// (billingrun.Scheduler's Daily hook), Stripe's payout.paid and
// payout.failed webhooks run it at once, and operators run it with `remit
// payouts sync`.
//
// # Exactly once
//
// A payout's stream is named after the gateway and its payout reference
// (payout.ID), and its events after the same, so the daily run on every
// node of a cluster, a webhook and an operator may sync the same payout at
// the same time: the first append records it, the others find it recorded
// and append nothing. Nothing is kept between runs: where to start is read
// from the log (the last PayoutRecorded), less a week's overlap, since a
// gateway may list a payout made just before the last one recorded (another
// currency's) after it.
//
// # Memory
//
// A gateway that lists payouts by window of time (payments.PayoutWindows,
// as the sandbox does) is asked a Window at a time, so the first sync of a
// firm with years of charges holds one week's payouts and their lines at
// once, not every payout ever made.
package payouts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/integrations/payments"
)

// Actor is recorded as the actor of the events the sync appends.
const Actor = "system:payouts"

// Window is how much of the gateway's history a sync asks for at once, from
// a gateway that lists payouts by window (payments.PayoutWindows).
const Window = 7 * 24 * time.Hour

// Overlap is how far before the last recorded payout's arrival the sync
// asks the gateway again.
const Overlap = 7 * 24 * time.Hour

// Config is what a sync works with.
type Config struct {
	Store eventstore.Store
	// Gateway is the payment gateway; one that is not a
	// payments.PayoutSource makes no payouts to record.
	Gateway payments.Gateway
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger hears each payout recorded; nil discards.
	Logger *slog.Logger
}

// Report says what a sync did.
type Report struct {
	// Since is when the gateway was asked from (zero: from its first payout).
	Since time.Time
	// Listed is how many payouts the gateway listed; Recorded how many of
	// them this sync recorded (the others were recorded before); Failed how
	// many it recorded as failed.
	Listed, Recorded, Failed int
	// Refused says, one line each, which payouts the payout rules refused
	// (lines that do not add up to the amount paid out): the others are
	// recorded all the same, and the refused ones are asked for again on
	// every sync until the gateway's answer adds up.
	Refused []string
}

// ErrNoPayouts is returned by Sync for a gateway that makes no payouts.
var ErrNoPayouts = errors.New("the payment gateway makes no payouts Remit can read")

// Sync records the payouts the gateway made since the last one recorded.
func Sync(ctx context.Context, cfg Config) (Report, error) {
	var rep Report
	src, ok := cfg.Gateway.(payments.PayoutSource)
	if !ok || cfg.Gateway == nil {
		return rep, ErrNoPayouts
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	since, err := Since(ctx, cfg.Store)
	if err != nil {
		return rep, err
	}
	rep.Since = since
	env := billing.Env{Store: cfg.Store, Catalog: catalog.New()}
	windows, ok := src.(payments.PayoutWindows)
	if !ok {
		list, err := src.Payouts(ctx, since)
		if err != nil {
			return rep, fmt.Errorf("payouts: ask %s: %w", cfg.Gateway.Name(), err)
		}
		return rep, recordAll(ctx, env, cfg.Gateway.Name(), list, now, log, &rep)
	}
	// Window by window, so that a first sync over years of charges holds
	// one window's payouts at a time.
	from := since
	if from.IsZero() {
		first, found, err := windows.FirstPayoutAfter(ctx)
		if err != nil {
			return rep, fmt.Errorf("payouts: ask %s: %w", cfg.Gateway.Name(), err)
		}
		if !found {
			return rep, nil
		}
		from = first
	}
	for {
		until := from.Add(Window)
		last := !until.Before(now())
		if last {
			until = time.Time{} // the last window has no end: whatever the gateway made by its clock
		}
		list, err := windows.PayoutsBetween(ctx, from, until)
		if err != nil {
			return rep, fmt.Errorf("payouts: ask %s: %w", cfg.Gateway.Name(), err)
		}
		if err := recordAll(ctx, env, cfg.Gateway.Name(), list, now, log, &rep); err != nil || last {
			return rep, err
		}
		from = until
	}
}

// recordAll records the payouts of list, counting them in rep.
func recordAll(ctx context.Context, env billing.Env, gateway string, list []payments.Payout, now func() time.Time, log *slog.Logger, rep *Report) error {
	rep.Listed += len(list)
	for _, p := range list {
		recorded, failed, err := Record(ctx, env, gateway, p, now())
		if domain.ErrorCode(err) == domain.EINVALID {
			rep.Refused = append(rep.Refused, fmt.Sprintf("%s: %s", p.Reference, domain.ErrorMessage(err)))
			log.Warn("payout refused", "gateway", gateway, "payout", p.Reference, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		if recorded {
			rep.Recorded++
			log.Info("payout recorded", "gateway", gateway, "payout", p.Reference, "amount", p.Amount.String(), "lines", len(p.Lines))
		}
		if failed {
			rep.Failed++
			log.Warn("payout failed", "gateway", gateway, "payout", p.Reference, "reason", p.FailureReason)
		}
	}
	return nil
}

// Record records one payout of a gateway (and its failure, when the
// gateway reports it failed), once: it reports whether this call appended
// the payout and its failure. A failed payout never recorded as paid is not
// recorded. The payout's domain rules are checked by payout.Decide on the
// stream as read; the event is then recorded through billing.Record under an
// id derived from the payout, so two processes recording it at once append
// it once. Record (not a command) because what it records is the gateway's
// text: a charge's reference can hold 13 digits that pass the Luhn check,
// which a command's text check would refuse as a card number.
func Record(ctx context.Context, env billing.Env, gateway string, p payments.Payout, now time.Time) (recorded, failed bool, err error) {
	id := payout.ID(gateway, p.Reference)
	stream := payout.StreamName(id)
	st, err := fold(ctx, env, stream)
	if err != nil {
		return false, false, err
	}
	if p.Status != "failed" {
		cmd := payout.Record{
			Gateway: gateway, Reference: p.Reference, Currency: p.Currency, Amount: p.Amount.Amount,
			ArrivalDate: p.ArrivalDate, Status: payout.Status(p.Status), Lines: lines(p.Lines), Now: now,
		}
		appended, err := record(ctx, env, stream, id, "recorded", st, cmd)
		if err != nil {
			return false, false, fmt.Errorf("payouts: record %s %s: %w", gateway, p.Reference, err)
		}
		return appended, false, nil
	}
	appended, err := record(ctx, env, stream, id, "failed", st, payout.Fail{Gateway: gateway, Reference: p.Reference, Reason: p.FailureReason, Now: now})
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return false, false, nil // never paid, so nothing moved
	}
	if err != nil {
		return false, false, fmt.Errorf("payouts: record failure of %s %s: %w", gateway, p.Reference, err)
	}
	return false, appended, nil
}

// record decides cmd on the payout's state and records its events, if any,
// in one append, under ids derived from the payout and what (recorded,
// failed): the first event's from those alone, a part of a big payout's
// lines (payout.PayoutLinesRecorded) from its part number too.
func record(ctx context.Context, env billing.Env, stream string, id uuid.UUID, what string, st payout.State, cmd payout.Command) (bool, error) {
	evs, err := payout.Decide(st, cmd)
	if err != nil || len(evs) == 0 {
		return false, err
	}
	key := what + "/" + id.String()
	ids := make([]uuid.UUID, len(evs))
	for i := range evs {
		name := "event/" + key
		if i > 0 {
			name += "/part/" + strconv.Itoa(i)
		}
		ids[i] = uuid.NewSHA1(payout.Namespace, []byte(name))
	}
	res, err := billing.RecordAll(ctx, env, stream, eventstore.Any, ids, evs, billing.Meta{Actor: Actor, CommandID: "payouts/" + key})
	if err != nil {
		return false, err
	}
	return res.Appended > 0 && !res.AlreadyApplied, nil
}

// fold reads a payout's stream into its state.
func fold(ctx context.Context, env billing.Env, stream string) (payout.State, error) {
	var st payout.State
	recs, err := env.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return st, fmt.Errorf("payouts: read %s: %w", stream, err)
	}
	for _, r := range recs {
		e, err := env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return st, fmt.Errorf("payouts: %s: %w", stream, err)
		}
		st = payout.Evolve(st, e)
	}
	return st, nil
}

func lines(in []payments.PayoutLine) []payout.Line {
	out := make([]payout.Line, len(in))
	for i, l := range in {
		out[i] = payout.Line{Kind: payout.Kind(l.Kind), Reference: l.Reference, BalanceTransaction: l.BalanceTransaction, InvoiceID: l.InvoiceID,
			Gross: l.Gross, Fee: l.Fee, Net: l.Net}
	}
	return out
}

// Since is when to ask the gateway from: Overlap before the arrival date
// of the last payout recorded; zero when none is.
func Since(ctx context.Context, store eventstore.Store) (time.Time, error) {
	recs, err := store.ReadAll(ctx, eventstore.End, eventstore.Backward, 1, eventstore.Filter{EventTypes: []string{"PayoutRecorded"}})
	if err != nil {
		return time.Time{}, fmt.Errorf("payouts: the last payout recorded: %w", err)
	}
	if len(recs) == 0 {
		return time.Time{}, nil
	}
	e, err := catalog.New().Decode(recs[0].Type, recs[0].SchemaVersion, recs[0].Data)
	if err != nil {
		return time.Time{}, err
	}
	d := e.(payout.PayoutRecorded).ArrivalDate
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Add(-Overlap), nil
}
