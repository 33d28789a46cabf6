package projections

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/projections/rmdb"
)

const activityVersion = 8 // 3: requests for payment details; 4: surcharges; 5: proposal views, signatures, reminders; 6: dunning; 7: client tags, price increase notices; 8: skipped reminders

// Activity is the "activity" projection: every event of a client, proposal,
// service or invoice, indexed by the subjects it concerns, told in one line
// of plain English with who did it and when.
//
// Applying an event renders its line there and then, naming things as they
// are known at that moment (a service's name, a payment method's label, a
// contact's name, a proposal's title, what an edited field was), so a line
// reads the same whenever it is read. What each event type concerns,
// teaches and says is a table (activityKinds) of one small function per
// event type.
//
// Its tables:
//
//   - activity_lines: one row per event with a line, keyed by the event's
//     global position (an event has at most one line): the text without
//     who did it ("what") and the envelope fields pages and the API show
//     (revision, recorded-at, stream, actor, event type), plain columns
//     rather than a JSON document, because this is the largest read model
//     (one row per event) and columns are both smaller and cheaper to write.
//   - activity_subjects: (subject, id, position), one row per subject a line
//     concerns (the invoice, service, proposal or payment method, and the
//     client they belong to), so a history is one range of the primary key
//     joined to its lines, already in log order.
//   - activity_names (Docs): the names later lines use, by kind and id:
//     contacts, payment methods and proposals (with their client), and the
//     firm's time zone, which dates a gateway payment recorded before its
//     event carried a date.
//   - activity_services (Docs): per service its name, client and the few
//     events that change an item's terms, date or rule (activation and
//     edits), folded with service.Evolve when an edit needs to say what each
//     changed field was ("quantity 1 → 1.5").
//   - activity_invoices (Docs): per invoice its client and number. An item
//     is billed on an invoice just before the invoice is issued with its
//     number, so a line naming an invoice not yet numbered keeps where the
//     number goes (invoice_at) and the query reads the number by joining
//     this table.
//
// Apply keeps nothing between batches but the Docs' bounded caches; within
// a batch it buffers its rows (rmdb.Rows), and Flush writes the subjects'
// rows in key order, where SQLite inserts them with far less work than in
// log order. On
// SQLite a year of a 200-client firm takes about 530 bytes per event, half
// of it the subjects' rows and their key (BenchmarkActivityApply).
type Activity struct {
	db  *rmdb.DB
	gen int64

	names    *rmdb.Docs[activityName]
	services *rmdb.Docs[activityService]
	invoices *rmdb.Docs[activityInvoice]

	// touchedClients are the clients Apply added lines of, or numbered an
	// invoice of (their lines read the number), for the query cache.
	touchedClients

	// lines and subjects are the rows Apply adds, written by Flush many
	// per statement.
	lines, subjects *rmdb.Rows
	pendingSubjects []subjectRow
	query           string

	// zone caches the last time zone loaded (time.LoadLocation reads a
	// file); it depends on the name only, so a rollback cannot stale it.
	zone struct {
		name string
		loc  *time.Location
	}
}

// The table names.
const (
	activityLinesTable    = "activity_lines"
	activitySubjectsTable = "activity_subjects"
)

// activityMaxSubjects is the most subjects one event concerns (a replaced payment
// method: the client, the old method and the new one; an issued invoice:
// the invoice, its client and its method).
const activityMaxSubjects = 4

// activityName is a name and the client it belongs to.
type activityName struct {
	Name   string    `json:"name"`
	Client uuid.UUID `json:"client,omitzero"`
}

// The kinds of activity_names keys: kind + id.
const (
	activityContactName  = "contact:"
	activityMethodName   = "method:"
	activityProposalName = "proposal:"
	activityZoneKey      = "zone" // the firm's time zone, the only key without an id
)

// activityService is what lines need of a service.
type activityService struct {
	Named  bool      `json:"named,omitempty"` // activated: Name and Client are known
	Name   string    `json:"name,omitempty"`
	Client uuid.UUID `json:"client,omitzero"`
	// Fold is the service's activation and edits in log order: the events
	// what an edit replaces depends on (a billed or archived item cannot be
	// edited).
	Fold []activityFold `json:"fold,omitempty"`

	state *service.State // Fold folded, once an edit needed it
}

