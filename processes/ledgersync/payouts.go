package ledgersync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/ledger"
	"remit/domain/payout"
	"remit/integrations/accounting"
	"remit/projections/follow"
)

// payoutRec is what the book keeps of a recorded payout: what its two
// pushes are built from.
type payoutRec struct {
	id          uuid.UUID
	eventID     uuid.UUID // its PayoutRecorded: the pushes' source event
	pos         uint64
	gateway     string
	reference   string
	amount      domain.Money // net paid out (negative: the bank paid the gateway)
	fees        domain.Money
	arrival     domain.Date
	failed      bool // the payout bounced (PayoutFailed)
	failedFirst bool // it bounced before it was pushed anywhere
}

// payoutKinds are a payout's pushes, in order.
var payoutKinds = []ledger.Kind{ledger.KindTransfer, ledger.KindFees}

// observePayout folds a payout event into the book.
func (b *book) observePayout(ev follow.Event) {
	switch e := ev.Data.(type) {
	case payout.PayoutRecorded:
		if b.payouts[e.PayoutID] != nil {
			return
		}
		b.payouts[e.PayoutID] = &payoutRec{id: e.PayoutID, eventID: ev.ID, pos: ev.Position, gateway: e.Gateway, reference: e.Reference,
			amount: domain.Money{Amount: e.Amount, Currency: e.Currency}, fees: domain.Money{Amount: e.Fees, Currency: e.Currency}, arrival: e.ArrivalDate}
	case payout.PayoutFailed:
		if p := b.payouts[e.PayoutID]; p != nil && !p.failed {
			p.failed = true
			p.failedFirst = !b.payoutPushed(p)
		}
	}
}

// payoutPushed reports whether any push of the payout was attempted.
func (b *book) payoutPushed(p *payoutRec) bool {
	for _, prov := range ledger.Providers() {
		for _, k := range payoutKinds {
			if b.pushes[ledger.PayoutPushID(prov, p.id, k)] != nil {
				return true
			}
		}
	}
	return false
}

// payoutInScope reports whether a payout is pushed to a connection: recorded
// after it was connected (or the connection took the history), and not
// bounced before anything was pushed.
func payoutInScope(c ledger.Connection, p *payoutRec) bool {
	return c.Ever && p.pos > c.FromPosition && !p.failedFirst
}

// reopenPayouts marks every payout in scope as having work.
func (s *Sync) reopenPayouts() {
	for _, p := range s.b.payouts {
		s.reopenPayout(p)
	}
}

func (s *Sync) reopenPayout(p *payoutRec) {
	for prov, c := range s.b.conns {
		if c.Connection.Connected && payoutInScope(c.Connection, p) {
			k := genKey{prov, p.id}
			if _, ok := s.open[k]; !ok {
				s.open[k] = time.Time{}
			}
		}
	}
}

// payoutAmount is what a payout push of a kind moves: the net paid out, or
// the fees.
func (p *payoutRec) payoutAmount(kind ledger.Kind) domain.Money {
	if kind == ledger.KindFees {
		return p.fees
	}
	return p.amount
}

// processPayout pushes what is due of one payout in one ledger: its
// transfer, then its fees, each once, and closes its work or reschedules it
// for the earliest retry queued.
func (s *Sync) processPayout(ctx context.Context, k genKey) {
	c := s.b.conns[k.provider]
	p := s.b.payouts[k.invoice]
	if c == nil || p == nil || !c.Connection.Connected || !payoutInScope(c.Connection, p) {
		delete(s.open, k)
		return
	}
	attempts := 0
	var next time.Time // the earliest retry queued
	for i := 0; i < len(payoutKinds); i++ {
		kind := payoutKinds[i]
		if p.payoutAmount(kind).Amount.IsZero() {
			continue
		}
		id := ledger.PayoutPushID(k.provider, p.id, kind)
		var prev ledger.Push
		var rev uint64
		exists := false
		if r := s.b.pushes[id]; r != nil {
			prev, rev, exists = r.Push, r.revision, true
		}
		// The transfer and the fees do not wait for each other: a refused
		// one waits for staff, the other goes on.
		switch prev.Status {
		case ledger.PushSucceeded, ledger.PushFailed:
			continue
		case ledger.PushRetrying:
			if s.cfg.Now().Before(prev.RetryAt) {
				if next.IsZero() || prev.RetryAt.Before(next) {
					next = prev.RetryAt
				}
				continue
			}
		}
		if attempts > 4 { // cannot happen; never spin
			s.open[k] = s.cfg.Now().Add(s.cfg.TickInterval)
			return
		}
		attempts++
		l, err := s.adapter(k.provider, c.Connection)
		if err != nil {
			s.log.Warn("ledgersync: no ledger to push to; retried on the next tick", "provider", k.provider, "err", err)
			s.open[k] = s.cfg.Now().Add(s.cfg.TickInterval)
			return
		}
		if err := s.attemptPayout(ctx, l, c.Connection, p, kind, prev, rev, exists); err != nil {
			s.log.Warn("ledgersync: payout push not recorded; it is pushed again (the ledger de-duplicates)", "provider", k.provider, "payout", p.reference, "err", err)
			s.open[k] = s.cfg.Now().Add(s.cfg.TickInterval)
			return
		}
		i-- // look again at this kind, with its outcome now recorded
	}
	if !next.IsZero() {
		s.open[k] = next
		return
	}
	delete(s.open, k)
}

