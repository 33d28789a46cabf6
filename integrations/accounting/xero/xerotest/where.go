package xerotest

import (
	"fmt"
	"strings"
)

// cond is one comparison of a where filter: Field == "value" or !=.
type cond struct {
	field string
	not   bool
	value string
}

// parseWhere reads the part of Xero's where syntax the adapter uses:
// comparisons Field=="value" or Field!="value" (a doubled "" inside a
// string is one quote, as in the Dynamic LINQ parser Xero uses; a bare
// word like true or null is taken as is) joined by AND/&& and OR/||,
// without parentheses; AND binds tighter. The result is a disjunction of
// conjunctions. Anything else is a parse error, as Xero answers it.
func parseWhere(s string) ([][]cond, error) {
	var out [][]cond
	var group []cond
	i := 0
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	for {
		skip()
		start := i
		for i < len(s) && (isIdent(s[i]) || s[i] == '.') {
			i++
		}
		if start == i {
			return nil, fmt.Errorf("syntax error at %d: a field name was expected", i)
		}
		c := cond{field: s[start:i]}
		skip()
		switch {
		case strings.HasPrefix(s[i:], "=="):
		case strings.HasPrefix(s[i:], "!="):
			c.not = true
		default:
			return nil, fmt.Errorf("syntax error at %d: == or != was expected", i)
		}
		i += 2
		skip()
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			c.value = b.String()
		} else {
			start := i
			for i < len(s) && isIdent(s[i]) {
				i++
			}
			if start == i {
				return nil, fmt.Errorf("syntax error at %d: a value was expected", i)
			}
			c.value = s[start:i]
		}
		group = append(group, c)
		skip()
		if i == len(s) {
			return append(out, group), nil
		}
		switch {
		case strings.HasPrefix(s[i:], "AND "):
			i += 3
		case strings.HasPrefix(s[i:], "&&"):
			i += 2
		case strings.HasPrefix(s[i:], "OR "), strings.HasPrefix(s[i:], "||"):
			i += 2
			out = append(out, group)
			group = nil
		default:
			return nil, fmt.Errorf("syntax error at %d: AND or OR was expected", i)
		}
	}
}

func isIdent(b byte) bool {
	return b == '_' || b == '-' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// matches evaluates a parsed filter on a document. Xero compares strings
// without regard to case.
func matches(o obj, where [][]cond) bool {
	for _, group := range where {
		ok := true
		for _, c := range group {
			eq := strings.EqualFold(str(o[c.field]), c.value)
			if c.value == "null" {
				eq = o[c.field] == nil
			}
			if eq == c.not {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
