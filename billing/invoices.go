package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/service"
)

// IssueInvoiceRequest issues an invoice for schedule items (ItemKeys), or a
// one-time instant bill (Lines), or both. InvoiceID is optional: for items
// it defaults to InvoiceIDForItems(ItemKeys), so two runs over the same items
// issue one invoice; otherwise it is derived from the command id. IssueDate
// defaults to today (firm's time zone); Currency to the client's.
type IssueInvoiceRequest struct {
	InvoiceID       uuid.UUID     `json:"invoice_id,omitzero"`
	ClientID        uuid.UUID     `json:"client_id"`
	ItemKeys        []string      `json:"item_keys,omitempty"`
	Lines           []InstantLine `json:"lines,omitempty"`
	Currency        string        `json:"currency,omitempty"`
	IssueDate       domain.Date   `json:"issue_date,omitzero"`
	PaymentMethodID uuid.UUID     `json:"payment_method_id,omitzero"`
}

// InstantLine is one line of a one-time instant bill, priced in the
// invoice's currency.
type InstantLine struct {
	Description string          `json:"description"`
	Quantity    decimal.Decimal `json:"quantity"`
	UnitPrice   decimal.Decimal `json:"unit_price"`
	Discount    domain.Discount `json:"discount"`
	TaxRate     decimal.Decimal `json:"tax_rate"`
}

// BillItemRequest bills one manual item now, after someone confirmed its
// price, quantity and description (nil: as scheduled). InvoiceID and
// IssueDate as for IssueInvoiceRequest.
type BillItemRequest struct {
	ItemKey     string           `json:"item_key"`
	Quantity    *decimal.Decimal `json:"quantity,omitempty"`
	UnitPrice   *decimal.Decimal `json:"unit_price,omitempty"`
	Description *string          `json:"description,omitempty"`
	InvoiceID   uuid.UUID        `json:"invoice_id,omitzero"`
	IssueDate   domain.Date      `json:"issue_date,omitzero"`
}

// InvoiceRequest is any change to an issued invoice; each use case reads the
// fields it documents. Amount is in the invoice's currency. Ids of new
// attempts, payments and credit notes are derived from the command id when
// left empty.
type InvoiceRequest struct {
	InvoiceID        uuid.UUID              `json:"invoice_id"`
	Recipient        string                 `json:"recipient,omitempty"`
	Date             domain.Date            `json:"date,omitzero"`
	PaymentMethodID  uuid.UUID              `json:"payment_method_id,omitzero"`
	AttemptID        uuid.UUID              `json:"attempt_id,omitzero"`
	Outcome          invoice.AttemptOutcome `json:"outcome,omitempty"`
	GatewayReference string                 `json:"gateway_reference,omitempty"`
	DeclineCode      string                 `json:"decline_code,omitempty"`
	DeclineMessage   string                 `json:"decline_message,omitempty"`
	PaymentID        uuid.UUID              `json:"payment_id,omitzero"`
	Method           invoice.PaymentMethod  `json:"method,omitempty"`
	Reference        string                 `json:"reference,omitempty"`
	CreditNoteID     uuid.UUID              `json:"credit_note_id,omitzero"`
	Amount           decimal.Decimal        `json:"amount"`
	Reason           string                 `json:"reason,omitempty"`
	// Surcharge is the surcharge a collection attempt's charge carried
	// (RecordCollectionAttempt); set by the collection run and pay-now,
	// never by a request's JSON.
	Surcharge *invoice.Surcharge `json:"-"`
	// Through is how the client paid on their own (pay-now), for
	// RecordCollectionAttempt; set by pay-now, never by a request's JSON.
	Through invoice.PaymentChannel `json:"-"`
	// PaidWith is the method a pay-now payment was made with when the
	// client did not keep it; set by pay-now, never by a request's JSON.
	PaidWith *invoice.MethodUsed `json:"-"`
}

// InvoiceIDForItems is the id of the invoice that bills exactly these
// schedule items (in any order): two billing runs over the same items name
// the same invoice, and its stream admits one InvoiceIssued.
func InvoiceIDForItems(itemKeys []string) uuid.UUID {
	return invoiceIDForItems(itemKeys, nil)
}

