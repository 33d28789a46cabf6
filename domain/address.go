package domain

import (
	"strings"
	"unicode/utf8"
)

// Address is a postal address, as free text lines plus an ISO 3166-1 alpha-2
// country code. Every field is optional: what an address needs differs by
// country, and a firm or client may have none on file.
type Address struct {
	Line1    string `json:"line1,omitempty"`
	Line2    string `json:"line2,omitempty"`
	City     string `json:"city,omitempty"`
	Region   string `json:"region,omitempty"` // state, province or county
	Postcode string `json:"postcode,omitempty"`
	Country  string `json:"country,omitempty"` // ISO 3166-1 alpha-2, e.g. "AU"
}

// IsZero reports whether no part of the address is given.
func (a Address) IsZero() bool { return a == Address{} }

// Normalized returns a with surrounding spaces trimmed and the country code in
// upper case, the form in which an address is recorded.
func (a Address) Normalized() Address {
	return Address{
		Line1:    strings.TrimSpace(a.Line1),
		Line2:    strings.TrimSpace(a.Line2),
		City:     strings.TrimSpace(a.City),
		Region:   strings.TrimSpace(a.Region),
		Postcode: strings.TrimSpace(a.Postcode),
		Country:  strings.ToUpper(strings.TrimSpace(a.Country)),
	}
}

// Validate reports every problem with the (normalized) address as field errors
// under prefix (e.g. "address"), or nil.
func (a Address) Validate(prefix string) error {
	var p Problems
	a = a.Normalized()
	for _, f := range []struct{ name, value string }{
		{"line1", a.Line1}, {"line2", a.Line2}, {"city", a.City}, {"region", a.Region}, {"postcode", a.Postcode},
	} {
		if utf8.RuneCountInString(f.value) > 200 {
			p.Add(joinField(prefix, f.name), "this part of the address is too long (at most 200 characters)")
		}
	}
	if a.Country != "" && (len(a.Country) != 2 || strings.Trim(a.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		p.Add(joinField(prefix, "country"), "%q is not a country code (use two letters, such as AU or GB)", a.Country)
	}
	return p.Err()
}

// joinField joins a field path prefix and a field name with a dot.
func joinField(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
