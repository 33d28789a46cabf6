package ledger

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Command is a request about one ledger stream; Decide handles each kind.
type Command interface{ isLedgerCommand() }

// Connect connects a provider (or connects it again) with a mapping.
// Connecting a connected provider with the same tenant changes its mapping.
type Connect struct {
	Provider string
	TenantID string
	Mapping  Mapping
	// FromPosition is the log's head now (invoices up to it are not pushed),
	// or 0 to push the history too.
	FromPosition uint64
	Now          time.Time
}

// ChangeMapping replaces a connected provider's mapping.
type ChangeMapping struct {
	Provider string
	Mapping  Mapping
	Now      time.Time
}

// MapContact maps a client to an existing ledger contact.
type MapContact struct {
	Provider  string
	ClientID  uuid.UUID
	ContactID string
	Now       time.Time
}

// Disconnect stops pushing to a provider.
type Disconnect struct {
	Provider string
	Reason   string
	Now      time.Time
}

// RecordPushSucceeded records a push's success on the push's stream.
type RecordPushSucceeded struct{ Event LedgerPushSucceeded }

// RecordPushFailed records a push's failure on the push's stream.
type RecordPushFailed struct{ Event LedgerPushFailed }

// RequestRecreate asks for an invoice to be created again in a ledger; the
// handler gathers whether the provider is connected and the invoice issued.
type RequestRecreate struct {
	Provider      string
	InvoiceID     uuid.UUID
	Reason        string
	Connected     bool // the provider's connection is connected
	InvoiceIssued bool // the invoice exists
	Now           time.Time
}

// RecordReconciled records a reconciliation run.
type RecordReconciled struct{ Event LedgerReconciled }

func (Connect) isLedgerCommand()             {}
func (ChangeMapping) isLedgerCommand()       {}
func (MapContact) isLedgerCommand()          {}
func (Disconnect) isLedgerCommand()          {}
func (RecordPushSucceeded) isLedgerCommand() {}
func (RecordPushFailed) isLedgerCommand()    {}
func (RequestRecreate) isLedgerCommand()     {}
func (RecordReconciled) isLedgerCommand()    {}

// Decide returns the events that c records against s, or why it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Connect:
		return connect(s, c)
	case ChangeMapping:
		return changeMapping(s, c)
	case MapContact:
		return mapContact(s, c)
	case Disconnect:
		if err := checkProvider(c.Provider); err != nil {
			return nil, err
		}
		if !s.Connection.Connected {
			return nil, nil
		}
		return []domain.Event{LedgerDisconnected{Provider: c.Provider, Reason: c.Reason, At: c.Now}}, nil
	case RecordPushSucceeded:
		return recordPushSucceeded(s, c)
	case RecordPushFailed:
		return recordPushFailed(s, c)
	case RequestRecreate:
		return requestRecreate(s, c)
	case RecordReconciled:
		if c.Event.Differences < 0 {
			return nil, domain.Invalid("differences", "cannot be negative")
		}
		return []domain.Event{c.Event}, nil
	}
	return nil, domain.Errorf(domain.EINTERNAL, "ledger: unknown command %T", c)
}

func changeMapping(s State, c ChangeMapping) ([]domain.Event, error) {
	if err := checkProvider(c.Provider); err != nil {
		return nil, err
	}
	if !s.Connection.Connected {
		return nil, domain.Conflict("%s is not connected: connect it first", c.Provider)
	}
	if err := c.Mapping.Validate(); err != nil {
		return nil, err
	}
	if mappingEqual(s.Connection.Mapping, c.Mapping) {
		return nil, nil
	}
	return []domain.Event{LedgerMappingChanged{Provider: c.Provider, Mapping: c.Mapping, At: c.Now}}, nil
}

