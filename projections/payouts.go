package projections

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/payout"
	"remit/projections/rmdb"
)

const payoutsVersion = 2

// Payouts is the "payouts" projection: every payout of the payment gateway
// to the firm's bank account, with the charges, refunds, disputes and fees
// it settles (PayoutRecorded and, for a big payout, its PayoutLinesRecorded;
// PayoutFailed), for the Payouts page and
// GET /api/payouts, and each payout's sync status in the connected ledgers
// (payouts_ledger.go).
//
// Table "payouts" holds a PayoutView per payout id, with its arrival date
// and position as indexed columns: the list is newest first, one indexed
// range per page.
type Payouts struct {
	db    *rmdb.DB
	docs  *rmdb.Docs[PayoutView]
	conns *rmdb.Docs[ledgerConnection]
}

// PayoutView is one payout with its lines.
type PayoutView struct {
	ID        uuid.UUID       `json:"id"`
	Gateway   string          `json:"gateway"`
	Reference string          `json:"reference"`
	Currency  domain.Currency `json:"currency"`
	// Amount is the net paid out; Gross the sum of the lines' grosses; Fees
	// the sum of their fees (Gross − Fees = Amount).
	Amount      domain.Money  `json:"amount"`
	Gross       domain.Money  `json:"gross"`
	Fees        domain.Money  `json:"fees"`
	ArrivalDate domain.Date   `json:"arrival_date"`
	Status      payout.Status `json:"status"`
	// Reason says why a failed payout bounced.
	Reason string `json:"reason,omitempty"`
	// Charges and Refunds count the lines of each kind.
	Charges    int          `json:"charges"`
	Refunds    int          `json:"refunds"`
	Lines      []PayoutLine `json:"lines"`
	RecordedAt time.Time    `json:"recorded_at"`
	Seq        uint64       `json:"seq"` // its PayoutRecorded's position
	// Parts is how many of its PayoutLinesRecorded the view holds.
	Parts int `json:"parts,omitempty"`
	// Sync is what the ledger pushes of the payout recorded, per provider.
	Sync *ledgerInvoice `json:"sync,omitempty"`
	// Ledger is its sync status in each connected ledger, derived when
	// read (not stored).
	Ledger InvoiceLedger `json:"-"`
}

// PayoutLine is one balance transaction of a payout. InvoiceNumber is
// filled in when the payout is read (from the invoices read model).
type PayoutLine struct {
	Kind               payout.Kind  `json:"kind"`
	Reference          string       `json:"reference"`
	BalanceTransaction string       `json:"balance_transaction,omitempty"`
	InvoiceID          uuid.UUID    `json:"invoice_id,omitzero"`
	InvoiceNumber      string       `json:"invoice_number,omitempty"`
	Gross              domain.Money `json:"gross"`
	Fee                domain.Money `json:"fee"`
	Net                domain.Money `json:"net"`
}

func newPayouts(db *rmdb.DB, gen int64) *Payouts {
	return &Payouts{db: db, docs: rmdb.NewDocs(rmdb.DocsSpec[PayoutView]{
		Name: "payouts",
		Columns: []rmdb.Column[PayoutView]{
			{Name: "arrival_date", Type: "TEXT NOT NULL", Value: func(_ string, v *PayoutView) any { return v.ArrivalDate.String() }},
			{Name: "seq", Type: "BIGINT NOT NULL", Value: func(_ string, v *PayoutView) any { return int64(v.Seq) }},
		},
		Indexes: []string{"arrival_date, seq"},
		// A payout is written once (and again only if it bounces): the
		// writer needs it decoded only between its PayoutRecorded and the
		// PayoutLinesRecorded after it. One of a big day (thousands of
		// lines) decodes to megabytes, so the default 4,096 kept held the
		// live heap's largest part after a first payout sync.
		CacheSize: 16,
	}, gen), conns: newPayoutConnections(gen)}
}

// Name implements Projection.
func (p *Payouts) Name() string { return "payouts" }

// Tables implements Projection.
func (p *Payouts) Tables() []rmdb.Table { return []rmdb.Table{p.docs.Table(), p.conns.Table()} }

// Apply implements Projection.
func (p *Payouts) Apply(tx *rmdb.Tx, e Event) {
	switch ev := e.Data.(type) {
	case payout.PayoutRecorded:
		key := ev.PayoutID.String()
		if p.docs.Get(tx, key) != nil {
			return
		}
		p.docs.Put(key, payoutView(ev, e.Position))
	case payout.PayoutLinesRecorded:
		key := ev.PayoutID.String()
		if v := p.docs.Get(tx, key); v != nil && v.Parts < ev.Part {
			v.addLines(ev.Lines)
			v.Parts = ev.Part
			p.docs.Put(key, v)
		}
	case payout.PayoutFailed:
		key := ev.PayoutID.String()
		if v := p.docs.Get(tx, key); v != nil {
			v.Status, v.Reason = payout.StatusFailed, ev.Reason
			p.docs.Put(key, v)
		}
	default:
		p.applyLedger(tx, e)
	}
}

