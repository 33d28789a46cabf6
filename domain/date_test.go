package domain_test

import (
	"encoding/json"
	"testing"
	"time"

	"remit/domain"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want domain.Date
		ok   bool
	}{
		{name: "OK", in: "2026-03-14", want: domain.MustDate(2026, 3, 14), ok: true},
		{name: "OKLeapDay", in: "2024-02-29", want: domain.MustDate(2024, 2, 29), ok: true},
		{name: "OKFirstYear", in: "0001-01-01", want: domain.MustDate(1, 1, 1), ok: true},
		{name: "ErrLeapDayInCommonYear", in: "2025-02-29"},
		{name: "ErrThirtiethOfFebruary", in: "2026-02-30"},
		{name: "ErrThirtyFirstOfApril", in: "2026-04-31"},
		{name: "ErrMonth13", in: "2026-13-01"},
		{name: "ErrDayZero", in: "2026-01-00"},
		{name: "ErrYearZero", in: "0000-01-01"},
		{name: "ErrSingleDigits", in: "2026-3-4"},
		{name: "ErrOtherOrder", in: "14/03/2026"},
		{name: "ErrTimeOfDay", in: "2026-03-14T10:00:00Z"},
		{name: "ErrSpaces", in: " 2026-03-14"},
		{name: "ErrEmpty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseDate(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseDate(%q) error = %v, want ok = %v", tt.in, err, tt.ok)
			}
			if got != tt.want {
				t.Fatalf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if tt.ok && got.String() != tt.in {
				t.Fatalf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestNewDate(t *testing.T) {
	if _, err := domain.NewDate(2026, 2, 29); err == nil {
		t.Error("NewDate(2026-02-29) accepted an impossible date")
	}
	if _, err := domain.NewDate(2026, 0, 1); err == nil {
		t.Error("NewDate(2026-00-01) accepted month 0")
	}
	if _, err := domain.NewDate(10000, 1, 1); err == nil {
		t.Error("NewDate(10000-01-01) accepted a five-digit year")
	}
	d, err := domain.NewDate(2028, 2, 29)
	if err != nil || d.Year() != 2028 || d.Month() != time.February || d.Day() != 29 {
		t.Errorf("NewDate(2028-02-29) = %v, %v", d, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustDate(2026-02-30) did not panic")
		}
	}()
	domain.MustDate(2026, 2, 30)
}

func TestDaysIn(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		want int
	}{
		{2024, time.February, 29}, {2025, time.February, 28}, {1900, time.February, 28},
		{2000, time.February, 29}, {2026, time.April, 30}, {2026, time.December, 31},
	}
	for _, tt := range tests {
		if got := domain.DaysIn(tt.y, tt.m); got != tt.want {
			t.Errorf("DaysIn(%d, %s) = %d, want %d", tt.y, tt.m, got, tt.want)
		}
	}
}

func TestDateAddMonthsClamped(t *testing.T) {
	jan31 := domain.MustDate(2025, 1, 31)
	tests := []struct {
		name   string
		from   domain.Date
		n      int
		anchor int
		want   domain.Date
	}{
		{"ClampsToFebruary", jan31, 1, 31, domain.MustDate(2025, 2, 28)},
		{"ClampsToLeapFebruary", domain.MustDate(2024, 1, 31), 1, 31, domain.MustDate(2024, 2, 29)},
		{"ReturnsToAnchor", jan31, 2, 31, domain.MustDate(2025, 3, 31)},
		{"ClampsToApril", jan31, 3, 31, domain.MustDate(2025, 4, 30)},
		{"AcrossYearEnd", domain.MustDate(2025, 11, 30), 3, 30, domain.MustDate(2026, 2, 28)},
		{"Backwards", domain.MustDate(2025, 3, 31), -1, 31, domain.MustDate(2025, 2, 28)},
		{"OtherAnchor", jan31, 1, 15, domain.MustDate(2025, 2, 15)},
		{"ZeroMonths", jan31, 0, 10, domain.MustDate(2025, 1, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.from.AddMonthsClamped(tt.n, tt.anchor); got != tt.want {
				t.Fatalf("%s.AddMonthsClamped(%d, %d) = %s, want %s", tt.from, tt.n, tt.anchor, got, tt.want)
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	d := domain.MustDate(2024, 2, 28)
	if got := d.AddDays(1); got != domain.MustDate(2024, 2, 29) {
		t.Errorf("AddDays(1) = %s", got)
	}
	if got := d.AddDays(2); got != domain.MustDate(2024, 3, 1) {
		t.Errorf("AddDays(2) = %s", got)
	}
	if got := d.AddDays(-59); got != domain.MustDate(2023, 12, 31) {
		t.Errorf("AddDays(-59) = %s", got)
	}
	if got := d.DaysUntil(domain.MustDate(2025, 2, 28)); got != 366 {
		t.Errorf("DaysUntil a year later = %d, want 366", got)
	}
	if got := domain.MustDate(2025, 2, 28).DaysUntil(d); got != -366 {
		t.Errorf("DaysUntil a year earlier = %d, want -366", got)
	}
	// Longer than time.Duration can hold (~292 years).
	if got := domain.MustDate(1600, 1, 1).DaysUntil(domain.MustDate(2000, 1, 1)); got != 146097 {
		t.Errorf("DaysUntil over 400 years = %d, want 146097", got)
	}
	if got := d.Weekday(); got != time.Wednesday {
		t.Errorf("Weekday = %s, want Wednesday", got)
	}
}

func TestDateCompare(t *testing.T) {
	a, b := domain.MustDate(2025, 12, 31), domain.MustDate(2026, 1, 1)
	if !a.Before(b) || a.After(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("%s and %s compare wrongly", a, b)
	}
	c, e := domain.MustDate(2026, 2, 1), domain.MustDate(2026, 1, 31)
	if !c.After(e) {
		t.Errorf("%s is not after %s", c, e)
	}
	if a != domain.MustDate(2025, 12, 31) {
		t.Error("equal dates are not ==")
	}
}

func TestDateOf(t *testing.T) {
	sydney := time.FixedZone("AEDT", 11*60*60)
	instant := time.Date(2026, 1, 31, 14, 0, 0, 0, time.UTC) // 01:00 on 1 February in Sydney
	if got := domain.DateOf(instant, sydney); got != domain.MustDate(2026, 2, 1) {
		t.Errorf("DateOf in +11:00 = %s, want 2026-02-01", got)
	}
	if got := domain.DateOf(instant, time.UTC); got != domain.MustDate(2026, 1, 31) {
		t.Errorf("DateOf in UTC = %s, want 2026-01-31", got)
	}
	if got := domain.DateOf(instant, nil); got != domain.MustDate(2026, 1, 31) {
		t.Errorf("DateOf with nil location = %s, want 2026-01-31", got)
	}
}

func TestDateZero(t *testing.T) {
	var z domain.Date
	if !z.IsZero() || z.String() != "" {
		t.Errorf("zero Date: IsZero %v, String %q", z.IsZero(), z.String())
	}
	if domain.MustDate(2026, 1, 1).IsZero() {
		t.Error("a real date is zero")
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		Due  domain.Date `json:"due"`
		Paid domain.Date `json:"paid"`
	}
	in := doc{Due: domain.MustDate(2026, 7, 4)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"due":"2026-07-04","paid":null}`; got != want {
		t.Fatalf("Marshal = %s, want %s", got, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
	if err := json.Unmarshal([]byte(`{"due":""}`), &out); err != nil || !out.Due.IsZero() {
		t.Errorf(`"" decodes to %v, %v; want the zero Date`, out.Due, err)
	}
	for _, bad := range []string{`{"due":"2026-02-30"}`, `{"due":"tomorrow"}`, `{"due":20260101}`, `{"due":"0000-01-01"}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("Unmarshal(%s) accepted a bad date: %v", bad, out.Due)
		}
	}
}
