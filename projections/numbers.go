package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/projections/rmdb"
)

// numbersTable keeps, in the replayed models' temporary database, the
// numbers the numbering stream gave, by sequence: checkNumbers reads the
// stream a page at a time and compares it with the invoices in SQL, so its
// memory does not grow with the log.
const numbersTable = "reconcile_numbers"

// issuedTable holds, beside numbersTable, the number and key of every
// issued invoice of the replayed models.
const issuedTable = "reconcile_issued"

// numbersPage is how many events of the numbering stream checkNumbers reads
// at a time.
const numbersPage = 4096

// checkNumbers checks that every invoice number from the first to the last
// the numbering stream gave (up to position) is exactly one issued invoice of
// the models m (the replay, at exactly that position), or a recorded void
// (InvoiceNumberVoided), and that every issued invoice's number was given to
// it. It returns the mismatches (check "invoice-number", subject the number),
// how many numbers it checked and how many of them are void.
func checkNumbers(ctx context.Context, store eventstore.Store, m *Models, position uint64) ([]Mismatch, int, int, error) {
	var out []Mismatch
	add := func(number, format string, args ...any) {
		out = append(out, Mismatch{Check: "invoice-number", Subject: number, Detail: fmt.Sprintf(format, args...)})
	}
	if err := recordNumbers(ctx, store, m, position, add); err != nil {
		return nil, 0, 0, err
	}
	numbers, voided, err := compareNumbers(ctx, m, add)
	if err != nil {
		return nil, 0, 0, err
	}
	slices.SortStableFunc(out, func(a, b Mismatch) int { return strings.Compare(a.Subject, b.Subject) })
	return out, numbers, voided, nil
}

// recordNumbers fills numbersTable from the numbering stream up to
// position, reporting a number given twice and a void of a number not
// reserved for its invoice.
func recordNumbers(ctx context.Context, store eventstore.Store, m *Models, position uint64, add func(number, format string, args ...any)) error {
	db := m.db
	err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.Exec("DROP TABLE IF EXISTS " + numbersTable)
		tx.Exec("CREATE TABLE " + numbersTable + ` (seq BIGINT PRIMARY KEY, number TEXT NOT NULL, invoice TEXT NOT NULL,
			at TEXT NOT NULL, voided BIGINT NOT NULL, reason TEXT NOT NULL)`)
		tx.Exec("CREATE INDEX " + numbersTable + "_number ON " + numbersTable + " (number)")
		// The issued invoices' numbers, indexed by number: the invoices'
		// own indexes lead with other columns, and a join through them
		// would scan every issued invoice for each number.
		tx.Exec("DROP TABLE IF EXISTS " + issuedTable)
		tx.Exec("CREATE TABLE " + issuedTable + " (number TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (number, key))")
		tx.Exec("INSERT INTO " + issuedTable + " (number, key) SELECT number, key FROM " + m.Invoices.docs.View() + " WHERE issued = 1")
		return tx.Err()
	})
	if err != nil {
		return fmt.Errorf("numbers table: %w", err)
	}
	stream := numbering.StreamName()
	cat := catalog.New()
	for from := uint64(0); ; {
		recs, err := store.ReadStream(ctx, stream, from, eventstore.Forward, numbersPage)
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		done := len(recs) < numbersPage
		err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
			for _, r := range recs {
				if r.Position > position {
					done = true
					break
				}
				e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
				if err != nil {
					return fmt.Errorf("decode %s@%d: %w", stream, r.Revision, err)
				}
				recordNumber(tx, e, add)
			}
			return tx.Err()
		})
		if err != nil || done {
			return err
		}
		from = recs[len(recs)-1].Revision + 1
	}
}

// recordNumber records what one event of the numbering stream gives or
// voids.
func recordNumber(tx *rmdb.Tx, e domain.Event, add func(number, format string, args ...any)) {
	var invoiceID string
	if v, ok := e.(numbering.InvoiceNumberVoided); ok {
		if !tx.QueryRow("SELECT invoice FROM "+numbersTable+" WHERE seq = ?", []any{v.Sequence}, &invoiceID) || invoiceID != v.InvoiceID.String() {
			add(v.Number, "voided for invoice %s, but the number was not reserved for it", v.InvoiceID)
			return
		}
		tx.Exec("UPDATE "+numbersTable+" SET voided = 1, reason = ? WHERE seq = ?", v.Reason, v.Sequence)
	}
	for _, rsv := range numbering.ReservationsOf(e) {
		if tx.QueryRow("SELECT invoice FROM "+numbersTable+" WHERE seq = ?", []any{rsv.Sequence}, &invoiceID) {
			add(rsv.Number, "given twice: to invoice %s and to invoice %s", invoiceID, rsv.InvoiceID)
			continue
		}
		tx.Exec("INSERT INTO "+numbersTable+" (seq, number, invoice, at, voided, reason) VALUES (?, ?, ?, ?, 0, '')",
			rsv.Sequence, rsv.Number, rsv.InvoiceID.String(), rsv.At.UTC().Format(time.RFC3339))
	}
}

