package ledgersync

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/eventstore"
)

func decider() billing.Decider[ledger.State, ledger.Command] {
	return billing.Decider[ledger.State, ledger.Command]{Evolve: ledger.Evolve, Decide: ledger.Decide}
}

func env(store eventstore.Store) billing.Env {
	return billing.Env{Store: store, Catalog: catalog.New()}
}

// connection folds a provider's connection stream.
func connection(ctx context.Context, store eventstore.Store, provider string) (ledger.State, error) {
	recs, err := store.ReadStream(ctx, ledger.StreamName(ledger.ConnectionID(provider)), 0, eventstore.Forward, 0)
	if err != nil {
		return ledger.State{}, err
	}
	cat := catalog.New()
	var s ledger.State
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return s, err
		}
		s = ledger.Evolve(s, e)
	}
	return s, nil
}

// ConnectRequest connects a ledger.
type ConnectRequest struct {
	Provider string
	TenantID string
	Mapping  ledger.Mapping
	// Secrets are written to <DataDir>/ledger/<provider>.json (0600), never
	// to the log. Empty fields keep the file's current values.
	Secrets Secrets
	// History pushes the invoices issued before connecting too.
	History bool
	Now     time.Time
}

// Connect saves a ledger's secrets and records LedgerConnected (or, for a
// connected ledger of the same tenant, LedgerMappingChanged). A refused
// connection writes nothing.
func Connect(ctx context.Context, store eventstore.Store, dataDir string, r ConnectRequest, meta billing.Meta) (billing.Result, error) {
	from := uint64(0)
	if !r.History {
		head, err := store.Head(ctx)
		if err != nil {
			return billing.Result{}, err
		}
		from = head
	}
	cmd := ledger.Connect{Provider: r.Provider, TenantID: r.TenantID, Mapping: r.Mapping, FromPosition: from, Now: r.Now}
	// Decide once before touching the secrets file, so a refused command
	// leaves the current secrets as they are.
	cur, err := connection(ctx, store, r.Provider)
	if err != nil {
		return billing.Result{}, err
	}
	if _, err := ledger.Decide(cur, cmd); err != nil {
		return billing.Result{}, err
	}
	ss := NewSecretStore(dataDir)
	old, err := ss.Load(r.Provider)
	if err != nil {
		return billing.Result{}, err
	}
	sec := merge(old, r.Secrets)
	sec.TenantID = r.TenantID
	var p domain.Problems
	if sec.ClientID == "" {
		p.Add("client_id", "give the app's OAuth client id (--client-id)")
	}
	if sec.ClientSecret == "" {
		p.Add("client_secret", "give the app's OAuth client secret (--client-secret)")
	}
	if err := p.Err(); err != nil {
		return billing.Result{}, err
	}
	if err := ss.Save(r.Provider, sec); err != nil {
		return billing.Result{}, err
	}
	out, err := billing.Handle(ctx, env(store), decider(), ledger.StreamName(ledger.ConnectionID(r.Provider)), ledger.Command(cmd), meta)
	return out.Result, err
}

func merge(old, n Secrets) Secrets {
	if n.ClientID != "" {
		old.ClientID = n.ClientID
	}
	if n.ClientSecret != "" {
		old.ClientSecret = n.ClientSecret
	}
	if n.RefreshToken != "" {
		old.RefreshToken, old.AccessToken, old.AccessTokenExp = n.RefreshToken, n.AccessToken, n.AccessTokenExp
	}
	return old
}

// MapContact records that a client is an existing ledger contact.
func MapContact(ctx context.Context, store eventstore.Store, provider string, clientID uuid.UUID, contactID string, now time.Time, meta billing.Meta) (billing.Result, error) {
	out, err := billing.Handle(ctx, env(store), decider(), ledger.StreamName(ledger.ConnectionID(provider)),
		ledger.Command(ledger.MapContact{Provider: provider, ClientID: clientID, ContactID: contactID, Now: now}), meta)
	return out.Result, err
}

// Disconnect stops pushing to a ledger (its secrets file stays).
func Disconnect(ctx context.Context, store eventstore.Store, provider, reason string, now time.Time, meta billing.Meta) (billing.Result, error) {
	out, err := billing.Handle(ctx, env(store), decider(), ledger.StreamName(ledger.ConnectionID(provider)),
		ledger.Command(ledger.Disconnect{Provider: provider, Reason: reason, Now: now}), meta)
	return out.Result, err
}

