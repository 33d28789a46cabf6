package projections

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/projections/rmdb"
)

// ledgerTest drives the ledger projection and asks its statuses.
type ledgerTest struct {
	t   *testing.T
	log *clientsLog
	q   *Ledger
	at  time.Time
}

func newLedgerTest(t *testing.T, db *rmdb.DB) *ledgerTest {
	return &ledgerTest{t: t, log: newClientsLog(t, db, newLedger(db, 1)), q: newLedger(db, 0),
		at: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
}

func (l *ledgerTest) issue(name string) (uuid.UUID, uint64) {
	inv := id("invoice/" + name)
	return inv, l.log.add(invoice.StreamName(inv), invoice.InvoiceIssued{InvoiceID: inv, ClientID: clientsAcme, Number: name, Currency: clientsAUD})
}

func (l *ledgerTest) ledger(events ...domain.Event) uint64 {
	l.t.Helper()
	var last uint64
	for _, ev := range events {
		last = l.log.add(ledger.StreamName(uuid.Nil), ev)
	}
	return last
}

func (l *ledgerTest) status(inv uuid.UUID) InvoiceLedger {
	l.t.Helper()
	st, err := l.q.of(context.Background(), inv)
	if err != nil {
		l.t.Fatal(err)
	}
	return st
}

// want checks an invoice's overall status and each provider's, in provider
// order.
func (l *ledgerTest) want(what string, inv uuid.UUID, status string, providers ...string) InvoiceLedger {
	l.t.Helper()
	st := l.status(inv)
	ok := st.Status == status && st.Providers != nil && len(st.Providers) == len(providers)/2
	for i := 0; ok && i < len(providers); i += 2 {
		ok = st.Providers[i/2].Provider == providers[i] && st.Providers[i/2].Status == providers[i+1]
	}
	if !ok {
		l.t.Errorf("%s: status = %+v, want %s %v", what, st, status, providers)
	}
	return st
}

func (l *ledgerTest) pushed(inv uuid.UUID, provider string, kind ledger.Kind, push string, gen int, ledgerID string) {
	l.t.Helper()
	l.at = l.at.Add(time.Minute)
	l.ledger(ledger.LedgerPushSucceeded{PushID: id("push/" + push), Provider: provider, Kind: kind, InvoiceID: inv,
		Generation: gen, LedgerID: ledgerID, At: l.at})
}

func (l *ledgerTest) failed(inv uuid.UUID, provider string, kind ledger.Kind, push string, gen int, temporary bool, attempt int, reason string) time.Time {
	l.t.Helper()
	l.at = l.at.Add(time.Minute)
	var retry time.Time
	if temporary {
		retry = l.at.Add(time.Minute)
	}
	l.ledger(ledger.LedgerPushFailed{PushID: id("push/" + push), Provider: provider, Kind: kind, InvoiceID: inv,
		Generation: gen, Reason: reason, Temporary: temporary, Attempt: attempt, RetryAt: retry, At: l.at})
	return retry
}

func TestLedgerStatuses(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		l := newLedgerTest(t, db)
		xero, qbo := ledger.ProviderXero, ledger.ProviderQBO

		old, oldPos := l.issue("old")
		l.want("no ledger", old, LedgerNotConnected)

		// Connected without the history: the old invoice is not pushed.
		l.ledger(ledger.LedgerConnected{Provider: xero, TenantID: "t1", FromPosition: oldPos, At: l.at})
		fresh, _ := l.issue("fresh")
		l.want("issued before connecting", old, LedgerBeforeConnection, xero, LedgerBeforeConnection)
		l.want("unknown invoice", id("invoice/unknown"), LedgerBeforeConnection, xero, LedgerBeforeConnection)
		l.want("issued after connecting", fresh, LedgerPending, xero, LedgerPending)

		// Synced: the invoice, then its payment and a credit note.
		l.pushed(fresh, xero, ledger.KindInvoice, "fresh/invoice", 0, "X-1")
		st := l.want("pushed", fresh, LedgerSynced, xero, LedgerSynced)
		pushedAt := l.at
		l.pushed(fresh, xero, ledger.KindPayment, "fresh/payment", 0, "P-1")
		l.pushed(fresh, xero, ledger.KindCreditNote, "fresh/credit", 0, "C-1")
		st = l.want("payment and credit pushed", fresh, LedgerSynced, xero, LedgerSynced)
		if s := st.Providers[0]; s.LedgerID != "X-1" || s.Pushed != 3 || !s.At.Equal(pushedAt) || s.Generation != 0 {
			t.Errorf("synced = %+v", s)
		}

		// A temporary failure is retried; a success clears it.
		tmp, _ := l.issue("temporary")
		retry := l.failed(tmp, xero, ledger.KindInvoice, "tmp/invoice", 0, true, 1, "503: Service Unavailable")
		st = l.want("temporary failure", tmp, LedgerRetryQueued, xero, LedgerRetryQueued)
		if s := st.Providers[0]; !s.RetryAt.Equal(retry) || s.Reason != "503: Service Unavailable" || s.Attempts != 1 {
			t.Errorf("retry queued = %+v", s)
		}
		l.pushed(tmp, xero, ledger.KindInvoice, "tmp/invoice", 0, "X-2")
		st = l.want("retried", tmp, LedgerSynced, xero, LedgerSynced)
		if s := st.Providers[0]; !s.RetryAt.IsZero() || s.Reason != "" || s.Attempts != 0 || s.Pushed != 1 {
			t.Errorf("synced after a retry = %+v", s)
		}
		// A payment failing after the invoice synced makes it retry queued
		// until that push succeeds.
		l.failed(tmp, xero, ledger.KindPayment, "tmp/payment", 0, true, 1, "429: rate limited")
		l.want("payment retry", tmp, LedgerRetryQueued, xero, LedgerRetryQueued)
		l.pushed(tmp, xero, ledger.KindPayment, "tmp/payment", 0, "P-2")
		l.want("payment pushed", tmp, LedgerSynced, xero, LedgerSynced)

		// A permanent failure waits for staff; a re-creation starts a new
		// generation, and the old generation's outcomes no longer count.
		perm, _ := l.issue("permanent")
		l.failed(perm, xero, ledger.KindInvoice, "perm/invoice", 0, false, 1, "400: Account code '200' has been archived")
		st = l.want("permanent failure", perm, LedgerFailed, xero, LedgerFailed)
		if s := st.Providers[0]; !s.RetryAt.IsZero() || s.Reason != "400: Account code '200' has been archived" {
			t.Errorf("failed = %+v", s)
		}
		l.ledger(ledger.LedgerRecreateRequested{InvoiceID: perm, Provider: xero, Reason: "account restored", Generation: 1, At: l.at})
		st = l.want("re-create requested", perm, LedgerPending, xero, LedgerPending)
		if s := st.Providers[0]; s.Generation != 1 || s.Reason != "" || s.Pushed != 0 {
			t.Errorf("re-created = %+v", s)
		}
		l.pushed(perm, xero, ledger.KindInvoice, "perm/stale", 0, "X-stale")
		l.failed(perm, xero, ledger.KindInvoice, "perm/stale2", 0, false, 2, "stale")
		st = l.want("stale outcomes", perm, LedgerPending, xero, LedgerPending)
		if s := st.Providers[0]; s.LedgerID != "" || s.Pushed != 0 {
			t.Errorf("after stale outcomes = %+v", s)
		}
		l.pushed(perm, xero, ledger.KindInvoice, "perm/gen1", 1, "X-3")
		st = l.want("re-created", perm, LedgerSynced, xero, LedgerSynced)
		if s := st.Providers[0]; s.Generation != 1 || s.LedgerID != "X-3" || s.Pushed != 1 {
			t.Errorf("synced again = %+v", s)
		}
		// A re-creation of an older or the same generation changes nothing.
		l.ledger(ledger.LedgerRecreateRequested{InvoiceID: perm, Provider: xero, Generation: 1, At: l.at})
		l.want("repeated re-create", perm, LedgerSynced, xero, LedgerSynced)

		// A second ledger taking the whole history: every invoice is pending
		// there; the overall status is the worst connected one's. Providers
		// come sorted by name.
		l.ledger(ledger.LedgerConnected{Provider: qbo, TenantID: "realm", FromPosition: 0, At: l.at})
		l.want("second ledger", fresh, LedgerPending, qbo, LedgerPending, xero, LedgerSynced)
		l.want("second ledger, old invoice", old, LedgerPending, qbo, LedgerPending, xero, LedgerBeforeConnection)
		l.failed(fresh, qbo, ledger.KindInvoice, "fresh/qbo", 0, false, 1, "400")
		l.want("failed in one", fresh, LedgerFailed, qbo, LedgerFailed, xero, LedgerSynced)

		// Disconnected: what is not synced there shows not connected, and
		// the overall status is the connected ledgers'.
		l.ledger(ledger.LedgerDisconnected{Provider: qbo, At: l.at})
		l.want("one disconnected", fresh, LedgerSynced, qbo, LedgerNotConnected, xero, LedgerSynced)
		l.ledger(ledger.LedgerDisconnected{Provider: xero, At: l.at})
		l.want("all disconnected", fresh, LedgerNotConnected, qbo, LedgerNotConnected, xero, LedgerSynced)
		l.want("all disconnected, old invoice", old, LedgerNotConnected, qbo, LedgerNotConnected, xero, LedgerNotConnected)
		// A reconnection keeps the first connection's starting position.
		l.ledger(ledger.LedgerConnected{Provider: xero, TenantID: "t1", FromPosition: 0, At: l.at})
		l.want("reconnected", old, LedgerBeforeConnection, qbo, LedgerNotConnected, xero, LedgerBeforeConnection)
		l.want("disconnected ledger only", id("invoice/unknown"), LedgerBeforeConnection, qbo, LedgerNotConnected, xero, LedgerBeforeConnection)
	})
}

