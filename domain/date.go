package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date in the firm's time zone, with no time of day. The
// zero Date is "no date". Dates compare with ==, Before, After and Compare.
type Date struct {
	y int
	m time.Month
	d int
}

// NewDate returns the date y-m-d, or an error when it does not exist
// (2026-02-30).
func NewDate(y int, m time.Month, d int) (Date, error) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > DaysIn(y, m) {
		return Date{}, fmt.Errorf("%04d-%02d-%02d is not a calendar date", y, int(m), d)
	}
	return Date{y, m, d}, nil
}

// MustDate is NewDate for literals in tests and demo data; it panics on an
// impossible date.
func MustDate(y int, m time.Month, d int) Date {
	dt, err := NewDate(y, m, d)
	if err != nil {
		panic(err)
	}
	return dt
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	// time.Parse accepts year 0000, which NewDate (and so Date) does not.
	return NewDate(t.Year(), t.Month(), t.Day())
}

// DateOf returns the calendar date of t in loc (the firm's time zone); a nil
// loc means UTC.
func DateOf(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return Date{t.Year(), t.Month(), t.Day()}
}

// DaysIn returns the number of days in month m of year y.
func DaysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Year, Month and Day return the date's parts.
func (d Date) Year() int { return d.y }

// Month returns the date's month.
func (d Date) Month() time.Month { return d.m }

// Day returns the date's day of the month.
func (d Date) Day() int { return d.d }

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) time() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC) }

func fromTime(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.time().Weekday() }

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date { return fromTime(d.time().AddDate(0, 0, n)) }

// AddMonthsClamped returns the date n months after d on day anchor, clamped to
// the last day of shorter months: the 31st of January plus one month is the
// 28th or 29th of February, and plus two months is the 31st of March again.
func (d Date) AddMonthsClamped(n, anchor int) Date {
	first := time.Date(d.y, d.m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	y, m := first.Year(), first.Month()
	day := anchor
	if day > DaysIn(y, m) {
		day = DaysIn(y, m)
	}
	return Date{y, m, day}
}

// DaysUntil returns the number of days from d to e (negative when e is earlier).
func (d Date) DaysUntil(e Date) int {
	// Via Unix seconds, not time.Duration, which saturates beyond ~292 years.
	return int((e.time().Unix() - d.time().Unix()) / 86400)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.y != e.y:
		return cmpInt(d.y, e.y)
	case d.m != e.m:
		return cmpInt(int(d.m), int(e.m))
	default:
		return cmpInt(d.d, e.d)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.y, int(d.m), d.d)
}

// MarshalJSON encodes d as "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON decodes "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string in the form YYYY-MM-DD")
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