// activityFold is one folded service event.
type activityFold struct {
	Activated  *service.ServiceActivated   `json:"activated,omitempty"`
	Edited     *service.ServiceEdited      `json:"edited,omitempty"`
	ItemEdited *service.ScheduleItemEdited `json:"item_edited,omitempty"`
}

func (f activityFold) event() domain.Event {
	switch {
	case f.Activated != nil:
		return *f.Activated
	case f.Edited != nil:
		return *f.Edited
	case f.ItemEdited != nil:
		return *f.ItemEdited
	}
	return nil
}

// folded is the service as its folded events make it.
func (v *activityService) folded() service.State {
	if v.state == nil {
		var st service.State
		for _, f := range v.Fold {
			if e := f.event(); e != nil {
				st = service.Evolve(st, e)
			}
		}
		v.state = &st
	}
	return *v.state
}

// activityInvoice is what lines need of an invoice.
type activityInvoice struct {
	Number string    `json:"number,omitempty"`
	Client uuid.UUID `json:"client,omitzero"`
}

func newActivity(db *rmdb.DB, gen int64) *Activity {
	p := &Activity{db: db, gen: gen}
	// Names and invoice numbers are a hundred bytes or so each: caches of
	// tens of thousands cost a few megabytes and spare a read and a decode
	// per line of a firm with thousands of clients (at a million events
	// the default 4,096 missed for about 7% of a rebuild's time).
	p.names = rmdb.NewDocs(rmdb.DocsSpec[activityName]{Name: "activity_names", CacheSize: 32768}, gen)
	p.services = rmdb.NewDocs(rmdb.DocsSpec[activityService]{Name: "activity_services", CacheSize: 2048}, gen)
	p.invoices = rmdb.NewDocs(rmdb.DocsSpec[activityInvoice]{Name: "activity_invoices", Columns: []rmdb.Column[activityInvoice]{
		{Name: "number", Type: "TEXT", Value: func(_ string, v *activityInvoice) any { return p.text(v.Number) }},
	}, CacheSize: 16384}, gen)
	p.lines = rmdb.NewRows(rmdb.Stored(activityLinesTable, gen),
		"position", "revision", "at", "stream", "actor", "event_type", "what", "invoice", "invoice_at")
	p.subjects = rmdb.NewRows(rmdb.Stored(activitySubjectsTable, gen), "subject", "id", "position")
	p.query = "SELECT l.position, l.revision, l.at, l.stream, l.actor, l.event_type, l.what, l.invoice, l.invoice_at, i.number" +
		" FROM " + rmdb.View(activitySubjectsTable) + " s" +
		" JOIN " + rmdb.View(activityLinesTable) + " l ON l.position = s.position" +
		" LEFT JOIN " + p.invoices.View() + " i ON i.key = l.invoice" +
		" WHERE s.subject = ? AND s.id = ? ORDER BY s.position"
	return p
}

// Name implements Projection.
func (p *Activity) Name() string { return "activity" }

// Tables implements Projection.
func (p *Activity) Tables() []rmdb.Table {
	// On SQLite an INTEGER PRIMARY KEY is the rowid: the lines are one
	// b-tree by position, with no separate index (BIGINT would add one).
	key := "position BIGINT PRIMARY KEY"
	if p.db == nil || p.db.Dialect() == rmdb.SQLite {
		key = "position INTEGER PRIMARY KEY"
	}
	return []rmdb.Table{
		{Name: activityLinesTable, Columns: []string{key, "revision BIGINT NOT NULL", "at BIGINT NOT NULL", "stream TEXT NOT NULL",
			"actor TEXT NOT NULL", "event_type TEXT NOT NULL", "what TEXT NOT NULL", "invoice TEXT", "invoice_at BIGINT NOT NULL"}},
		{Name: activitySubjectsTable, Columns: []string{"subject TEXT NOT NULL", "id TEXT NOT NULL", "position BIGINT NOT NULL",
			"PRIMARY KEY (subject, id, position)"}, Clustered: true},
		p.names.Table(),
		p.services.Table(),
		p.invoices.Table(),
	}
}

