package projections

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
)

// Activity is the "activity" projection: every event of a client, proposal,
// service or invoice, indexed by the subjects it concerns, told in one line
// of plain English with who did it and when.
//
// Applying an event keeps a compact record (position, stream, revision,
// actor, recorded-at and the decoded event) and updates the names lines use
// (an invoice's number, a service's name, a payment method's label, a
// contact's name, a proposal's title), keeping each name's history. The text
// is rendered when a history is asked for, with each name as it was known
// when the event was applied, so a line reads the same whenever it is read.
type Activity struct {
	guard
	s       activityState
	catalog *catalog.Catalog // decodes snapshot records
}

type activityState struct {
	// loc is the firm's time zone (nil: UTC), which dates a gateway payment
	// recorded before its event carried a date.
	loc *time.Location

	recs  recordChunks
	index map[subjectKey][]int32 // subject -> indexes in recs

	// What lines name things by, with history.
	invoices  names
	services  names
	methods   names
	proposals names
	contacts  names

	// services are folded here too, so an edit's line can say what each
	// changed field was before ("quantity 1 → 1.5").
	serviceStates map[uuid.UUID]service.State
}

// before is what an edited service or schedule item was just before the
// edit: its terms, date and billing rule.
type before struct {
	terms service.Terms
	date  domain.Date
	rule  domain.BillingRule
}

// activityRecord is one event's line before it is rendered.
type activityRecord struct {
	pos      uint64
	revision uint64
	at       time.Time
	stream   string
	actor    string
	event    domain.Event
	before   *before // edits: the values they replace
}

// chunkBits sizes the chunks records are kept in: growing never copies
// what is already kept.
const chunkBits = 10

// recordChunks is an append-only list of records in fixed-size chunks.
type recordChunks struct {
	chunks [][]activityRecord
	n      int
}

func (c *recordChunks) add(r activityRecord) int32 {
	if c.n>>chunkBits == len(c.chunks) {
		c.chunks = append(c.chunks, make([]activityRecord, 0, 1<<chunkBits))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, r)
	c.n++
	return int32(c.n - 1)
}

func (c *recordChunks) at(i int32) *activityRecord {
	return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)]
}

// named is a name and the client it belongs to, from position since on;
// prev is what it was before (nil: unknown before since).
type named struct {
	name   string
	client uuid.UUID
	since  uint64
	prev   *named
}

// names maps an id to its name's history, newest first.
type names map[uuid.UUID]named

// set records id's name from position pos on.
func (m names) set(id uuid.UUID, name string, client uuid.UUID, pos uint64) {
	old, ok := m[id]
	switch {
	case !ok:
		m[id] = named{name: name, client: client, since: pos}
	case old.name != name || old.client != client:
		m[id] = named{name: name, client: client, since: pos, prev: &old}
	}
}

// asOf returns id's name as known at position pos (inclusive).
func (m names) asOf(id uuid.UUID, pos uint64) (named, bool) {
	n, ok := m[id]
	if !ok {
		return named{}, false
	}
	for n.since > pos {
		if n.prev == nil {
			return named{}, false
		}
		n = *n.prev
	}
	return n, true
}

// client returns the client id belongs to now.
func (m names) client(id uuid.UUID) uuid.UUID { return m[id].client }

type subjectKey struct {
	subject Subject
	id      uuid.UUID
}

// subjectList is the few subjects one event concerns, without allocating.
type subjectList struct {
	keys [4]subjectKey
	n    int
}

func (l *subjectList) add(subject Subject, id uuid.UUID) {
	if id == uuid.Nil || l.n == len(l.keys) {
		return
	}
	k := subjectKey{subject, id}
	for _, have := range l.keys[:l.n] {
		if have == k {
			return
		}
	}
	l.keys[l.n] = k
	l.n++
}

func newActivity() *Activity { return &Activity{s: emptyActivityState(), catalog: catalog.New()} }

func emptyActivityState() activityState {
	return activityState{
		index:         map[subjectKey][]int32{},
		invoices:      names{},
		services:      names{},
		methods:       names{},
		proposals:     names{},
		contacts:      names{},
		serviceStates: map[uuid.UUID]service.State{},
	}
}

