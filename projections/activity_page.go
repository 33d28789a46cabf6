package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/projections/rmdb"
)

// ActivityQuery asks for one page of a subject's history. Pages follow
// positions in the log (keyset paging on the subject's index range), so a
// page costs the same however long the history is, and lines applied
// between two requests neither repeat nor go missing.
type ActivityQuery struct {
	// Limit is the most lines a page holds: 0 means DefaultLimit; it is
	// capped at MaxLimit.
	Limit int
	// Newest pages back from the end: the page holds the newest lines
	// before Cursor (0: the newest of all). Otherwise the page holds the
	// oldest lines after Cursor (0: from the first).
	Newest bool
	// Cursor is where the page starts: the position of a line (the Cursor
	// of the previous page), itself not included.
	Cursor uint64
	// Count asks for the number of lines of the whole history (Total).
	Count bool
}

// ActivityPage is one page of a subject's history, oldest first whichever
// way it was paged.
type ActivityPage struct {
	Lines []ActivityLine
	// More reports whether the history has lines beyond this page in the
	// direction paged: older ones for a Newest query, newer ones otherwise.
	More bool
	// Cursor is the next page's ActivityQuery.Cursor (paging the same way):
	// the position of the page's oldest line for a Newest query, of its
	// newest otherwise; 0 when there is no more.
	Cursor uint64
	// Total is the number of lines of the whole history when the query
	// asked to Count, else 0.
	Total int
}

// activityLimit is the page size a query asks for, within bounds.
func (q ActivityQuery) activityLimit() int {
	return pageLimit(Paging{Limit: q.Limit})
}

// ActivityPage returns one page of the history of a client, service,
// invoice, proposal or payment method (see ActivityQuery). A subject with
// no events at all is ENOTFOUND; a cursor past the end gives an empty page.
func (m *Models) ActivityPage(ctx context.Context, subject Subject, id uuid.UUID, q ActivityQuery) (ActivityPage, error) {
	// A client's lines change only by events that concern the client. The
	// lines of a service, invoice, proposal or payment method show invoice
	// numbers that events of other subjects give: firm-wide answers.
	scope := uuid.Nil
	if subject == SubjectClient {
		scope = id
	}
	return cached(ctx, m, scope, queryKey("activity", subject, id, q), func() (ActivityPage, error) { return m.Activity.page(ctx, subject, id, q) }, sizeOfActivity)
}

// pageQuery is the query of one page: the subject's lines after (or, for
// newest, before) a position, in the order the page is cut.
func (p *Activity) pageQuery(newest, bounded bool) string {
	s := "SELECT l.position, l.revision, l.at, l.stream, l.actor, l.event_type, l.what, l.invoice, l.invoice_at, i.number" +
		" FROM " + rmdb.View(activitySubjectsTable) + " s" +
		" JOIN " + rmdb.View(activityLinesTable) + " l ON l.position = s.position" +
		" LEFT JOIN " + p.invoices.View() + " i ON i.key = l.invoice" +
		" WHERE s.subject = ? AND s.id = ?"
	switch {
	case newest && bounded:
		s += " AND s.position < ? ORDER BY s.position DESC"
	case newest:
		s += " AND s.position >= ? ORDER BY s.position DESC"
	default:
		s += " AND s.position > ? ORDER BY s.position"
	}
	return s + " LIMIT ?"
}

func (p *Activity) page(ctx context.Context, subject Subject, id uuid.UUID, q ActivityQuery) (ActivityPage, error) {
	limit := q.activityLimit()
	cursor := int64(q.Cursor)
	if q.Newest && q.Cursor == 0 {
		cursor = 0 // every position: >= 0
	}
	// One line more than the page tells whether there is more.
	lines, err := p.readLines(ctx, subject, id, p.pageQuery(q.Newest, q.Cursor != 0), string(subject), id.String(), cursor, limit+1)
	if err != nil {
		return ActivityPage{}, err
	}
	var out ActivityPage
	if len(lines) > limit {
		lines, out.More = lines[:limit], true
	}
	if q.Newest {
		slices.Reverse(lines)
	}
	out.Lines = lines
	if out.More {
		if q.Newest {
			out.Cursor = lines[0].Position
		} else {
			out.Cursor = lines[len(lines)-1].Position
		}
	}
	if len(lines) == 0 && q.Cursor == 0 {
		return ActivityPage{}, domain.NotFound("no activity for %s %s", subject, id)
	}
	if q.Count {
		row := p.db.QueryRow(ctx, "SELECT COUNT(*) FROM "+rmdb.View(activitySubjectsTable)+" WHERE subject = ? AND id = ?", string(subject), id.String())
		if err := row.Scan(&out.Total); err != nil {
			return ActivityPage{}, fmt.Errorf("read models: activity of %s %s: %w", subject, id, err)
		}
	}
	return out, nil
}

// readLines runs a query of activity lines (the columns of p.query) and renders
// each.
func (p *Activity) readLines(ctx context.Context, subject Subject, id uuid.UUID, query string, args ...any) ([]ActivityLine, error) {
	rows, err := p.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read models: activity of %s %s: %w", subject, id, err)
	}
	defer rows.Close()
	var out []ActivityLine
	for rows.Next() {
		var (
			pos, rev, at, invoiceAt int64
			stream, actor, typ, w   string
			inv, number             sql.NullString
		)
		if err := rows.Scan(&pos, &rev, &at, &stream, &actor, &typ, &w, &inv, &invoiceAt, &number); err != nil {
			return nil, fmt.Errorf("read models: activity of %s %s: %w", subject, id, err)
		}
		l := ActivityLine{Position: uint64(pos), Stream: stream, Revision: uint64(rev), EventType: typ, Actor: actor,
			What: w, Invoice: number.String}
		if at != 0 {
			l.At = time.Unix(0, at).UTC()
		}
		if inv.Valid {
			l.InvoiceID, _ = uuid.Parse(inv.String)
		}
		if invoiceAt >= 0 && int(invoiceAt) <= len(w) {
			l.What = w[:invoiceAt] + activityInvoiceName(number.String) + w[invoiceAt:]
		}
		l.Text = l.What
		if typ == (client.ClientErased{}).EventType() && actor != "" {
			l.Text += " by " + actor
		} else if actor != "" {
			l.Text += " (by " + actor + ")"
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read models: activity of %s %s: %w", subject, id, err)
	}
	return out, nil
}
