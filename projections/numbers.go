package projections

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain/catalog"
	"remit/domain/numbering"
	"remit/eventstore"
)

// givenNumber is one sequence number as the numbering stream records it.
type givenNumber struct {
	number  string
	invoice uuid.UUID
	at      time.Time
	voided  bool
	reason  string
}

// checkNumbers checks that every invoice number from the first to the last
// the numbering stream gave (up to position) is exactly one issued invoice of
// the live Invoices model, or a recorded void (InvoiceNumberVoided), and
// that every issued invoice's number was given to it. It returns the
// mismatches (check "invoice-number", subject the number), how many numbers
// it checked and how many of them are void.
func checkNumbers(ctx context.Context, store eventstore.Store, live *Models, position uint64) ([]Mismatch, int, int, error) {
	stream := numbering.StreamName()
	recs, err := store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read %s: %w", stream, err)
	}
	cat := catalog.New()
	var out []Mismatch
	add := func(number, format string, args ...any) {
		out = append(out, Mismatch{Check: "invoice-number", Subject: number, Detail: fmt.Sprintf(format, args...)})
	}
	given := map[int64]*givenNumber{}
	for _, r := range recs {
		if r.Position > position {
			break
		}
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("decode %s@%d: %w", stream, r.Revision, err)
		}
		rsvs := numbering.ReservationsOf(e)
		switch e := e.(type) {
		case numbering.InvoiceNumberVoided:
			g := given[e.Sequence]
			if g == nil || g.invoice != e.InvoiceID {
				add(e.Number, "voided for invoice %s, but the number was not reserved for it", e.InvoiceID)
				continue
			}
			g.voided, g.reason = true, e.Reason
		}
		for _, rsv := range rsvs {
			if g := given[rsv.Sequence]; g != nil {
				add(rsv.Number, "given twice: to invoice %s and to invoice %s", g.invoice, rsv.InvoiceID)
				continue
			}
			given[rsv.Sequence] = &givenNumber{number: rsv.Number, invoice: rsv.InvoiceID, at: rsv.At}
		}
	}

	issued := map[string][]uuid.UUID{}
	err = live.Invoices.each(ctx, func(r invoiceRecord) error {
		if r.State.Issued() {
			issued[r.State.Number] = append(issued[r.State.Number], r.State.ID)
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	seqs := make([]int64, 0, len(given))
	for seq := range given {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	voided := 0
	known := map[string]bool{}
	for i, seq := range seqs {
		g := given[seq]
		known[g.number] = true
		if i > 0 && seq > seqs[i-1]+1 {
			// A hole: numbers no reservation gave (a gap an auditor cannot
			// explain), named with the prefix of the number after it.
			from, to := seqs[i-1]+1, seq-1
			prefix := strings.TrimSuffix(g.number, numbering.FormatNumber("", seq))
			if from == to {
				add(numbering.FormatNumber(prefix, from), "missing: never given to an invoice, and no void explains it")
			} else {
				add(numbering.FormatNumber(prefix, from), "missing, with the %d numbers up to %s: never given to an invoice, and no void explains them", to-from+1, numbering.FormatNumber(prefix, to))
			}
		}
		on := issued[g.number]
		switch {
		case g.voided && len(on) > 0:
			add(g.number, "voided (%s), yet issued on invoice %s", g.reason, on[0])
		case g.voided:
			voided++
		case len(on) == 0:
			add(g.number, "reserved for invoice %s at %s, but no invoice was issued with it and no void was recorded (a billing run completes the invoice, or voids the number 10 minutes after it was reserved)",
				g.invoice, g.at.UTC().Format(time.RFC3339))
		case len(on) > 1:
			add(g.number, "on %d issued invoices: %s", len(on), joinIDs(on))
		case on[0] != g.invoice:
			add(g.number, "reserved for invoice %s but issued on invoice %s", g.invoice, on[0])
		}
	}
	for number, on := range issued {
		if !known[number] {
			add(number, "issued on invoice %s, but the numbering never gave it", joinIDs(on))
		}
	}
	slices.SortStableFunc(out, func(a, b Mismatch) int { return strings.Compare(a.Subject, b.Subject) })
	return out, len(seqs), voided, nil
}

func joinIDs(ids []uuid.UUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}