// Name implements Projection.
func (a *Activity) Name() string { return "activity" }

// Apply implements Projection.
func (a *Activity) Apply(e Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checkpoint = max(a.checkpoint, e.Position)
	if loc, ok := firmZone(e.Data); ok {
		a.s.loc = loc
	}
	a.s.apply(activityRecord{pos: e.Position, revision: e.Revision, at: e.Metadata.RecordedAt,
		stream: e.Stream, actor: e.Metadata.Actor, event: e.Data})
}

// apply notes the names rec's event teaches and keeps rec if the event
// concerns a subject.
func (s *activityState) apply(rec activityRecord) {
	rec.before = s.fold(rec.event)
	subjects := s.note(rec.event, rec.pos)
	if subjects.n == 0 {
		return
	}
	i := s.recs.add(rec)
	for _, k := range subjects.keys[:subjects.n] {
		s.index[k] = append(s.index[k], i)
	}
}

// Reset implements Projection.
func (a *Activity) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s = emptyActivityState()
	a.checkpoint = 0
}

// activitySnapshot keeps the records; restoring applies them again, which
// rebuilds the names and the index.
type activitySnapshot struct {
	Records  []activitySnapshotRecord `json:"records"`
	TimeZone string                   `json:"time_zone,omitempty"` // the firm's, which no kept record teaches
}

