package api

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/processes/billingrun"
	"remit/projections"
)

// wireRoots are the types the API writes and reads as JSON: every
// operation's success body (but the document itself and downloads), the
// 202 answer, the problem, and every request body.
func wireRoots(t *testing.T) (answers, requests []reflect.Type) {
	t.Helper()
	answers = []reflect.Type{reflect.TypeFor[commandResult](), reflect.TypeFor[Problem]()}
	for _, op := range operations() {
		if rt := reflect.TypeOf(op.resp); op.media == "" && rt.Kind() == reflect.Struct {
			answers = append(answers, rt)
		}
		if op.body != nil {
			requests = append(requests, reflect.TypeOf(op.body))
		}
		if op.alt != nil {
			answers = append(answers, reflect.TypeOf(op.alt))
		}
	}
	return answers, requests
}

// TestWireTypesAreTagged checks that every field the API writes or reads
// has its JSON name in a tag, so renaming a Go field cannot rename a field
// of the API; that no two fields of a type have the same name (encoding/json
// would silently drop both); and that an answer is built of wire types
// only (this package's, domain.Date and plain values), so no read model or
// domain type reaches the wire unconverted.
func TestWireTypesAreTagged(t *testing.T) {
	answers, requests := wireRoots(t)
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, answer bool)
	walk = func(typ reflect.Type, answer bool) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if seen[typ] {
			return
		}
		seen[typ] = true
		if answer && typ.PkgPath() != "" && typ.PkgPath() != reflect.TypeFor[ID]().PkgPath() && typ != dateType {
			t.Errorf("%s is answered: it is not a wire type of package api", typ)
			return
		}
		if typ.Kind() != reflect.Struct || typ == dateType || typ.Implements(jsonUnmarshaler) || reflect.PointerTo(typ).Implements(jsonUnmarshaler) {
			return
		}
		names := map[string]string{}
		var fields func(typ reflect.Type, prefix string)
		fields = func(typ reflect.Type, prefix string) {
			for i := range typ.NumField() {
				sf := typ.Field(i)
				tag, ok := sf.Tag.Lookup("json")
				name, _, _ := strings.Cut(tag, ",")
				switch {
				case tag == "-" || !sf.IsExported() && !sf.Anonymous:
					continue
				case sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct:
					fields(sf.Type, prefix+sf.Name+".")
					continue
				case !ok || name == "":
					t.Errorf("%s.%s%s has no JSON name in a tag", typ, prefix, sf.Name)
				case names[name] != "":
					t.Errorf("%s: fields %s and %s%s are both %q", typ, names[name], prefix, sf.Name, name)
				}
				names[name] = prefix + sf.Name
				walk(sf.Type, answer)
			}
		}
		fields(typ, "")
	}
	for _, typ := range answers {
		walk(typ, true)
	}
	for _, typ := range requests {
		walk(typ, false)
	}
}

