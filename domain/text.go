package domain

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckText checks every string a command carries (cmd is a command struct,
// or a pointer to one; nested structs, pointers, slices and maps are walked)
// and returns the problems, each named by its field path in the domain's
// style ("lines[2].description"), or nil. It is the one check of free text
// that every command passes through the command handler, whatever sent it
// (the API, the UI, the CLI, a process manager):
//
//   - no string may hold what looks like a payment card number
//     (ContainsCardNumber): Remit never stores one, and the log is forever
//     (fields named …ID, …Hash or …Key, and Gateway…, hold other systems'
//     identifiers, such as a QuickBooks realm id or a gateway's charge id,
//     and are exempt);
//   - no string may hold control characters, except that multi-line fields
//     (descriptions, messages, summaries, notes, terms and reasons) may hold line breaks
//     and tabs.
//
// Lengths are each aggregate's own rules (MaxDescriptionLength for
// descriptions a person enters), so that text already in the log, copied
// into a new command by a process manager, is never refused for its length.
func CheckText(cmd any) error {
	var p Problems
	walkText(reflect.ValueOf(cmd), "", "", &p)
	return p.Err()
}

// identifier reports whether the Go field name holds an identifier that
// another system made (a QuickBooks realm id is 15–19 digits, for one), not
// text a person typed: its digits are not checked as a card number.
// So is what the payment gateway made (GatewayReference of a charge,
// GatewayToken and GatewayCustomer of a method): a charge's id such as
// "ch_sandbox_09f7679…" can hold 13 digits in a row that pass the Luhn
// check, and refusing it would leave money taken and not recorded. (A
// method's gateway fields are still refused when they look like a card
// number, by the client's own rules, where a person types them.)
func identifier(name string) bool {
	return strings.HasSuffix(name, "ID") || strings.HasSuffix(name, "Hash") || strings.HasSuffix(name, "SHA256") || strings.HasSuffix(name, "Key") ||
		strings.HasPrefix(name, "Gateway")
}

// multiLine reports whether the Go field name is a multi-line text field.
func multiLine(name string) bool {
	switch name {
	case "Description", "Message", "Summary", "Notes", "Note", "Body", "Letter", "Terms", "Document":
		return true
	}
	return strings.HasSuffix(name, "Reason") || strings.HasSuffix(name, "Message")
}

func walkText(v reflect.Value, path, name string, p *Problems) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			walkText(v.Elem(), path, name, p)
		}
	case reflect.String:
		checkString(p, path, name, v.String())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes (hashes, keys), not text
		}
		for i := range v.Len() {
			walkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i), name, p)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if iter.Key().Kind() == reflect.String {
				checkString(p, joinField(path, k), name, k)
			}
			walkText(iter.Value(), joinField(path, k), name, p)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walkText(v.Field(i), path, name, p) // embedded: its fields are the outer's
				continue
			}
			walkText(v.Field(i), joinField(path, SnakeCase(f.Name)), f.Name, p)
		}
	}
}

func checkString(p *Problems, field, name, s string) {
	if s == "" {
		return
	}
	if !utf8.ValidString(s) {
		p.Add(field, "the text is not valid UTF-8")
		return
	}
	multi := multiLine(name)
	if i := strings.IndexFunc(s, func(r rune) bool { return isControl(r, multi) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		if multi {
			p.Add(field, "the text holds a control character (%U): only line breaks and tabs are allowed", r)
		} else {
			p.Add(field, "this field is one line of text: it cannot hold a line break, tab or other control character (%U)", r)
		}
	}
	if !identifier(name) && ContainsCardNumber(s) {
		p.Add(field, "this looks like a card number: Remit never stores one (enter only the last 4 digits)")
	}
}

// isControl reports whether r is a control character not allowed in a field
// (line breaks and tabs are allowed in multi-line fields).
func isControl(r rune, multi bool) bool {
	if multi && (r == '\n' || r == '\r' || r == '\t') {
		return false
	}
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// SnakeCase turns a Go field name into the field names problems and the
// API use: ClientID → client_id, PaymentMethodID → payment_method_id,
// Last4 → last4.
func SnakeCase(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// uuidPattern matches a canonical UUID.
var uuidPattern = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// ContainsCardNumber reports whether s holds what could be a payment card
// number (PAN), however it is written: 13 to 19 digits, the first 2 to 6 (the
// major networks), passing the Luhn check, whatever separates the digits
// (spaces, dots, dashes, slashes, tabs, any mix and count) and whatever
// letters touch it ("visa4242424242424242"). Letters end a run of digits;
// within a run, every stretch of whole digit groups of the right length is
// checked, so a card number followed by its expiry ("4242 4242 4242 4242
// 12/28") is caught too. Unicode digits of other scripts count as digits.
// A canonical UUID (8-4-4-4-12 hex digits) is an id, never a card number,
// even when its digit groups happen to pass as one ("41111111-1111-1111-…"):
// reasons Remit writes itself name invoices and commands by id.
func ContainsCardNumber(s string) bool {
	if strings.Count(s, "-") >= 4 {
		s = uuidPattern.ReplaceAllString(s, "id")
	}
	var groups [][]byte // the digit groups of the current run
	var cur []byte
	flush := func() bool {
		if len(cur) > 0 {
			groups = append(groups, cur)
			cur = nil
		}
		found := runHoldsCard(groups)
		groups = groups[:0]
		return found
	}
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			d := digitValue(r)
			if d < 0 {
				if flush() {
					return true
				}
				continue
			}
			cur = append(cur, byte('0'+d))
		case unicode.IsLetter(r):
			if flush() {
				return true
			}
		default: // a separator: the group ends, the run goes on
			if len(cur) > 0 {
				groups = append(groups, cur)
				cur = nil
			}
		}
	}
	return flush()
}

// digitValue is the value of a decimal digit of any script, or -1.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	// Unicode decimal digits come in contiguous blocks of ten starting at a
	// zero; find the zero.
	for z := r; z > r-10; z-- {
		if !unicode.IsDigit(z) {
			return int(r - z - 1)
		}
	}
	return -1
}

// runHoldsCard checks the stretches of whole groups of one run.
func runHoldsCard(groups [][]byte) bool {
	for i := range groups {
		var digits []byte
		for j := i; j < len(groups) && len(digits) < 19; j++ {
			digits = append(digits, groups[j]...)
			if n := len(digits); n >= 13 && n <= 19 && digits[0] >= '2' && digits[0] <= '6' && luhn(digits) {
				return true
			}
		}
	}
	return false
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
