package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/service"
)

// Activity is the "activity" projection: every event of a client, proposal,
// service or invoice, indexed by the subjects it concerns, told in one line
// of plain English with who did it and when.
//
// Applying an event renders its line there and then, naming things as they
// are known at that moment (an invoice's number, a service's name, a payment
// method's label, a contact's name, a proposal's title), so a line reads the
// same whenever it is read; and it keeps only the line: its text and the
// position, stream, revision, event type, actor, time and invoice that pages
// and the API show with it, not the decoded event, so the model's memory
// grows by about the length of the text per event. The one name a line may
// learn later is its invoice's number: an item is billed on an invoice just
// before the invoice is issued, so a line naming an invoice not yet numbered
// keeps where the number goes and reads the number when it is asked for.
//
// What each event type concerns, teaches and says is a table (activityKinds)
// of one small function per event type.
type Activity struct {
	guard
	s       activityState
	catalog *catalog.Catalog // decodes snapshot events
}

type activityState struct {
	// loc is the firm's time zone (nil: UTC), which dates a gateway payment
	// recorded before its event carried a date.
	loc *time.Location

	lines lineChunks
	index map[subjectKey][]int32 // subject -> indexes in lines

	// The names lines use, as known now.
	invoices  names
	services  names
	methods   names
	proposals names
	contacts  names

	// Services are folded here too, from the events that change an item's
	// terms, date or rule (serviceEvents, kept for the snapshot), so an
	// edit's line can say what each changed field was ("quantity 1 → 1.5").
	serviceStates map[uuid.UUID]service.State
	serviceEvents []domain.Event

	// interned shares the text of the few distinct streams and actors.
	interned map[string]string
}

// before is what an edited service or schedule item was just before the
// edit: its terms, date and billing rule.
type before struct {
	terms service.Terms
	date  domain.Date
	rule  domain.BillingRule
}

// activityLine is one event's line as kept.
type activityLine struct {
	pos       uint64
	revision  uint64
	at        time.Time
	stream    string
	actor     string
	eventType string
	what      string    // the text, without who did it
	invoice   uuid.UUID // the invoice the line is about, if any
	invoiceAt int32     // where in what the invoice's number goes, read when asked (-1: in the text already)
}

// chunkBits sizes the chunks lines are kept in: growing never copies what
// is already kept.
const chunkBits = 10

// lineChunks is an append-only list of lines in fixed-size chunks.
type lineChunks struct {
	chunks [][]activityLine
	n      int
}

func (c *lineChunks) add(l activityLine) int32 {
	if c.n>>chunkBits == len(c.chunks) {
		c.chunks = append(c.chunks, make([]activityLine, 0, 1<<chunkBits))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, l)
	c.n++
	return int32(c.n - 1)
}

func (c *lineChunks) at(i int32) *activityLine {
	return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)]
}

// named is a name and the client it belongs to.
type named struct {
	Name   string    `json:"name"`
	Client uuid.UUID `json:"client,omitzero"`
}

// names maps an id to its name.
type names map[uuid.UUID]named

func (m names) set(id uuid.UUID, name string, client uuid.UUID) {
	m[id] = named{Name: name, Client: client}
}

// client returns the client id belongs to.
func (m names) client(id uuid.UUID) uuid.UUID { return m[id].Client }

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
		interned:      map[string]string{},
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
	a.s.apply(e)
}

// apply learns what e teaches and keeps its line if it concerns a subject.
func (s *activityState) apply(e Event) {
	k, ok := activityKindTable[e.Data.EventType()]
	if !ok {
		return
	}
	was := s.fold(e.Data)
	var subjects subjectList
	k.note(s, e.Data, &subjects)
	if subjects.n == 0 {
		return
	}
	l := activityLine{pos: e.Position, revision: e.Revision, at: e.Metadata.RecordedAt,
		stream: s.intern(e.Stream), actor: s.intern(e.Metadata.Actor), eventType: e.Data.EventType(),
		invoice: invoiceOf(e.Data)}
	l.what, l.invoiceAt = s.render(k, e.Data, was)
	s.keep(l, subjects.keys[:subjects.n])
}

// keep adds a line to the subjects' histories.
func (s *activityState) keep(l activityLine, subjects []subjectKey) {
	i := s.lines.add(l)
	for _, k := range subjects {
		s.index[k] = append(s.index[k], i)
	}
}

// intern returns text, sharing the copy already kept. A new text is
// copied: an event's strings may point into the whole envelope it was read
// from (eventstore/sqlite decodes in place).
func (s *activityState) intern(text string) string {
	if have, ok := s.interned[text]; ok {
		return have
	}
	text = strings.Clone(text)
	s.interned[text] = text
	return text
}

// invoiceMark stands for an invoice's number while a line is rendered,
// when the number is not known yet.
const invoiceMark = "\x00"

