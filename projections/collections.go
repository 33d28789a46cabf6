package projections

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
)

// The collections page: what the firm expects to collect, what failed to
// collect and what is overdue, read from the invoices projection's indexed
// columns (upcoming_on, failed_since, and open with due_date), the page's
// rows from their documents and the clients' names and payment methods
// from the clients projection. Nothing is replayed per request.

// AgingBucket is how long past its due date an open invoice is, in the
// ranges an aged-receivables report uses.
type AgingBucket string

// Aging buckets, in order.
const (
	AgingCurrent AgingBucket = "current" // not yet past due
	Aging1To30   AgingBucket = "1_30"    // 1 to 30 days past due
	Aging31To60  AgingBucket = "31_60"
	Aging61To90  AgingBucket = "61_90"
	AgingOver90  AgingBucket = "over_90" // more than 90 days past due
)

// AgingBuckets are the buckets in the order the page shows them.
var AgingBuckets = [...]AgingBucket{AgingCurrent, Aging1To30, Aging31To60, Aging61To90, AgingOver90}

// AgingOf is the bucket of an open invoice due on due, seen on today: an
// invoice is past due from the day after its due date (State.StatusOn).
func AgingOf(due, today domain.Date) (AgingBucket, int) {
	days := due.DaysUntil(today)
	switch {
	case days <= 0:
		return AgingCurrent, 0
	case days <= 30:
		return Aging1To30, days
	case days <= 60:
		return Aging31To60, days
	case days <= 90:
		return Aging61To90, days
	}
	return AgingOver90, days
}

// CollectionsQuery asks for the collections page as of Today (the firm's
// date), narrowed to one currency and to the clients a search finds, with
// a page of each section.
type CollectionsQuery struct {
	Today    domain.Date
	Currency string // an ISO 4217 code; "" every currency
	// Search keeps the invoices of the clients whose name, contacts or
	// other searchable details contain it, as the clients list's search.
	Search                    string
	Upcoming, Failed, Overdue Paging
}

// Collections is the collections page: a page of each section and the
// totals, per currency, of everything the query selects.
type Collections struct {
	Upcoming Page[UpcomingCollection]
	Failed   Page[FailedPayment]
	Overdue  Page[OverdueInvoice]
	Totals   []CollectionTotals // by currency code
}

// CollectionTotals are the sums of one currency over the whole of each
// section (every page), and of the open invoices per aging bucket.
type CollectionTotals struct {
	Currency domain.Currency
	Upcoming CountedMoney // the scheduled first collections
	Failed   CountedMoney // the balances of the failed payments
	Overdue  CountedMoney // the open balances past due (every bucket but current)
	Aging    []AgingTotal // one per bucket, in AgingBuckets order
}

// CountedMoney is a sum and how many amounts it adds.
type CountedMoney struct {
	Amount domain.Money
	Count  int
}

// AgingTotal is the open balance of one aging bucket.
type AgingTotal struct {
	Bucket AgingBucket
	CountedMoney
}

// CollectionInvoice is what every row of the collections page says of its
// invoice and client.
type CollectionInvoice struct {
	InvoiceID  uuid.UUID
	Number     string
	ClientID   uuid.UUID
	ClientName string
	IssueDate  domain.Date
	DueDate    domain.Date
	Status     invoice.Status // the stored status (never overdue)
	Balance    domain.Money   // what is left to pay
	// PaymentMethodID is the method the invoice is (or was last) charged
	// from, uuid.Nil when none; Method describes it ("Visa •••• 4242,
	// expires 08/2027"; "" when the client has no such method on file),
	// Brand and Last4 name a card (empty for a bank debit).
	PaymentMethodID uuid.UUID
	Method          string
	Brand, Last4    string
	// Stage and LastReminder are where the invoice stands in the firm's
	// dunning sequence (dunningStage: retries run out, reminders paused,
	// reminders sent; "" before any step) and the date of the last
	// reminder sent about it, from the invoice's dunning events
	// (InvoiceReminderSent, InvoiceRemindersPaused/Resumed,
	// InvoiceDunningExhausted) as the invoices projection folds them.
	Stage        string
	LastReminder domain.Date
	// RemindersPaused is true while staff paused the invoice's dunning.
	RemindersPaused bool
}

// UpcomingCollection is a collection scheduled for a date (not a retry of
// a failed one: those are failed payments).
type UpcomingCollection struct {
	CollectionInvoice
	Date domain.Date // when the payment is taken
}

// FailedPayment is an open invoice whose collection was rejected and not
// rescheduled since (only retried, or left).
type FailedPayment struct {
	CollectionInvoice
	DeclineCode, DeclineMessage string
	// Attempts is how many attempts were rejected since collection was
	// last scheduled.
	Attempts int
	// NextRetry is the date of the retry scheduled, zero when none is.
	NextRetry domain.Date
	// RejectedSince is the firm's date of the first of those rejections.
	RejectedSince domain.Date
}

