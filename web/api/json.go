package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// readBody reads the request body: 413 past the size limit, 415 when the
// declared type is not JSON.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit)}
		}
		return nil, malformed(domain.Invalid("", "the request body could not be read"))
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
				return nil, &httpError{status: http.StatusUnsupportedMediaType, msg: "Send the request body as application/json."}
			}
		}
	}
	return raw, nil
}

// decodeJSON decodes raw into dst (a pointer to a request struct) strictly:
// the body must be one JSON object whose every field is a field of dst (by
// its exact JSON name), of the right type, with every required field (dotted
// paths, e.g. "contact.name") present and not null. Every problem is
// reported with its field path, as a malformed request (400). An empty body
// decodes as {}. Amounts and quantities (decimals) are read with
// domain.ParseDecimal, as strings or JSON numbers, whose refusals (an
// exponent, too many digits) are invalid values (422) when the body is
// otherwise well formed. Past maxListedProblems problems, the rest are only
// counted, so a huge body of mistakes costs no more than a small one.
func decodeJSON(raw []byte, dst any, required ...string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return malformed(domain.Invalid("", "the body is not valid JSON (at byte %d: %s)", se.Offset, strings.TrimPrefix(se.Error(), "json: ")))
		}
		return malformed(domain.Invalid("", "the body is not valid JSON"))
	}
	if raw[0] != '{' {
		return malformed(domain.Invalid("", "the body must be a JSON object"))
	}
	var d decoder
	d.decodeValue(raw, reflect.ValueOf(dst).Elem(), "")
	if d.malformed.empty() {
		checkRequired(raw, required, &d.malformed)
	}
	if !d.malformed.empty() {
		d.malformed.merge(d.invalid)
		return malformed(d.malformed.err())
	}
	return d.invalid.err()
}

// problemList is a list of field problems that keeps the first
// maxListedProblems and only counts the rest.
type problemList struct {
	p    domain.Problems
	more int
}

func (l *problemList) Add(field, format string, args ...any) {
	if len(l.p) >= maxListedProblems {
		l.more++
		return
	}
	l.p.Add(field, format, args...)
}

func (l *problemList) empty() bool { return len(l.p) == 0 && l.more == 0 }

func (l *problemList) merge(o problemList) {
	for _, q := range o.p {
		l.Add(q.Field, "%s", q.Message)
	}
	l.more += o.more
}

func (l *problemList) err() error {
	if l.empty() {
		return nil
	}
	return &domain.ValidationError{Problems: l.p, More: l.more}
}

// decoder decodes a request body, keeping apart the problems that make the
// body unreadable as the request (malformed, 400) from values that are read
// but refused (invalid, 422).
type decoder struct {
	malformed problemList
	invalid   problemList
	// fields are the JSON fields of the struct types met so far in this
	// body (a list of a thousand lines reads its line type once).
	fields map[reflect.Type]map[string]field
}

// fieldsOf returns t's JSON fields by name.
func (d *decoder) fieldsOf(t reflect.Type) map[string]field {
	if m, ok := d.fields[t]; ok {
		return m
	}
	m := map[string]field{}
	for _, f := range fieldList(t) {
		if _, dup := m[f.name]; !dup {
			m[f.name] = f
		}
	}
	if d.fields == nil {
		d.fields = map[reflect.Type]map[string]field{}
	}
	d.fields[t] = m
	return m
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	uuidType        = reflect.TypeFor[uuid.UUID]()
	decimalType     = reflect.TypeFor[decimal.Decimal]()
	dateType        = reflect.TypeFor[domain.Date]()
	currencyType    = reflect.TypeFor[domain.Currency]()
	timeType        = reflect.TypeFor[time.Time]()
)

