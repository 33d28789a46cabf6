package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
)

// Activity is the "activity" projection: every event of a client, proposal,
// service or invoice told in one line of plain English, with who did it and
// when, indexed by the subjects it concerns. The text is written when the
// event is applied, with the names known then (an invoice's number, a
// service's name, a payment method's brand and last four digits).
type Activity struct {
	guard
	s activityState
}

type activityState struct {
	Lines []ActivityLine
	index map[subjectKey][]int32 // subject -> positions in Lines

	// What lines name things by.
	Invoices  map[uuid.UUID]named `json:"invoices"`
	Services  map[uuid.UUID]named `json:"services"`
	Methods   map[uuid.UUID]named `json:"methods"`
	Proposals map[uuid.UUID]named `json:"proposals"`
	Contacts  map[uuid.UUID]string
}

type named struct {
	Name   string    `json:"name"`
	Client uuid.UUID `json:"client"`
}

type subjectKey struct {
	subject Subject
	id      uuid.UUID
}

func newActivity() *Activity { return &Activity{s: emptyActivityState()} }

func emptyActivityState() activityState {
	return activityState{
		index:     map[subjectKey][]int32{},
		Invoices:  map[uuid.UUID]named{},
		Services:  map[uuid.UUID]named{},
		Methods:   map[uuid.UUID]named{},
		Proposals: map[uuid.UUID]named{},
		Contacts:  map[uuid.UUID]string{},
	}
}

// Name implements Projection.
func (a *Activity) Name() string { return "activity" }

// Apply implements Projection.
func (a *Activity) Apply(e Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checkpoint = max(a.checkpoint, e.Position)
	text, subjects := a.s.describe(e.Data)
	if text == "" {
		return
	}
	if e.Metadata.Actor != "" {
		text += " (by " + e.Metadata.Actor + ")"
	}
	a.s.add(ActivityLine{
		Position:  e.Position,
		Stream:    e.Stream,
		Revision:  e.Revision,
		EventType: e.Type,
		Actor:     e.Metadata.Actor,
		At:        e.Metadata.RecordedAt,
		Text:      text,
	}, subjects)
}