// Apply implements Projection: it learns what e teaches and writes its line
// if it concerns a subject.
func (p *Activity) Apply(tx *rmdb.Tx, e Event) {
	if e.Data == nil {
		return
	}
	s := activityState{p: p, tx: tx}
	if tz, ok := activityZoneName(e.Data); ok {
		p.names.Put(activityZoneKey, &activityName{Name: tz})
	}
	k, ok := activityKindTable[e.Data.EventType()]
	if !ok {
		return
	}
	was := s.fold(e.Data)
	var subjects subjectList
	k.note(&s, e.Data, &subjects)
	if subjects.n == 0 {
		return
	}
	what, invoiceAt := s.render(k, e.Data, was)
	var inv any
	if id := invoiceOf(e.Data); id != uuid.Nil {
		inv = id.String()
	}
	var at int64
	if !e.Metadata.RecordedAt.IsZero() {
		at = e.Metadata.RecordedAt.UnixNano()
	}
	pos := int64(e.Position)
	p.lines.Add(tx, pos, int64(e.Revision), at, p.text(e.Stream), p.text(e.Metadata.Actor), e.Data.EventType(),
		p.text(what), inv, invoiceAt)
	for _, k := range subjects.keys[:subjects.n] {
		p.pendingSubjects = append(p.pendingSubjects, subjectRow{string(k.subject), k.id.String(), pos})
		if k.subject == SubjectClient {
			p.touch(k.id)
		}
	}
}

// subjectRow is a row of activity_subjects.
type subjectRow struct {
	subject, id string
	position    int64
}

// activityZoneName is the time zone an event sets the firm's to (an IANA name,
// "" for UTC), and whether it sets one: what firmZone loads.
func activityZoneName(e domain.Event) (string, bool) {
	switch e := e.(type) {
	case firm.FirmSetUp:
		return e.TimeZone, true
	case firm.FirmRegionalSettingsChanged:
		return e.TimeZone, true
	}
	return "", false
}