// isLeaf reports whether t decodes itself (or is not a container).
func isLeaf(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Pointer:
		return false
	}
	return true
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// decodeValue decodes raw into v, recording problems at path.
func (d *decoder) decodeValue(raw json.RawMessage, v reflect.Value, path string) {
	p := &d.malformed
	t := v.Type()
	if t == decimalType && string(raw) != "null" {
		d.decodeDecimal(raw, v, path)
		return
	}
	if isLeaf(t) {
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			p.Add(path, "%s", leafMessage(t, raw, err))
		}
		return
	}
	null := string(raw) == "null"
	switch t.Kind() {
	case reflect.Pointer:
		if null {
			v.SetZero()
			return
		}
		e := reflect.New(t.Elem())
		d.decodeValue(raw, e.Elem(), path)
		v.Set(e)
	case reflect.Slice:
		if null {
			v.SetZero()
			return
		}
		var elems []json.RawMessage
		if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
			p.Add(path, "must be an array, not %s", jsonKind(raw))
			return
		}
		s := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			if len(p.p) >= maxListedProblems {
				p.more += len(elems) - i // stop early: counted, not decoded
				break
			}
			d.decodeValue(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Struct:
		if null {
			return
		}
		var obj map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
			p.Add(path, "must be an object, not %s", jsonKind(raw))
			return
		}
		fields := d.fieldsOf(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if len(p.p) >= maxListedProblems {
				p.more += len(keys) - i // stop early: counted, not decoded
				break
			}
			f, ok := fields[k]
			if !ok {
				p.Add(joinPath(path, k), "is not a field of this request")
				continue
			}
			fv := v.FieldByIndex(f.index)
			d.decodeValue(obj[k], fv, joinPath(path, k))
			if f.min != "" && fv.CanInt() {
				// A field tagged min:"N" may be left out (its zero has a
				// meaning) but, when given, is at least N.
				if m, err := strconv.ParseInt(f.min, 10, 64); err == nil && fv.Int() < m {
					d.invalid.Add(joinPath(path, k), "must be at least %d", m)
				}
			}
		}
	}
}

// decodeDecimal reads an amount or quantity, written as a JSON string or
// number, with domain.ParseDecimal: plain digits only, never an exponent.
func (d *decoder) decodeDecimal(raw json.RawMessage, v reflect.Value, path string) {
	s := string(raw)
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			d.malformed.Add(path, "must be a decimal number such as 12.50, not %s", jsonKind(raw))
			return
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		d.malformed.Add(path, "must be a decimal number such as 12.50, not %s", jsonKind(raw))
		return
	}
	n, err := domain.ParseDecimal(path, s)
	if err != nil {
		if len(s) > domain.MaxDecimalLength {
			d.invalid.Add(path, "%s", domain.ErrorMessage(err))
		} else if _, nerr := decimal.NewFromString(s); nerr != nil {
			// Not a number at all ("lots"): the body is not the request.
			d.malformed.Add(path, "must be a decimal number such as 12.50, not %q", s)
		} else {
			// A number, written in a form Remit refuses ("1e5").
			d.invalid.Add(path, "%s", domain.ErrorMessage(err))
		}
		return
	}
	v.Set(reflect.ValueOf(n))
}

// leafMessage explains why raw is not a value of type t.
func leafMessage(t reflect.Type, raw json.RawMessage, err error) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case uuidType:
		return "must be an id (a UUID such as 0190f1c2-8a4b-7c3d-9e5f-1a2b3c4d5e6f)"
	case decimalType:
		return fmt.Sprintf("must be a decimal number such as 12.50, not %s", jsonKind(raw))
	case dateType:
		if raw[0] == '"' {
			return err.Error()
		}
		return "must be a date in the form YYYY-MM-DD"
	case currencyType:
		return err.Error()
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("must be %s, not %s", jsonTypeName(t), jsonKind(raw))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// jsonKind names the kind of a JSON value for a message.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// checkRequired records a problem for every required dotted path absent or
// null in raw.
func checkRequired(raw []byte, required []string, p *problemList) {
	if len(required) == 0 {
		return
	}
	var root map[string]any
	if json.Unmarshal(raw, &root) != nil {
		return
	}
	for _, path := range required {
		var cur any = root
		for _, part := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[part]
		}
		if cur == nil {
			p.Add(path, "is required")
		}
	}
}

// field is one JSON field of a request struct type.
type field struct {
	name      string
	index     []int
	typ       reflect.Type
	omitEmpty bool
	omitZero  bool
	min       string // the min:"N" tag: when given, at least N
}

// fieldList returns t's JSON fields in declaration order, named as
// encoding/json names them: by the tag's name (honouring omitempty,
// omitzero and "-"), else by the Go name; untagged embedded structs are
// flattened. Every field of a request or response type has a tag
// (TestWireTypesAreTagged), so renaming a Go field renames nothing.
func fieldList(t reflect.Type) []field {
	var out []field
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(slices.Clone(index), i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			f := field{name: name, index: idx, typ: sf.Type, min: sf.Tag.Get("min")}
			if f.name == "" {
				f.name = sf.Name
			}
			for _, o := range strings.Split(opts, ",") {
				f.omitEmpty = f.omitEmpty || o == "omitempty"
				f.omitZero = f.omitZero || o == "omitzero"
			}
			out = append(out, f)
		}
	}
	walk(t, nil)
	return out
}
