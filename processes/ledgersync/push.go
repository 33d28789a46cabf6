package ledgersync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/integrations/accounting"
)

// process pushes what is due of one invoice in one ledger, in order, and
// closes or reschedules its work.
func (s *Sync) process(ctx context.Context, k genKey) {
	if _, ok := s.b.payouts[k.invoice]; ok {
		s.processPayout(ctx, k)
		return
	}
	c := s.b.conns[k.provider]
	inv := s.b.invoices[k.invoice]
	if c == nil || inv == nil || !c.Connection.Connected || !inScope(c.Connection, inv) {
		delete(s.open, k)
		return
	}
	gen := s.b.gens[k]
	invoiceLedgerID := ""
	attempts := 0
	for i := 0; i < len(inv.sources); i++ {
		src := inv.sources[i]
		if !pushedIn(c.Connection, src) {
			continue
		}
		id := ledger.PushID(k.provider, src.eventID, gen)
		var prev ledger.Push
		var rev uint64
		exists := false
		if p := s.b.pushes[id]; p != nil {
			prev, rev, exists = p.Push, p.revision, true
		}
		switch prev.Status {
		case ledger.PushSucceeded:
			if src.kind == ledger.KindInvoice {
				invoiceLedgerID = prev.LedgerID
			}
			continue
		case ledger.PushFailed:
			delete(s.open, k) // waits for staff: a re-create opens it again
			return
		case ledger.PushRetrying:
			if s.cfg.Now().Before(prev.RetryAt) {
				s.open[k] = prev.RetryAt
				return
			}
		}
		if attempts > 2*len(inv.sources) { // cannot happen; never spin
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
		if err := s.attempt(ctx, l, c.Connection, inv, src, gen, prev, rev, exists, invoiceLedgerID); err != nil {
			s.log.Warn("ledgersync: push not recorded; it is pushed again (the ledger de-duplicates)", "provider", k.provider, "invoice", inv.number, "err", err)
			s.open[k] = s.cfg.Now().Add(s.cfg.TickInterval)
			return
		}
		i-- // look again at this source, with the outcome now recorded (ours or another process's)
	}
	delete(s.open, k)
}

// attempt pushes one source and records the outcome in its push stream; if
// another process recorded one first, the book takes that one. err means no
// outcome could be recorded.
func (s *Sync) attempt(ctx context.Context, l accounting.Ledger, c ledger.Connection, inv *invoiceRec, src source, gen int,
	prev ledger.Push, rev uint64, exists bool, invoiceLedgerID string) error {
	pushID := ledger.PushID(c.Provider, src.eventID, gen)
	docID := ledger.DocumentID(src.remitID, gen)
	attempt := prev.Attempts + 1
	ack, pushErr := s.call(ctx, l, c, inv, src, docID, gen, invoiceLedgerID)
	now := s.cfg.Now()
	var e any
	if pushErr == nil {
		e = ledger.LedgerPushSucceeded{PushID: pushID, Provider: c.Provider, Kind: src.kind, InvoiceID: inv.id, SourceEventID: src.eventID,
			Generation: gen, DocumentID: docID, LedgerID: ack.LedgerID, InvoiceLedgerID: invoiceLedgerID, ContactID: ack.ContactID,
			Amount: src.amount, Existing: ack.Existing, Attempt: attempt, At: now}
		if src.kind == ledger.KindInvoice {
			e = withoutInvoiceLedgerID(e.(ledger.LedgerPushSucceeded))
		}
		if ack.LedgerID == "" {
			pushErr = &accounting.Error{Message: "the ledger answered without an id"}
		}
	}
	if pushErr != nil {
		s.failures.Add(1)
		f := ledger.LedgerPushFailed{PushID: pushID, Provider: c.Provider, Kind: src.kind, InvoiceID: inv.id, SourceEventID: src.eventID,
			Generation: gen, DocumentID: docID, Amount: src.amount, Reason: reason(pushErr), Attempt: attempt, At: now}
		if temp, after := accounting.IsTemporary(pushErr); temp {
			if attempt >= s.cfg.MaxAttempts {
				f.Reason = fmt.Sprintf("gave up after %d attempts: %s", attempt, f.Reason)
			} else {
				f.Temporary, f.RetryAt = true, now.Add(s.backoff(attempt, after))
			}
		}
		e = f
		s.log.Warn("ledgersync: push failed", "provider", c.Provider, "invoice", inv.number, "kind", src.kind, "attempt", attempt, "temporary", f.Temporary, "err", pushErr)
	}
	var cmd ledger.Command
	switch e := e.(type) {
	case ledger.LedgerPushSucceeded:
		cmd = ledger.RecordPushSucceeded{Event: e}
	case ledger.LedgerPushFailed:
		cmd = ledger.RecordPushFailed{Event: e}
	}
	return s.recordOutcome(ctx, pushID, prev, rev, exists, attempt, cmd, src.eventID)
}

// recordOutcome records a push's outcome (cmd) in its push stream, decided
// against what the stream holds (prev, at revision rev when it exists),
// caused by the event cause, then reads the stream back: ours or another
// process's outcome alike.
func (s *Sync) recordOutcome(ctx context.Context, pushID uuid.UUID, prev ledger.Push, rev uint64, exists bool, attempt int,
	cmd ledger.Command, cause uuid.UUID) error {
	events, err := ledger.Decide(ledger.State{Push: prev}, cmd)
	if err != nil || len(events) != 1 {
		return fmt.Errorf("ledgersync: push %s: outcome refused: %v", pushID, err)
	}
	expected := eventstore.NoStream
	if exists {
		expected = eventstore.Exact(rev)
	}
	stream := ledger.StreamName(pushID)
	_, err = billing.Record(ctx, billing.Env{Store: s.cfg.Store, Catalog: s.b.cat}, stream, expected, eventID(pushID, attempt), events[0],
		billing.Meta{Actor: "system:ledgersync", CommandID: pushID.String(), CorrelationID: cause.String(), CausationID: cause.String()})
	if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return fmt.Errorf("append %s: %w", stream, err)
	}
	return s.adopt(ctx, stream)
}

