package einvoice

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/eventstore"
)

// Ref names the document to build: an invoice, or one of its credit notes.
type Ref struct {
	InvoiceID    uuid.UUID
	CreditNoteID uuid.UUID // uuid.Nil: the invoice itself
}

var creditNoteNumber = regexp.MustCompile(`^(.+)-CN([1-9][0-9]*)$`)

// Resolve turns what a person typed into a Ref: an invoice's id or number
// (INV-000042), a credit note's id, or a credit note's number
// (INV-000042-CN1). It answers a domain NotFound error when nothing has that
// name, and an Invalid one for an empty name.
func Resolve(ctx context.Context, store eventstore.Store, name string) (Ref, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Ref{}, domain.Invalid("id", "give an invoice's id or number")
	}
	cat := catalog.New()
	if id, err := uuid.Parse(name); err == nil {
		recs, err := store.ReadStream(ctx, invoice.StreamName(id), 0, eventstore.Forward, 1)
		if err != nil {
			return Ref{}, fmt.Errorf("einvoice: read invoice %s: %w", id, err)
		}
		if len(recs) > 0 {
			return Ref{InvoiceID: id}, nil
		}
		recs, err = store.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"InvoiceCreditNoteIssued"}})
		if err != nil {
			return Ref{}, fmt.Errorf("einvoice: read credit notes: %w", err)
		}
		for _, r := range recs {
			e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
			if err != nil {
				return Ref{}, fmt.Errorf("einvoice: %s@%d: %w", r.Stream, r.Revision, err)
			}
			if cn, ok := e.(invoice.InvoiceCreditNoteIssued); ok && cn.CreditNoteID == id {
				return Ref{InvoiceID: cn.InvoiceID, CreditNoteID: id}, nil
			}
		}
		return Ref{}, domain.NotFound("There is no invoice or credit note %s.", id)
	}
	evs, err := readStream(ctx, store, cat, numbering.StreamName())
	if err != nil {
		return Ref{}, err
	}
	byNumber := map[string]uuid.UUID{}
	for _, e := range evs {
		switch e := e.(type) {
		case numbering.InvoiceNumberReserved:
			byNumber[e.Number] = e.InvoiceID
		case numbering.InvoiceNumbersReserved: // a billing run's block
			for _, r := range e.Reservations() {
				byNumber[r.Number] = r.InvoiceID
			}
		}
	}
	if id, ok := byNumber[name]; ok {
		return Ref{InvoiceID: id}, nil
	}
	if m := creditNoteNumber.FindStringSubmatch(name); m != nil {
		if id, ok := byNumber[m[1]]; ok {
			seq, _ := strconv.Atoi(m[2])
			evs, err := readStream(ctx, store, cat, invoice.StreamName(id))
			if err != nil {
				return Ref{}, err
			}
			for _, cn := range creditNotes(evs, time.UTC, m[1]) {
				if cn.Number == name && seq > 0 {
					return Ref{InvoiceID: id, CreditNoteID: cn.ID}, nil
				}
			}
		}
	}
	return Ref{}, domain.NotFound("There is no invoice or credit note numbered %q.", name)
}

// Load reads what the document of ref is built from: the invoice's events,
// the firm's and the client's. The store is only read.
func Load(ctx context.Context, store eventstore.Store, ref Ref) (Input, error) {
	cat := catalog.New()
	evs, err := readStream(ctx, store, cat, invoice.StreamName(ref.InvoiceID))
	if err != nil {
		return Input{}, err
	}
	inv := invoice.Fold(evs)
	if !inv.Issued() {
		return Input{}, domain.NotFound("There is no invoice %s.", ref.InvoiceID)
	}
	fevs, err := readStream(ctx, store, cat, firm.StreamName())
	if err != nil {
		return Input{}, err
	}
	f := firm.Fold(fevs)
	cevs, err := readStream(ctx, store, cat, client.StreamName(inv.ClientID))
	if err != nil {
		return Input{}, err
	}
	in := Input{Firm: f, Client: client.Fold(cevs), Invoice: inv}
	if ref.CreditNoteID != uuid.Nil {
		loc := time.UTC
		if f.TimeZone != "" {
			if l, err := time.LoadLocation(f.TimeZone); err == nil {
				loc = l
			}
		}
		for _, cn := range creditNotes(evs, loc, inv.Number) {
			if cn.ID == ref.CreditNoteID {
				in.CreditNote = &cn
			}
		}
		if in.CreditNote == nil {
			return Input{}, domain.NotFound("Invoice %s has no credit note %s.", inv.Number, ref.CreditNoteID)
		}
	}
	return in, nil
}

// creditNotes lists an invoice's credit notes in the order they were
// issued, numbered <invoice number>-CN1, -CN2, ….
func creditNotes(evs []domain.Event, loc *time.Location, number string) []CreditNote {
	var out []CreditNote
	for _, e := range evs {
		if c, ok := e.(invoice.InvoiceCreditNoteIssued); ok {
			out = append(out, CreditNote{
				ID:        c.CreditNoteID,
				Number:    invoice.CreditNoteNumber(number, len(out)+1),
				IssueDate: domain.DateOf(c.At, loc),
				Amount:    c.Amount,
				Reason:    c.Reason,
			})
		}
	}
	return out
}

func readStream(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, stream string) ([]domain.Event, error) {
	recs, err := store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return nil, fmt.Errorf("einvoice: read %s: %w", stream, err)
	}
	out := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return nil, fmt.Errorf("einvoice: %s@%d: %w", stream, r.Revision, err)
		}
		out = append(out, e)
	}
	return out, nil
}
