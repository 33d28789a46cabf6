package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// fields reads a submitted form, collecting every value that does not parse
// as a problem against its field, so parse errors and the domain's rule
// errors are shown the same way, inline.
type fields struct {
	r *http.Request
	p domain.Problems
}

func readForm(r *http.Request) *fields {
	_ = r.ParseForm()
	return &fields{r: r}
}

func (f *fields) str(name string) string { return strings.TrimSpace(f.r.PostFormValue(name)) }

func (f *fields) has(name string) bool { return f.str(name) != "" }

// dec parses a decimal written plainly (domain.ParseDecimal: no exponent);
// empty is zero, or a problem when required.
func (f *fields) dec(name string, required bool) decimal.Decimal {
	s := strings.ReplaceAll(f.str(name), ",", "")
	if s == "" {
		if required {
			f.p.Add(name, "enter a number")
		}
		return decimal.Zero
	}
	d, err := domain.ParseDecimal(name, s)
	if err != nil {
		if _, nerr := decimal.NewFromString(s); nerr != nil && len(s) <= domain.MaxDecimalLength {
			f.p.Add(name, "%q is not a number", f.str(name))
		} else {
			f.p.Add(name, "%s", domain.ErrorMessage(err)) // "1e5", or far too long
		}
		return decimal.Zero
	}
	return d
}

func (f *fields) date(name string, required bool) domain.Date {
	s := f.str(name)
	if s == "" {
		if required {
			f.p.Add(name, "choose a date")
		}
		return domain.Date{}
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		f.p.Add(name, "%q is not a date (use YYYY-MM-DD)", s)
	}
	return d
}

func (f *fields) integer(name string) (int, bool) {
	s := f.str(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f.p.Add(name, "%q is not a whole number", s)
		return 0, false
	}
	return n, true
}

func (f *fields) id(name string) uuid.UUID {
	s := f.str(name)
	if s == "" {
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		f.p.Add(name, "choose one of the options")
	}
	return id
}

func (f *fields) discount(name string) domain.Discount {
	v := f.dec(name+".value", false)
	kind := domain.DiscountKind(f.str(name + ".kind"))
	if v.IsZero() {
		return domain.Discount{}
	}
	if kind == "" {
		kind = domain.DiscountPercent
	}
	return domain.Discount{Kind: kind, Value: v}
}

// rule reads a billing rule from name.frequency (a preset: once, weekly,
// fortnightly, monthly, quarterly, yearly, every_n_days, every_n_weeks,
// every_n_months, on_completion, estimate), name.interval, name.start_date,
// name.end (never, after_count, on_date), name.end_after, name.end_date,
// name.anchor_day and the checkbox name.pro_rata_first. start is the start
// kind used when no start date is given. The rule's own Validate judges the
// anchor day and pro rata (only for monthly rules).
func (f *fields) rule(name string, start domain.StartKind) domain.BillingRule {
	var r domain.BillingRule
	switch f.str(name + ".frequency") {
	case "once", "":
		r.Frequency = domain.FrequencyOnce
	case "weekly":
		r.Frequency, r.Interval = domain.FrequencyWeeks, 1
	case "fortnightly":
		r.Frequency, r.Interval = domain.FrequencyWeeks, 2
	case "monthly":
		r.Frequency, r.Interval = domain.FrequencyMonths, 1
	case "quarterly":
		r.Frequency, r.Interval = domain.FrequencyMonths, 3
	case "yearly":
		r.Frequency, r.Interval = domain.FrequencyMonths, 12
	case "every_n_days":
		r.Frequency = domain.FrequencyDays
	case "every_n_weeks":
		r.Frequency = domain.FrequencyWeeks
	case "every_n_months":
		r.Frequency = domain.FrequencyMonths
	case "on_completion":
		return domain.BillingRule{Frequency: domain.FrequencyOnCompletion}
	case "estimate":
		return domain.BillingRule{Frequency: domain.FrequencyEstimate}
	default:
		f.p.Add(name+".frequency", "choose how often it bills")
		return r
	}
	if strings.HasPrefix(f.str(name+".frequency"), "every_n_") {
		// "Every N": N is given, and at least 1 (0 never means monthly).
		switch n, ok := f.integer(name + ".interval"); {
		case !ok && !f.has(name+".interval"):
			f.p.Add(name+".interval", "how many days, weeks or months between billings?")
		case ok && n < 1:
			f.p.Add(name+".interval", "the interval must be at least 1")
		case ok:
			r.Interval = n
		}
	}
	if n, ok := f.integer(name + ".anchor_day"); ok {
		r.AnchorDay = n
	}
	r.ProRataFirst = f.str(name+".pro_rata_first") == "on"
	r.Start = start
	if d := f.date(name+".start_date", false); !d.IsZero() {
		r.Start, r.StartDate = domain.StartOnDate, d
	}
	r.End = domain.EndNever
	if r.Frequency == domain.FrequencyOnce {
		return r
	}
	switch f.str(name + ".end") {
	case "after_count":
		r.End = domain.EndAfterN
		if n, ok := f.integer(name + ".end_after"); ok {
			r.EndAfter = n
		} else {
			f.p.Add(name+".end_after", "how many billings?")
		}
	case "on_date":
		r.End = domain.EndOnDate
		r.EndDate = f.date(name+".end_date", true)
	}
	return r
}

// rulePreset is the inverse of rule's frequency presets, to prefill forms.
func rulePreset(r domain.BillingRule) string {
	n := r.Interval
	if n <= 0 {
		n = 1
	}
	switch r.Frequency {
	case domain.FrequencyOnce:
		return "once"
	case domain.FrequencyOnCompletion:
		return "on_completion"
	case domain.FrequencyEstimate:
		return "estimate"
	case domain.FrequencyDays:
		return "every_n_days"
	case domain.FrequencyWeeks:
		switch n {
		case 1:
			return "weekly"
		case 2:
			return "fortnightly"
		}
		return "every_n_weeks"
	case domain.FrequencyMonths:
		switch n {
		case 1:
			return "monthly"
		case 3:
			return "quarterly"
		case 12:
			return "yearly"
		}
		return "every_n_months"
	}
	return ""
}

// err is the parse problems, or nil.
func (f *fields) err() error { return f.p.Err() }

// lineFields maps the field paths of a request's lines (lines[k], counting
// only the filled-in form rows) back to the form's own rows (formIndex[k]),
// so an error shows beside the row the person typed it in.
func lineFields(formIndex []int) func(string) string {
	return func(field string) string {
		var k int
		var rest string
		if n, _ := fmt.Sscanf(field, "lines[%d]%s", &k, &rest); n == 2 && k < len(formIndex) {
			return fmt.Sprintf("lines[%d]%s", formIndex[k], rest)
		}
		return field
	}
}