// invoiceIDForItems is InvoiceIDForItems for items some of which were
// released from earlier invoices (voided, or never issued): their release
// counts are part of the name, so billing them again names a new invoice,
// while two runs over the same items in the same state still agree.
func invoiceIDForItems(itemKeys []string, releases map[string]int) uuid.UUID {
	keys := slices.Clone(itemKeys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	name := "invoice-for-items/" + strings.Join(keys, ",")
	for _, k := range keys {
		if n := releases[k]; n > 0 {
			name += fmt.Sprintf("#%s@%d", k, n)
		}
	}
	return uuid.NewSHA1(EventNamespace, []byte(name))
}

// IssueInvoice issues an invoice; Result.ID is its id. See the package doc
// for the order of its appends (items marked, number reserved, invoice).
// An invoice with a payment method (the request's, its items', or the
// client's default) is issued with its collection scheduled on the firm's
// collection date (firm.State.CollectionDate), in the same append.
func (s *Service) IssueInvoice(ctx context.Context, r IssueInvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.issue(ctx, r, meta)
}

// BillItemNow bills one manual item: it records the confirmed changes to the
// item (when any), then issues its invoice. Result is the invoice's.
func (s *Service) BillItemNow(ctx context.Context, r BillItemRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	serviceID, err := itemService(r.ItemKey)
	if err != nil {
		return Result{}, err
	}
	st, _, ok, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(serviceID))
	if err != nil {
		return Result{}, err
	}
	it, found := st.Item(r.ItemKey)
	if !ok || !found {
		return Result{}, domain.NotFound("There is no such schedule item.")
	}
	var ch service.ItemChanges
	changed := false
	if r.Quantity != nil && !r.Quantity.Equal(it.Quantity) {
		ch.Quantity, changed = r.Quantity, true
	}
	if r.UnitPrice != nil && !r.UnitPrice.Equal(it.UnitPrice.Amount) {
		ch.UnitPrice, changed = r.UnitPrice, true
	}
	if r.Description != nil && *r.Description != it.Description {
		ch.Description, changed = r.Description, true
	}
	if changed && it.Status != service.ItemBilled {
		if _, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(serviceID), service.Command(service.EditItem{ItemKey: r.ItemKey, ItemChanges: ch, Now: s.now()}), meta.withStep("confirm")); err != nil {
			return Result{}, err
		}
	}
	return s.issue(ctx, IssueInvoiceRequest{InvoiceID: r.InvoiceID, ClientID: st.ClientID, ItemKeys: []string{r.ItemKey}, IssueDate: r.IssueDate}, meta)
}

// plannedInvoice is an invoice decided but not yet numbered.
type plannedInvoice struct {
	cmd   invoice.Issue
	items []string // item keys, sorted
}