func withoutInvoiceLedgerID(e ledger.LedgerPushSucceeded) ledger.LedgerPushSucceeded {
	e.InvoiceLedgerID = ""
	return e
}

// adopt folds a push stream's events the book has not seen yet.
func (s *Sync) adopt(ctx context.Context, stream string) error {
	recs, err := s.cfg.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return fmt.Errorf("ledgersync: read %s: %w", stream, err)
	}
	for _, r := range recs {
		e, err := s.b.cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return err
		}
		var id uuid.UUID
		switch e := e.(type) {
		case ledger.LedgerPushSucceeded:
			id = e.PushID
		case ledger.LedgerPushFailed:
			id = e.PushID
		default:
			continue
		}
		s.b.push(id, r.Revision, e)
	}
	return nil
}

func reason(err error) string {
	var pe *accounting.Error
	if errors.As(err, &pe) && pe.Message != "" {
		if pe.Status != 0 {
			return fmt.Sprintf("%d: %s", pe.Status, pe.Message)
		}
		return pe.Message
	}
	return err.Error()
}

// mappingError is a document the mapping cannot describe: permanent.
func mappingError(format string, args ...any) error {
	return &accounting.Error{Message: fmt.Sprintf(format, args...)}
}

// call builds the document a source pushes and sends it.
func (s *Sync) call(ctx context.Context, l accounting.Ledger, c ledger.Connection, inv *invoiceRec, src source, docID uuid.UUID, gen int, invoiceLedgerID string) (accounting.Ack, error) {
	facts, err := s.facts(ctx, inv, src)
	if err != nil {
		return accounting.Ack{}, &accounting.Error{Temporary: true, Message: "reading Remit's store: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	iss := facts.issued
	switch src.kind {
	case ledger.KindInvoice:
		doc, err := invoiceDoc(c, facts, docID, s.lastContact(c.Provider, inv.clientID))
		if err != nil {
			return accounting.Ack{}, err
		}
		return l.PushInvoice(ctx, doc)
	case ledger.KindPayment:
		p := accounting.Payment{ID: docID, InvoiceID: ledger.DocumentID(inv.id, gen), InvoiceLedgerID: invoiceLedgerID, InvoiceNumber: iss.Number,
			Amount: src.amount, AccountCode: c.Mapping.ClearingAccount}
		switch e := facts.event.(type) {
		case invoice.InvoicePaymentSucceeded:
			p.Date, p.Reference = e.PaymentDate(facts.loc), e.GatewayReference
		case invoice.InvoicePaymentRecorded:
			p.Date, p.Reference = e.Date, e.Reference
			if p.Reference == "" {
				p.Reference = string(e.Method)
			}
		}
		return l.PushPayment(ctx, p)
	case ledger.KindCreditNote:
		cn := accounting.CreditNote{ID: docID, InvoiceID: ledger.DocumentID(inv.id, gen), InvoiceLedgerID: invoiceLedgerID, InvoiceNumber: iss.Number,
			Contact: contact(c, facts, s.lastContact(c.Provider, inv.clientID)), Currency: iss.Currency, TaxInclusive: iss.TaxMode == domain.TaxInclusive}
		if src.refund {
			// The invoice was paid and the refund paid the client back:
			// the credit note stays unallocated, a credit the refund used
			// (Xero and QuickBooks refuse to credit a paid invoice).
			cn.InvoiceLedgerID = ""
		}
		var account string
		var at time.Time
		switch e := facts.event.(type) {
		case invoice.InvoiceCreditNoteIssued:
			cn.Reason, at = e.Reason, e.At
		case invoice.InvoiceWrittenOff:
			if c.Mapping.WriteOffAccount == "" {
				return accounting.Ack{}, mappingError("no write-off account is mapped: connect again with --write-off-account, then re-create")
			}
			cn.Reason, at, account = "Write-off: "+e.Reason, e.At, c.Mapping.WriteOffAccount
		}
		if cn.Reason == "" {
			cn.Reason = "Credit note"
		}
		cn.Date = domain.DateOf(at, facts.loc)
		lines, err := creditLines(c.Mapping, iss, src.amount, account)
		if err != nil {
			return accounting.Ack{}, err
		}
		cn.Lines = lines
		cn.Net, cn.Tax, cn.Total = sumLines(iss.Currency, lines)
		return l.PushCreditNote(ctx, cn)
	case ledger.KindSurcharge:
		return s.pushSurcharge(ctx, l, c, facts, inv, src, docID)
	case ledger.KindRefund:
		return s.callRefund(ctx, l, c, inv, src, facts, docID, gen)
	case ledger.KindDispute, ledger.KindDisputeWon, ledger.KindDisputeFee:
		return s.callDispute(ctx, l, c, inv, src, facts, docID)
	case ledger.KindVoid:
		v := accounting.Void{InvoiceID: ledger.DocumentID(inv.id, gen), InvoiceLedgerID: invoiceLedgerID, InvoiceNumber: iss.Number}
		if e, ok := facts.event.(invoice.InvoiceVoided); ok {
			v.Reason = e.Reason
		}
		return l.PushVoid(ctx, v)
	}
	return accounting.Ack{}, fmt.Errorf("unknown push kind %q", src.kind)
}

// lastContact is the ledger contact a previous push used for the client.
func (s *Sync) lastContact(provider string, clientID uuid.UUID) string {
	return s.b.contacts[genKey{provider, clientID}]
}

// facts are what a document is built from, read from the store.
type facts struct {
	issued invoice.InvoiceIssued
	event  domain.Event // the source event
	client client.State
	loc    *time.Location
}

func (s *Sync) facts(ctx context.Context, inv *invoiceRec, src source) (facts, error) {
	var f facts
	recs, err := s.cfg.Store.ReadStream(ctx, invoice.StreamName(inv.id), 0, eventstore.Forward, 0)
	if err != nil {
		return f, err
	}
	for _, r := range recs {
		if r.Type != "InvoiceIssued" && r.ID != src.eventID {
			continue
		}
		e, err := s.b.cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return f, err
		}
		if iss, ok := e.(invoice.InvoiceIssued); ok {
			f.issued = iss
		}
		if r.ID == src.eventID {
			f.event = e
		}
	}
	if f.event == nil || f.issued.InvoiceID == uuid.Nil {
		return f, fmt.Errorf("invoice %s: event %s not found", inv.id, src.eventID)
	}
	fold := func(stream string) ([]domain.Event, error) {
		recs, err := s.cfg.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
		if err != nil {
			return nil, err
		}
		out := make([]domain.Event, 0, len(recs))
		for _, r := range recs {
			e, err := s.b.cat.Decode(r.Type, r.SchemaVersion, r.Data)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	cevs, err := fold(client.StreamName(f.issued.ClientID))
	if err != nil {
		return f, err
	}
	f.client = client.Fold(cevs)
	fevs, err := fold(firm.StreamName())
	if err != nil {
		return f, err
	}
	f.loc = time.UTC
	if fs := firm.Fold(fevs); fs.TimeZone != "" {
		if loc, err := time.LoadLocation(fs.TimeZone); err == nil {
			f.loc = loc
		}
	}
	return f, nil
}

func contact(c ledger.Connection, f facts, last string) accounting.Contact {
	ct := accounting.Contact{ClientID: f.issued.ClientID, Name: f.client.Name, TaxNumber: f.client.TaxNumber, LedgerID: c.Contacts[f.issued.ClientID]}
	if ct.LedgerID == "" {
		ct.LedgerID = last
	}
	if p, ok := f.client.PrimaryContact(); ok {
		ct.Email = p.Email
	}
	if ct.Name == "" {
		ct.Name = "Client " + f.issued.ClientID.String()
	}
	return ct
}

var hundred = decimal.NewFromInt(100)

// invoiceDoc builds the ledger invoice from the issued invoice, the client
// and the mapping.
func invoiceDoc(c ledger.Connection, f facts, docID uuid.UUID, lastContact string) (accounting.Invoice, error) {
	iss := f.issued
	doc := accounting.Invoice{ID: docID, Number: iss.Number, Contact: contact(c, f, lastContact), Currency: iss.Currency, IssueDate: iss.IssueDate, DueDate: iss.DueDate,
		TaxInclusive: iss.TaxMode == domain.TaxInclusive, Net: iss.Totals.Net, Tax: iss.Totals.Tax, Total: iss.Totals.Gross}
	var missing []string
	for _, ln := range iss.Lines {
		taxType, ok := c.Mapping.TaxTypeFor(ln.TaxRate)
		if !ok {
			missing = append(missing, ledger.RateKey(ln.TaxRate)+"%")
		}
		l := accounting.Line{Description: ln.Description, Quantity: ln.Quantity, UnitPrice: ln.UnitPrice,
			Net: ln.Amounts.Net, Tax: ln.Amounts.Tax, Gross: ln.Amounts.Gross, TaxRate: ln.TaxRate.Div(hundred),
			AccountCode: c.Mapping.AccountFor(ln.ServiceID, ln.TaxRate), TaxType: taxType}
		switch ln.Discount.Kind {
		case domain.DiscountPercent:
			l.DiscountPercent = ln.Discount.Value
		case domain.DiscountAmount:
			if base := ln.Quantity.Mul(ln.UnitPrice.Amount); !base.IsZero() {
				l.DiscountPercent = ln.Discount.Value.Div(base).Mul(hundred).Round(4)
			}
		}
		doc.Lines = append(doc.Lines, l)
	}
	if len(missing) > 0 {
		return doc, mappingError("no tax type is mapped for %s: connect again with --tax-type RATE=CODE, then re-create", strings.Join(missing, ", "))
	}
	return doc, nil
}

// creditLines splits a credit over the invoice's lines grouped by account
// and tax rate, in proportion to their gross amounts, each part's tax worked
// out at its rate and rounded to minor units. account overrides the lines'
// accounts (a write-off's bad-debt account).
func creditLines(m ledger.Mapping, iss invoice.InvoiceIssued, amount domain.Money, account string) ([]accounting.Line, error) {
	type group struct {
		account string
		rate    decimal.Decimal
		gross   decimal.Decimal
	}
	var groups []*group
	total := decimal.Zero
	for _, ln := range iss.Lines {
		acc := m.AccountFor(ln.ServiceID, ln.TaxRate)
		if account != "" {
			acc = account
		}
		var g *group
		for _, x := range groups {
			if x.account == acc && x.rate.Equal(ln.TaxRate) {
				g = x
			}
		}
		if g == nil {
			g = &group{account: acc, rate: ln.TaxRate}
			groups = append(groups, g)
		}
		g.gross = g.gross.Add(ln.Amounts.Gross.Amount)
		total = total.Add(ln.Amounts.Gross.Amount)
	}
	if len(groups) == 0 || total.IsZero() {
		acc := m.RevenueAccount
		if account != "" {
			acc = account
		}
		groups, total = []*group{{account: acc, rate: decimal.Zero, gross: decimal.NewFromInt(1)}}, decimal.NewFromInt(1)
	}
	cur := iss.Currency
	var out []accounting.Line
	left := amount.Amount
	for i, g := range groups {
		part := amount.Amount.Mul(g.gross).Div(total).Round(cur.MinorUnits)
		if i == len(groups)-1 {
			part = left
		}
		left = left.Sub(part)
		tax := part.Mul(g.rate).Div(hundred.Add(g.rate)).Round(cur.MinorUnits)
		net := part.Sub(tax)
		taxType, ok := m.TaxTypeFor(g.rate)
		if !ok {
			return nil, mappingError("no tax type is mapped for %s%%: connect again with --tax-type RATE=CODE, then re-create", ledger.RateKey(g.rate))
		}
		unit := net
		if iss.TaxMode == domain.TaxInclusive {
			unit = part
		}
		out = append(out, accounting.Line{Description: "Credit against " + iss.Number, Quantity: decimal.NewFromInt(1),
			UnitPrice: domain.Money{Amount: unit, Currency: cur}, Net: domain.Money{Amount: net, Currency: cur},
			Tax: domain.Money{Amount: tax, Currency: cur}, Gross: domain.Money{Amount: part, Currency: cur},
			TaxRate: g.rate.Div(hundred), AccountCode: g.account, TaxType: taxType})
	}
	return out, nil
}

func sumLines(c domain.Currency, lines []accounting.Line) (net, tax, gross domain.Money) {
	net, tax, gross = domain.Zero(c), domain.Zero(c), domain.Zero(c)
	for _, l := range lines {
		net.Amount, tax.Amount, gross.Amount = net.Amount.Add(l.Net.Amount), tax.Amount.Add(l.Tax.Amount), gross.Amount.Add(l.Gross.Amount)
	}
	return
}
