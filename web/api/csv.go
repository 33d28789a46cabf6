package api

import (
	"encoding/csv"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"remit/domain"
	"remit/projections"
)

// CSV exports. Every list of the API is also a CSV document: the same
// handler, the same query (and so, when the read is as of a moment, the
// same moment), answered in another format when the request asks for it
// with ?format=csv or Accept: text/csv. A CSV answer holds the whole list,
// not one page: the handler's fetch is called page after page (of
// projections.MaxLimit rows) and each page is written and flushed as it
// comes, so an export of any length is streamed in constant memory.
//
// A row type has a CSV form when it implements csvRecord (its columns,
// documented in docs/exports.md). Money is two columns, the decimal amount
// with every minor unit ("12.50") and the currency code; dates are ISO
// (YYYY-MM-DD), times RFC 3339. Cells are written by encoding/csv (RFC
// 4180: quoted when they hold a comma, quote or line break) and guarded
// against formula injection: a cell starting with = + - @ (or a tab or
// carriage return) gets a leading ', so a spreadsheet shows it as text and
// never runs it. Amounts are written unguarded: a negative amount is a
// number, not a formula.
//
// A list read whole answers with writeTable(s, w, r, name, rows, body),
// which writes body as JSON or rows as CSV. Reports (/api/reports/...)
// answer one of their tables (projections.Table, ?table=NAME) as CSV in
// serveReport (reports.go).

// csvRecord is a wire type with a CSV form: its header (the column names),
// and its row, one cell per column.
type csvRecord interface {
	csvHeader() []string
	csvRow() []string
}

// wantsCSV reports whether the request asks for CSV: ?format=csv, or an
// Accept header naming text/csv (and no ?format=json). Any other ?format
// is a 400.
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, malformed(domain.Invalid("format", "must be json or csv"))
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true, nil
		}
	}
	return false, nil
}

// csvStream writes one CSV document to w: the header, then rows as they
// come, flushed after each batch.
type csvStream struct {
	w   http.ResponseWriter
	cw  *csv.Writer
	err error
}

// startCSV answers 200 with a CSV attachment named name (".csv" added) and
// writes the header.
func startCSV(w http.ResponseWriter, name string, header []string) *csvStream {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	c := &csvStream{w: w, cw: csv.NewWriter(w)}
	c.write(header)
	return c
}

func (c *csvStream) write(row []string) {
	if c.err == nil {
		c.err = c.cw.Write(row)
	}
}

// flush sends what is buffered to the client.
func (c *csvStream) flush() error {
	c.cw.Flush()
	if c.err == nil {
		c.err = c.cw.Error()
	}
	if f, ok := c.w.(http.Flusher); ok {
		f.Flush()
	}
	return c.err
}

// writeRows writes records' rows.
func writeRows[W csvRecord](c *csvStream, rows []W) {
	for _, v := range rows {
		c.write(v.csvRow())
	}
}

// asCSV returns W's CSV form, when it has one.
func asCSV[W any]() (csvRecord, bool) {
	var zero W
	rec, ok := any(zero).(csvRecord)
	return rec, ok
}

// notCSV is the answer to CSV asked of a list that has no CSV form.
func notCSV() error {
	return &httpError{status: http.StatusNotAcceptable, msg: "This list has no CSV form; ask for JSON."}
}

// exportName names a CSV download after the request's path:
// /api/clients/{id}/invoices -> "invoices".
func exportName(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	return parts[len(parts)-1]
}

// servePages answers a list read page by page with fetch: one page (p) as
// JSON, or, when CSV is asked for, every page from the first, streamed.
func servePages[T, W any](s *Server, w http.ResponseWriter, r *http.Request, p projections.Paging, fetch func(projections.Paging) (projections.Page[T], error), conv func(T) W) {
	csvWanted, err := wantsCSV(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !csvWanted {
		page, err := fetch(p)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		writeList(s, w, r, page, conv)
		return
	}
	rec, ok := asCSV[W]()
	if !ok {
		s.Error(w, r, notCSV())
		return
	}
	// The first page is read before answering, so a bad request is still
	// a problem, not a broken download.
	q := projections.Paging{Limit: projections.MaxLimit}
	page, err := fetch(q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c := startCSV(w, exportName(r), rec.csvHeader())
	for {
		for _, v := range page.Items {
			c.write(any(conv(v)).(csvRecord).csvRow())
		}
		if c.flush() != nil {
			return
		}
		q.Offset += len(page.Items)
		if len(page.Items) == 0 || q.Offset >= page.Total {
			return
		}
		if page, err = fetch(q); err != nil {
			s.log.Error("CSV export stopped", "path", r.URL.Path, "err", err)
			return
		}
	}
}

// writeTable answers a table: body as JSON, or, when CSV is asked for,
// rows as a CSV attachment called name. It is how a list read whole (and a
// report's table) gets its CSV form.
func writeTable[W csvRecord](s *Server, w http.ResponseWriter, r *http.Request, name string, rows []W, body any) {
	csvWanted, err := wantsCSV(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !csvWanted {
		s.writeJSON(w, r, http.StatusOK, body)
		return
	}
	var zero W
	c := startCSV(w, name, zero.csvHeader())
	writeRows(c, rows)
	_ = c.flush()
}

// cell guards a text cell against formula injection: one that a
// spreadsheet would read as a formula (starting with = + - @, a tab or a
// carriage return) is prefixed with '.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// moneyCells is an amount's two columns: the decimal amount and the
// currency code.
func moneyCells(m Money) []string { return []string{string(m.Amount), m.Currency} }

// moneyListCells writes amounts in several currencies as "12.50 AUD; 3.00
// NZD" (a client may owe in more than one).
func moneyListCells(ms []Money) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = string(m.Amount) + " " + m.Currency
	}
	return strings.Join(parts, "; ")
}

func dateCell(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func idCell(id ID) string {
	if id == (ID{}) {
		return ""
	}
	return id.String()
}

func timeCell(t Time) string {
	b, _ := t.MarshalJSON()
	if string(b) == "null" {
		return ""
	}
	s, _ := strconv.Unquote(string(b))
	return s
}

func boolCell(b bool) string { return strconv.FormatBool(b) }

func row(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}