// attemptPayout pushes one document of a payout and records the outcome in
// its push stream, as attempt does for an invoice's.
func (s *Sync) attemptPayout(ctx context.Context, l accounting.Ledger, c ledger.Connection, p *payoutRec, kind ledger.Kind,
	prev ledger.Push, rev uint64, exists bool) error {
	pushID := ledger.PayoutPushID(c.Provider, p.id, kind)
	docID := ledger.PayoutDocumentID(p.id, kind)
	attempt := prev.Attempts + 1
	amount := p.payoutAmount(kind)
	ack, pushErr := s.callPayout(ctx, l, c, p, kind, docID)
	now := s.cfg.Now()
	var cmd ledger.Command
	if pushErr == nil && ack.LedgerID == "" {
		pushErr = &accounting.Error{Message: "the ledger answered without an id"}
	}
	if pushErr == nil {
		cmd = ledger.RecordPushSucceeded{Event: ledger.LedgerPushSucceeded{PushID: pushID, Provider: c.Provider, Kind: kind, PayoutID: p.id,
			SourceEventID: p.eventID, DocumentID: docID, LedgerID: ack.LedgerID, Amount: amount, Existing: ack.Existing, Attempt: attempt, At: now}}
	} else {
		s.failures.Add(1)
		f := ledger.LedgerPushFailed{PushID: pushID, Provider: c.Provider, Kind: kind, PayoutID: p.id, SourceEventID: p.eventID,
			DocumentID: docID, Amount: amount, Reason: reason(pushErr), Attempt: attempt, At: now}
		if temp, after := accounting.IsTemporary(pushErr); temp {
			if attempt >= s.cfg.MaxAttempts {
				f.Reason = fmt.Sprintf("gave up after %d attempts: %s", attempt, f.Reason)
			} else {
				f.Temporary, f.RetryAt = true, now.Add(s.backoff(attempt, after))
			}
		}
		cmd = ledger.RecordPushFailed{Event: f}
		s.log.Warn("ledgersync: payout push failed", "provider", c.Provider, "payout", p.reference, "kind", kind, "attempt", attempt, "temporary", f.Temporary, "err", pushErr)
	}
	return s.recordOutcome(ctx, pushID, prev, rev, exists, attempt, cmd, p.eventID)
}

// gatewayName is how a gateway is named in the ledger: the payee of its
// fees.
func gatewayName(g string) string {
	switch strings.ToLower(g) {
	case "stripe":
		return "Stripe"
	case "sandbox":
		return "Sandbox gateway"
	case "":
		return "Payment gateway"
	}
	return strings.ToUpper(g[:1]) + g[1:]
}

