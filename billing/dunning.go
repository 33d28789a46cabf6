package billing

import (
	"context"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
)

// The daily dunning job (processes/dunning) takes the steps of the firm's
// dunning policy for a date it is given (--as-of), under command ids
// derived from what it does, so that a re-run, or the job on two nodes,
// records each step once.

// DunningReminderCommandID is the command id of a reminder step of an
// invoice.
func DunningReminderCommandID(invoiceID uuid.UUID, step string) string {
	return "dunning/reminder/" + invoiceID.String() + "/" + step
}

// DunningExhaustedCommandID is the command id of an invoice's retries
// running out after the rejected attempt lastAttempt.
func DunningExhaustedCommandID(invoiceID, lastAttempt uuid.UUID) string {
	return "dunning/exhausted/" + invoiceID.String() + "/" + lastAttempt.String()
}

// DunningDigestCommandID is the command id of the staff's daily digest of
// a firm date: one digest per date, however often the job runs.
func DunningDigestCommandID(d domain.Date) string { return "dunning/digest/" + d.String() }

// DunningDigest is the staff's daily digest of a date: how many payments
// failed and invoices are overdue, and their totals per currency.
type DunningDigest struct {
	Date            domain.Date
	Failed, Overdue int
	Totals          []firm.DigestTotal
}

// SendDunningDigest records the staff's daily digest, under
// DunningDigestCommandID unless meta names a command id; the emailer emails
// it. A date sent already appends nothing.
func (s *Service) SendDunningDigest(ctx context.Context, d DunningDigest, meta Meta) (Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = DunningDigestCommandID(d.Date)
	}
	meta = s.begin(meta)
	c := firm.SendDunningDigest{Date: d.Date, Failed: d.Failed, Overdue: d.Overdue, Totals: d.Totals, Now: s.now()}
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(c), meta, uuid.Nil)
}

// ChangeDunningPolicy sets the firm's dunning policy, whole.
func (s *Service) ChangeDunningPolicy(ctx context.Context, p firm.DunningPolicy, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return run(ctx, s, s.firmDecider, firm.StreamName(), firm.Command(firm.ChangeDunningPolicy{Policy: p, Now: s.now()}), meta, uuid.Nil)
}

// DunningReminder is a reminder step the dunning job sends.
// Skipped are the earlier steps not sent (invoice.SendReminder).
type DunningReminder struct {
	InvoiceID uuid.UUID
	Step      string
	To        string
	Date      domain.Date
	Skipped   []invoice.SkippedReminder
}

// SendDunningReminder records a reminder step of an invoice, under
// DunningReminderCommandID unless meta names a command id. A step sent
// already appends nothing.
func (s *Service) SendDunningReminder(ctx context.Context, r DunningReminder, meta Meta) (Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = DunningReminderCommandID(r.InvoiceID, r.Step)
	}
	meta = s.begin(meta)
	return s.invoice(ctx, invoice.SendReminder{Step: r.Step, Channel: invoice.ChannelEmail, To: r.To, Date: r.Date, Skipped: r.Skipped, Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// DunningExhaustion is an invoice whose retries ran out after the rejected
// attempt LastAttempt, with the policy's final action.
type DunningExhaustion struct {
	InvoiceID    uuid.UUID
	LastAttempt  uuid.UUID
	Date         domain.Date
	FinalAction  firm.FinalAction
	WriteOffOn   domain.Date
	NotifyClient string
}

// ExhaustDunning records that an invoice's retries ran out, under
// DunningExhaustedCommandID unless meta names a command id.
func (s *Service) ExhaustDunning(ctx context.Context, r DunningExhaustion, meta Meta) (Result, error) {
	if meta.CommandID == "" {
		meta.CommandID = DunningExhaustedCommandID(r.InvoiceID, r.LastAttempt)
	}
	meta = s.begin(meta)
	return s.invoice(ctx, invoice.ExhaustDunning{
		Date: r.Date, FinalAction: string(r.FinalAction), WriteOffOn: r.WriteOffOn, NotifyClient: r.NotifyClient, Now: s.now(),
	}, r.InvoiceID, meta, uuid.Nil)
}

// PauseReminders pauses the dunning of an invoice (r.Reason optional).
func (s *Service) PauseReminders(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.invoice(ctx, invoice.PauseReminders{Reason: r.Reason, Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// ResumeReminders resumes the dunning of an invoice.
func (s *Service) ResumeReminders(ctx context.Context, r InvoiceRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.invoice(ctx, invoice.ResumeReminders{Now: s.now()}, r.InvoiceID, meta, uuid.Nil)
}

// Firm returns the firm's settings as its stream has them now.
func (s *Service) Firm(ctx context.Context) (firm.State, error) { return s.firm(ctx) }

// Location returns the firm's time zone (UTC when it has none that loads).
func (s *Service) Location(f firm.State) *time.Location { return s.location(f) }

// InvoiceNow returns an invoice and its client as their streams have them
// now (not the read models, which may lag): what a charge made on the spot
// needs. Not found is ENOTFOUND.
func (s *Service) InvoiceNow(ctx context.Context, invoiceID uuid.UUID) (invoice.State, client.State, error) {
	st, _, ok, err := fold(ctx, s.env, invoiceDecider, invoice.StreamName(invoiceID))
	if err != nil {
		return invoice.State{}, client.State{}, err
	}
	if !ok {
		return invoice.State{}, client.State{}, domain.NotFound("There is no such invoice.")
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(st.ClientID))
	return st, cl, err
}