func (s *Service) issue(ctx context.Context, r IssueInvoiceRequest, meta Meta) (Result, error) {
	f, err := s.requireFirm(ctx)
	if err != nil {
		return Result{}, err
	}
	plan, err := s.planInvoice(ctx, f, r, meta)
	if err != nil {
		return Result{}, err
	}
	// An invoice with a payment method is collected on the firm's
	// collection date; the collection is recorded with the issue, so no
	// invoice is ever left with a method and nothing scheduled.
	if plan.cmd.PaymentMethodID != uuid.Nil {
		plan.cmd.CollectionDate = f.CollectionDate(plan.cmd.IssueDate, plan.cmd.Recurring)
	}
	id := plan.cmd.InvoiceID
	stream := invoice.StreamName(id)

	// A re-run of this very command answers the first run's result.
	l, err := load(ctx, s.env, invoiceDecider, stream, map[uuid.UUID]int{meta.eventID(stream, 0): 0}, true)
	if err != nil {
		return Result{}, err
	}
	if first, ok := l.applied[0]; ok {
		first.AlreadyApplied, first.ID = true, id
		return first, nil
	}
	if !l.state.Issued() {
		// Every check before reserving the number, so a refused invoice burns none.
		if err := domain.CheckText(plan.cmd); err != nil {
			return Result{}, err
		}
		if _, err := s.checkBeforeNumbering(l.state, plan.cmd, f.InvoicePrefix, meta); err != nil {
			return Result{}, err
		}
	}

	var position uint64
	for i, key := range plan.items {
		serviceID, _ := itemService(key)
		// A step per item: two items of one service are two commands on its
		// stream, and the second must not pass for a re-run of the first.
		out, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(serviceID), service.Command(service.MarkItemBilled{ItemKey: key, InvoiceID: id, Now: plan.cmd.Now}), meta.withStep("mark:"+key))
		if err != nil {
			var conflict *conflictError
			if domain.ErrorCode(err) == domain.EINTERNAL || errors.As(err, &conflict) {
				// Not a refusal (the store failed, or the stream kept
				// changing): the items stay marked and a re-run of this
				// command, or a billing run, completes the invoice. Releasing
				// them could race a run issuing the same invoice.
				return Result{}, err
			}
			// Another invoice took this item first: this invoice will not be
			// issued, so the items it marked must not stay billed on it.
			if cerr := s.unmark(ctx, plan.items[:i], id, key, plan.cmd.Now, meta); cerr != nil {
				return Result{}, errors.Join(err, cerr)
			}
			return Result{}, err
		}
		position = max(position, out.Position)
	}

	var together *numberedIssue
	if !l.exists {
		// The invoice may be issued in its number's append (issueTogether).
		together = &numberedIssue{stream: stream, command: invoice.Command(plan.cmd), meta: meta, decide: func(number string) ([]domain.Event, error) {
			cmd := plan.cmd
			cmd.Number = number
			return invoiceDecider.Decide(l.state, invoice.Command(cmd))
		}}
	}
	number, pos, issued, err := s.reserveNumber(ctx, id, f.InvoicePrefix, plan.cmd.Now, meta, together)
	if err != nil {
		return Result{}, err
	}
	position = max(position, pos)
	if issued != nil {
		res := *issued
		res.ID = id
		res.Position = max(res.Position, position)
		return res, nil
	}
	if l.state.Issued() && l.state.Number != number {
		// Issued before this process reserved: only possible if the
		// numbering stream was tampered with.
		return Result{}, fmt.Errorf("invoice %s is issued as %s but numbered %s", id, l.state.Number, number)
	}
	cmd := plan.cmd
	cmd.Number = number
	out, err := Handle(ctx, s.env, invoiceDecider, stream, invoice.Command(cmd), meta)
	if err != nil {
		return Result{}, err
	}
	res := out.Result
	res.ID = id
	res.Position = max(res.Position, position)
	if res.Appended == 0 && l.state.Issued() {
		res.AlreadyApplied = true // issued by another run over the same items
	}
	return res, nil
}

// unmark releases items this command marked billed on an invoice it could
// not issue (because item blocker was billed elsewhere). It runs as its own
// step of the command, so re-running the command neither repeats nor skips it.
func (s *Service) unmark(ctx context.Context, keys []string, invoiceID uuid.UUID, blocker string, now time.Time, meta Meta) error {
	for _, key := range keys {
		serviceID, _ := itemService(key)
		reason := fmt.Sprintf("invoice %s not issued: item %s was already billed on another invoice", invoiceID, blocker)
		cmd := service.ReleaseBilledItem{ItemKey: key, InvoiceID: invoiceID, Reason: reason, Now: now}
		if _, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(serviceID), service.Command(cmd), meta.withStep("unmark:"+key)); err != nil {
			return fmt.Errorf("release item %s of unissued invoice %s: %w", key, invoiceID, err)
		}
	}
	return nil
}

// planInvoice gathers the facts of an invoice to issue: client, items, lines,
// dates. It appends nothing.
func (s *Service) planInvoice(ctx context.Context, f firm.State, r IssueInvoiceRequest, meta Meta) (plannedInvoice, error) {
	cl, _, ok, err := fold(ctx, s.env, clientDecider, client.StreamName(r.ClientID))
	if err != nil {
		return plannedInvoice{}, err
	}
	if !ok {
		return plannedInvoice{}, domain.NotFound("There is no such client.")
	}
	states := map[uuid.UUID]service.State{}
	for _, key := range r.ItemKeys {
		serviceID, err := itemService(key)
		if err != nil {
			continue // reported by planFrom
		}
		if _, ok := states[serviceID]; !ok {
			if states[serviceID], _, _, err = fold(ctx, s.env, s.serviceDecider, service.StreamName(serviceID)); err != nil {
				return plannedInvoice{}, err
			}
		}
	}
	return s.planFrom(f, cl, func(id uuid.UUID) *service.State {
		st := states[id]
		return &st
	}, r, meta)
}