// render tells e, and says where its invoice's number goes when it is not
// known yet (-1: none, or written in).
func (s *activityState) render(k activityKind, e domain.Event, was *before) (string, int32) {
	r := render{s: s, was: was, mark: true}
	what := k.text(&r, e)
	if !r.marked {
		return what, -1
	}
	if strings.Count(what, invoiceMark) == 1 {
		i := strings.Index(what, invoiceMark)
		return what[:i] + what[i+len(invoiceMark):], int32(i)
	}
	// The mark is ambiguous (a name holds it): tell it as unnumbered.
	r = render{s: s, was: was}
	return k.text(&r, e), -1
}

// Reset implements Projection.
func (a *Activity) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s = emptyActivityState()
	a.checkpoint = 0
}

// activitySnapshot keeps the lines, the names future lines use and the
// events the folded services are made of.
type activitySnapshot struct {
	// Kept is what the snapshot keeps: "lines". Snapshots that kept the
	// events (before lines) have none and are refused, so the runner
	// replays the log instead of restoring an empty history.
	Kept          string                  `json:"kept"`
	TimeZone      string                  `json:"time_zone,omitempty"` // the firm's, which no kept line teaches
	Lines         []activitySnapshotLine  `json:"lines"`
	Names         map[string]names        `json:"names"`
	ServiceEvents []activitySnapshotEvent `json:"service_events,omitempty"`
}

// activityKept is what an activity snapshot keeps.
const activityKept = "lines"

type activitySnapshotLine struct {
	Position  uint64    `json:"position"`
	Revision  uint64    `json:"revision"`
	At        time.Time `json:"at"`
	Stream    string    `json:"stream"`
	Actor     string    `json:"actor,omitempty"`
	Type      string    `json:"type"`
	What      string    `json:"what"`
	Invoice   uuid.UUID `json:"invoice,omitzero"`
	InvoiceAt int32     `json:"invoice_at"`
	Subjects  []string  `json:"subjects"` // "client/<uuid>"
}

type activitySnapshotEvent struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// nameSets names the name maps in a snapshot.
func (s *activityState) nameSets() map[string]names {
	return map[string]names{"invoices": s.invoices, "services": s.services, "methods": s.methods,
		"proposals": s.proposals, "contacts": s.contacts}
}

