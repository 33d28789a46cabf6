package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"remit/domain/catalog"
	"remit/eventstore"
)

// maxDiffsPerProjection bounds how many differences one projection reports,
// so a wholly wrong projection yields a readable report.
const maxDiffsPerProjection = 100

func reconcile(ctx context.Context, store eventstore.Store, live *Models) (Report, error) {
	var rep Report
	cat := catalog.New()
	for _, p := range live.Projections() {
		liveState, checkpoint, err := p.MarshalSnapshot()
		if err != nil {
			return rep, fmt.Errorf("reconcile %s: %w", p.Name(), err)
		}
		fresh, _ := NewModels().Projection(p.Name())
		if checkpoint > 0 {
			if _, err := Replay(ctx, store, cat, []Projection{fresh}, Bound{Position: checkpoint}); err != nil {
				return rep, fmt.Errorf("reconcile %s: %w", p.Name(), err)
			}
		}
		replayed, _, err := fresh.MarshalSnapshot()
		if err != nil {
			return rep, fmt.Errorf("reconcile %s: %w", p.Name(), err)
		}
		rep.Projections++
		rep.Position = max(rep.Position, checkpoint)
		if fc := fresh.Checkpoint(); fc != checkpoint {
			rep.Mismatches = append(rep.Mismatches, Mismatch{Check: "replay", Projection: p.Name(), Subject: "checkpoint",
				Detail: fmt.Sprintf("live at position %d, the log ends at %d", checkpoint, fc)})
		}
		if bytes.Equal(liveState, replayed) {
			continue
		}
		diffs, err := diffJSON(liveState, replayed)
		if err != nil {
			return rep, fmt.Errorf("reconcile %s: %w", p.Name(), err)
		}
		for _, d := range diffs {
			d.Check, d.Projection = "replay", p.Name()
			rep.Mismatches = append(rep.Mismatches, d)
		}
	}
	for _, r := range live.Invoices.records() {
		if !r.State.Issued() {
			continue
		}
		rep.Invoices++
		rep.Mismatches = append(rep.Mismatches, checkInvoice(r)...)
	}
	gaps, numbers, voided, err := checkNumbers(ctx, store, live, live.Invoices.Checkpoint())
	if err != nil {
		return rep, fmt.Errorf("reconcile invoice numbers: %w", err)
	}
	rep.Numbers, rep.NumbersVoided = numbers, voided
	rep.Mismatches = append(rep.Mismatches, gaps...)
	return rep, nil
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
	p, c, w := sum(paid), sum(credited), sum(writtenOff)
	var out []Mismatch
	add := func(check, format string, args ...any) {
		out = append(out, Mismatch{Check: check, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	if parts := p.Add(c).Add(w).Add(r.Voided).Add(r.Outstanding); !parts.Equal(total) {
		add("invoice-balance", "total %s ≠ payments %s + credit notes %s + write-offs %s + voided %s + outstanding %s (= %s)",
			total, p, c, w, r.Voided, r.Outstanding, parts)
	}
	if !p.Equal(st.Paid.Amount) {
		add("invoice-balance", "payments listed sum to %s but the invoice records %s paid", p, st.Paid.Amount)
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
