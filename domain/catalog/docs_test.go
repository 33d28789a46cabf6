package catalog_test

import (
	"bufio"
	"encoding"
	"encoding/json"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"remit/domain/catalog"
)

// eventsDoc is the event catalogue for people, kept true by TestEventsDoc.
const eventsDoc = "../../docs/events.md"

// docSection is one "### Name" section of docs/events.md.
type docSection struct {
	parent     string   // the "## " heading it sits under
	line       int      // where its heading is
	fields     []string // the names in backticks that open its table rows
	emittedBy  bool     // it has an "Emitted by" line
	readModels bool     // it has a "Read models" line
}

// doc is docs/events.md as the test reads it.
type doc struct {
	h2       map[string]string        // "## " heading -> its text up to the next "## "
	sections map[string][]*docSection // "### " heading -> its sections (more than one is an error)
}

func readDoc(t *testing.T) doc {
	t.Helper()
	f, err := os.Open(eventsDoc)
	if err != nil {
		t.Fatalf("the event catalogue must exist: %v", err)
	}
	defer f.Close()
	d := doc{h2: map[string]string{}, sections: map[string][]*docSection{}}
	var h2 string
	var cur *docSection
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			h2, cur = strings.TrimSpace(line[3:]), nil
		case strings.HasPrefix(line, "### "):
			name := strings.Trim(strings.TrimSpace(line[4:]), "`")
			cur = &docSection{parent: h2, line: n}
			d.sections[name] = append(d.sections[name], cur)
		case strings.HasPrefix(line, "#"):
			cur = nil
		}
		if h2 != "" {
			d.h2[h2] += line + "\n"
		}
		if cur == nil {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(rest, "`"); ok {
				cur.fields = append(cur.fields, name)
			}
		}
		cur.emittedBy = cur.emittedBy || strings.HasPrefix(line, "Emitted by")
		cur.readModels = cur.readModels || strings.HasPrefix(line, "Read models")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// aggregateHeading is the "## " heading of an aggregate's part of the doc:
// its name, capitalised ("## Client").
func aggregateHeading(a catalog.Aggregate) string {
	return strings.ToUpper(a.Name[:1]) + a.Name[1:]
}

// valueShapes is the "## " heading under which the structured values that
// events hold (an address, a money amount, an invoice line) are described.
const valueShapes = "Value shapes"

// TestEventsDoc compares docs/events.md with the code: every aggregate has a
// part naming its streams; every event type has one section in its
// aggregate's part, saying which command emits it and which read models use
// it, with a table row for each of its JSON fields and for no other; and every
// structured value found inside events is described the same way.
func TestEventsDoc(t *testing.T) {
	d := readDoc(t)
	c := catalog.New()

	documented := map[string]bool{} // "### " sections the code accounts for
	for _, a := range c.Aggregates() {
		h2 := aggregateHeading(a)
		text, ok := d.h2[h2]
		if !ok {
			t.Errorf("%s: no %q part for aggregate %s", eventsDoc, "## "+h2, a.Name)
		} else if !strings.Contains(text, "`"+a.StreamPattern()+"`") {
			t.Errorf("%s: the %q part does not name its streams, `%s`", eventsDoc, h2, a.StreamPattern())
		}
		for _, typ := range a.EventTypes {
			documented[typ] = true
			e, err := a.Decode(typ, []byte(`{}`))
			if err != nil {
				t.Fatalf("decode %s: %v", typ, err)
			}
			checkSection(t, d, typ, h2, jsonFields(reflect.TypeOf(e)), true)
		}
	}

	shapes := map[string]reflect.Type{}
	for _, typ := range c.EventTypes() {
		e, _ := c.Decode(typ, c.SchemaVersion(typ), []byte(`{}`))
		collectShapes(reflect.TypeOf(e), shapes)
	}
	if _, ok := d.h2[valueShapes]; !ok {
		t.Errorf("%s: no %q part", eventsDoc, "## "+valueShapes)
	}
	for name, typ := range shapes {
		documented[name] = true
		checkSection(t, d, name, valueShapes, jsonFields(typ), false)
	}

	for name, secs := range d.sections {
		for _, s := range secs {
			if documented[name] {
				continue
			}
			if s.parent == valueShapes || isAggregatePart(c, s.parent) {
				t.Errorf("%s:%d: section %q names no event type or value shape in the code (renamed or removed?)", eventsDoc, s.line, name)
			}
		}
	}
}

func isAggregatePart(c *catalog.Catalog, h2 string) bool {
	return slices.ContainsFunc(c.Aggregates(), func(a catalog.Aggregate) bool { return aggregateHeading(a) == h2 })
}

// checkSection checks the one section of name under the "## " heading want.
func checkSection(t *testing.T, d doc, name, want string, fields []string, event bool) {
	t.Helper()
	secs := d.sections[name]
	if len(secs) == 0 {
		t.Errorf("%s: no section %q under %q", eventsDoc, "### "+name, "## "+want)
		return
	}
	if len(secs) > 1 {
		t.Errorf("%s: %q has %d sections (lines %d and %d), want one", eventsDoc, name, len(secs), secs[0].line, secs[1].line)
	}
	s := secs[0]
	if s.parent != want {
		t.Errorf("%s:%d: %q sits under %q, want %q", eventsDoc, s.line, name, "## "+s.parent, "## "+want)
	}
	if event && !s.emittedBy {
		t.Errorf("%s:%d: %s does not say when it is emitted (an \"Emitted by\" line)", eventsDoc, s.line, name)
	}
	if event && !s.readModels {
		t.Errorf("%s:%d: %s does not say which read models use it (a \"Read models\" line)", eventsDoc, s.line, name)
	}
	for _, f := range fields {
		if !slices.Contains(s.fields, f) {
			t.Errorf("%s:%d: %s: field `%s` is not described (add a row \"| `%s` | … |\")", eventsDoc, s.line, name, f, f)
		}
	}
	for _, f := range s.fields {
		if !slices.Contains(fields, f) {
			t.Errorf("%s:%d: %s: field `%s` is described but the code has no such JSON field (has %v)", eventsDoc, s.line, name, f, fields)
		}
	}
	seen := map[string]bool{}
	for _, f := range s.fields {
		if seen[f] {
			t.Errorf("%s:%d: %s: field `%s` is described twice", eventsDoc, s.line, name, f)
		}
		seen[f] = true
	}
}

// jsonFields returns the JSON member names of struct type t as encoding/json
// writes them: the tag's name or the field's, skipping "-" and unexported
// fields, with untagged embedded structs flattened.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// collectShapes adds to shapes every named struct type reachable from t's
// fields that encodes as a JSON object of its fields (types that marshal
// themselves, such as dates, decimals, uuids and currencies, are scalars in
// JSON), keyed "package.Type".
func collectShapes(t reflect.Type, shapes map[string]reflect.Type) {
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array || ft.Kind() == reflect.Map {
			if isScalar(ft) {
				break
			}
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || isScalar(ft) {
			continue
		}
		if f.Anonymous && f.Tag.Get("json") == "" {
			collectShapes(ft, shapes) // flattened into t's object
			continue
		}
		name := path.Base(ft.PkgPath()) + "." + ft.Name()
		if _, seen := shapes[name]; seen {
			continue
		}
		shapes[name] = ft
		collectShapes(ft, shapes)
	}
}

func isScalar(t reflect.Type) bool {
	for _, m := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}