// givenNumber is one sequence number as numbersTable holds it, with the
// issued invoices that carry its number.
type givenNumber struct {
	seq                 int64
	number, invoice, at string
	voided              bool
	reason              string
	on                  []string
}

// compareNumbers walks numbersTable in sequence order beside the issued
// invoices of m carrying each number, then lists the issued invoices whose
// number the stream never gave; it returns how many numbers it checked and
// how many are void.
func compareNumbers(ctx context.Context, m *Models, add func(number, format string, args ...any)) (int, int, error) {
	rows, err := m.db.Query(ctx, "SELECT n.seq, n.number, n.invoice, n.at, n.voided, n.reason, i.key FROM "+numbersTable+" n"+
		" LEFT JOIN "+issuedTable+" i ON i.number = n.number ORDER BY n.seq, i.key")
	if err != nil {
		return 0, 0, fmt.Errorf("numbers: %w", err)
	}
	defer rows.Close()
	var cur, prev *givenNumber
	numbers, voided := 0, 0
	flush := func() {
		if cur == nil {
			return
		}
		numbers++
		if judgeNumber(prev, cur, add) {
			voided++
		}
		prev, cur = cur, nil
	}
	for rows.Next() {
		var g givenNumber
		var voidedFlag int64
		var on sql.NullString
		if err := rows.Scan(&g.seq, &g.number, &g.invoice, &g.at, &voidedFlag, &g.reason, &on); err != nil {
			return 0, 0, fmt.Errorf("numbers: %w", err)
		}
		if cur == nil || cur.seq != g.seq {
			flush()
			g.voided = voidedFlag != 0
			cur = &g
		}
		if on.Valid {
			cur.on = append(cur.on, on.String)
		}
	}
	flush()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("numbers: %w", err)
	}
	return numbers, voided, neverGiven(ctx, m, add)
}

// judgeNumber reports what is wrong with number g (prev the one before it
// in sequence order, nil for the first) and whether it is a void.
func judgeNumber(prev, g *givenNumber, add func(number, format string, args ...any)) bool {
	if prev != nil && g.seq > prev.seq+1 {
		// A hole: numbers no reservation gave (a gap an auditor cannot
		// explain), named with the prefix of the number after it.
		from, to := prev.seq+1, g.seq-1
		prefix := strings.TrimSuffix(g.number, numbering.FormatNumber("", g.seq))
		if from == to {
			add(numbering.FormatNumber(prefix, from), "missing: never given to an invoice, and no void explains it")
		} else {
			add(numbering.FormatNumber(prefix, from), "missing, with the %d numbers up to %s: never given to an invoice, and no void explains them", to-from+1, numbering.FormatNumber(prefix, to))
		}
	}
	switch {
	case g.voided && len(g.on) > 0:
		add(g.number, "voided (%s), yet issued on invoice %s", g.reason, g.on[0])
	case g.voided:
		return true
	case len(g.on) == 0:
		add(g.number, "reserved for invoice %s at %s, but no invoice was issued with it and no void was recorded (a billing run completes the invoice, or voids the number 10 minutes after it was reserved)",
			g.invoice, g.at)
	case len(g.on) > 1:
		add(g.number, "on %d issued invoices: %s", len(g.on), strings.Join(g.on, ", "))
	case g.on[0] != g.invoice:
		add(g.number, "reserved for invoice %s but issued on invoice %s", g.invoice, g.on[0])
	}
	return false
}

// neverGiven lists the issued invoices whose number the numbering stream
// never gave.
func neverGiven(ctx context.Context, m *Models, add func(number, format string, args ...any)) error {
	rows, err := m.db.Query(ctx, "SELECT i.number, i.key FROM "+issuedTable+" i"+
		" WHERE NOT EXISTS (SELECT 1 FROM "+numbersTable+" n WHERE n.number = i.number) ORDER BY i.number, i.key")
	if err != nil {
		return fmt.Errorf("numbers: %w", err)
	}
	defer rows.Close()
	var number string
	var on []string
	report := func() {
		if len(on) > 0 {
			add(number, "issued on invoice %s, but the numbering never gave it", strings.Join(on, ", "))
		}
	}
	for rows.Next() {
		var n, key string
		if err := rows.Scan(&n, &key); err != nil {
			return fmt.Errorf("numbers: %w", err)
		}
		if n != number {
			report()
			number, on = n, nil
		}
		on = append(on, key)
	}
	report()
	return rows.Err()
}
