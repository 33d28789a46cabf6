package projections

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"remit/eventstore"
	"remit/projections/rmdb"
)

// maxDiffsPerProjection bounds how many differences one projection reports,
// so a wholly wrong projection yields a readable report.
const maxDiffsPerProjection = 100

// reconcile reads the live tables in one read transaction (one consistent
// state, whatever the runner commits meanwhile), replays the log into a
// temporary database up to the position they are at, and compares every
// table row by row, streaming both sides in key order so memory stays
// bounded. Each invoice's money is checked on the live table; the numbering
// on the replayed models, which are at exactly that position.
func reconcile(ctx context.Context, store eventstore.Store, live *Models) (rep Report, err error) {
	rtx, err := live.db.ReadTx(ctx)
	if err != nil {
		return rep, err
	}
	defer rtx.Rollback()
	checkpoints, err := servingCheckpoints(ctx, live.db, rtx)
	if err != nil {
		return rep, err
	}
	for _, cp := range checkpoints {
		rep.Position = max(rep.Position, cp)
	}
	fresh, _, err := BuildAsOf(ctx, store, Bound{Position: max(rep.Position, 1)})
	if err != nil {
		return rep, fmt.Errorf("reconcile: replay: %w", err)
	}
	defer func() { err = errors.Join(err, fresh.Close()) }()
	for _, spec := range live.Specs() {
		rep.Projections++
		if cp := checkpoints[spec.Name]; cp != rep.Position {
			rep.Mismatches = append(rep.Mismatches, Mismatch{Check: "replay", Projection: spec.Name, Subject: "checkpoint",
				Detail: fmt.Sprintf("live at position %d, the others at %d", cp, rep.Position)})
			continue
		}
		n := 0
		for _, t := range spec.New(0).Tables() {
			diffs, err := compareTable(ctx, live.db, rtx, fresh.db, t)
			if err != nil {
				return rep, fmt.Errorf("reconcile %s: %w", spec.Name, err)
			}
			for _, d := range diffs {
				if n++; n > maxDiffsPerProjection {
					break
				}
				d.Check, d.Projection = "replay", spec.Name
				rep.Mismatches = append(rep.Mismatches, d)
			}
		}
	}
	// Each invoice's money is checked on the live table: what the firm
	// sees (an invoice issued since the position adds up on its own).
	err = live.Invoices.each(ctx, func(r invoiceRecord) error {
		if r.State.Issued() {
			rep.Invoices++
			rep.Mismatches = append(rep.Mismatches, checkInvoice(r)...)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile invoices: %w", err)
	}
	gaps, numbers, voided, err := checkNumbers(ctx, store, fresh, rep.Position)
	if err != nil {
		return rep, fmt.Errorf("reconcile invoice numbers: %w", err)
	}
	rep.Numbers, rep.NumbersVoided = numbers, voided
	rep.Mismatches = append(rep.Mismatches, gaps...)
	return rep, nil
}

// servingCheckpoints reads each projection's serving checkpoint.
func servingCheckpoints(ctx context.Context, db *rmdb.DB, tx *sql.Tx) (map[string]uint64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, checkpoint FROM rm_projections WHERE serving = 1`)
	if err != nil {
		return nil, fmt.Errorf("reconcile: registry: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var name string
		var cp int64
		if err := rows.Scan(&name, &cp); err != nil {
			return nil, err
		}
		out[name] = uint64(cp)
	}
	return out, rows.Err()
}

// tableRows streams a table's rows (every column as text) in the order of
// all its columns.
type tableRows struct {
	rows *sql.Rows
	cols []string
	cur  []sql.NullString
	ok   bool
	err  error
}

func openRows(ctx context.Context, q func(context.Context, string, ...any) (*sql.Rows, error), view string) (*tableRows, error) {
	probe, err := q(ctx, "SELECT * FROM "+view+" LIMIT 0")
	if err != nil {
		return nil, err
	}
	cols, err := probe.Columns()
	probe.Close()
	if err != nil {
		return nil, err
	}
	order := make([]string, len(cols))
	for i := range cols {
		order[i] = strconv.Itoa(i + 1)
	}
	rows, err := q(ctx, "SELECT * FROM "+view+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return nil, err
	}
	t := &tableRows{rows: rows, cols: cols, cur: make([]sql.NullString, len(cols))}
	t.next()
	return t, nil
}

func (t *tableRows) next() {
	t.ok = t.rows.Next()
	if !t.ok {
		t.err = t.rows.Err()
		return
	}
	dest := make([]any, len(t.cur))
	for i := range t.cur {
		dest[i] = &t.cur[i]
	}
	if err := t.rows.Scan(dest...); err != nil {
		t.ok, t.err = false, err
	}
}

func (t *tableRows) row() []string {
	out := make([]string, len(t.cur))
	for i, v := range t.cur {
		out[i] = v.String
	}
	return out
}

// compareTable lists the differences between a live table (read in tx) and
// the replayed one: rows only one side has, by their first column (the
// key), and for rows both have, each column that differs (a "doc" column
// compared as JSON, path by path).
func compareTable(ctx context.Context, liveDB *rmdb.DB, tx *sql.Tx, replayDB *rmdb.DB, t rmdb.Table) ([]Mismatch, error) {
	view := rmdb.View(t.Name)
	a, err := openRows(ctx, func(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
		return tx.QueryContext(ctx, liveDB.Rebind(q), args...)
	}, view)
	if err != nil {
		return nil, err
	}
	defer a.rows.Close()
	b, err := openRows(ctx, replayDB.Query, view)
	if err != nil {
		return nil, err
	}
	defer b.rows.Close()
	var out []Mismatch
	for (a.ok || b.ok) && len(out) < maxDiffsPerProjection {
		var ra, rb []string
		if a.ok {
			ra = a.row()
		}
		if b.ok {
			rb = b.row()
		}
		c := 0
		switch {
		case !a.ok:
			c = 1
		case !b.ok:
			c = -1
		default:
			c = slices.Compare(ra[:1], rb[:1])
		}
		switch c {
		case -1:
			out = append(out, Mismatch{Subject: t.Name + "/" + ra[0], Detail: "in the live read model, not in a replay of the log"})
			a.next()
			continue
		case 1:
			out = append(out, Mismatch{Subject: t.Name + "/" + rb[0], Detail: "in a replay of the log, missing from the live read model"})
			b.next()
			continue
		}
		for i := range ra {
			if ra[i] == rb[i] {
				continue
			}
			if a.cols[i] == "doc" {
				diffs, err := diffJSON([]byte(ra[i]), []byte(rb[i]))
				if err != nil {
					return nil, err
				}
				for _, d := range diffs {
					d.Subject = t.Name + "/" + ra[0] + "/" + d.Subject
					out = append(out, d)
				}
				continue
			}
			out = append(out, Mismatch{Subject: t.Name + "/" + ra[0] + "/" + a.cols[i], Detail: fmt.Sprintf("live %s, replay %s", short(ra[i]), short(rb[i]))})
		}
		a.next()
		b.next()
	}
	return out, errors.Join(a.err, b.err)
}

// checkInvoice checks that an invoice's money adds up.
func checkInvoice(r invoiceRecord) []Mismatch {
	st := r.State
	subject := "invoice " + st.Number + " (" + st.ID.String() + ")"
	sum := func(amounts []decimal.Decimal) decimal.Decimal {
		t := decimal.Zero
		for _, a := range amounts {
			t = t.Add(a)
		}
		return t
	}
	var paid, credited, writtenOff, lines []decimal.Decimal
	for _, p := range r.Payments {
		paid = append(paid, p.Amount.Amount)
	}
	for _, c := range r.CreditNotes {
		credited = append(credited, c.Amount.Amount)
	}
	for _, w := range r.WriteOffs {
		writtenOff = append(writtenOff, w.Amount.Amount)
	}
	for _, l := range st.Lines {
		lines = append(lines, l.Amounts.Gross.Amount)
	}
	total := st.Totals.Gross.Amount
	// Refunds and unsettled disputes took money back out of the payments.
	p, c, w := sum(paid).Sub(r.moneyOut()), sum(credited), sum(writtenOff)
	var out []Mismatch
	add := func(check, format string, args ...any) {
		out = append(out, Mismatch{Check: check, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	if parts := p.Add(c).Add(w).Add(r.Voided).Add(r.Outstanding); !parts.Equal(total) {
		add("invoice-balance", "total %s ≠ payments %s + credit notes %s + write-offs %s + voided %s + outstanding %s (= %s)",
			total, p, c, w, r.Voided, r.Outstanding, parts)
	}
	if !p.Equal(st.Paid.Amount) {
		add("invoice-balance", "payments listed less refunds and disputes sum to %s but the invoice records %s paid", p, st.Paid.Amount)
	}
	if !c.Equal(st.Credited.Amount) {
		add("invoice-balance", "credit notes listed sum to %s but the invoice records %s credited", c, st.Credited.Amount)
	}
	if !w.Equal(st.WrittenOff.Amount) {
		add("invoice-balance", "write-offs listed sum to %s but the invoice records %s written off", w, st.WrittenOff.Amount)
	}
	balance := st.Balance().Amount
	if bal := r.Outstanding.Add(r.Voided); !bal.Equal(balance) {
		add("invoice-balance", "outstanding %s (+ voided %s) ≠ balance %s", r.Outstanding, r.Voided, balance)
	}
	if l := sum(lines); len(lines) > 0 && !l.Equal(total) {
		add("invoice-lines", "lines sum to %s but the total is %s", l, total)
	}
	return out
}

// diffJSON compares two JSON documents and lists where they differ, by path.
func diffJSON(live, replayed []byte) ([]Mismatch, error) {
	var a, b any
	if err := decodeNumbers(live, &a); err != nil {
		return nil, fmt.Errorf("live snapshot: %w", err)
	}
	if err := decodeNumbers(replayed, &b); err != nil {
		return nil, fmt.Errorf("replayed snapshot: %w", err)
	}
	var out []Mismatch
	diffValue(nil, a, b, &out)
	return out, nil
}

func decodeNumbers(data []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}

func diffValue(path []string, a, b any, out *[]Mismatch) {
	if len(*out) >= maxDiffsPerProjection {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			x, inA := av[k]
			y, inB := bv[k]
			p := append(slices.Clip(path), k)
			switch {
			case !inA:
				*out = append(*out, mismatchAt(p, "missing from the live projection, replay has "+short(y)))
			case !inB:
				*out = append(*out, mismatchAt(p, "live has "+short(x)+", missing from the replay"))
			default:
				diffValue(p, x, y, out)
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := range max(len(av), len(bv)) {
			p := append(slices.Clip(path), strconv.Itoa(i))
			switch {
			case i >= len(av):
				*out = append(*out, mismatchAt(p, "missing from the live projection, replay has "+short(bv[i])))
			case i >= len(bv):
				*out = append(*out, mismatchAt(p, "live has "+short(av[i])+", missing from the replay"))
			default:
				diffValue(p, av[i], bv[i], out)
			}
		}
		return
	}
	if short(a) != short(b) {
		*out = append(*out, mismatchAt(path, "live "+short(a)+", replay "+short(b)))
	}
}

func mismatchAt(path []string, detail string) Mismatch {
	return Mismatch{Subject: strings.Join(path, "/"), Detail: detail}
}

// short renders a JSON value for a report, cut to a readable length.
func short(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const limit = 120
	if len(data) > limit {
		return string(data[:limit]) + "…"
	}
	return string(data)
}