// planFrom plans an invoice from states already folded: the client's and
// those of the services of r.ItemKeys. It reads nothing and appends nothing.
func (s *Service) planFrom(f firm.State, cl client.State, stateOf func(serviceID uuid.UUID) *service.State, r IssueInvoiceRequest, meta Meta) (plannedInvoice, error) {
	var plan plannedInvoice
	var p domain.Problems
	cur := parseCurrency(&p, "currency", r.Currency, cl.Currency)
	if len(r.ItemKeys) == 0 && len(r.Lines) == 0 {
		p.Add("lines", "an invoice needs at least one line: give schedule items or lines")
	}
	keys := slices.Clone(r.ItemKeys)
	slices.SortFunc(keys, service.CompareItemKeys) // lines in schedule order: a service's periods in turn
	keys = slices.Compact(keys)
	releases := map[string]int{}
	for _, key := range keys {
		if serviceID, err := itemService(key); err == nil {
			releases[key] = stateOf(serviceID).Releases(key)
		}
	}
	id := r.InvoiceID
	if id == uuid.Nil {
		if len(keys) > 0 && len(r.Lines) == 0 {
			id = invoiceIDForItems(keys, releases)
		} else {
			id = DeriveID(meta.CommandID, "invoice")
		}
	}
	now := s.now()
	issueDate := r.IssueDate
	if issueDate.IsZero() {
		issueDate = s.today(f, now)
	}
	terms := f.PaymentTermsDays
	if cl.PaymentTermsDays != nil {
		terms = *cl.PaymentTermsDays
	}
	method := r.PaymentMethodID
	recurring := false
	var lines []invoice.NewLine
	for i, key := range keys {
		field := func() string { return fmt.Sprintf("item_keys[%d]", i) } // only for a problem: a run plans 100,000s
		serviceID, err := itemService(key)
		if err != nil {
			p.Add(field(), "%q is not a schedule item key", key)
			continue
		}
		st := stateOf(serviceID)
		it, found := st.Item(key)
		switch {
		case !st.Activated() || !found:
			return plan, domain.NotFound("There is no schedule item %s.", key)
		case st.ClientID != r.ClientID:
			p.Add(field(), "schedule item %s belongs to another client", key)
			continue
		case it.Status == service.ItemBilled && it.InvoiceID != id:
			return plan, domain.Conflict("Schedule item %s was already billed on another invoice.", key)
		case it.Status == service.ItemSkipped:
			return plan, domain.Conflict("Schedule item %s was skipped and cannot be billed.", key)
		case it.Status == service.ItemArchived:
			return plan, domain.Conflict("Schedule item %s is after its service ended and cannot be billed.", key)
		}
		if st.BillingRule.Frequency.Repeats() {
			recurring = true
		}
		if method == uuid.Nil {
			method = it.PaymentMethodID
		}
		lines = append(lines, invoice.NewLine{
			LineID: uuid.NewSHA1(id, []byte(key)), Description: st.LineDescription(it), Quantity: it.Quantity,
			UnitPrice: it.UnitPrice, Discount: it.Discount, TaxRate: it.TaxRate, ServiceID: serviceID, ItemKey: key,
		})
	}
	for i, l := range r.Lines {
		lines = append(lines, invoice.NewLine{
			LineID: uuid.NewSHA1(id, fmt.Appendf(nil, "line/%d", i)), Description: l.Description, Quantity: l.Quantity,
			UnitPrice: domain.Money{Amount: l.UnitPrice, Currency: cur}, Discount: l.Discount, TaxRate: l.TaxRate,
		})
	}
	if err := p.Err(); err != nil {
		return plan, err
	}
	if method == uuid.Nil {
		if m, ok := cl.DefaultPaymentMethod(); ok {
			method = m.ID
		}
	}
	plan.items = keys
	plan.cmd = invoice.Issue{
		InvoiceID: id, ClientID: r.ClientID, Currency: cur, IssueDate: issueDate, DueDate: issueDate.AddDays(terms),
		TaxMode: f.TaxMode, Lines: lines, Recurring: recurring, PaymentMethodID: method, Client: cl.Facts(), Now: now,
	}
	return plan, nil
}