func payoutView(ev payout.PayoutRecorded, pos uint64) *PayoutView {
	cur := ev.Currency
	m := func(d decimal.Decimal) domain.Money { return domain.Money{Amount: d, Currency: cur} }
	v := &PayoutView{
		ID: ev.PayoutID, Gateway: ev.Gateway, Reference: ev.Reference, Currency: cur,
		Amount: m(ev.Amount), Gross: m(decimal.Zero), Fees: m(ev.Fees), ArrivalDate: ev.ArrivalDate, Status: ev.Status,
		RecordedAt: ev.At, Seq: pos, Lines: make([]PayoutLine, 0, len(ev.Lines)),
	}
	v.addLines(ev.Lines)
	return v
}

// addLines adds lines of the payout (those of its PayoutRecorded, then
// those of each PayoutLinesRecorded) to the view, its counts and gross.
func (v *PayoutView) addLines(lines []payout.Line) {
	m := func(d decimal.Decimal) domain.Money { return domain.Money{Amount: d, Currency: v.Currency} }
	gross := v.Gross.Amount
	for _, l := range lines {
		gross = gross.Add(l.Gross)
		switch l.Kind {
		case payout.KindCharge:
			v.Charges++
		case payout.KindRefund:
			v.Refunds++
		}
		v.Lines = append(v.Lines, PayoutLine{Kind: l.Kind, Reference: l.Reference, BalanceTransaction: l.BalanceTransaction,
			InvoiceID: l.InvoiceID, Gross: m(l.Gross), Fee: m(l.Fee), Net: m(l.Net)})
	}
	v.Gross = m(gross)
}

// Flush implements Projection.
func (p *Payouts) Flush(tx *rmdb.Tx) {
	p.docs.Flush(tx)
	p.conns.Flush(tx)
}

// Discard implements Projection.
func (p *Payouts) Discard() {
	p.docs.Discard()
	p.conns.Discard()
}

// ListPayouts returns one page of payouts, newest first (by arrival date),
// without their lines.
func (m *Models) ListPayouts(ctx context.Context, q Paging) (Page[PayoutView], error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	offset := max(q.Offset, 0)
	page := Page[PayoutView]{Offset: offset, Limit: limit, Items: []PayoutView{}}
	if err := m.db.QueryRow(ctx, "SELECT COUNT(*) FROM "+m.Payouts.docs.View()).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("read models: payouts: %w", err)
	}
	items, err := m.Payouts.docs.Find(ctx, m.db, "ORDER BY arrival_date DESC, seq DESC LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return page, err
	}
	for _, v := range items {
		v.Lines = nil
		page.Items = append(page.Items, v)
	}
	return page, m.withLedger(ctx, page.Items)
}

// Payout returns one payout with its lines, each naming its invoice's
// number when Remit knows the invoice. An unknown payout is ENOTFOUND.
func (m *Models) Payout(ctx context.Context, id uuid.UUID) (PayoutView, error) {
	v, ok, err := m.Payouts.docs.Load(ctx, m.db, id.String())
	if err != nil {
		return v, err
	}
	if !ok {
		return v, domain.NotFound("There is no payout %s.", id)
	}
	views := []PayoutView{v}
	if err := m.withLedger(ctx, views); err != nil {
		return v, err
	}
	v = views[0]
	var ids []any
	for _, l := range v.Lines {
		if l.InvoiceID != uuid.Nil {
			ids = append(ids, l.InvoiceID.String())
		}
	}
	if len(ids) == 0 {
		return v, nil
	}
	rows, err := m.db.Query(ctx, "SELECT key, number FROM "+rmdb.View("invoices")+" WHERE key IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
	if err != nil {
		return v, fmt.Errorf("read models: payout %s: invoice numbers: %w", id, err)
	}
	defer rows.Close()
	numbers := map[string]string{}
	for rows.Next() {
		var key, number string
		if err := rows.Scan(&key, &number); err != nil {
			return v, err
		}
		numbers[key] = number
	}
	for i := range v.Lines {
		v.Lines[i].InvoiceNumber = numbers[v.Lines[i].InvoiceID.String()]
	}
	return v, rows.Err()
}

// HasInvoice reports whether Remit knows the invoice the line's money was
// for.
func (l PayoutLine) HasInvoice() bool { return l.InvoiceID != uuid.Nil }