// TestOpenAPISchemasMatchWireTypes checks every answer described in the
// OpenAPI document against what encoding/json writes for its wire type:
// a value with every field set shows exactly the schema's properties, each
// of the schema's type, and the zero value shows exactly its required
// fields (the others are omitted when empty), null only where nullable.
func TestOpenAPISchemasMatchWireTypes(t *testing.T) {
	raw, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	paths := doc["paths"].(map[string]any)
	checked := 0
	check := func(where string, schema any, typ reflect.Type) {
		t.Helper()
		full := reflect.New(typ).Elem()
		fill(full)
		c := schemaCheck{t: t, schemas: schemas}
		c.match(where+" (every field set)", schema, encode(t, full), false)
		c.match(where+" (zero value)", schema, encode(t, reflect.New(typ).Elem()), true)
		checked++
	}
	for _, op := range operations() {
		typ := reflect.TypeOf(op.resp)
		if op.media != "" || typ.Kind() != reflect.Struct {
			continue
		}
		where := fmt.Sprintf("%s %s %d", op.method, op.path, op.status)
		responses := paths[op.path].(map[string]any)[strings.ToLower(op.method)].(map[string]any)["responses"].(map[string]any)
		check(where, responses[strconv.Itoa(op.status)].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"], typ)
		if accepted, ok := responses["202"].(map[string]any); ok {
			check(where+" 202", accepted["content"].(map[string]any)["application/json"].(map[string]any)["schema"], reflect.TypeFor[commandResult]())
		}
	}
	check("Problem", schemas["Problem"], reflect.TypeFor[Problem]())
	if checked < 60 {
		t.Errorf("only %d answers checked", checked)
	}
}

// encode writes v with encoding/json, as the API does, and reads it back
// as plain JSON values.
func encode(t *testing.T, v reflect.Value) any {
	t.Helper()
	b, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatalf("encode %s: %v", v.Type(), err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// fill sets every field of v, at every depth, to a value that is not
// empty: lists and maps get one element.
func fill(v reflect.Value) {
	switch v.Type() {
	case reflect.TypeFor[ID]():
		v.Set(reflect.ValueOf(ID(uuid.MustParse("0190f1c2-8a4b-7c3d-9e5f-1a2b3c4d5e6f"))))
		return
	case reflect.TypeFor[Time]():
		v.Set(reflect.ValueOf(Time(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC))))
		return
	case dateType:
		v.Set(reflect.ValueOf(domain.MustDate(2026, 3, 1)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("1.50")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// schemaCheck compares encoded JSON values with the document's schemas.
type schemaCheck struct {
	t       *testing.T
	schemas map[string]any
}

// resolve follows $ref and a nullable allOf to the schema itself, and
// says whether null is allowed on the way.
func (c schemaCheck) resolve(s any) (map[string]any, bool) {
	m := s.(map[string]any)
	nullable, _ := m["nullable"].(bool)
	if all, ok := m["allOf"].([]any); ok && len(all) == 1 {
		r, n := c.resolve(all[0])
		return r, nullable || n
	}
	if ref, ok := m["$ref"].(string); ok {
		r, n := c.resolve(c.schemas[strings.TrimPrefix(ref, "#/components/schemas/")])
		return r, nullable || n
	}
	return m, nullable
}

func (c schemaCheck) match(where string, schema, v any, zero bool) {
	t := c.t
	t.Helper()
	s, nullable := c.resolve(schema)
	typ, _ := s["type"].(string)
	if v == nil {
		// The zero value of a list or map is nil; the conversion functions
		// never answer one (wireList, nonNil, stringMap).
		if !nullable && !(zero && (typ == "array" || typ == "object")) {
			t.Errorf("%s: null, but the schema is not nullable", where)
		}
		return
	}
	switch typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %T, the schema says object", where, v)
			return
		}
		props, isStruct := s["properties"].(map[string]any)
		if !isStruct {
			for k, e := range obj {
				c.match(where+"."+k, s["additionalProperties"], e, zero)
			}
			return
		}
		want := slices.Sorted(maps.Keys(props))
		if zero {
			want = nil
			for _, r := range asList(s["required"]) {
				want = append(want, r.(string))
			}
			slices.Sort(want)
		}
		if got := slices.Sorted(maps.Keys(obj)); !slices.Equal(got, want) {
			what := "properties"
			if zero {
				what = "required fields"
			}
			t.Errorf("%s: encoding/json writes fields %v, the schema's %s are %v", where, got, what, want)
		}
		for k, e := range obj {
			if p, ok := props[k]; ok {
				c.match(where+"."+k, p, e, zero)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			t.Errorf("%s: %T, the schema says array", where, v)
			return
		}
		for i, e := range arr {
			c.match(fmt.Sprintf("%s[%d]", where, i), s["items"], e, zero)
		}
	case "string":
		if _, ok := v.(string); !ok {
			t.Errorf("%s: %v, the schema says string", where, v)
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			t.Errorf("%s: %v, the schema says integer", where, v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			t.Errorf("%s: %v, the schema says number", where, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: %v, the schema says boolean", where, v)
		}
	default:
		t.Errorf("%s: the schema has no type (%v)", where, s)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

var updateWire = flag.Bool("update-wire", false, "rewrite testdata/wire.txt from the OpenAPI document (a deliberate change to the API)")

// TestWireIsUnchanged keeps the API's fields in testdata/wire.txt, one line
// per field of every schema of the OpenAPI document (its type, and whether
// it is required or nullable), so any change to what the API answers or
// reads (a tag renamed, an omitempty added, a type changed) shows in review
// as a change to that file. After a deliberate change, rewrite it with
//
//	go test ./web/api/ -run TestWireIsUnchanged -update-wire
func TestWireIsUnchanged(t *testing.T) {
	raw, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	got := wireLines(doc)
	const golden = "testdata/wire.txt"
	if *updateWire {
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for _, l := range got {
		if !slices.Contains(want, l) {
			t.Errorf("new or changed: %s", l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			t.Errorf("gone or changed: %s", l)
		}
	}
	if t.Failed() {
		t.Log("The API's fields changed. If that is meant, rewrite testdata/wire.txt with -update-wire and review its diff.")
	}
}

// wireLines describes every schema of the document, and every operation's
// bodies, one field a line.
func wireLines(doc map[string]any) []string {
	var out []string
	var describe func(prefix string, s map[string]any)
	kind := func(s map[string]any) string {
		var k string
		switch {
		case s["$ref"] != nil:
			k = strings.TrimPrefix(s["$ref"].(string), "#/components/schemas/")
		case s["allOf"] != nil:
			k = strings.TrimPrefix(s["allOf"].([]any)[0].(map[string]any)["$ref"].(string), "#/components/schemas/")
		default:
			k, _ = s["type"].(string)
			if f, ok := s["format"].(string); ok {
				k += "/" + f
			}
		}
		if n, _ := s["nullable"].(bool); n {
			k += " nullable"
		}
		return k
	}
	describe = func(prefix string, s map[string]any) {
		switch s["type"] {
		case "object":
			props, ok := s["properties"].(map[string]any)
			if !ok {
				if ap, ok := s["additionalProperties"].(map[string]any); ok {
					out = append(out, prefix+" map of "+kind(ap))
					describe(prefix+"{}", ap)
				}
				return
			}
			required := asList(s["required"])
			for _, name := range slices.Sorted(maps.Keys(props)) {
				p := props[name].(map[string]any)
				line := prefix + "." + name + ": " + kind(p)
				if slices.Contains(required, any(name)) {
					line += " required"
				}
				out = append(out, line)
				describe(prefix+"."+name, p)
			}
		case "array":
			items := s["items"].(map[string]any)
			out = append(out, prefix+"[]: "+kind(items))
			describe(prefix+"[]", items)
		}
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(schemas)) {
		describe(name, schemas[name].(map[string]any))
	}
	paths := doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		ops := paths[path].(map[string]any)
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := ops[method].(map[string]any)
			where := strings.ToUpper(method) + " " + path
			if rb, ok := op["requestBody"].(map[string]any); ok {
				s := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
				out = append(out, where+" body: "+kind(s))
				describe(where+" body", s)
			}
			responses := op["responses"].(map[string]any)
			for _, code := range slices.Sorted(maps.Keys(responses)) {
				content, ok := responses[code].(map[string]any)["content"].(map[string]any)
				if !ok {
					continue
				}
				for _, media := range slices.Sorted(maps.Keys(content)) {
					s := content[media].(map[string]any)["schema"].(map[string]any)
					out = append(out, where+" "+code+" "+media+": "+kind(s))
					describe(where+" "+code, s)
				}
			}
		}
	}
	return out
}

// TestWireConventions checks the conventions the wire scalars carry, on
// converted read models: no id or time is null, not a zero value; money
// shows every minor unit; empty lists and maps are [] and {}; maps keyed by
// id are keyed by the id's text; a schedule item names its payment method
// once, the one it will be collected from.
func TestWireConventions(t *testing.T) {
	id := uuid.MustParse("0190f1c2-8a4b-7c3d-9e5f-1a2b3c4d5e6f")
	method := uuid.MustParse("0190f1c2-8a4b-7c3d-9e5f-000000000001")
	aud := domain.MustCurrency("AUD")
	for _, c := range []struct {
		name string
		v    any
		want string
	}{
		{"NilID", ID(uuid.Nil), `null`},
		{"ID", ID(id), `"0190f1c2-8a4b-7c3d-9e5f-1a2b3c4d5e6f"`},
		{"ZeroTime", Time{}, `null`},
		{"Time", Time(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)), `"2026-03-01T09:30:00Z"`},
		{"MoneyMinorUnits", moneyOf(domain.Money{Amount: decimal.RequireFromString("5.5"), Currency: aud}), `{"amount":"5.50","currency":"AUD"}`},
		{"MoneyNoCurrency", moneyOf(domain.Money{}), `{"amount":"0","currency":""}`},
		{"EmptyList", wireList([]projections.ActivityLine(nil), activityLineOf), `[]`},
		{"IDKeyedMap", stringMap(map[uuid.UUID]string{id: "Acme"}), `{"0190f1c2-8a4b-7c3d-9e5f-1a2b3c4d5e6f":"Acme"}`},
		{"EmptyMap", stringMap(map[uuid.UUID]string(nil)), `{}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("got %s, want %s", b, c.want)
			}
		})
	}
	t.Run("ScheduleItemPaymentMethodOnce", func(t *testing.T) {
		it := projections.ScheduleItem{PaymentMethodID: method}
		b, err := json.Marshal(scheduleItemOf(it))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), `"payment_method_id"`); n != 1 {
			t.Errorf("payment_method_id written %d times: %s", n, b)
		}
		if !strings.Contains(string(b), `"payment_method_id":"`+method.String()+`"`) {
			t.Errorf("not the method it will be collected from: %s", b)
		}
	})
	t.Run("BillingRunErrorsAreMessages", func(t *testing.T) {
		res := billingrun.RunResult{
			Billing: billingrun.Report{Errors: []billingrun.GroupError{{ClientID: id, Err: domain.Conflict("The item is already billed.")}}},
			Collect: billingrun.CollectReport{Errors: []billingrun.InvoiceError{{InvoiceID: id, Err: errors.New("gateway: dial tcp 10.0.0.1: refused")}}},
		}
		b, err := json.Marshal(billingRunResultOf(&res))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"err":"The item is already billed."`, `"err":"An internal error occurred."`, `"err":null`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s not in %s", want, b)
			}
		}
		if strings.Contains(string(b), "10.0.0.1") {
			t.Errorf("an internal error's details are shown: %s", b)
		}
	})
}
