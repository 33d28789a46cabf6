// Package importer moves a firm's clients into Remit from a CSV file in the
// shape of a Xero contacts export, so a firm can move in without retyping.
//
// Every row is checked first, by the same rules as creating a client by hand
// (billing.Service.ValidateClient); errors are listed by row and column, and
// nothing is imported unless every row is valid (or SkipInvalid says to import
// the valid rows and report the rest). Each row's command id is derived from
// the file's content hash and the row number, so importing the same file
// again creates nothing twice.
package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"

	"github.com/google/uuid"
)

// MaxRows is the most rows one file may hold.
const MaxRows = 50_000

// Row is one client read from the file.
type Row struct {
	Line     int // the CSV line number (the header is line 1)
	Request  billing.ClientRequest
	Problems []Problem
}

// Problem is one thing wrong with a row.
type Problem struct {
	Line    int
	Column  string // the CSV column, e.g. "EmailAddress"; "" for the row as a whole
	Message string
}

func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("row %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("row %d, column %s: %s", p.Line, p.Column, p.Message)
}

// File is a parsed contacts file.
type File struct {
	Hash string // hex SHA-256 of the file's bytes
	Rows []Row
}

// Problems returns every problem of every row, in row order.
func (f File) Problems() []Problem {
	var out []Problem
	for _, r := range f.Rows {
		out = append(out, r.Problems...)
	}
	return out
}

// header finds columns by name, case-insensitively, ignoring Xero's "*" on
// required columns.
type header map[string]int

func (h header) get(rec []string, name string) string {
	i, ok := h[strings.ToLower(name)]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// Parse reads a Xero contacts export. It fails as a whole only when the file
// is not CSV or lacks the ContactName column; problems of single rows are
// kept on the rows.
func Parse(r io.Reader) (File, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return File{}, fmt.Errorf("read file: %w", err)
	}
	sum := sha256.Sum256(raw)
	f := File{Hash: hex.EncodeToString(sum[:])}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return File{}, fmt.Errorf("the file is empty: expected a header row with ContactName")
	}
	if err != nil {
		return File{}, fmt.Errorf("line 1: %w", err)
	}
	h := header{}
	for i, name := range head {
		h[strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "*"))] = i
	}
	if _, ok := h["contactname"]; !ok {
		return File{}, fmt.Errorf("line 1: no ContactName column: is this a Xero contacts export?")
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return File{}, fmt.Errorf("line %d: %v", pe.Line, pe.Err)
			}
			return File{}, err
		}
		line, _ := cr.FieldPos(0)
		if len(f.Rows) >= MaxRows {
			return File{}, fmt.Errorf("the file has more than %d rows: split it", MaxRows)
		}
		if blank(rec) {
			continue
		}
		f.Rows = append(f.Rows, rowOf(f.Hash, line, h, rec))
	}
	return f, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// countries maps the country names Xero writes to ISO 3166-1 codes.
var countries = map[string]string{
	"australia": "AU", "new zealand": "NZ", "united kingdom": "GB", "uk": "GB", "great britain": "GB",
	"england": "GB", "scotland": "GB", "wales": "GB", "ireland": "IE", "united states": "US",
	"united states of america": "US", "usa": "US", "canada": "CA", "singapore": "SG", "hong kong": "HK",
	"south africa": "ZA", "germany": "DE", "france": "FR", "netherlands": "NL", "spain": "ES",
	"italy": "IT", "india": "IN", "japan": "JP", "fiji": "FJ", "papua new guinea": "PG",
}