// text is s as the database can keep it: PostgreSQL's TEXT refuses NUL,
// which an event's free text (a reason) could hold.
func (p *Activity) text(s string) string {
	if p.db != nil && p.db.Dialect() == rmdb.Postgres && strings.IndexByte(s, 0) >= 0 {
		return strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// Flush implements Projection.
func (p *Activity) Flush(tx *rmdb.Tx) {
	slices.SortFunc(p.pendingSubjects, func(a, b subjectRow) int {
		if c := strings.Compare(a.subject, b.subject); c != 0 {
			return c
		}
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmp.Compare(a.position, b.position)
	})
	for _, r := range p.pendingSubjects {
		p.subjects.Add(tx, r.subject, r.id, r.position)
	}
	p.pendingSubjects = p.pendingSubjects[:0]
	p.lines.Flush(tx)
	p.subjects.Flush(tx)
	p.names.Flush(tx)
	p.services.Flush(tx)
	p.invoices.Flush(tx)
}

// Discard implements Projection.
func (p *Activity) Discard() {
	p.pendingSubjects = p.pendingSubjects[:0]
	p.lines.Discard()
	p.subjects.Discard()
	p.names.Discard()
	p.services.Discard()
	p.invoices.Discard()
}

// of returns the history of a subject, oldest first; none is ENOTFOUND.
func (p *Activity) of(ctx context.Context, subject Subject, id uuid.UUID) ([]ActivityLine, error) {
	out, err := p.readLines(ctx, subject, id, p.query, string(subject), id.String())
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, domain.NotFound("no activity for %s %s", subject, id)
	}
	return out, nil
}

// activityState is what applying one event reads and writes: the names
// later lines use, through the writer's Docs, in the batch's transaction.
type activityState struct {
	p  *Activity
	tx *rmdb.Tx
}

// before is what an edited service or schedule item was just before the
// edit: its terms, date and billing rule.
type before struct {
	terms service.Terms
	date  domain.Date
	rule  domain.BillingRule
}

type subjectKey struct {
	subject Subject
	id      uuid.UUID
}

// subjectList is the few subjects one event concerns, without allocating.
type subjectList struct {
	keys [activityMaxSubjects]subjectKey
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

// name is a contact's, method's or proposal's name, and whether it is known.
func (s *activityState) name(kind string, id uuid.UUID) (activityName, bool) {
	if v := s.p.names.Get(s.tx, kind+id.String()); v != nil {
		return *v, true
	}
	return activityName{}, false
}

func (s *activityState) setName(kind string, id uuid.UUID, name string, client uuid.UUID) {
	s.p.names.Put(kind+id.String(), &activityName{Name: name, Client: client})
}

// service is a service's record (nil when unknown).
func (s *activityState) service(id uuid.UUID) *activityService {
	return s.p.services.Get(s.tx, id.String())
}

// setService names a service and its client.
func (s *activityState) setService(id uuid.UUID, name string, client uuid.UUID) {
	v := s.service(id)
	if v == nil {
		v = &activityService{}
	}
	v.Named, v.Name, v.Client = true, name, client
	s.p.services.Put(id.String(), v)
}

// invoice is an invoice's record (nil when unknown).
func (s *activityState) invoice(id uuid.UUID) *activityInvoice {
	if id == uuid.Nil {
		return nil
	}
	return s.p.invoices.Get(s.tx, id.String())
}

// loc is the firm's time zone as of the events applied (nil: UTC).
func (s *activityState) loc() *time.Location {
	v := s.p.names.Get(s.tx, activityZoneKey)
	if v == nil {
		return nil
	}
	z := &s.p.zone
	if z.loc == nil || z.name != v.Name {
		z.name, z.loc = v.Name, zone(v.Name)
	}
	return z.loc
}

// invoiceMark stands for an invoice's number while a line is rendered,
// when the number is not known yet.
const invoiceMark = "\x00"

// render tells e, and says where its invoice's number goes when it is not
// known yet (-1: none, or written in).
func (s *activityState) render(k activityKind, e domain.Event, was *before) (string, int) {
	r := render{s: s, was: was, mark: true}
	what := k.text(&r, e)
	if !r.marked {
		return what, -1
	}
	if strings.Count(what, invoiceMark) == 1 {
		i := strings.Index(what, invoiceMark)
		return what[:i] + what[i+len(invoiceMark):], i
	}
	// The mark is ambiguous (a name holds it): tell it as unnumbered.
	r = render{s: s, was: was}
	return k.text(&r, e), -1
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
	case invoice.InvoiceReminderSent:
		return e.InvoiceID
	case invoice.InvoiceDunningExhausted:
		return e.InvoiceID
	case invoice.InvoiceRemindersPaused:
		return e.InvoiceID
	case invoice.InvoiceRemindersResumed:
		return e.InvoiceID
	case invoice.InvoiceVoided:
		return e.InvoiceID
	case invoice.InvoiceCreditNoteIssued:
		return e.InvoiceID
	case invoice.InvoicePaymentRefunded:
		return e.InvoiceID
	case invoice.InvoicePaymentDisputed:
		return e.InvoiceID
	case invoice.InvoiceDisputeClosed:
		return e.InvoiceID
	case invoice.InvoiceSurchargeAdded:
		return e.InvoiceID
	case invoice.InvoiceDuplicatePaymentRefunded:
		return e.InvoiceID
	}
	return uuid.Nil
}

// invoiceNumber is an invoice's number as known now ("" when unknown).
func (s *activityState) invoiceNumber(id uuid.UUID) string {
	if v := s.invoice(id); v != nil {
		return v.Number
	}
	return ""
}

// activityInvoiceName is how a line names an invoice with this number.
func activityInvoiceName(number string) string {
	if number != "" {
		return number
	}
	return "(a new invoice)"
}

// fold records the service events an edit's line depends on and returns
// what the edit replaces. Only the events that change an item's terms,
// date or rule are folded: what an edit replaces depends on nothing else
// (a billed or archived item cannot be edited). The service is folded
// lazily, the first time an edit needs it, and kept folded in the cached
// record.
func (s *activityState) fold(e domain.Event) *before {
	var id uuid.UUID
	var f activityFold
	switch e := e.(type) {
	case service.ServiceActivated:
		id, f.Activated = e.ServiceID, &e
	case service.ServiceEdited:
		id, f.Edited = e.ServiceID, &e
	case service.ScheduleItemEdited:
		id, f.ItemEdited = e.ServiceID, &e
	default:
		return nil
	}
	v := s.service(id)
	if v == nil {
		v = &activityService{}
	}
	var b *before
	switch e := e.(type) {
	case service.ServiceEdited:
		was := v.folded()
		b = &before{terms: was.Terms, rule: was.BillingRule}
	case service.ScheduleItemEdited:
		if it, ok := v.folded().Item(e.ItemKey); ok {
			b = &before{terms: service.Terms{Description: it.Description, UnitPrice: it.UnitPrice.Amount, Quantity: it.Quantity,
				Discount: it.Discount, PaymentMethodID: it.PaymentMethodID}, date: it.Date}
		}
	}
	if v.state != nil {
		st := service.Evolve(*v.state, e)
		v.state = &st
	}
	v.Fold = append(v.Fold, f)
	s.p.services.Put(id.String(), v)
	return b
}

// render tells events as things are known when they are applied.
type render struct {
	s      *activityState
	was    *before // for an edit: what it replaces
	mark   bool    // an invoice without a number yet is named by invoiceMark
	marked bool    // and one was
}

func (r *render) contact(id uuid.UUID) string {
	n, _ := r.s.name(activityContactName, id)
	return n.Name
}

func (r *render) method(id uuid.UUID) string {
	if id == uuid.Nil {
		return "no payment method"
	}
	if n, ok := r.s.name(activityMethodName, id); ok {
		return n.Name
	}
	return "a payment method no longer on file"
}

func (r *render) proposal(id uuid.UUID) string {
	if n, ok := r.s.name(activityProposalName, id); ok && n.Name != "" {
		return strconv.Quote(n.Name)
	}
	return "(untitled)"
}

func (r *render) service(id uuid.UUID) string {
	if v := r.s.service(id); v != nil && v.Named {
		return strconv.Quote(v.Name)
	}
	return "(unnamed)"
}

// invoice names an invoice by its number; numbers never change, so one not
// known yet is read when the line is.
func (r *render) invoice(id uuid.UUID) string {
	if n := r.s.invoiceNumber(id); n != "" || !r.mark {
		return activityInvoiceName(n)
	}
	r.marked = true
	return invoiceMark
}

// currency is a service's currency.
func (r *render) currency(id uuid.UUID) domain.Currency {
	if v := r.s.service(id); v != nil {
		return v.folded().Currency
	}
	return domain.Currency{}
}

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
		return fmt.Sprintf("%s •••• %s, expires %02d/%d", cardBrand(m.Brand), m.Last4, m.ExpiryMonth, m.ExpiryYear)
	}
	return debitLabel(m.Scheme, m.MaskedAccount)
}

