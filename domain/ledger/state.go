package ledger

import (
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Connection is a provider's connection as folded from its stream.
type Connection struct {
	Provider string
	TenantID string
	Mapping  Mapping
	// Contacts maps clients to the ledger contacts staff chose for them.
	// Copied on write: Evolve never changes the map of the State it was given.
	Contacts     map[uuid.UUID]string
	Connected    bool
	Ever         bool // connected at least once
	FromPosition uint64
	Since        time.Time // when it was last connected
}

// PushStatus is where a push is.
type PushStatus string

// Push statuses.
const (
	PushNone      PushStatus = ""          // never attempted
	PushRetrying  PushStatus = "retrying"  // failed temporarily; retried at RetryAt
	PushFailed    PushStatus = "failed"    // failed for good; waits for staff
	PushSucceeded PushStatus = "succeeded" // the ledger holds it
)

// Push is one push as folded from its stream.
type Push struct {
	ID            uuid.UUID
	Provider      string
	Kind          Kind
	InvoiceID     uuid.UUID
	PayoutID      uuid.UUID // a payout push's payout
	SourceEventID uuid.UUID
	Generation    int
	DocumentID    uuid.UUID
	Amount        domain.Money
	Status        PushStatus
	Attempts      int
	LedgerID      string
	ContactID     string
	Reason        string
	RetryAt       time.Time
	At            time.Time
	// Successes counts LedgerPushSucceeded events (more than one is a
	// double push that reconciliation reports).
	Successes int
}

// State is one ledger stream as of its last event: a connection, a push, an
// invoice's re-creations, or the reconciliation runs, depending on the
// stream.
type State struct {
	Connection Connection
	Push       Push
	// Generation is an invoice's generation in one ledger (its number of
	// re-creations); RecreateReason the last one's reason.
	Generation     int
	RecreateReason string
	// Reconciled is the last reconciliation run, Reconciliations their
	// number.
	Reconciled      LedgerReconciled
	Reconciliations int
}

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case LedgerConnected:
		c := s.Connection
		c.Provider, c.TenantID, c.Mapping = e.Provider, e.TenantID, e.Mapping
		if !c.Ever {
			c.FromPosition = e.FromPosition
		}
		c.Connected, c.Ever, c.Since = true, true, e.At
		s.Connection = c
	case LedgerMappingChanged:
		s.Connection.Mapping = e.Mapping
	case LedgerContactMapped:
		c := make(map[uuid.UUID]string, len(s.Connection.Contacts)+1)
		maps.Copy(c, s.Connection.Contacts)
		c[e.ClientID] = e.ContactID
		s.Connection.Contacts = c
	case LedgerDisconnected:
		s.Connection.Connected = false
	case LedgerPushSucceeded:
		p := s.Push
		p.ID, p.Provider, p.Kind, p.InvoiceID, p.SourceEventID = e.PushID, e.Provider, e.Kind, e.InvoiceID, e.SourceEventID
		p.PayoutID = e.PayoutID
		p.Generation, p.DocumentID, p.Amount = e.Generation, e.DocumentID, e.Amount
		p.Status, p.Attempts, p.LedgerID, p.ContactID, p.Reason, p.RetryAt, p.At = PushSucceeded, e.Attempt, e.LedgerID, e.ContactID, "", time.Time{}, e.At
		p.Successes++
		s.Push = p
	case LedgerPushFailed:
		p := s.Push
		p.ID, p.Provider, p.Kind, p.InvoiceID, p.SourceEventID = e.PushID, e.Provider, e.Kind, e.InvoiceID, e.SourceEventID
		p.PayoutID = e.PayoutID
		p.Generation, p.DocumentID, p.Amount = e.Generation, e.DocumentID, e.Amount
		p.Attempts, p.Reason, p.At = e.Attempt, e.Reason, e.At
		if e.Temporary {
			p.Status, p.RetryAt = PushRetrying, e.RetryAt
		} else {
			p.Status, p.RetryAt = PushFailed, time.Time{}
		}
		s.Push = p
	case LedgerRecreateRequested:
		s.Generation, s.RecreateReason = e.Generation, e.Reason
	case LedgerReconciled:
		s.Reconciled = e
		s.Reconciliations++
	}
	return s
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// AccountFor returns the revenue account of a line: its service's, else its
// tax rate's, else the default.
func (m Mapping) AccountFor(serviceID uuid.UUID, ratePercent decimal.Decimal) string {
	if a := m.ServiceAccounts[serviceID]; a != "" && serviceID != uuid.Nil {
		return a
	}
	if a := m.TaxRateAccounts[RateKey(ratePercent)]; a != "" {
		return a
	}
	return m.RevenueAccount
}

// TaxTypeFor returns the ledger's tax code for a rate in percent; ok is false
// when the mapping names tax codes but not this rate's.
func (m Mapping) TaxTypeFor(ratePercent decimal.Decimal) (code string, ok bool) {
	if len(m.TaxTypes) == 0 {
		return "", true
	}
	code, ok = m.TaxTypes[RateKey(ratePercent)]
	return code, ok
}