func (s *activityState) add(line ActivityLine, subjects []subjectKey) {
	i := int32(len(s.Lines))
	s.Lines = append(s.Lines, line)
	for j, k := range subjects {
		if k.id == uuid.Nil || slices.Contains(subjects[:j], k) {
			continue
		}
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

type activitySnapshot struct {
	Lines   []ActivityLine                 `json:"lines"`
	Index   map[string][]int32             `json:"index"` // "<subject>:<uuid>"
	Names   map[string]map[uuid.UUID]named `json:"names"`
	Contact map[uuid.UUID]string           `json:"contacts"`
}

// MarshalSnapshot implements Projection.
func (a *Activity) MarshalSnapshot() ([]byte, uint64, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	snap := activitySnapshot{
		Lines: a.s.Lines,
		Index: make(map[string][]int32, len(a.s.index)),
		Names: map[string]map[uuid.UUID]named{
			"invoices": a.s.Invoices, "services": a.s.Services, "methods": a.s.Methods, "proposals": a.s.Proposals,
		},
		Contact: a.s.Contacts,
	}
	for k, v := range a.s.index {
		snap.Index[string(k.subject)+":"+k.id.String()] = v
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
	s.Lines = snap.Lines
	for k, v := range snap.Index {
		subject, idText, _ := strings.Cut(k, ":")
		id, err := uuid.Parse(idText)
		if err != nil {
			return fmt.Errorf("activity snapshot: index key %q: %w", k, err)
		}
		for _, i := range v {
			if i < 0 || int(i) >= len(s.Lines) {
				return fmt.Errorf("activity snapshot: index %q points past the lines", k)
			}
		}
		s.index[subjectKey{Subject(subject), id}] = v
	}
	for name, dst := range map[string]map[uuid.UUID]named{
		"invoices": s.Invoices, "services": s.Services, "methods": s.Methods, "proposals": s.Proposals,
	} {
		for id, n := range snap.Names[name] {
			dst[id] = n
		}
	}
	for id, n := range snap.Contact {
		s.Contacts[id] = n
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
		out[i] = a.s.Lines[j]
	}
	return out, nil
}

// describe returns an event's line and the subjects it concerns, updating
// the names lines use. An event that concerns no subject yields "".
func (s *activityState) describe(e any) (string, []subjectKey) {
	cl := func(id uuid.UUID) subjectKey { return subjectKey{SubjectClient, id} }
	pm := func(id uuid.UUID) subjectKey { return subjectKey{SubjectPaymentMethod, id} }
	switch e := e.(type) {
	// Client.
	case client.ClientCreated:
		for _, c := range e.Contacts {
			s.Contacts[c.ID] = c.Name
		}
		return fmt.Sprintf("Client %q created", e.Name), []subjectKey{cl(e.ClientID)}
	case client.ClientDetailsChanged:
		return fmt.Sprintf("Client details changed: %q, %s", e.Name, e.Currency), []subjectKey{cl(e.ClientID)}
	case client.ClientContactAdded:
		s.Contacts[e.Contact.ID] = e.Contact.Name
		return "Contact " + contactText(e.Contact) + " added", []subjectKey{cl(e.ClientID)}
	case client.ClientContactChanged:
		s.Contacts[e.Contact.ID] = e.Contact.Name
		return "Contact " + contactText(e.Contact) + " changed", []subjectKey{cl(e.ClientID)}
	case client.ClientContactRemoved:
		return "Contact " + orUnknown(s.Contacts[e.ContactID]) + " removed", []subjectKey{cl(e.ClientID)}
	case client.ClientPrimaryContactChanged:
		return "Primary billing contact set to " + orUnknown(s.Contacts[e.ContactID]), []subjectKey{cl(e.ClientID)}
	case client.ClientArchived:
		return "Client archived" + reason(e.Reason), []subjectKey{cl(e.ClientID)}
	case client.ClientRestored:
		return "Client restored", []subjectKey{cl(e.ClientID)}
	case client.PaymentMethodAdded:
		s.Methods[e.PaymentMethodID] = named{MethodLabel(e.Method), e.ClientID}
		return "Payment method " + MethodLabel(e.Method) + " added", []subjectKey{cl(e.ClientID), pm(e.PaymentMethodID)}
	case client.PaymentMethodSetAsDefault:
		return "Payment method " + s.method(e.PaymentMethodID) + " set as default", []subjectKey{cl(e.ClientID), pm(e.PaymentMethodID)}
	case client.PaymentMethodReplaced:
		old := s.method(e.ReplacedPaymentMethodID)
		s.Methods[e.PaymentMethodID] = named{MethodLabel(e.Method), e.ClientID}
		return "Payment method " + old + " replaced by " + MethodLabel(e.Method),
			[]subjectKey{cl(e.ClientID), pm(e.ReplacedPaymentMethodID), pm(e.PaymentMethodID)}
	case client.PaymentMethodRemoved:
		return "Payment method " + s.method(e.PaymentMethodID) + " removed", []subjectKey{cl(e.ClientID), pm(e.PaymentMethodID)}
	case client.PaymentMethodExpired:
		return "Payment method " + s.method(e.PaymentMethodID) + " expired", []subjectKey{cl(e.ClientID), pm(e.PaymentMethodID)}
	case client.PaymentMethodFailed:
		return "Payment method " + s.method(e.PaymentMethodID) + " failed" + reason(e.Reason), []subjectKey{cl(e.ClientID), pm(e.PaymentMethodID)}

	// Proposal.
	case proposal.ProposalDrafted:
		s.Proposals[e.ProposalID] = named{e.Title, e.ClientID}
		return fmt.Sprintf("Proposal %q drafted with %d %s", e.Title, len(e.Lines), plural(len(e.Lines), "service", "services")), s.proposalSubjects(e.ProposalID)
	case proposal.ProposalDraftEdited:
		n := s.Proposals[e.ProposalID]
		n.Name = e.Title
		s.Proposals[e.ProposalID] = n
		return fmt.Sprintf("Proposal %q edited", e.Title), s.proposalSubjects(e.ProposalID)
	case proposal.ProposalSent:
		return "Proposal " + s.proposal(e.ProposalID) + " sent to " + e.RecipientEmail, s.proposalSubjects(e.ProposalID)
	case proposal.ProposalAccepted:
		if _, ok := s.Proposals[e.ProposalID]; !ok {
			s.Proposals[e.ProposalID] = named{"", e.ClientID}
		}
		return fmt.Sprintf("Proposal %s accepted by %s <%s> on %s", s.proposal(e.ProposalID), e.AcceptedByName, e.AcceptedByEmail, e.AcceptedOn), s.proposalSubjects(e.ProposalID)
	case proposal.ProposalDeclined:
		return "Proposal " + s.proposal(e.ProposalID) + " declined" + reason(e.Reason), s.proposalSubjects(e.ProposalID)
	case proposal.ProposalWithdrawn:
		return "Proposal " + s.proposal(e.ProposalID) + " withdrawn" + reason(e.Reason), s.proposalSubjects(e.ProposalID)
	case proposal.ProposalExpired:
		return "Proposal " + s.proposal(e.ProposalID) + " expired on " + e.ExpiresOn.String(), s.proposalSubjects(e.ProposalID)

	// Service.
	case service.ServiceActivated:
		s.Services[e.ServiceID] = named{e.Name, e.ClientID}
		from := "from an instant bill"
		if !e.Source.InstantBill {
			from = "from proposal " + s.proposal(e.Source.ProposalID)
		}
		return fmt.Sprintf("Service %q activated %s: %s × %s, %s, %s", e.Name, from,
			money(e.UnitPrice, e.Currency), e.Quantity, ruleText(e.BillingRule), e.Mode), s.serviceSubjects(e.ServiceID)
	case service.ServiceEdited:
		return fmt.Sprintf("Service %s edited from %s: %s", s.service(e.ServiceID), e.EffectiveFrom, changesText(e.Changes, e.BillingRule, s.method, e.NotifyClientOfPriceChange)), s.serviceSubjects(e.ServiceID)
	case service.ServiceSwitchedToManual:
		return "Service " + s.service(e.ServiceID) + " switched to manual billing (paused)", s.serviceSubjects(e.ServiceID)
	case service.ServiceSwitchedToAutomatic:
		return "Service " + s.service(e.ServiceID) + " switched to automatic billing", s.serviceSubjects(e.ServiceID)
	case service.ServiceEnded:
		return "Service " + s.service(e.ServiceID) + " ended on " + e.EndDate.String() + reason(e.Reason), s.serviceSubjects(e.ServiceID)
	case service.ScheduleItemEdited:
		c := changesText(e.Changes, nil, s.method, false)
		if e.Date != nil {
			c = "date " + e.Date.String() + ", " + c
		}
		return s.item(e.ServiceID, e.ItemKey) + " edited: " + strings.TrimSuffix(c, ", no change"), s.serviceSubjects(e.ServiceID)
	case service.ScheduleItemSwitchedToManual:
		return s.item(e.ServiceID, e.ItemKey) + " switched to manual", s.serviceSubjects(e.ServiceID)
	case service.ScheduleItemSwitchedToAutomatic:
		return s.item(e.ServiceID, e.ItemKey) + " switched to automatic", s.serviceSubjects(e.ServiceID)
	case service.ScheduleItemSkipped:
		return s.item(e.ServiceID, e.ItemKey) + " skipped", s.serviceSubjects(e.ServiceID)
	case service.ScheduleItemIssueScheduled:
		return s.item(e.ServiceID, e.ItemKey) + " scheduled to be issued on " + e.IssueOn.String(), s.serviceSubjects(e.ServiceID)
	case service.ScheduleItemBilled:
		subjects := append(s.serviceSubjects(e.ServiceID), subjectKey{SubjectInvoice, e.InvoiceID})
		return s.item(e.ServiceID, e.ItemKey) + " billed on invoice " + s.invoice(e.InvoiceID), subjects

	// Invoice.
	case invoice.InvoiceIssued:
		s.Invoices[e.InvoiceID] = named{e.Number, e.ClientID}
		return fmt.Sprintf("Invoice %s issued for %s, due %s", e.Number, e.Totals.Gross, e.DueDate),
			append(s.invoiceSubjects(e.InvoiceID), pm(e.PaymentMethodID))
	case invoice.InvoiceSent:
		verb := " sent to "
		if e.Resent {
			verb = " re-sent to "
		}
		return "Invoice " + s.invoice(e.InvoiceID) + verb + e.Recipient, s.invoiceSubjects(e.InvoiceID)
	case invoice.InvoiceCollectionScheduled:
		return "Invoice " + s.invoice(e.InvoiceID) + ": payment collection scheduled for " + e.Date.String() + " from " + s.method(e.PaymentMethodID),
			append(s.invoiceSubjects(e.InvoiceID), pm(e.PaymentMethodID))
	case invoice.InvoicePaymentSucceeded:
		return "Invoice " + s.invoice(e.InvoiceID) + ": payment of " + e.Amount.String() + " collected from " + s.method(e.PaymentMethodID) + " (reference " + e.GatewayReference + ")",
			append(s.invoiceSubjects(e.InvoiceID), pm(e.PaymentMethodID))
	case invoice.InvoicePaymentRejected:
		return "Invoice " + s.invoice(e.InvoiceID) + ": payment from " + s.method(e.PaymentMethodID) + " rejected: " + declineText(e.DeclineCode, e.DeclineMessage),
			append(s.invoiceSubjects(e.InvoiceID), pm(e.PaymentMethodID))
	case invoice.InvoiceRetryScheduled:
		return "Invoice " + s.invoice(e.InvoiceID) + ": payment retry scheduled for " + e.Date.String() + " from " + s.method(e.PaymentMethodID),
			append(s.invoiceSubjects(e.InvoiceID), pm(e.PaymentMethodID))
	case invoice.InvoicePaymentRecorded:
		ref := ""
		if e.Reference != "" {
			ref = ", reference " + e.Reference
		}
		return "Invoice " + s.invoice(e.InvoiceID) + ": payment of " + e.Amount.String() + " received by " + strings.ReplaceAll(string(e.Method), "_", " ") + " on " + e.Date.String() + ref,
			s.invoiceSubjects(e.InvoiceID)
	case invoice.InvoiceWrittenOff:
		return "Invoice " + s.invoice(e.InvoiceID) + ": " + e.Amount.String() + " written off" + reason(e.Reason), s.invoiceSubjects(e.InvoiceID)
	case invoice.InvoiceVoided:
		return "Invoice " + s.invoice(e.InvoiceID) + " voided" + reason(e.Reason), s.invoiceSubjects(e.InvoiceID)
	case invoice.InvoiceCreditNoteIssued:
		return "Invoice " + s.invoice(e.InvoiceID) + ": credit note for " + e.Amount.String() + " issued" + reason(e.Reason), s.invoiceSubjects(e.InvoiceID)
	}
	return "", nil
}

func (s *activityState) proposalSubjects(id uuid.UUID) []subjectKey {
	return []subjectKey{{SubjectProposal, id}, {SubjectClient, s.Proposals[id].Client}}
}

func (s *activityState) serviceSubjects(id uuid.UUID) []subjectKey {
	return []subjectKey{{SubjectService, id}, {SubjectClient, s.Services[id].Client}}
}

func (s *activityState) invoiceSubjects(id uuid.UUID) []subjectKey {
	return []subjectKey{{SubjectInvoice, id}, {SubjectClient, s.Invoices[id].Client}}
}

func (s *activityState) method(id uuid.UUID) string {
	if id == uuid.Nil {
		return "no payment method"
	}
	if n, ok := s.Methods[id]; ok {
		return n.Name
	}
	return "payment method " + id.String()
}

func (s *activityState) proposal(id uuid.UUID) string {
	if n, ok := s.Proposals[id]; ok && n.Name != "" {
		return strconv.Quote(n.Name)
	}
	return id.String()
}

func (s *activityState) service(id uuid.UUID) string {
	if n, ok := s.Services[id]; ok {
		return strconv.Quote(n.Name)
	}
	return id.String()
}

func (s *activityState) invoice(id uuid.UUID) string {
	if n, ok := s.Invoices[id]; ok {
		return n.Name
	}
	return id.String()
}

// item names a schedule item: `Billing #3 of "Bookkeeping"`.
func (s *activityState) item(serviceID uuid.UUID, key string) string {
	if _, seq, ok := service.ParseItemKey(key); ok {
		return "Billing #" + strconv.Itoa(seq) + " of " + s.service(serviceID)
	}
	return "Billing " + key + " of " + s.service(serviceID)
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
		text += " until " + r.EndDate.String()
	}
	return text
}

func everyN(n int, one, unit string) string {
	if n == 1 && one != "" {
		return one
	}
	return "every " + strconv.Itoa(n) + " " + unit
}

// changesText tells what an edit changes.
func changesText(c service.Changes, rule *domain.BillingRule, method func(uuid.UUID) string, notify bool) string {
	var parts []string
	if c.Description != nil {
		parts = append(parts, fmt.Sprintf("description %q", *c.Description))
	}
	if c.UnitPrice != nil {
		parts = append(parts, "price "+c.UnitPrice.String())
	}
	if c.Quantity != nil {
		parts = append(parts, "quantity "+c.Quantity.String())
	}
	if c.Discount != nil {
		parts = append(parts, "discount "+discountText(*c.Discount))
	}
	if c.PaymentMethodID != nil {
		if *c.PaymentMethodID == uuid.Nil {
			parts = append(parts, "payment method removed (client default)")
		} else {
			parts = append(parts, "payment method "+method(*c.PaymentMethodID))
		}
	}
	if rule != nil {
		parts = append(parts, "billing "+ruleText(*rule))
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