func rowOf(fileHash string, line int, h header, rec []string) Row {
	row := Row{Line: line}
	add := func(col, format string, args ...any) {
		row.Problems = append(row.Problems, Problem{Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	id := func(kind string) uuid.UUID {
		return uuid.NewSHA1(billing.EventNamespace, fmt.Appendf(nil, "import/%s/%d/%s", fileHash, line, kind))
	}
	name := h.get(rec, "ContactName")
	first, last := h.get(rec, "FirstName"), h.get(rec, "LastName")
	kind := client.KindBusiness
	if first != "" && strings.EqualFold(strings.TrimSpace(first+" "+last), name) && h.get(rec, "TaxNumber") == "" && h.get(rec, "CompanyNumber") == "" {
		kind = client.KindIndividual
	}
	primaryName := strings.TrimSpace(first + " " + last)
	if primaryName == "" {
		primaryName = name
	}
	phone := h.get(rec, "PhoneNumber")
	if phone == "" {
		phone = h.get(rec, "MobileNumber")
	}
	contacts := []client.Contact{{ID: id("contact/0"), Name: primaryName, Email: h.get(rec, "EmailAddress"), Phone: phone, Role: "Billing"}}
	for i := 1; i <= 5; i++ {
		p := fmt.Sprintf("Person%d", i)
		pn := strings.TrimSpace(h.get(rec, p+"FirstName") + " " + h.get(rec, p+"LastName"))
		pe := h.get(rec, p+"Email")
		if pn == "" && pe == "" {
			continue
		}
		if pn == "" {
			pn = pe
		}
		contacts = append(contacts, client.Contact{ID: id(fmt.Sprintf("contact/%d", i)), Name: pn, Email: pe})
	}
	country := h.get(rec, "POCountry")
	if len(country) > 2 {
		code, ok := countries[strings.ToLower(country)]
		if !ok {
			add("POCountry", "%q is not a country Remit recognises: use a two-letter code such as AU", country)
		}
		country = code
	}
	lines := []string{h.get(rec, "POAddressLine1"), h.get(rec, "POAddressLine2"), h.get(rec, "POAddressLine3"), h.get(rec, "POAddressLine4")}
	line2 := strings.Join(nonEmpty(lines[1:]), ", ")
	var terms *int
	if d := h.get(rec, "DueDateSalesDay"); d != "" {
		n, err := strconv.Atoi(d)
		switch {
		case err != nil || n < 0 || n > 365:
			add("DueDateSalesDay", "%q is not a number of days between 0 and 365", d)
		case strings.EqualFold(h.get(rec, "DueDateSalesTerm"), "DAYSAFTERBILLDATE") || h.get(rec, "DueDateSalesTerm") == "":
			terms = &n
		default:
			add("DueDateSalesTerm", "%q terms are not supported: Remit counts payment terms in days after the invoice date (DAYSAFTERBILLDATE)", h.get(rec, "DueDateSalesTerm"))
		}
	}
	row.Request = billing.ClientRequest{
		ClientID:         id("client"),
		Name:             name,
		Kind:             kind,
		Contacts:         contacts,
		PrimaryContactID: contacts[0].ID,
		Address: domain.Address{Line1: lines[0], Line2: line2, City: h.get(rec, "POCity"),
			Region: h.get(rec, "PORegion"), Postcode: h.get(rec, "POPostalCode"), Country: country},
		TaxNumber:        h.get(rec, "TaxNumber"),
		Currency:         h.get(rec, "DefaultCurrency"),
		PaymentTermsDays: terms,
	}
	return row
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// columnOf names the CSV column behind a domain field, for row errors.
func columnOf(field string) string {
	switch {
	case field == "name":
		return "ContactName"
	case strings.HasPrefix(field, "contacts[0].email"):
		return "EmailAddress"
	case strings.HasPrefix(field, "contacts[0].name"):
		return "FirstName"
	case strings.HasPrefix(field, "contacts[0].phone"):
		return "PhoneNumber"
	case strings.HasPrefix(field, "contacts["):
		n := strings.TrimPrefix(field, "contacts[")
		i := strings.IndexByte(n, ']')
		if i > 0 {
			idx, _ := strconv.Atoi(n[:i])
			switch rest := n[i+1:]; {
			case strings.HasPrefix(rest, ".email"):
				return fmt.Sprintf("Person%dEmail", idx)
			default:
				return fmt.Sprintf("Person%dFirstName", idx)
			}
		}
	case strings.HasPrefix(field, "address.line1"):
		return "POAddressLine1"
	case strings.HasPrefix(field, "address.line2"):
		return "POAddressLine2"
	case strings.HasPrefix(field, "address.city"):
		return "POCity"
	case strings.HasPrefix(field, "address.region"):
		return "PORegion"
	case strings.HasPrefix(field, "address.postcode"):
		return "POPostalCode"
	case strings.HasPrefix(field, "address.country"):
		return "POCountry"
	case field == "tax_number":
		return "TaxNumber"
	case field == "currency":
		return "DefaultCurrency"
	case field == "payment_terms_days":
		return "DueDateSalesDay"
	}
	return field
}

// Validator checks one client by the rules of creating it.
type Validator interface {
	ValidateClient(ctx context.Context, r billing.ClientRequest) error
}

// Check runs every row through v and records its problems on the row.
func Check(ctx context.Context, v Validator, f *File) error {
	seen := map[string]int{}
	for i := range f.Rows {
		row := &f.Rows[i]
		key := strings.ToLower(row.Request.Name)
		if prev, dup := seen[key]; dup && key != "" {
			row.Problems = append(row.Problems, Problem{Line: row.Line, Column: "ContactName", Message: fmt.Sprintf("%q also appears on row %d", row.Request.Name, prev)})
		}
		seen[key] = row.Line
		err := v.ValidateClient(ctx, row.Request)
		if err == nil {
			continue
		}
		var ve *domain.ValidationError
		var de *domain.Error
		switch {
		case errors.As(err, &ve):
			for _, p := range ve.Problems {
				row.Problems = append(row.Problems, Problem{Line: row.Line, Column: columnOf(p.Field), Message: p.Message})
			}
		case errors.As(err, &de) && de.Code != domain.EINTERNAL:
			row.Problems = append(row.Problems, Problem{Line: row.Line, Column: columnOf(de.Field), Message: de.Message})
		default:
			return err
		}
	}
	return nil
}

// Creator creates clients.
type Creator interface {
	CreateClient(ctx context.Context, r billing.ClientRequest, meta billing.Meta) (billing.Result, error)
}

// Options control an import.
type Options struct {
	// SkipInvalid imports the valid rows when some are invalid; otherwise
	// nothing is imported unless every row is valid.
	SkipInvalid bool
	// Actor is recorded on every event.
	Actor string
	// Progress, when set, is called after each row is imported.
	Progress func(done, total int)
}

// Outcome says what an import did.
type Outcome struct {
	Imported int       // clients created by this run
	Existing int       // rows already imported by an earlier run of the same file
	Skipped  int       // invalid rows left out (SkipInvalid)
	Problems []Problem // every problem found
	Position uint64    // the store position of the last event appended
}

// ErrInvalidRows is returned (wrapped) when rows are invalid and SkipInvalid
// is off: nothing was imported.
var ErrInvalidRows = errors.New("the file has invalid rows; nothing was imported")

// Import checks every row, then creates a client per valid row. Each row's
// command id is derived from the file hash and its line, so importing the
// same file again finds its clients already there and creates nothing.
func Import(ctx context.Context, svc interface {
	Validator
	Creator
}, f File, opts Options) (Outcome, error) {
	var out Outcome
	if err := Check(ctx, svc, &f); err != nil {
		return out, err
	}
	out.Problems = f.Problems()
	if len(out.Problems) > 0 && !opts.SkipInvalid {
		return out, fmt.Errorf("%d problems in %d rows: %w", len(out.Problems), countBad(f), ErrInvalidRows)
	}
	for i, row := range f.Rows {
		if len(row.Problems) > 0 {
			out.Skipped++
			continue
		}
		meta := billing.Meta{Actor: opts.Actor, CommandID: fmt.Sprintf("import:%s:%d", f.Hash, row.Line), CorrelationID: "import:" + f.Hash}
		res, err := svc.CreateClient(ctx, row.Request, meta)
		if err != nil {
			return out, fmt.Errorf("row %d: %w", row.Line, err)
		}
		if res.AlreadyApplied {
			out.Existing++
		} else {
			out.Imported++
		}
		out.Position = max(out.Position, res.Position)
		if opts.Progress != nil {
			opts.Progress(i+1, len(f.Rows))
		}
	}
	return out, nil
}

func countBad(f File) int {
	n := 0
	for _, r := range f.Rows {
		if len(r.Problems) > 0 {
			n++
		}
	}
	return n
}
