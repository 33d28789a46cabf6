package ledger_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/ledger"
)

var now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func mapping() ledger.Mapping {
	return ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610", TaxTypes: map[string]string{"10": "OUTPUT", "0": "EXEMPTOUTPUT"}}
}

// decider is the ledger decider, its events compared whole.
var decider = decidertest.Decider[ledger.State, ledger.Command]{Fold: ledger.Fold, Decide: ledger.Decide}

func TestIDsAreDeterministic(t *testing.T) {
	src := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	a := ledger.PushID("xero", src, 0)
	if a != ledger.PushID("xero", src, 0) {
		t.Error("the same push gave two ids")
	}
	if a == ledger.PushID("qbo", src, 0) || a == ledger.PushID("xero", src, 1) {
		t.Error("another provider or generation gave the same push id")
	}
	gen1 := ledger.DocumentID(src, 1)
	if ledger.DocumentID(src, 0) != src || gen1 == src || ledger.DocumentID(src, 1) != gen1 {
		t.Error("DocumentID: Remit's id at generation 0, a stable new one after")
	}
	if ledger.ConnectionID("xero") == ledger.ConnectionID("qbo") {
		t.Error("two providers share a connection stream")
	}
}

func TestDecide(t *testing.T) {
	invoiceID, source := uuid.New(), uuid.New()
	pushID := ledger.PushID("xero", source, 0)
	connected := ledger.LedgerConnected{Provider: "xero", TenantID: "t-1", Mapping: mapping(), FromPosition: 42, At: now}
	disconnected := ledger.LedgerDisconnected{Provider: "xero", Reason: "moved", At: now}
	changed := mapping()
	changed.WriteOffAccount = "684"
	failedTemp := ledger.LedgerPushFailed{PushID: pushID, Provider: "xero", Kind: ledger.KindInvoice, InvoiceID: invoiceID, SourceEventID: source,
		DocumentID: invoiceID, Reason: "503", Temporary: true, Attempt: 1, RetryAt: now.Add(time.Minute), At: now}
	succeeded := ledger.LedgerPushSucceeded{PushID: pushID, Provider: "xero", Kind: ledger.KindInvoice, InvoiceID: invoiceID, SourceEventID: source,
		DocumentID: invoiceID, LedgerID: "X-1", Attempt: 2, At: now}
	failedPerm := failedTemp
	failedPerm.Temporary, failedPerm.RetryAt, failedPerm.Reason = false, time.Time{}, "account 200 is archived"
	decidertest.Run(t, decider, []decidertest.Case[ledger.Command]{
		{Name: "Connect/OK", When: ledger.Connect{Provider: "xero", TenantID: "t-1", Mapping: mapping(), FromPosition: 42, Now: now}, Then: []domain.Event{connected}},
		{Name: "Connect/ErrUnknownProvider", When: ledger.Connect{Provider: "sage", TenantID: "t", Mapping: mapping(), Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "Connect/ErrNoClearingAccount", When: ledger.Connect{Provider: "xero", TenantID: "t", Mapping: ledger.Mapping{RevenueAccount: "200"}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "Connect/ErrBadRate", When: ledger.Connect{Provider: "xero", TenantID: "t", Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610", TaxTypes: map[string]string{"10%": "OUTPUT"}}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "Connect/SameAgain", Given: []domain.Event{connected}, When: ledger.Connect{Provider: "xero", TenantID: "t-1", Mapping: mapping(), Now: now}},
		{Name: "Connect/NewMapping", Given: []domain.Event{connected}, When: ledger.Connect{Provider: "xero", TenantID: "t-1", Mapping: changed, Now: now},
			Then: []domain.Event{ledger.LedgerMappingChanged{Provider: "xero", Mapping: changed, At: now}}},
		{Name: "Connect/ErrOtherTenant", Given: []domain.Event{connected}, When: ledger.Connect{Provider: "xero", TenantID: "t-2", Mapping: mapping(), Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "Connect/AgainKeepsFromPosition", Given: []domain.Event{connected, disconnected}, When: ledger.Connect{Provider: "xero", TenantID: "t-2", Mapping: mapping(), FromPosition: 99, Now: now},
			Then: []domain.Event{ledger.LedgerConnected{Provider: "xero", TenantID: "t-2", Mapping: mapping(), FromPosition: 42, At: now}}},
		{Name: "ChangeMapping/ErrNotConnected", When: ledger.ChangeMapping{Provider: "xero", Mapping: mapping(), Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "MapContact/OK", Given: []domain.Event{connected}, When: ledger.MapContact{Provider: "xero", ClientID: invoiceID, ContactID: "C-9", Now: now},
			Then: []domain.Event{ledger.LedgerContactMapped{Provider: "xero", ClientID: invoiceID, ContactID: "C-9", At: now}}},
		{Name: "MapContact/ErrNoContact", Given: []domain.Event{connected}, When: ledger.MapContact{Provider: "xero", ClientID: invoiceID, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "Disconnect/OK", Given: []domain.Event{connected}, When: ledger.Disconnect{Provider: "xero", Reason: "moved", Now: now}, Then: []domain.Event{disconnected}},
		{Name: "Disconnect/NotConnected", When: ledger.Disconnect{Provider: "xero", Now: now}},
		{Name: "RecordPushFailed/OK", When: ledger.RecordPushFailed{Event: failedTemp}, Then: []domain.Event{failedTemp}},
		{Name: "RecordPushFailed/ErrNoRetryTime", When: ledger.RecordPushFailed{Event: func() ledger.LedgerPushFailed { f := failedTemp; f.RetryAt = time.Time{}; return f }()}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "RecordPushSucceeded/AfterRetry", Given: []domain.Event{failedTemp}, When: ledger.RecordPushSucceeded{Event: succeeded}, Then: []domain.Event{succeeded}},
		{Name: "RecordPushSucceeded/AlreadySucceeded", Given: []domain.Event{succeeded}, When: ledger.RecordPushSucceeded{Event: succeeded}},
		{Name: "RecordPushFailed/AfterPermanent", Given: []domain.Event{failedPerm}, When: ledger.RecordPushFailed{Event: failedTemp}},
		{Name: "RecordPushSucceeded/ErrNoLedgerID", When: ledger.RecordPushSucceeded{Event: ledger.LedgerPushSucceeded{PushID: pushID, Provider: "xero", Kind: ledger.KindInvoice, InvoiceID: invoiceID, SourceEventID: source, Attempt: 1}}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "RequestRecreate/OK", Given: []domain.Event{ledger.LedgerRecreateRequested{InvoiceID: invoiceID, Provider: "xero", Reason: "deleted", Generation: 1, At: now}},
			When: ledger.RequestRecreate{Provider: "xero", InvoiceID: invoiceID, Reason: "deleted again", Connected: true, InvoiceIssued: true, Now: now},
			Then: []domain.Event{ledger.LedgerRecreateRequested{InvoiceID: invoiceID, Provider: "xero", Reason: "deleted again", Generation: 2, At: now}}},
		{Name: "RequestRecreate/ErrNotConnected", When: ledger.RequestRecreate{Provider: "xero", InvoiceID: invoiceID, Reason: "x", InvoiceIssued: true, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "RequestRecreate/ErrNoInvoice", When: ledger.RequestRecreate{Provider: "xero", InvoiceID: invoiceID, Reason: "x", Connected: true, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "RequestRecreate/ErrNoReason", When: ledger.RequestRecreate{Provider: "xero", InvoiceID: invoiceID, Connected: true, InvoiceIssued: true, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
	})
}

func TestEvolve(t *testing.T) {
	invoiceID, source := uuid.New(), uuid.New()
	pushID := ledger.PushID("qbo", source, 0)
	s := ledger.Fold([]domain.Event{
		ledger.LedgerPushFailed{PushID: pushID, Provider: "qbo", Kind: ledger.KindPayment, InvoiceID: invoiceID, SourceEventID: source, Reason: "429", Temporary: true, Attempt: 1, RetryAt: now.Add(time.Minute), At: now},
	})
	if s.Push.Status != ledger.PushRetrying || !s.Push.RetryAt.Equal(now.Add(time.Minute)) || s.Push.Attempts != 1 {
		t.Errorf("after a temporary failure: %+v", s.Push)
	}
	s = ledger.Evolve(s, ledger.LedgerPushSucceeded{PushID: pushID, Provider: "qbo", Kind: ledger.KindPayment, InvoiceID: invoiceID, SourceEventID: source, LedgerID: "P-1", Attempt: 2, At: now})
	if s.Push.Status != ledger.PushSucceeded || s.Push.LedgerID != "P-1" || !s.Push.RetryAt.IsZero() || s.Push.Successes != 1 {
		t.Errorf("after success: %+v", s.Push)
	}
}

func TestMappingAccounts(t *testing.T) {
	svc := uuid.New()
	m := ledger.Mapping{RevenueAccount: "200", ServiceAccounts: map[uuid.UUID]string{svc: "210"}, TaxRateAccounts: map[string]string{"0": "220"}, TaxTypes: map[string]string{"10": "OUTPUT"}}
	ten, zero := decimal.NewFromInt(10), decimal.Zero
	if got := m.AccountFor(svc, ten); got != "210" {
		t.Errorf("service account = %q", got)
	}
	if got := m.AccountFor(uuid.Nil, zero); got != "220" {
		t.Errorf("rate account = %q", got)
	}
	if got := m.AccountFor(uuid.New(), ten); got != "200" {
		t.Errorf("default account = %q", got)
	}
	if code, ok := m.TaxTypeFor(decimal.RequireFromString("10.00")); !ok || code != "OUTPUT" {
		t.Errorf("tax type for 10.00 = %q %v", code, ok)
	}
	if _, ok := m.TaxTypeFor(zero); ok {
		t.Error("an unmapped rate was found")
	}
}
