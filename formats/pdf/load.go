package pdf

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore"
)

// CreditNoteRef names one of an invoice's credit notes: the Seq-th (from
// 1, as its number <invoice>-CN<seq> counts them) when Seq is set, else the
// one whose id is ID (as the API and the UBL export name it).
type CreditNoteRef struct {
	InvoiceID uuid.UUID
	Seq       int
	ID        uuid.UUID
}

// LoadCreditNote reads the invoice's stream up to the credit note ref
// names and returns what its PDF shows: the invoice as it stood once the
// note was issued, the firm f and the client c as given, dated the day it
// was issued in loc. The staff's invoice page, the client's pay-now page
// and the API serve the same document. A note the invoice does not have is
// ENOTFOUND.
func LoadCreditNote(ctx context.Context, store eventstore.Store, cat *catalog.Catalog, ref CreditNoteRef, f firm.State, c client.State, loc *time.Location) (CreditNoteData, error) {
	notFound := domain.NotFound("There is no such credit note.")
	if ref.Seq < 1 && ref.ID == uuid.Nil {
		return CreditNoteData{}, notFound
	}
	recs, err := store.ReadStream(ctx, invoice.StreamName(ref.InvoiceID), 0, eventstore.Forward, 0)
	if err != nil {
		return CreditNoteData{}, fmt.Errorf("read invoice %s: %w", ref.InvoiceID, err)
	}
	var st invoice.State
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return CreditNoteData{}, fmt.Errorf("decode invoice@%d: %w", rec.Revision, err)
		}
		st = invoice.Evolve(st, e)
		cn, ok := e.(invoice.InvoiceCreditNoteIssued)
		if !ok {
			continue
		}
		seq := len(st.CreditNotes) // its place, as the emailer numbers it
		if seq == ref.Seq || (ref.Seq < 1 && cn.CreditNoteID == ref.ID) {
			return CreditNoteFrom(cn, st, invoice.CreditNoteNumber(st.Number, seq), f, c, domain.DateOf(cn.At, loc)), nil
		}
	}
	return CreditNoteData{}, notFound
}