// RecreateRequest asks for an invoice to be created again in a ledger.
type RecreateRequest struct {
	InvoiceID uuid.UUID
	// Provider is the ledger; "" means every connected one.
	Provider string `json:"provider,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Now      time.Time
}

// RequestRecreate records LedgerRecreateRequested for the invoice in the
// ledger (or each connected one): the process manager then pushes the
// invoice, its payments, credits and void again as new documents. The
// result names the invoice's stream and the position to wait for.
func RequestRecreate(ctx context.Context, store eventstore.Store, r RecreateRequest, meta billing.Meta) (billing.Result, error) {
	recs, err := store.ReadStream(ctx, invoice.StreamName(r.InvoiceID), 0, eventstore.Forward, 1)
	if err != nil {
		return billing.Result{}, err
	}
	issued := len(recs) == 1 && recs[0].Type == "InvoiceIssued"
	if !issued {
		return billing.Result{}, domain.NotFound("There is no invoice %s.", r.InvoiceID)
	}
	providers := []string{r.Provider}
	if r.Provider == "" {
		providers = nil
		for _, p := range ledger.Providers() {
			c, err := connection(ctx, store, p)
			if err != nil {
				return billing.Result{}, err
			}
			if c.Connection.Connected {
				providers = append(providers, p)
			}
		}
		if len(providers) == 0 {
			return billing.Result{}, domain.Conflict("No ledger is connected: there is nothing to re-create the invoice in.")
		}
	}
	if strings.TrimSpace(r.Reason) == "" {
		r.Reason = "re-create requested"
	}
	res := billing.Result{Stream: invoice.StreamName(r.InvoiceID), ID: r.InvoiceID}
	for _, p := range providers {
		if !slices.Contains(ledger.Providers(), p) {
			return res, domain.Invalid("provider", "%q is not a ledger Remit connects to (xero or qbo)", p)
		}
		c, err := connection(ctx, store, p)
		if err != nil {
			return res, err
		}
		cmd := ledger.RequestRecreate{Provider: p, InvoiceID: r.InvoiceID, Reason: r.Reason, Connected: c.Connection.Connected, InvoiceIssued: issued, Now: r.Now}
		m := meta
		if m.CommandID == "" {
			m.CommandID = uuid.NewString()
		}
		m.CommandID += "/" + p
		out, err := billing.Handle(ctx, env(store), decider(), ledger.StreamName(ledger.RecreateID(p, r.InvoiceID)), ledger.Command(cmd), m)
		if err != nil {
			return res, err
		}
		res.Position = max(res.Position, out.Position)
	}
	return res, nil
}

// ConnectionStatus is one ledger connection as `remit ledger status` shows it.
type ConnectionStatus struct {
	Provider     string
	TenantID     string
	Connected    bool
	Since        time.Time
	FromPosition uint64
	Mapping      ledger.Mapping
	Contacts     int // clients mapped to a ledger contact
	// Invoices in scope, by their invoice push's state at the current
	// generation: synced, retrying, failed, pending (never attempted).
	Invoices, Synced, Retrying, Failed, Pending int
	// Waiting lists the invoices waiting (failed or retrying), with why.
	Waiting []string
	// Problems are the same invoices, for pages that link to them and
	// offer to re-create them.
	Problems []Problem
	// ContactMap maps clients to the ledger contacts chosen for them.
	ContactMap map[uuid.UUID]string
	// Payouts counts the payouts in scope, PayoutsSynced those the ledger
	// holds whole; PayoutProblems are those whose push is failing (also in
	// Waiting).
	Payouts, PayoutsSynced int
	PayoutProblems         []PayoutProblem
}

// Problem is an invoice whose push to a ledger is failing.
type Problem struct {
	InvoiceID uuid.UUID
	Number    string
	// Failed: refused for good, waiting for staff (fix the mapping, then
	// re-create); otherwise a retry is queued.
	Failed bool
	Why    string
}

// Status reads every connection and its invoices' sync state from the log.
func Status(ctx context.Context, store eventstore.Store) ([]ConnectionStatus, error) {
	b := newBook()
	if err := b.readAll(ctx, store, nil); err != nil {
		return nil, err
	}
	var out []ConnectionStatus
	for _, p := range ledger.Providers() {
		st := b.conns[p]
		if st == nil || !st.Connection.Ever {
			continue
		}
		c := st.Connection
		cs := ConnectionStatus{Provider: p, TenantID: c.TenantID, Connected: c.Connected, Since: c.Since, FromPosition: c.FromPosition, Mapping: c.Mapping, Contacts: len(c.Contacts),
			ContactMap: maps.Clone(c.Contacts)}
		invs := make([]*invoiceRec, 0, len(b.invoices))
		for _, inv := range b.invoices {
			if inScope(c, inv) {
				invs = append(invs, inv)
			}
		}
		slices.SortFunc(invs, func(a, b *invoiceRec) int { return cmpU(a.issuedPos, b.issuedPos) })
		for _, inv := range invs {
			cs.Invoices++
			gen := b.gens[genKey{p, inv.id}]
			state := ledger.PushNone
			why := ""
			for _, src := range inv.sources {
				if !pushedIn(c, src) {
					continue
				}
				push := b.pushes[ledger.PushID(p, src.eventID, gen)]
				if push == nil {
					state = ledger.PushNone
					break
				}
				state, why = push.Status, push.Reason
				if push.Status != ledger.PushSucceeded {
					why = fmt.Sprintf("%s: %s", describe(p, inv, src), push.Reason)
					break
				}
			}
			switch state {
			case ledger.PushSucceeded:
				cs.Synced++
			case ledger.PushRetrying:
				cs.Retrying++
				cs.Waiting = append(cs.Waiting, "retry queued: "+why)
				cs.Problems = append(cs.Problems, Problem{InvoiceID: inv.id, Number: inv.number, Why: why})
			case ledger.PushFailed:
				cs.Failed++
				cs.Waiting = append(cs.Waiting, "failed: "+why)
				cs.Problems = append(cs.Problems, Problem{InvoiceID: inv.id, Number: inv.number, Failed: true, Why: why})
			default:
				cs.Pending++
			}
		}
		b.payoutStatus(p, c, &cs)
		out = append(out, cs)
	}
	return out, nil
}