func mapContact(s State, c MapContact) ([]domain.Event, error) {
	if err := checkProvider(c.Provider); err != nil {
		return nil, err
	}
	var p domain.Problems
	if c.ClientID == uuid.Nil {
		p.Add("client_id", "name the client")
	}
	if strings.TrimSpace(c.ContactID) == "" {
		p.Add("contact_id", "name the ledger contact")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !s.Connection.Ever {
		return nil, domain.Conflict("%s is not connected: connect it first", c.Provider)
	}
	if s.Connection.Contacts[c.ClientID] == c.ContactID {
		return nil, nil
	}
	return []domain.Event{LedgerContactMapped{Provider: c.Provider, ClientID: c.ClientID, ContactID: strings.TrimSpace(c.ContactID), At: c.Now}}, nil
}

// pushRecorded reports whether the push's outcome is already recorded: a
// push has one outcome, and a repeated record of it is a no-op.
func pushRecorded(s State) bool {
	return s.Push.Status == PushSucceeded || s.Push.Status == PushFailed
}

func recordPushSucceeded(s State, c RecordPushSucceeded) ([]domain.Event, error) {
	e := c.Event
	if err := checkPush(e.PushID, e.Provider, e.Kind, cmp.Or(e.InvoiceID, e.PayoutID), e.SourceEventID, e.Attempt); err != nil {
		return nil, err
	}
	if e.LedgerID == "" {
		return nil, domain.Invalid("ledger_id", "a pushed document needs the ledger's id")
	}
	if pushRecorded(s) {
		return nil, nil
	}
	return []domain.Event{e}, nil
}

func recordPushFailed(s State, c RecordPushFailed) ([]domain.Event, error) {
	e := c.Event
	if err := checkPush(e.PushID, e.Provider, e.Kind, cmp.Or(e.InvoiceID, e.PayoutID), e.SourceEventID, e.Attempt); err != nil {
		return nil, err
	}
	var p domain.Problems
	if strings.TrimSpace(e.Reason) == "" {
		p.Add("reason", "say why the push failed")
	}
	if e.Temporary && e.RetryAt.IsZero() {
		p.Add("retry_at", "a temporary failure needs its retry time")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if pushRecorded(s) {
		return nil, nil
	}
	return []domain.Event{e}, nil
}

func requestRecreate(s State, c RequestRecreate) ([]domain.Event, error) {
	if err := checkProvider(c.Provider); err != nil {
		return nil, err
	}
	if c.InvoiceID == uuid.Nil || !c.InvoiceIssued {
		return nil, domain.NotFound("There is no invoice %s.", c.InvoiceID)
	}
	if !c.Connected {
		return nil, domain.Conflict("%s is not connected: there is no ledger to re-create the invoice in", c.Provider)
	}
	if strings.TrimSpace(c.Reason) == "" {
		return nil, domain.Invalid("reason", "say why the invoice is re-created")
	}
	return []domain.Event{LedgerRecreateRequested{InvoiceID: c.InvoiceID, Provider: c.Provider, Reason: strings.TrimSpace(c.Reason),
		Generation: s.Generation + 1, At: c.Now}}, nil
}

func connect(s State, c Connect) ([]domain.Event, error) {
	if err := checkProvider(c.Provider); err != nil {
		return nil, err
	}
	var p domain.Problems
	if strings.TrimSpace(c.TenantID) == "" {
		p.Add("tenant_id", "name the %s organisation (tenant or realm id)", c.Provider)
	}
	p.Merge(c.Mapping.Validate())
	if err := p.Err(); err != nil {
		return nil, err
	}
	conn := s.Connection
	if conn.Connected {
		if conn.TenantID != c.TenantID {
			return nil, domain.Conflict("%s is connected to %s: disconnect it before connecting another organisation", c.Provider, conn.TenantID)
		}
		if mappingEqual(conn.Mapping, c.Mapping) {
			return nil, nil
		}
		return []domain.Event{LedgerMappingChanged{Provider: c.Provider, Mapping: c.Mapping, At: c.Now}}, nil
	}
	from := c.FromPosition
	if conn.Ever {
		from = conn.FromPosition // a reconnection resumes what the first connection started
	}
	return []domain.Event{LedgerConnected{Provider: c.Provider, TenantID: strings.TrimSpace(c.TenantID), Mapping: c.Mapping, FromPosition: from, At: c.Now}}, nil
}

// Validate reports what a mapping lacks: a revenue and a clearing account,
// and tax-rate keys that are rates in percent.
func (m Mapping) Validate() error {
	var p domain.Problems
	if strings.TrimSpace(m.RevenueAccount) == "" {
		p.Add("mapping.revenue_account", "name the default revenue account")
	}
	if strings.TrimSpace(m.ClearingAccount) == "" {
		p.Add("mapping.clearing_account", "name the account payments are received into (a clearing or bank account)")
	}
	for _, keys := range []map[string]string{m.TaxTypes, m.TaxRateAccounts} {
		for k, v := range keys {
			d, err := decimal.NewFromString(k)
			if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) || RateKey(d) != k {
				p.Add("mapping.tax_types", "%q is not a tax rate in percent (write 10, 12.5 or 0)", k)
			}
			if strings.TrimSpace(v) == "" {
				p.Add("mapping.tax_types", "the code for rate %s is empty", k)
			}
		}
	}
	for id, a := range m.ServiceAccounts {
		if id == uuid.Nil || strings.TrimSpace(a) == "" {
			p.Add("mapping.service_accounts", "each service needs its id and an account")
		}
	}
	return p.Err()
}

func mappingEqual(a, b Mapping) bool {
	eq := func(x, y map[string]string) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || w != v {
				return false
			}
		}
		return true
	}
	if len(a.ServiceAccounts) != len(b.ServiceAccounts) {
		return false
	}
	for k, v := range a.ServiceAccounts {
		if b.ServiceAccounts[k] != v {
			return false
		}
	}
	return a.RevenueAccount == b.RevenueAccount && a.ClearingAccount == b.ClearingAccount && a.WriteOffAccount == b.WriteOffAccount &&
		a.BankAccount == b.BankAccount && a.FeesAccount == b.FeesAccount &&
		a.ReceivableAccount == b.ReceivableAccount && a.DisputesAccount == b.DisputesAccount &&
		eq(a.TaxTypes, b.TaxTypes) && eq(a.TaxRateAccounts, b.TaxRateAccounts)
}

func checkProvider(p string) error {
	if !slices.Contains(Providers(), p) {
		return domain.Invalid("provider", "%q is not a ledger Remit connects to (xero or qbo)", p)
	}
	return nil
}

func checkPush(id uuid.UUID, provider string, kind Kind, invoiceID, source uuid.UUID, attempt int) error {
	var p domain.Problems
	p.Merge(checkProvider(provider))
	if id == uuid.Nil || invoiceID == uuid.Nil || source == uuid.Nil {
		p.Add("push_id", "a push needs its id, its invoice (or payout) and its source event")
	}
	if !slices.Contains([]Kind{KindInvoice, KindPayment, KindCreditNote, KindRefund, KindDispute, KindDisputeWon, KindDisputeFee, KindVoid, KindSurcharge, KindTransfer, KindFees}, kind) {
		p.Add("kind", "%q is not a push kind", kind)
	}
	if attempt < 1 {
		p.Add("attempt", "attempts count from 1")
	}
	return p.Err()
}