// MarshalSnapshot implements Projection.
func (a *Activity) MarshalSnapshot() ([]byte, uint64, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s := &a.s
	snap := activitySnapshot{Kept: activityKept, Lines: make([]activitySnapshotLine, s.lines.n), Names: s.nameSets()}
	if s.loc != nil {
		snap.TimeZone = s.loc.String()
	}
	for i := range int32(s.lines.n) {
		l := s.lines.at(i)
		snap.Lines[i] = activitySnapshotLine{Position: l.pos, Revision: l.revision, At: l.at, Stream: l.stream, Actor: l.actor,
			Type: l.eventType, What: l.what, Invoice: l.invoice, InvoiceAt: l.invoiceAt}
	}
	for k, idx := range s.index {
		for _, i := range idx {
			snap.Lines[i].Subjects = append(snap.Lines[i].Subjects, string(k.subject)+"/"+k.id.String())
		}
	}
	for i := range snap.Lines {
		slices.Sort(snap.Lines[i].Subjects)
	}
	for _, e := range s.serviceEvents {
		data, err := json.Marshal(e)
		if err != nil {
			return nil, 0, fmt.Errorf("activity snapshot: %w", err)
		}
		snap.ServiceEvents = append(snap.ServiceEvents, activitySnapshotEvent{Type: e.EventType(), Data: data})
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
	if snap.Kept != activityKept {
		return fmt.Errorf("activity snapshot: keeps %q, not %q: replay the log", snap.Kept, activityKept)
	}
	s := emptyActivityState()
	if snap.TimeZone != "" {
		s.loc = zone(snap.TimeZone)
	}
	for set, ns := range s.nameSets() {
		for id, n := range snap.Names[set] {
			ns[id] = n
		}
	}
	for _, r := range snap.ServiceEvents {
		e, err := a.catalog.Decode(r.Type, a.catalog.SchemaVersion(r.Type), r.Data) // re-encoded in the current shape
		if err != nil {
			return fmt.Errorf("activity snapshot: %w", err)
		}
		s.fold(e)
	}
	for _, r := range snap.Lines {
		if r.Position > checkpoint {
			return fmt.Errorf("activity snapshot: position %d after the checkpoint %d", r.Position, checkpoint)
		}
		subjects := make([]subjectKey, 0, len(r.Subjects))
		for _, sub := range r.Subjects {
			name, id, _ := strings.Cut(sub, "/")
			u, err := uuid.Parse(id)
			if err != nil {
				return fmt.Errorf("activity snapshot: position %d: subject %q: %w", r.Position, sub, err)
			}
			subjects = append(subjects, subjectKey{Subject(name), u})
		}
		s.keep(activityLine{pos: r.Position, revision: r.Revision, at: r.At, stream: s.intern(r.Stream), actor: s.intern(r.Actor),
			eventType: s.intern(r.Type), what: r.What, invoice: r.Invoice, invoiceAt: r.InvoiceAt}, subjects)
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
		out[i] = a.s.line(a.s.lines.at(j))
	}
	return out, nil
}

// line is a kept line as pages read it; the caller holds the read lock.
func (s *activityState) line(l *activityLine) ActivityLine {
	what := l.what
	if l.invoiceAt >= 0 {
		what = what[:l.invoiceAt] + s.invoiceName(l.invoice) + what[l.invoiceAt:]
	}
	text := what
	if l.eventType == (client.ClientErased{}).EventType() && l.actor != "" {
		text += " by " + l.actor
	} else if l.actor != "" {
		text += " (by " + l.actor + ")"
	}
	return ActivityLine{
		Position:  l.pos,
		Stream:    l.stream,
		Revision:  l.revision,
		EventType: l.eventType,
		Actor:     l.actor,
		At:        l.at,
		Text:      text,
		What:      what,
		InvoiceID: l.invoice,
		Invoice:   s.invoiceNumber(l.invoice),
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
	case invoice.InvoiceCollectionCancelled:
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
	return s.invoices[id].Name
}

// invoiceName is how a line names an invoice.
func (s *activityState) invoiceName(id uuid.UUID) string {
	if n := s.invoiceNumber(id); n != "" {
		return n
	}
	return "(a new invoice)"
}

// fold evolves the service an edit is about and returns what the edit
// replaces. Only the events that change an item's terms, date or rule are
// folded: what an edit replaces depends on nothing else (a billed or
// archived item cannot be edited), and the model keeps no more of a
// service than that.
func (s *activityState) fold(e domain.Event) *before {
	var id uuid.UUID
	var b *before
	st := func(sid uuid.UUID) service.State { id = sid; return s.serviceStates[sid] }
	switch e := e.(type) {
	case service.ServiceActivated:
		st(e.ServiceID)
	case service.ServiceEdited:
		was := st(e.ServiceID)
		b = &before{terms: was.Terms, rule: was.BillingRule}
	case service.ScheduleItemEdited:
		if it, ok := st(e.ServiceID).Item(e.ItemKey); ok {
			b = &before{terms: service.Terms{Description: it.Description, UnitPrice: it.UnitPrice.Amount, Quantity: it.Quantity,
				Discount: it.Discount, PaymentMethodID: it.PaymentMethodID}, date: it.Date}
		}
	default:
		return nil
	}
	s.serviceStates[id] = service.Evolve(s.serviceStates[id], e)
	s.serviceEvents = append(s.serviceEvents, e)
	return b
}

// render tells events as things are known when they are applied.
type render struct {
	s      *activityState
	was    *before // for an edit: what it replaces
	mark   bool    // an invoice without a number yet is named by invoiceMark
	marked bool    // and one was
}

func (r *render) contact(id uuid.UUID) string { return r.s.contacts[id].Name }

func (r *render) method(id uuid.UUID) string {
	if id == uuid.Nil {
		return "no payment method"
	}
	if n, ok := r.s.methods[id]; ok {
		return n.Name
	}
	return "a payment method no longer on file"
}

func (r *render) proposal(id uuid.UUID) string {
	if n, ok := r.s.proposals[id]; ok && n.Name != "" {
		return strconv.Quote(n.Name)
	}
	return "(untitled)"
}

func (r *render) service(id uuid.UUID) string {
	if n, ok := r.s.services[id]; ok {
		return strconv.Quote(n.Name)
	}
	return "(unnamed)"
}

// invoice names an invoice by its number; numbers never change, so one not
// known yet is read when the line is.
func (r *render) invoice(id uuid.UUID) string {
	if n := r.s.invoiceNumber(id); n != "" || !r.mark {
		return r.s.invoiceName(id)
	}
	r.marked = true
	return invoiceMark
}

// currency is a service's currency.
func (r *render) currency(id uuid.UUID) domain.Currency { return r.s.serviceStates[id].Currency }

// item names a schedule item: `Billing #3 of "Bookkeeping"`.
func (r *render) item(serviceID uuid.UUID, key string) string {
	if _, seq, ok := service.ParseItemKey(key); ok {
		return "Billing #" + strconv.Itoa(seq) + " of " + r.service(serviceID)
	}
	return "Billing " + key + " of " + r.service(serviceID)
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
		text += " (the client is to be told of the price change)"
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