// OverdueInvoice is an open invoice past its due date.
type OverdueInvoice struct {
	CollectionInvoice
	DaysOverdue int
	Bucket      AgingBucket
}

// Collections returns the collections page q asks for: the upcoming
// collections, soonest first; the failed payments, longest failing first;
// the overdue invoices, longest overdue first (then by number); and the
// totals per currency.
func (m *Models) Collections(ctx context.Context, q CollectionsQuery) (Collections, error) {
	where, args := m.collectionsFilter(q)
	view := m.Invoices.docs.View()
	var out Collections
	totals := map[string]*CollectionTotals{}
	at := func(code string) (*CollectionTotals, error) {
		if t, ok := totals[code]; ok {
			return t, nil
		}
		cur, err := domain.ParseCurrency(code)
		if err != nil {
			return nil, err
		}
		t := &CollectionTotals{Currency: cur, Upcoming: zeroCounted(cur), Failed: zeroCounted(cur), Overdue: zeroCounted(cur)}
		for _, b := range AgingBuckets {
			t.Aging = append(t.Aging, AgingTotal{Bucket: b, CountedMoney: zeroCounted(cur)})
		}
		totals[code] = t
		return t, nil
	}
	today := q.Today.String()
	sums := []struct {
		cond string
		args []any
		add  func(t *CollectionTotals, due string, x decimal.Decimal)
	}{
		{`upcoming_on IS NOT NULL`, nil, func(t *CollectionTotals, _ string, x decimal.Decimal) { t.Upcoming.add(x) }},
		{`failed_since IS NOT NULL`, nil, func(t *CollectionTotals, _ string, x decimal.Decimal) { t.Failed.add(x) }},
		{`open = 1`, nil, func(t *CollectionTotals, due string, x decimal.Decimal) {
			if due < today {
				t.Overdue.add(x)
			}
			d, err := domain.ParseDate(due)
			if err != nil {
				return // an open invoice always has a due date
			}
			b, _ := AgingOf(d, q.Today)
			t.Aging[slices.Index(AgingBuckets[:], b)].add(x)
		}},
	}
	var counts [3]int
	for i, s := range sums {
		rows, err := m.db.Query(ctx, `SELECT currency, due_date, balance FROM `+view+` WHERE `+s.cond+where, append(s.args, args...)...)
		if err != nil {
			return out, fmt.Errorf("read models: collections: %w", err)
		}
		for rows.Next() {
			var code, due, bal string
			if err := rows.Scan(&code, &due, &bal); err != nil {
				rows.Close()
				return out, fmt.Errorf("read models: collections: %w", err)
			}
			x, err := decimal.NewFromString(bal)
			if err != nil {
				rows.Close()
				return out, fmt.Errorf("read models: collections: balance %q: %w", bal, err)
			}
			t, err := at(code)
			if err != nil {
				rows.Close()
				return out, fmt.Errorf("read models: collections: %w", err)
			}
			s.add(t, due, x)
			if i < 2 || due < today {
				counts[i]++
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return out, fmt.Errorf("read models: collections: %w", err)
		}
	}
	for _, t := range totals {
		out.Totals = append(out.Totals, *t)
	}
	slices.SortFunc(out.Totals, func(a, b CollectionTotals) int { return cmp.Compare(a.Currency.Code, b.Currency.Code) })

	pages := []struct {
		cond, order string
		condArgs    []any
		p           Paging
		total       int
		keep        func(r *invoiceRecord, row CollectionInvoice)
	}{
		{`upcoming_on IS NOT NULL`, ` ORDER BY upcoming_on, key`, nil, q.Upcoming, counts[0], func(r *invoiceRecord, row CollectionInvoice) {
			out.Upcoming.Items = append(out.Upcoming.Items, UpcomingCollection{CollectionInvoice: row, Date: r.State.Collection.Date})
		}},
		{`failed_since IS NOT NULL`, ` ORDER BY failed_since, key`, nil, q.Failed, counts[1], func(r *invoiceRecord, row CollectionInvoice) {
			f := FailedPayment{CollectionInvoice: row, Attempts: len(r.Rejections), RejectedSince: r.FailedSince,
				DeclineCode: r.State.LastRejection.DeclineCode, DeclineMessage: r.State.LastRejection.DeclineMessage}
			if c := r.State.Collection; c.Retry {
				f.NextRetry = c.Date
			}
			out.Failed.Items = append(out.Failed.Items, f)
		}},
		{`open = 1 AND due_date < ?`, ` ORDER BY due_date, number, key`, []any{today}, q.Overdue, counts[2], func(r *invoiceRecord, row CollectionInvoice) {
			b, days := AgingOf(r.State.DueDate, q.Today)
			out.Overdue.Items = append(out.Overdue.Items, OverdueInvoice{CollectionInvoice: row, DaysOverdue: days, Bucket: b})
		}},
	}
	recs := make([][]invoiceRecord, len(pages))
	clientIDs := map[uuid.UUID]bool{}
	for i, pg := range pages {
		offset := max(pg.p.Offset, 0)
		if offset >= pg.total {
			continue
		}
		found, err := m.Invoices.docs.Find(ctx, m.db, `WHERE `+pg.cond+where+pg.order+` LIMIT ? OFFSET ?`,
			append(append(slices.Clone(pg.condArgs), args...), pageLimit(pg.p), offset)...)
		if err != nil {
			return out, fmt.Errorf("read models: collections: %w", err)
		}
		recs[i] = found
		for _, r := range found {
			clientIDs[r.State.ClientID] = true
		}
	}
	clients, err := m.ClientsByID(ctx, slices.Collect(maps.Keys(clientIDs)))
	if err != nil {
		return out, err
	}
	for i, pg := range pages {
		for j := range recs[i] {
			r := &recs[i][j]
			pg.keep(r, collectionRow(r, clients[r.State.ClientID]))
		}
	}
	out.Upcoming = finishPage(out.Upcoming.Items, q.Upcoming, counts[0])
	out.Failed = finishPage(out.Failed.Items, q.Failed, counts[1])
	out.Overdue = finishPage(out.Overdue.Items, q.Overdue, counts[2])
	return out, nil
}

// collectionsFilter is the condition (" AND …", or "") and arguments that
// keep the invoices of q's currency and of the clients its search finds.
func (m *Models) collectionsFilter(q CollectionsQuery) (string, []any) {
	var where []string
	var args []any
	if q.Currency != "" {
		where = append(where, `currency = ?`)
		args = append(args, q.Currency)
	}
	if search := strings.ToLower(strings.TrimSpace(q.Search)); search != "" {
		// The search column joins a client's fields with line breaks, which
		// no search can hold: such a search matches nothing (LIKE then
		// finds no row).
		where = append(where, `client_id IN (SELECT key FROM `+m.Clients.clients.View()+` WHERE search LIKE ? ESCAPE '\')`)
		args = append(args, "%"+clientsLikePattern(search)+"%")
	}
	if len(where) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(where, " AND "), args
}

// collectionRow is what every section's row says of r and its client c.
func collectionRow(r *invoiceRecord, c client.State) CollectionInvoice {
	st := r.State
	row := CollectionInvoice{InvoiceID: st.ID, Number: st.Number, ClientID: st.ClientID, ClientName: c.Name,
		IssueDate: st.IssueDate, DueDate: st.DueDate, Status: st.Status, Balance: st.Balance(), PaymentMethodID: st.PaymentMethodID}
	if st.Collection.PaymentMethodID != uuid.Nil {
		row.PaymentMethodID = st.Collection.PaymentMethodID
	}
	if pm, ok := c.PaymentMethod(row.PaymentMethodID); ok {
		row.Method = MethodLabel(pm.PaymentMethodDetails)
		if pm.Kind == client.MethodCard {
			row.Brand, row.Last4 = pm.Brand, pm.Last4
		}
	}
	row.Stage, row.LastReminder, row.RemindersPaused = dunningStage(st), st.LastReminderOn, st.RemindersPaused
	return row
}

// dunningStage says in a few words where an invoice stands in the firm's
// dunning sequence; "" when no step was taken.
func dunningStage(st invoice.State) string {
	switch {
	case st.DunningExhausted && !st.WriteOffOn.IsZero():
		return "Retries ran out; write-off on " + st.WriteOffOn.String()
	case st.DunningExhausted:
		return "Retries ran out"
	case st.RemindersPaused:
		return "Reminders paused"
	case len(st.RemindersSent) == 1:
		return "1 reminder sent"
	case len(st.RemindersSent) > 1:
		return fmt.Sprintf("%d reminders sent", len(st.RemindersSent))
	}
	return ""
}

func zeroCounted(c domain.Currency) CountedMoney { return CountedMoney{Amount: domain.Zero(c)} }

func (c *CountedMoney) add(x decimal.Decimal) {
	c.Amount.Amount = c.Amount.Amount.Add(x)
	c.Count++
}

// finishPage is a Page of items (never nil) at p's offset of total.
func finishPage[T any](items []T, p Paging, total int) Page[T] {
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, Total: total, Offset: max(p.Offset, 0), Limit: pageLimit(p)}
}