// An invoice issued in the batch that connected the first ledger is
// recorded; a rolled-back connection is forgotten with the batch.
func TestLedgerConnectionInBatch(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		w := newLedger(db, 1)
		l := newLedgerTest(t, db)
		l.log.p = w

		// Rolled back: the writer must not still believe a ledger is connected.
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.Apply(tx, Event{Position: 1, Stream: ledger.StreamName(uuid.Nil), Data: ledger.LedgerConnected{Provider: ledger.ProviderXero, FromPosition: 1}})
		w.Flush(tx)
		tx.Rollback()
		w.Discard()
		l.log.pos = 1

		inv, pos := l.issue("a")
		l.ledger(ledger.LedgerConnected{Provider: ledger.ProviderXero, FromPosition: pos - 1, At: l.at})
		l.want("issued with no ledger connected", inv, LedgerBeforeConnection, ledger.ProviderXero, LedgerBeforeConnection)

		// Connected and issued in one batch, the connection taking the
		// history from before the invoice.
		tx, err = db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b := id("invoice/b")
		w.Apply(tx, Event{Position: 10, Stream: ledger.StreamName(uuid.Nil), Data: ledger.LedgerConnected{Provider: ledger.ProviderQBO, FromPosition: 9}})
		w.Apply(tx, Event{Position: 11, Stream: invoice.StreamName(b), Data: invoice.InvoiceIssued{InvoiceID: b}})
		w.Flush(tx)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		l.want("issued in the connecting batch", b, LedgerPending, ledger.ProviderQBO, LedgerPending, ledger.ProviderXero, LedgerPending)
	})
}