// callPayout builds the document of a payout push and sends it: the net as
// a transfer from the clearing account to the bank account (the other way
// when refunds made it negative), the fees as an expense from the clearing
// account to the fees account.
func (s *Sync) callPayout(ctx context.Context, l accounting.Ledger, c ledger.Connection, p *payoutRec, kind ledger.Kind, docID uuid.UUID) (accounting.Ack, error) {
	pl, ok := l.(accounting.PayoutLedger)
	if !ok {
		return accounting.Ack{}, mappingError("the %s adapter does not take payouts", c.Provider)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	clearing, bank, fees := c.Mapping.ClearingAccount, c.Mapping.BankAccountFor(c.Provider), c.Mapping.FeesAccountFor(c.Provider)
	amount := p.payoutAmount(kind)
	payee := gatewayName(p.gateway)
	if kind == ledger.KindTransfer {
		t := accounting.Transfer{ID: docID, FromAccount: clearing, ToAccount: bank, Amount: amount, Date: p.arrival, Reference: p.reference}
		if amount.Amount.IsNegative() {
			t.FromAccount, t.ToAccount = bank, clearing
			t.Amount.Amount = amount.Amount.Neg()
		}
		return pl.PushTransfer(ctx, t)
	}
	if amount.Amount.LessThan(decimal.Zero) {
		return accounting.Ack{}, mappingError("payout %s: %s returned %s of fees; Remit pushes fees paid, not fees returned: record it in the ledger by hand", p.reference, payee, amount.Amount.Neg())
	}
	return pl.PushExpense(ctx, accounting.Expense{ID: docID, FromAccount: clearing, ExpenseAccount: fees, Payee: payee,
		Description: payee + " fees, payout " + p.reference, Amount: amount, Date: p.arrival, Reference: p.reference})
}

// reconcilePayouts checks each payout in scope of each connected ledger:
// its transfer and fees acknowledged once, for the amounts Remit recorded.
// The push ids it checks are marked expected.
func (b *book) reconcilePayouts(providers []string, expected map[uuid.UUID]bool, rep *Report) {
	for _, prov := range providers {
		c := b.conns[prov].Connection
		for _, p := range b.payouts {
			if !payoutInScope(c, p) {
				continue
			}
			for _, kind := range payoutKinds {
				want := p.payoutAmount(kind)
				if want.Amount.IsZero() {
					continue
				}
				id := ledger.PayoutPushID(prov, p.id, kind)
				expected[id] = true
				what := fmt.Sprintf("%s: payout %s (%s)", prov, p.reference, kind)
				push := b.pushes[id]
				switch {
				case push == nil:
					rep.Differences = append(rep.Differences, what+": never pushed")
				case push.Status == ledger.PushRetrying:
					rep.Differences = append(rep.Differences, what+": not pushed yet (retry queued: "+push.Reason+")")
				case push.Status == ledger.PushFailed:
					rep.Differences = append(rep.Differences, what+": not pushed: failed: "+push.Reason)
				default:
					rep.Pushes++
					if push.Successes > 1 {
						rep.Differences = append(rep.Differences, fmt.Sprintf("%s: acknowledged %d times (pushed more than once)", what, push.Successes))
					}
					if !push.Amount.Equal(want) {
						rep.Differences = append(rep.Differences, fmt.Sprintf("%s: amounts differ: Remit %s, the ledger acknowledged %s", what, want, push.Amount))
					}
				}
			}
		}
	}
}

// PayoutProblem is a payout whose push to a ledger is failing.
type PayoutProblem struct {
	PayoutID  uuid.UUID
	Reference string
	// Failed: refused for good (enter it in the ledger by hand); otherwise
	// a retry is queued.
	Failed bool
	Why    string
}

// payoutStatus counts a connection's payouts and lists those waiting.
func (b *book) payoutStatus(provider string, c ledger.Connection, cs *ConnectionStatus) {
	ps := make([]*payoutRec, 0, len(b.payouts))
	for _, p := range b.payouts {
		if payoutInScope(c, p) {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b *payoutRec) int { return cmpU(a.pos, b.pos) })
	for _, p := range ps {
		cs.Payouts++
		synced := true
		for _, kind := range payoutKinds {
			if p.payoutAmount(kind).Amount.IsZero() {
				continue
			}
			push := b.pushes[ledger.PayoutPushID(provider, p.id, kind)]
			if push == nil || push.Status != ledger.PushSucceeded {
				synced = false
			}
			if push == nil || (push.Status != ledger.PushFailed && push.Status != ledger.PushRetrying) {
				continue
			}
			why := fmt.Sprintf("payout %s (%s): %s", p.reference, kind, push.Reason)
			failed := push.Status == ledger.PushFailed
			if failed {
				cs.Waiting = append(cs.Waiting, "failed: "+why)
			} else {
				cs.Waiting = append(cs.Waiting, "retry queued: "+why)
			}
			cs.PayoutProblems = append(cs.PayoutProblems, PayoutProblem{PayoutID: p.id, Reference: p.reference, Failed: failed, Why: why})
			break
		}
		if synced {
			cs.PayoutsSynced++
		}
	}
}
