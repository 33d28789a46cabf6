package emailer

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	mailbox "remit/domain/outbox"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/formats/pdf"
	"remit/projections/follow"
)

// positioned is a decoded event of a stream and its place in the log.
type positioned struct {
	pos uint64
	e   domain.Event
}

// reads remembers the streams read while one trigger is handled, and the
// trigger itself: composing an invoice's email reads the invoice (as of the
// trigger and whole), its client (for the address and for the view) and
// the trigger event, and each was read from the store, unsealed and
// decoded two or three times. Within one trigger the outbox's view of those
// streams is thus one snapshot; the next trigger reads them afresh.
type reads struct {
	trigger follow.Event
	streams map[string][]positioned
}

// events reads one stream's events up to position upTo, decoded.
func (o *Outbox) events(ctx context.Context, stream string, upTo uint64) ([]domain.Event, error) {
	var all []positioned
	ok := false
	if o.reads != nil {
		all, ok = o.reads.streams[stream]
	}
	if !ok {
		recs, err := o.cfg.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
		if err != nil {
			return nil, fmt.Errorf("outbox: read %s: %w", stream, err)
		}
		all = make([]positioned, 0, len(recs))
		for _, r := range recs {
			e, err := o.cat.Decode(r.Type, r.SchemaVersion, r.Data)
			if err != nil {
				return nil, fmt.Errorf("outbox: %s@%d: %w", stream, r.Revision, err)
			}
			all = append(all, positioned{r.Position, e})
		}
		if o.reads != nil {
			o.reads.streams[stream] = all
		}
	}
	out := make([]domain.Event, 0, len(all))
	for _, p := range all {
		if p.pos > upTo {
			break
		}
		out = append(out, p.e)
	}
	return out, nil
}

func (o *Outbox) firm(ctx context.Context) (firm.State, error) {
	evs, err := o.events(ctx, firm.StreamName(), eventstore.End)
	if err != nil {
		return firm.State{}, err
	}
	var s firm.State
	for _, e := range evs {
		s = firm.Evolve(s, e)
	}
	return s, nil
}

func (o *Outbox) client(ctx context.Context, id uuid.UUID) (client.State, error) {
	evs, err := o.events(ctx, client.StreamName(id), eventstore.End)
	if err != nil {
		return client.State{}, err
	}
	return client.Fold(evs), nil
}

// invoiceAsOf folds an invoice's events up to a global position, so an email
// says what was true when its trigger happened.
func (o *Outbox) invoiceAsOf(ctx context.Context, id uuid.UUID, pos uint64) (invoice.State, error) {
	evs, err := o.events(ctx, invoice.StreamName(id), pos)
	if err != nil {
		return invoice.State{}, err
	}
	var s invoice.State
	for _, e := range evs {
		s = invoice.Evolve(s, e)
	}
	return s, nil
}

// collectionWithIssue is the collection scheduled together with an invoice's
// issue (its next event, recorded by the same command at the same moment),
// or zero. The invoice email says what that collection will charge, and
// says the same when composed again later: a collection scheduled
// afterwards is not part of it.
func (o *Outbox) collectionWithIssue(ctx context.Context, e invoice.InvoiceIssued) (invoice.Collection, error) {
	evs, err := o.events(ctx, invoice.StreamName(e.InvoiceID), eventstore.End)
	if err != nil {
		return invoice.Collection{}, err
	}
	if len(evs) < 2 {
		return invoice.Collection{}, nil
	}
	if c, ok := evs[1].(invoice.InvoiceCollectionScheduled); ok && c.At.Equal(e.At) {
		return invoice.Collection{Date: c.Date, PaymentMethodID: c.PaymentMethodID}, nil
	}
	return invoice.Collection{}, nil
}

// proposalAsOf folds a proposal's events up to a global position.
func (o *Outbox) proposalAsOf(ctx context.Context, id uuid.UUID, pos uint64) (proposal.State, error) {
	evs, err := o.events(ctx, proposal.StreamName(id), pos)
	if err != nil {
		return proposal.State{}, err
	}
	return proposal.Fold(evs), nil
}

// proposalView fills in what a proposal email says: the proposal as it was
// sent, its value and its signed acceptance link (a signatory's own
// signing link for a signatory).
func (o *Outbox) proposalView(ctx context.Context, v *view, q mailbox.EmailQueued, f firm.State) error {
	p, err := o.proposalAsOf(ctx, q.ProposalID, q.TriggerPosition)
	if err != nil {
		return err
	}
	val, err := proposal.ValueOf(p, f.TaxMode, domain.DateOf(q.At, location(f)))
	if err != nil {
		return fmt.Errorf("outbox: value of proposal %s: %w", q.ProposalID, err)
	}
	v.Title = p.Title
	if !p.StartDate.IsZero() {
		v.StartDate = pdf.FormatDate(p.StartDate)
	}
	for _, l := range val.Lines {
		v.Services = append(v.Services, serviceLine{Name: l.Line.Name, Amount: domain.FormatMoney(l.Amounts.Gross), Cadence: l.Cadence.Label})
	}
	v.PerCadence = proposal.FormatCadences(val.Cadences)
	v.FirstYear = domain.FormatMoney(val.FirstYear)
	v.AcceptLink = o.cfg.LinkFor(LinkAccept, q.ClientID, q.ProposalID)
	if g, ok := signatoryByEmail(p, q.To); ok {
		v.Sign = true
		if o.cfg.SignLinkFor != nil {
			v.AcceptLink = o.cfg.SignLinkFor(q.ClientID, q.ProposalID, g.ID)
		}
	}
	return nil
}

// issuedEvent returns the InvoiceIssued event of an invoice (its stream's
// first), which its PDF is made from.
func (o *Outbox) issuedEvent(ctx context.Context, id uuid.UUID) (domain.Event, error) {
	recs, err := o.cfg.Store.ReadStream(ctx, invoice.StreamName(id), 0, eventstore.Forward, 1)
	if err != nil {
		return nil, fmt.Errorf("outbox: read %s: %w", invoice.StreamName(id), err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("outbox: invoice %s has no events", id)
	}
	return o.cat.Decode(recs[0].Type, recs[0].SchemaVersion, recs[0].Data)
}