// invoiceState reads an issued invoice.
func (s *Service) invoiceState(ctx context.Context, id uuid.UUID) (invoice.State, error) {
	st, _, _, err := fold(ctx, s.env, invoiceDecider, invoice.StreamName(id))
	if err != nil {
		return st, err
	}
	if !st.Issued() {
		return st, domain.NotFound("There is no such invoice.")
	}
	return st, nil
}

func (s *Service) invoice(ctx context.Context, c invoice.Command, id uuid.UUID, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, invoiceDecider, invoice.StreamName(id), c, meta, created)
}

// SendInvoice emails the invoice (again) to r.Recipient, or to the client's
// primary contact when empty.
func (s *Service) SendInvoice(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	to := r.Recipient
	if to == "" {
		st, err := s.invoiceState(ctx, r.InvoiceID)
		if err != nil {
			return Result{}, err
		}
		cl, _, _, err := fold(ctx, s.env, clientDecider, client.StreamName(st.ClientID))
		if err != nil {
			return Result{}, err
		}
		if c, ok := cl.PrimaryContact(); ok {
			to = c.Email
		}
	}
	return s.invoice(ctx, invoice.Send{Recipient: to, Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// ScheduleCollection schedules collecting the balance on r.Date (zero: the
// firm's collection date for the invoice) from r.PaymentMethodID (zero: the
// invoice's method; for an invoice billed to the client's default when none
// was on file, the client's default now).
func (s *Service) ScheduleCollection(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	date, method := r.Date, r.PaymentMethodID
	var facts domain.ClientFacts // the client's, when the method is one named here
	if date.IsZero() || method == uuid.Nil {
		st, err := s.invoiceState(ctx, r.InvoiceID)
		if err != nil {
			return Result{}, err
		}
		if date.IsZero() {
			f, err := s.firm(ctx)
			if err != nil {
				return Result{}, err
			}
			date = f.CollectionDate(st.IssueDate, st.Recurring)
		}
		if method == uuid.Nil {
			method = st.PaymentMethodID
		}
		if method == uuid.Nil && st.ClientID != uuid.Nil {
			// Billed to the client's default when none was on file: the
			// default the client has now, checked as a named method.
			cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(st.ClientID))
			if err != nil {
				return Result{}, err
			}
			if pm, ok := cl.DefaultPaymentMethod(); ok {
				method, facts = pm.ID, cl.Facts()
			}
		}
	}
	if r.PaymentMethodID != uuid.Nil {
		var err error
		if facts, err = s.invoiceClientFacts(ctx, r.InvoiceID, r.PaymentMethodID); err != nil {
			return Result{}, err
		}
	}
	return s.invoice(ctx, invoice.ScheduleCollection{Date: date, PaymentMethodID: method, Client: facts, Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// CancelCollection cancels the invoice's scheduled collection or retry
// (r.Reason optional): nothing is charged, and no run schedules it again,
// until someone schedules a collection or a retry.
func (s *Service) CancelCollection(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.invoice(ctx, invoice.CancelCollection{Reason: r.Reason, Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// RecordCollectionAttempt records what the gateway answered to one
// collection attempt, dated r.Date (the collection run's as-of date; zero:
// the firm's today, as for a gateway's later answer by webhook); Result.ID
// is the attempt's id.
func (s *Service) RecordCollectionAttempt(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	st, err := s.invoiceState(ctx, r.InvoiceID)
	if err != nil {
		return Result{}, err
	}
	date := r.Date
	if date.IsZero() {
		f, err := s.firm(ctx)
		if err != nil {
			return Result{}, err
		}
		date = s.today(f, s.now())
	}
	id := pick(r.AttemptID, meta, "attempt")
	return s.invoice(ctx, invoice.RecordCollectionAttempt{
		Date:      date,
		AttemptID: id, Outcome: r.Outcome, PaymentMethodID: r.PaymentMethodID, Through: r.Through, PaidWith: r.PaidWith, GatewayReference: r.GatewayReference,
		Amount: domain.Money{Amount: r.Amount, Currency: st.Currency}, DeclineCode: r.DeclineCode, DeclineMessage: r.DeclineMessage,
		Surcharge: r.Surcharge, Now: s.now(),
	}, r.InvoiceID, meta, id)
}

// ScheduleRetry schedules retrying a rejected collection on r.Date (zero:
// today) from r.PaymentMethodID (zero: the method last used). While a retry
// is pending it replaces it: staff or the client changing the method, or
// retrying now, never make two charges.
func (s *Service) ScheduleRetry(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	date := r.Date
	now := s.now()
	if date.IsZero() {
		f, err := s.firm(ctx)
		if err != nil {
			return Result{}, err
		}
		date = s.today(f, now)
	}
	facts, err := s.invoiceClientFacts(ctx, r.InvoiceID, r.PaymentMethodID)
	if err != nil {
		return Result{}, err
	}
	return s.invoice(ctx, invoice.ScheduleRetry{Date: date, PaymentMethodID: r.PaymentMethodID, Client: facts, Now: now}, r.InvoiceID, meta, uuid.Nil)
}

// invoiceClientFacts gathers the facts of an invoice's client that a
// collection or retry naming a payment method is checked against (none when
// it names none).
func (s *Service) invoiceClientFacts(ctx context.Context, invoiceID, method uuid.UUID) (domain.ClientFacts, error) {
	if method == uuid.Nil {
		return domain.ClientFacts{}, nil
	}
	st, err := s.invoiceState(ctx, invoiceID)
	if err != nil || st.ClientID == uuid.Nil {
		return domain.ClientFacts{}, err // a missing invoice is reported by its command
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(st.ClientID))
	if err != nil {
		return domain.ClientFacts{}, err
	}
	return cl.Facts(), nil
}

// RecordOfflinePayment records a payment received outside the gateway on
// r.Date (zero: today); Result.ID is the payment's id.
func (s *Service) RecordOfflinePayment(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	st, err := s.invoiceState(ctx, r.InvoiceID)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	date := r.Date
	if date.IsZero() {
		f, err := s.firm(ctx)
		if err != nil {
			return Result{}, err
		}
		date = s.today(f, now)
	}
	id := pick(r.PaymentID, meta, "payment")
	return s.invoice(ctx, invoice.RecordOfflinePayment{
		PaymentID: id, Method: r.Method, Reference: r.Reference, Amount: domain.Money{Amount: r.Amount, Currency: st.Currency}, Date: date, Now: now,
	}, r.InvoiceID, meta, id)
}

// WriteOffInvoice writes off the outstanding balance.
func (s *Service) WriteOffInvoice(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.invoice(ctx, invoice.WriteOff{Reason: r.Reason, Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// VoidInvoice voids an invoice (a reason is required; refused once a payment
// was collected), then releases the schedule items it billed so they can be
// billed again.
func (s *Service) VoidInvoice(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	out, err := Handle(ctx, s.env, invoiceDecider, invoice.StreamName(r.InvoiceID), invoice.Command(invoice.Void{Reason: r.Reason, Now: s.now()}), meta)
	if err != nil {
		return Result{}, err
	}
	res := out.Result
	for _, l := range out.State.Lines {
		if l.ItemKey == "" {
			continue
		}
		// A step per item, as when marking them (see issue).
		rel, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(l.ServiceID), service.Command(service.ReleaseBilledItem{ItemKey: l.ItemKey, InvoiceID: r.InvoiceID, Reason: r.Reason, SwitchToManual: true, Now: s.now()}), meta.withStep("release:"+l.ItemKey))
		if err != nil {
			return Result{}, fmt.Errorf("release item %s of voided invoice %s: %w", l.ItemKey, r.InvoiceID, err)
		}
		res.Position = max(res.Position, rel.Position)
	}
	return res, nil
}

// IssueCreditNote credits part or all of the balance; Result.ID is the
// credit note's id.
func (s *Service) IssueCreditNote(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	st, err := s.invoiceState(ctx, r.InvoiceID)
	if err != nil {
		return Result{}, err
	}
	id := pick(r.CreditNoteID, meta, "credit-note")
	return s.invoice(ctx, invoice.IssueCreditNote{CreditNoteID: id, Amount: domain.Money{Amount: r.Amount, Currency: st.Currency}, Reason: r.Reason, Now: s.now()}, r.InvoiceID, meta, id)
}