type activitySnapshotRecord struct {
	Position uint64          `json:"position"`
	Revision uint64          `json:"revision"`
	At       time.Time       `json:"at"`
	Stream   string          `json:"stream"`
	Actor    string          `json:"actor,omitempty"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
}

// MarshalSnapshot implements Projection. Events that concern no subject
// taught no name either, so the kept records are all a restore needs.
func (a *Activity) MarshalSnapshot() ([]byte, uint64, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	snap := activitySnapshot{Records: make([]activitySnapshotRecord, 0, a.s.recs.n)}
	if a.s.loc != nil {
		snap.TimeZone = a.s.loc.String()
	}
	for i := range int32(a.s.recs.n) {
		r := a.s.recs.at(i)
		data, err := json.Marshal(r.event)
		if err != nil {
			return nil, 0, fmt.Errorf("activity snapshot: %w", err)
		}
		snap.Records = append(snap.Records, activitySnapshotRecord{Position: r.pos, Revision: r.revision, At: r.at,
			Stream: r.stream, Actor: r.actor, Type: r.event.EventType(), Data: data})
	}
	data, err := json.Marshal(snap)
	return data, a.checkpoint, err
}

// UnmarshalSnapshot implements Projection.
func (a *Activity) UnmarshalSnapshot(data []byte, checkpoint uint64) error {
	var snap activitySnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("activity snapshot: %w", err)
	}
	s := emptyActivityState()
	if snap.TimeZone != "" {
		s.loc = zone(snap.TimeZone)
	}
	for _, r := range snap.Records {
		e, err := a.catalog.Decode(r.Type, a.catalog.SchemaVersion(r.Type), r.Data) // re-encoded in the current shape
		if err != nil {
			return fmt.Errorf("activity snapshot: position %d: %w", r.Position, err)
		}
		if r.Position > checkpoint {
			return fmt.Errorf("activity snapshot: position %d after the checkpoint %d", r.Position, checkpoint)
		}
		s.apply(activityRecord{pos: r.Position, revision: r.Revision, at: r.At, stream: r.Stream, actor: r.Actor, event: e})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s = s
	a.checkpoint = checkpoint
	return nil
}

// of returns a subject's lines, oldest first.
func (a *Activity) of(subject Subject, id uuid.UUID) ([]ActivityLine, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	idx, ok := a.s.index[subjectKey{subject, id}]
	if !ok {
		return nil, domain.NotFound("no activity for %s %s", subject, id)
	}
	out := make([]ActivityLine, len(idx))
	for i, j := range idx {
		out[i] = a.s.line(a.s.recs.at(j))
	}
	return out, nil
}

// line renders a record; the caller holds the read lock.
func (s *activityState) line(r *activityRecord) ActivityLine {
	what := s.text(r.event, r.pos, r.before)
	text := what
	if _, erased := r.event.(client.ClientErased); erased && r.actor != "" {
		text += " by " + r.actor
	} else if r.actor != "" {
		text += " (by " + r.actor + ")"
	}
	return ActivityLine{
		Position:  r.pos,
		Stream:    r.stream,
		Revision:  r.revision,
		EventType: r.event.EventType(),
		Actor:     r.actor,
		At:        r.at,
		Text:      text,
		What:      what,
		InvoiceID: invoiceOf(r.event),
		Invoice:   s.invoiceNumber(invoiceOf(r.event)),
	}
}

// invoiceOf is the invoice an event names, if any.
func invoiceOf(e domain.Event) uuid.UUID {
	switch e := e.(type) {
	case service.ScheduleItemBilled:
		return e.InvoiceID
	case service.ScheduleItemReleased:
		return e.InvoiceID
	case invoice.InvoiceIssued:
		return e.InvoiceID
	case invoice.InvoiceSent:
		return e.InvoiceID
	case invoice.InvoiceCollectionScheduled:
		return e.InvoiceID
	case invoice.InvoicePaymentSucceeded:
		return e.InvoiceID
	case invoice.InvoicePaymentRejected:
		return e.InvoiceID
	case invoice.InvoiceRetryScheduled:
		return e.InvoiceID
	case invoice.InvoicePaymentRecorded:
		return e.InvoiceID
	case invoice.InvoiceWrittenOff:
		return e.InvoiceID
	case invoice.InvoiceVoided:
		return e.InvoiceID
	case invoice.InvoiceCreditNoteIssued:
		return e.InvoiceID
	}
	return uuid.Nil
}

// invoiceNumber is an invoice's number ("" when unknown). Numbers never
// change, so the latest known one holds for every line, also for an item
// billed just before its invoice was issued.
func (s *activityState) invoiceNumber(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return s.invoices[id].name
}

// fold evolves the service an event is about and returns, for an edit,
// what the edit replaces.
func (s *activityState) fold(e domain.Event) *before {
	var id uuid.UUID
	switch e := e.(type) {
	case service.ServiceActivated:
		id = e.ServiceID
	case service.ServiceEdited:
		id = e.ServiceID
	case service.ServiceSwitchedToManual:
		id = e.ServiceID
	case service.ServiceSwitchedToAutomatic:
		id = e.ServiceID
	case service.ServiceEnded:
		id = e.ServiceID
	case service.ScheduleItemEdited:
		id = e.ServiceID
	case service.ScheduleItemSwitchedToManual:
		id = e.ServiceID
	case service.ScheduleItemSwitchedToAutomatic:
		id = e.ServiceID
	case service.ScheduleItemSkipped:
		id = e.ServiceID
	case service.ScheduleItemIssueScheduled:
		id = e.ServiceID
	case service.ScheduleItemBilled:
		id = e.ServiceID
	case service.ScheduleItemReleased:
		id = e.ServiceID
	default:
		return nil
	}
	st := s.serviceStates[id]
	var b *before
	switch e := e.(type) {
	case service.ServiceEdited:
		b = &before{terms: st.Terms, rule: st.BillingRule}
	case service.ScheduleItemEdited:
		if it, ok := st.Item(e.ItemKey); ok {
			b = &before{terms: service.Terms{Description: it.Description, UnitPrice: it.UnitPrice.Amount, Quantity: it.Quantity,
				Discount: it.Discount, PaymentMethodID: it.PaymentMethodID}, date: it.Date}
		}
	}
	s.serviceStates[id] = service.Evolve(st, e)
	return b
}

// note updates the names lines use from an event at position pos and
// returns the subjects it concerns (none: the event has no line).
func (s *activityState) note(e domain.Event, pos uint64) subjectList {
	var l subjectList
	cl := func(id uuid.UUID) { l.add(SubjectClient, id) }
	pm := func(id uuid.UUID) { l.add(SubjectPaymentMethod, id) }
	proposalOf := func(id uuid.UUID) { l.add(SubjectProposal, id); cl(s.proposals.client(id)) }
	serviceOf := func(id uuid.UUID) { l.add(SubjectService, id); cl(s.services.client(id)) }
	invoiceOf := func(id uuid.UUID) { l.add(SubjectInvoice, id); cl(s.invoices.client(id)) }
	switch e := e.(type) {
	// Client.
	case client.ClientCreated:
		for _, c := range e.Contacts {
			s.contacts.set(c.ID, c.Name, uuid.Nil, pos)
		}
		cl(e.ClientID)
	case client.ClientContactAdded:
		s.contacts.set(e.Contact.ID, e.Contact.Name, uuid.Nil, pos)
		cl(e.ClientID)
	case client.ClientContactChanged:
		s.contacts.set(e.Contact.ID, e.Contact.Name, uuid.Nil, pos)
		cl(e.ClientID)
	case client.ClientDetailsChanged:
		cl(e.ClientID)
	case client.ClientContactRemoved:
		cl(e.ClientID)
	case client.ClientPrimaryContactChanged:
		cl(e.ClientID)
	case client.ClientArchived:
		cl(e.ClientID)
	case client.ClientRestored:
		cl(e.ClientID)
	case client.ClientErased:
		cl(e.ClientID)
	case client.ClientLinksRevoked:
		cl(e.ClientID)
	case client.PaymentMethodAdded:
		s.methods.set(e.PaymentMethodID, MethodLabel(e.Method), e.ClientID, pos)
		cl(e.ClientID)
		pm(e.PaymentMethodID)
	case client.PaymentMethodSetAsDefault:
		cl(e.ClientID)
		pm(e.PaymentMethodID)
	case client.PaymentMethodReplaced:
		s.methods.set(e.PaymentMethodID, MethodLabel(e.Method), e.ClientID, pos)
		cl(e.ClientID)
		pm(e.ReplacedPaymentMethodID)
		pm(e.PaymentMethodID)
	case client.PaymentMethodRemoved:
		cl(e.ClientID)
		pm(e.PaymentMethodID)
	case client.PaymentMethodExpired:
		cl(e.ClientID)
		pm(e.PaymentMethodID)
	case client.PaymentMethodFailed:
		cl(e.ClientID)
		pm(e.PaymentMethodID)

	// Proposal.
	case proposal.ProposalDrafted:
		s.proposals.set(e.ProposalID, e.Title, e.ClientID, pos)
		proposalOf(e.ProposalID)
	case proposal.ProposalDraftEdited:
		s.proposals.set(e.ProposalID, e.Title, s.proposals.client(e.ProposalID), pos)
		proposalOf(e.ProposalID)
	case proposal.ProposalAccepted:
		if _, ok := s.proposals[e.ProposalID]; !ok {
			s.proposals.set(e.ProposalID, "", e.ClientID, pos)
		}
		proposalOf(e.ProposalID)
	case proposal.ProposalSent:
		proposalOf(e.ProposalID)
	case proposal.ProposalDeclined:
		proposalOf(e.ProposalID)
	case proposal.ProposalWithdrawn:
		proposalOf(e.ProposalID)
	case proposal.ProposalExpired:
		proposalOf(e.ProposalID)

	// Service.
	case service.ServiceActivated:
		s.services.set(e.ServiceID, e.Name, e.ClientID, pos)
		serviceOf(e.ServiceID)
	case service.ServiceEdited:
		serviceOf(e.ServiceID)
	case service.ServiceSwitchedToManual:
		serviceOf(e.ServiceID)
	case service.ServiceSwitchedToAutomatic:
		serviceOf(e.ServiceID)
	case service.ServiceEnded:
		serviceOf(e.ServiceID)
	case service.ScheduleItemEdited:
		serviceOf(e.ServiceID)
	case service.ScheduleItemSwitchedToManual:
		serviceOf(e.ServiceID)
	case service.ScheduleItemSwitchedToAutomatic:
		serviceOf(e.ServiceID)
	case service.ScheduleItemSkipped:
		serviceOf(e.ServiceID)
	case service.ScheduleItemIssueScheduled:
		serviceOf(e.ServiceID)
	case service.ScheduleItemBilled:
		serviceOf(e.ServiceID)
		l.add(SubjectInvoice, e.InvoiceID)
	case service.ScheduleItemReleased:
		serviceOf(e.ServiceID)
		l.add(SubjectInvoice, e.InvoiceID)

	// Invoice.
	case invoice.InvoiceIssued:
		s.invoices.set(e.InvoiceID, e.Number, e.ClientID, pos)
		invoiceOf(e.InvoiceID)
		pm(e.PaymentMethodID)
	case invoice.InvoiceCollectionScheduled:
		invoiceOf(e.InvoiceID)
		pm(e.PaymentMethodID)
	case invoice.InvoicePaymentSucceeded:
		invoiceOf(e.InvoiceID)
		pm(e.PaymentMethodID)
	case invoice.InvoicePaymentRejected:
		invoiceOf(e.InvoiceID)
		pm(e.PaymentMethodID)
	case invoice.InvoiceRetryScheduled:
		invoiceOf(e.InvoiceID)
		pm(e.PaymentMethodID)
	case invoice.InvoiceCollectionCancelled:
		invoiceOf(e.InvoiceID)
		pm(e.PaymentMethodID)
	case invoice.InvoiceSent:
		invoiceOf(e.InvoiceID)
	case invoice.InvoicePaymentRecorded:
		invoiceOf(e.InvoiceID)
	case invoice.InvoiceWrittenOff:
		invoiceOf(e.InvoiceID)
	case invoice.InvoiceVoided:
		invoiceOf(e.InvoiceID)
	case invoice.InvoiceCreditNoteIssued:
		invoiceOf(e.InvoiceID)
	}
	return l
}

// text tells an event applied at position pos, naming things as they were
// known then.
func (s *activityState) text(e domain.Event, pos uint64, was *before) string {
	n := nameView{s, pos}
	switch e := e.(type) {
	// Client.
	case client.ClientCreated:
		return fmt.Sprintf("Client %q created", e.Name)
	case client.ClientDetailsChanged:
		return fmt.Sprintf("Client details changed: %q, %s", e.Name, e.Currency)
	case client.ClientContactAdded:
		return "Contact " + contactText(e.Contact) + " added"
	case client.ClientContactChanged:
		return "Contact " + contactText(e.Contact) + " changed"
	case client.ClientContactRemoved:
		return "Contact " + orUnknown(n.contact(e.ContactID)) + " removed"
	case client.ClientPrimaryContactChanged:
		return "Primary billing contact set to " + orUnknown(n.contact(e.ContactID))
	case client.ClientArchived:
		return "Client archived" + reason(e.Reason)
	case client.ClientRestored:
		return "Client restored"
	case client.ClientErased:
		return "Client's personal data erased"
	case client.ClientLinksRevoked:
		return "Client links revoked: every link sent before now stops working"
	case client.PaymentMethodAdded:
		return "Payment method " + MethodLabel(e.Method) + " added"
	case client.PaymentMethodSetAsDefault:
		return "Payment method " + n.method(e.PaymentMethodID) + " set as default"
	case client.PaymentMethodReplaced:
		return "Payment method " + n.method(e.ReplacedPaymentMethodID) + " replaced by " + MethodLabel(e.Method)
	case client.PaymentMethodRemoved:
		return "Payment method " + n.method(e.PaymentMethodID) + " removed"
	case client.PaymentMethodExpired:
		return "Payment method " + n.method(e.PaymentMethodID) + " expired"
	case client.PaymentMethodFailed:
		return "Payment method " + n.method(e.PaymentMethodID) + " failed" + reason(e.Reason)

	// Proposal.
	case proposal.ProposalDrafted:
		return fmt.Sprintf("Proposal %q drafted with %d %s", e.Title, len(e.Lines), plural(len(e.Lines), "service", "services"))
	case proposal.ProposalDraftEdited:
		return fmt.Sprintf("Proposal %q edited", e.Title)
	case proposal.ProposalSent:
		return "Proposal " + n.proposal(e.ProposalID) + " sent to " + e.RecipientEmail
	case proposal.ProposalAccepted:
		return fmt.Sprintf("Proposal %s accepted by %s <%s> on %s", n.proposal(e.ProposalID), e.AcceptedByName, e.AcceptedByEmail, domain.FormatDate(e.AcceptedOn))
	case proposal.ProposalDeclined:
		return "Proposal " + n.proposal(e.ProposalID) + " declined" + reason(e.Reason)
	case proposal.ProposalWithdrawn:
		return "Proposal " + n.proposal(e.ProposalID) + " withdrawn" + reason(e.Reason)
	case proposal.ProposalExpired:
		return "Proposal " + n.proposal(e.ProposalID) + " expired on " + domain.FormatDate(e.ExpiresOn)

	// Service.
	case service.ServiceActivated:
		from := "from an instant bill"
		if !e.Source.InstantBill {
			from = "from proposal " + n.proposal(e.Source.ProposalID)
		}
		return fmt.Sprintf("Service %q activated %s: %s × %s, %s, %s", e.Name, from,
			domain.FormatMoney(money(e.UnitPrice, e.Currency)), e.Quantity, ruleText(e.BillingRule), e.Mode)
	case service.ServiceEdited:
		return fmt.Sprintf("Service %s edited from %s: %s", n.service(e.ServiceID), domain.FormatDate(e.EffectiveFrom), changesText(e.Changes, e.BillingRule, was, n.method, e.NotifyClientOfPriceChange, n.currency(e.ServiceID)))
	case service.ServiceSwitchedToManual:
		return "Service " + n.service(e.ServiceID) + " switched to manual billing (paused)"
	case service.ServiceSwitchedToAutomatic:
		return "Service " + n.service(e.ServiceID) + " switched to automatic billing"
	case service.ServiceEnded:
		return "Service " + n.service(e.ServiceID) + " ended on " + domain.FormatDate(e.EndDate) + reason(e.Reason)
	case service.ScheduleItemEdited:
		c := changesText(e.Changes, nil, was, n.method, false, n.currency(e.ServiceID))
		if e.Date != nil {
			d := "date " + domain.FormatDate(*e.Date)
			if was != nil && !was.date.IsZero() && was.date != *e.Date {
				d = "date " + domain.FormatDate(was.date) + " → " + domain.FormatDate(*e.Date)
			}
			c = d + ", " + c
		}
		return n.item(e.ServiceID, e.ItemKey) + " edited: " + strings.TrimSuffix(c, ", no change")
	case service.ScheduleItemSwitchedToManual:
		return n.item(e.ServiceID, e.ItemKey) + " switched to manual"
	case service.ScheduleItemSwitchedToAutomatic:
		return n.item(e.ServiceID, e.ItemKey) + " switched to automatic"
	case service.ScheduleItemSkipped:
		if !e.MissedAsOf.IsZero() {
			return n.item(e.ServiceID, e.ItemKey) + " skipped as missed by the billing run of " + domain.FormatDate(e.MissedAsOf) + " (the firm skips missed billings)"
		}
		return n.item(e.ServiceID, e.ItemKey) + " skipped"
	case service.ScheduleItemIssueScheduled:
		return n.item(e.ServiceID, e.ItemKey) + " scheduled to be issued on " + domain.FormatDate(e.IssueOn)
	case service.ScheduleItemBilled:
		return n.item(e.ServiceID, e.ItemKey) + " billed on invoice " + n.invoice(e.InvoiceID)
	case service.ScheduleItemReleased:
		text := n.item(e.ServiceID, e.ItemKey) + " released from invoice " + n.invoice(e.InvoiceID) + reason(e.Reason)
		if e.SwitchedToManual {
			text += "; it waits to be billed by hand"
		}
		return text

	// Invoice.
	case invoice.InvoiceIssued:
		return fmt.Sprintf("Invoice %s issued for %s, due %s", e.Number, domain.FormatMoney(e.Totals.Gross), domain.FormatDate(e.DueDate))
	case invoice.InvoiceSent:
		verb := " sent to "
		if e.Resent {
			verb = " re-sent to "
		}
		return "Invoice " + n.invoice(e.InvoiceID) + verb + e.Recipient
	case invoice.InvoiceCollectionScheduled:
		return "Invoice " + n.invoice(e.InvoiceID) + ": payment collection scheduled for " + domain.FormatDate(e.Date) + " from " + n.method(e.PaymentMethodID)
	case invoice.InvoicePaymentSucceeded:
		return "Invoice " + n.invoice(e.InvoiceID) + ": payment of " + domain.FormatMoney(e.Amount) + " collected on " + domain.FormatDate(e.PaymentDate(s.loc)) + " from " + n.method(e.PaymentMethodID) + " (reference " + e.GatewayReference + ")"
	case invoice.InvoicePaymentRejected:
		return "Invoice " + n.invoice(e.InvoiceID) + ": payment from " + n.method(e.PaymentMethodID) + " rejected: " + declineText(e.DeclineCode, e.DeclineMessage)
	case invoice.InvoiceRetryScheduled:
		return "Invoice " + n.invoice(e.InvoiceID) + ": payment retry scheduled for " + domain.FormatDate(e.Date) + " from " + n.method(e.PaymentMethodID)
	case invoice.InvoiceCollectionCancelled:
		what := "payment collection"
		if e.Retry {
			what = "payment retry"
		}
		return "Invoice " + n.invoice(e.InvoiceID) + ": " + what + " of " + domain.FormatDate(e.Date) + " from " + n.method(e.PaymentMethodID) + " cancelled" + reason(e.Reason)
	case invoice.InvoicePaymentRecorded:
		ref := ""
		if e.Reference != "" {
			ref = ", reference " + e.Reference
		}
		return "Invoice " + n.invoice(e.InvoiceID) + ": payment of " + domain.FormatMoney(e.Amount) + " received by " + strings.ReplaceAll(string(e.Method), "_", " ") + " on " + domain.FormatDate(e.Date) + ref
	case invoice.InvoiceWrittenOff:
		return "Invoice " + n.invoice(e.InvoiceID) + ": " + domain.FormatMoney(e.Amount) + " written off" + reason(e.Reason)
	case invoice.InvoiceVoided:
		return "Invoice " + n.invoice(e.InvoiceID) + " voided" + reason(e.Reason)
	case invoice.InvoiceCreditNoteIssued:
		return "Invoice " + n.invoice(e.InvoiceID) + ": credit note for " + domain.FormatMoney(e.Amount) + " issued" + reason(e.Reason)
	}
	return e.EventType()
}

// nameView names things as they were known at one position.
type nameView struct {
	s   *activityState
	pos uint64
}

func (v nameView) contact(id uuid.UUID) string {
	n, _ := v.s.contacts.asOf(id, v.pos)
	return n.name
}

func (v nameView) method(id uuid.UUID) string {
	if id == uuid.Nil {
		return "no payment method"
	}
	if n, ok := v.s.methods.asOf(id, v.pos); ok {
		return n.name
	}
	return "a payment method no longer on file"
}

func (v nameView) proposal(id uuid.UUID) string {
	if n, ok := v.s.proposals.asOf(id, v.pos); ok && n.name != "" {
		return strconv.Quote(n.name)
	}
	return "(untitled)"
}

func (v nameView) service(id uuid.UUID) string {
	if n, ok := v.s.services.asOf(id, v.pos); ok {
		return strconv.Quote(n.name)
	}
	return "(unnamed)"
}

func (v nameView) invoice(id uuid.UUID) string {
	if n := v.s.invoiceNumber(id); n != "" {
		return n
	}
	return "(a new invoice)"
}

// currency is a service's currency.
func (v nameView) currency(id uuid.UUID) domain.Currency { return v.s.serviceStates[id].Currency }

// item names a schedule item: `Billing #3 of "Bookkeeping"`.
func (v nameView) item(serviceID uuid.UUID, key string) string {
	if _, seq, ok := service.ParseItemKey(key); ok {
		return "Billing #" + strconv.Itoa(seq) + " of " + v.service(serviceID)
	}
	return "Billing " + key + " of " + v.service(serviceID)
}

// MethodLabel is how a person recognises a payment method: "Visa •••• 4242,
// expires 08/2027" or "SEPA debit DE89 ****3000".
func MethodLabel(m client.PaymentMethodDetails) string {
	if m.Kind == client.MethodCard {
		brand := m.Brand
		if brand == "" {
			brand = "card"
		} else {
			brand = strings.ToUpper(brand[:1]) + brand[1:]
		}
		return fmt.Sprintf("%s •••• %s, expires %02d/%d", brand, m.Last4, m.ExpiryMonth, m.ExpiryYear)
	}
	scheme := map[client.DebitScheme]string{
		client.SchemeAUBECS: "AU direct debit", client.SchemeNZBECS: "NZ direct debit", client.SchemeACH: "ACH debit",
		client.SchemeBACS: "Bacs Direct Debit", client.SchemeSEPA: "SEPA debit", client.SchemePAD: "PAD debit",
	}[m.Scheme]
	if scheme == "" {
		scheme = "bank debit"
	}
	return scheme + " " + m.MaskedAccount
}

func contactText(c client.Contact) string {
	if c.Email != "" {
		return c.Name + " <" + c.Email + ">"
	}
	return c.Name
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func declineText(code, message string) string {
	switch {
	case code != "" && message != "":
		return code + " (" + message + ")"
	case code != "":
		return code
	}
	return orUnknown(message)
}

// ruleText tells a billing rule: "monthly", "every 2 weeks", "once on 2025-07-01".
func ruleText(r domain.BillingRule) string {
	n := max(r.Interval, 1)
	var text string
	switch r.Frequency {
	case domain.FrequencyOnce:
		text = "once"
	case domain.FrequencyOnCompletion:
		return "on completion"
	case domain.FrequencyEstimate:
		return "estimate"
	case domain.FrequencyDays:
		text = everyN(n, "daily", "days")
	case domain.FrequencyWeeks:
		text = map[int]string{1: "weekly", 2: "fortnightly"}[n]
		if text == "" {
			text = everyN(n, "", "weeks")
		}
	case domain.FrequencyMonths:
		text = map[int]string{1: "monthly", 3: "quarterly", 12: "yearly"}[n]
		if text == "" {
			text = everyN(n, "", "months")
		}
	default:
		text = string(r.Frequency)
	}
	switch r.End {
	case domain.EndAfterN:
		text += fmt.Sprintf(" for %d %s", r.EndAfter, plural(r.EndAfter, "billing", "billings"))
	case domain.EndOnDate:
		text += " until " + domain.FormatDate(r.EndDate)
	}
	return text
}

func everyN(n int, one, unit string) string {
	if n == 1 && one != "" {
		return one
	}
	return "every " + strconv.Itoa(n) + " " + unit
}

// changesText tells what an edit changes, each field as "old → new" when
// what it replaces is known (was).
func changesText(c service.Changes, rule *domain.BillingRule, was *before, method func(uuid.UUID) string, notify bool, cur domain.Currency) string {
	var parts []string
	change := func(field, old, new string) {
		if was != nil && old != new {
			parts = append(parts, field+" "+old+" → "+new)
			return
		}
		parts = append(parts, field+" "+new)
	}
	price := func(d decimal.Decimal) string {
		if cur.IsZero() {
			return d.String()
		}
		return domain.FormatMoney(domain.Money{Amount: d, Currency: cur})
	}
	var old service.Terms
	if was != nil {
		old = was.terms
	}
	if c.Description != nil {
		change("description", strconv.Quote(old.Description), strconv.Quote(*c.Description))
	}
	if c.UnitPrice != nil {
		change("price", price(old.UnitPrice), price(*c.UnitPrice))
	}
	if c.Quantity != nil {
		change("quantity", old.Quantity.String(), c.Quantity.String())
	}
	if c.Discount != nil {
		change("discount", discountText(old.Discount), discountText(*c.Discount))
	}
	if c.PaymentMethodID != nil {
		name := func(id uuid.UUID) string {
			if id == uuid.Nil {
				return "the client's default"
			}
			return method(id)
		}
		change("payment method", name(old.PaymentMethodID), name(*c.PaymentMethodID))
	}
	if rule != nil {
		oldRule := ""
		if was != nil {
			oldRule = ruleText(was.rule)
		}
		if oldRule != "" {
			change("billing", oldRule, ruleText(*rule))
		} else {
			parts = append(parts, "billing "+ruleText(*rule))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no change")
	}
	text := strings.Join(parts, ", ")
	if notify {
		text += " (client notified of the price change)"
	}
	return text
}

func discountText(d domain.Discount) string {
	switch d.Kind {
	case domain.DiscountPercent:
		return d.Value.String() + "%"
	case domain.DiscountAmount:
		return d.Value.String()
	}
	return "none"
}