// UsedMethodLabel is how a person recognises a method a client paid with
// and did not keep (invoice.MethodUsed): "Visa •••• 4242" or "SEPA debit
// DE89 ****3000".
func UsedMethodLabel(m invoice.MethodUsed) string {
	if client.PaymentMethodKind(m.Kind) == client.MethodCard {
		return cardBrand(m.Brand) + " •••• " + m.Last4
	}
	return debitLabel(client.DebitScheme(m.Scheme), m.MaskedAccount)
}

// cardBrand is a card brand as people write it: "Visa", or "card" when the
// gateway named none.
func cardBrand(brand string) string {
	if brand == "" {
		return "card"
	}
	return strings.ToUpper(brand[:1]) + brand[1:]
}

// debitLabel names a bank debit: its scheme and masked account.
func debitLabel(s client.DebitScheme, masked string) string {
	scheme := map[client.DebitScheme]string{
		client.SchemeAUBECS: "AU direct debit", client.SchemeNZBECS: "NZ direct debit", client.SchemeACH: "ACH debit",
		client.SchemeBACS: "Bacs Direct Debit", client.SchemeSEPA: "SEPA debit", client.SchemePAD: "PAD debit",
	}[s]
	if scheme == "" {
		scheme = "bank debit"
	}
	return scheme + " " + masked
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
