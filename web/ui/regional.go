package ui

import (
	"slices"
	"strings"

	"remit/domain"
)

// currencyNames name the currencies domain.CurrencyCodes lists, for the
// currency select lists; a code without a name here shows as its code.
var currencyNames = map[string]string{
	"AED": "UAE dirham", "ARS": "Argentine peso", "AUD": "Australian dollar", "BGN": "Bulgarian lev",
	"BHD": "Bahraini dinar", "BRL": "Brazilian real", "CAD": "Canadian dollar", "CHF": "Swiss franc",
	"CLP": "Chilean peso", "CNY": "Chinese yuan", "COP": "Colombian peso", "CZK": "Czech koruna",
	"DKK": "Danish krone", "EGP": "Egyptian pound", "EUR": "Euro", "FJD": "Fijian dollar",
	"GBP": "Pound sterling", "HKD": "Hong Kong dollar", "HUF": "Hungarian forint", "IDR": "Indonesian rupiah",
	"ILS": "Israeli new shekel", "INR": "Indian rupee", "ISK": "Icelandic króna", "JOD": "Jordanian dinar",
	"JPY": "Japanese yen", "KES": "Kenyan shilling", "KRW": "South Korean won", "KWD": "Kuwaiti dinar",
	"MXN": "Mexican peso", "MYR": "Malaysian ringgit", "NGN": "Nigerian naira", "NOK": "Norwegian krone",
	"NZD": "New Zealand dollar", "OMR": "Omani rial", "PGK": "Papua New Guinean kina", "PHP": "Philippine peso",
	"PKR": "Pakistani rupee", "PLN": "Polish złoty", "QAR": "Qatari riyal", "RON": "Romanian leu",
	"SAR": "Saudi riyal", "SEK": "Swedish krona", "SGD": "Singapore dollar", "THB": "Thai baht",
	"TND": "Tunisian dinar", "TRY": "Turkish lira", "TWD": "New Taiwan dollar", "UAH": "Ukrainian hryvnia",
	"USD": "US dollar", "VND": "Vietnamese đồng", "WST": "Samoan tālā", "XAF": "Central African CFA franc",
	"XOF": "West African CFA franc", "XPF": "CFP franc", "ZAR": "South African rand",
}

// timeZones are the IANA time zones the time zone select list offers,
// grouped by region. Go's embedded zone database (time/tzdata) cannot be
// listed, and a server need not have zoneinfo.zip, so the list is kept here:
// the zones a firm is likely to bill from, each a canonical IANA name
// (TestTimeZonesLoad checks that every one loads). A firm's zone that is not
// here still shows, selected, at the top of the list.
var timeZones = []optionGroup{
	{Label: "Australia", Values: []string{"Australia/Adelaide", "Australia/Brisbane", "Australia/Broken_Hill", "Australia/Darwin", "Australia/Eucla", "Australia/Hobart", "Australia/Lindeman", "Australia/Lord_Howe", "Australia/Melbourne", "Australia/Perth", "Australia/Sydney"}},
	{Label: "Pacific", Values: []string{"Pacific/Auckland", "Pacific/Chatham", "Pacific/Fiji", "Pacific/Guam", "Pacific/Honolulu", "Pacific/Noumea", "Pacific/Port_Moresby", "Pacific/Tahiti", "Pacific/Tongatapu", "Pacific/Apia"}},
	{Label: "Asia", Values: []string{"Asia/Bangkok", "Asia/Dhaka", "Asia/Dubai", "Asia/Ho_Chi_Minh", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Jerusalem", "Asia/Karachi", "Asia/Kathmandu", "Asia/Kolkata", "Asia/Kuala_Lumpur", "Asia/Manila", "Asia/Qatar", "Asia/Riyadh", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Taipei", "Asia/Tokyo"}},
	{Label: "Europe", Values: []string{"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels", "Europe/Bucharest", "Europe/Copenhagen", "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Oslo", "Europe/Paris", "Europe/Prague", "Europe/Rome", "Europe/Sofia", "Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw", "Europe/Zurich"}},
	{Label: "Africa", Values: []string{"Africa/Cairo", "Africa/Casablanca", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "Africa/Tunis"}},
	{Label: "Americas", Values: []string{"America/Anchorage", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Chicago", "America/Denver", "America/Halifax", "America/Los_Angeles", "America/Mexico_City", "America/New_York", "America/Phoenix", "America/Santiago", "America/Sao_Paulo", "America/St_Johns", "America/Toronto", "America/Vancouver"}},
	{Label: "Other", Values: []string{"UTC"}},
}

// optionGroup is an <optgroup> of a select list.
type optionGroup struct {
	Label   string
	Values  []string
	Options []option
}

// currencyChoice builds the select list of the currencies Remit knows, with
// the form's value selected; a value not in the list (typed by hand and
// refused) stays, so the page shows what was posted beside its error.
func currencyChoice(f *form, name, label string, required bool) input {
	in := input{Name: name, Label: label, Type: "select", Value: strings.ToUpper(f.Value(name)), Error: f.Error(name), ID: fieldID(name), Required: required}
	codes := domain.CurrencyCodes()
	in.Options = append(in.Options, leadingOption(in.Value, codes, "Choose a currency")...)
	for _, c := range codes {
		l := c
		if n, ok := currencyNames[c]; ok {
			l = c + " — " + n
		}
		in.Options = append(in.Options, option{Value: c, Label: l})
	}
	return in
}

// zoneChoice builds the select list of time zones, grouped by region, with
// the form's value selected; the firm's own zone shows even when the list
// does not hold it.
func zoneChoice(f *form, name, label string, required bool) input {
	in := input{Name: name, Label: label, Type: "select", Value: f.Value(name), Error: f.Error(name), ID: fieldID(name), Required: required}
	var all []string
	for _, g := range timeZones {
		all = append(all, g.Values...)
	}
	in.Options = leadingOption(in.Value, all, "Choose a time zone")
	for _, g := range timeZones {
		og := optionGroup{Label: g.Label}
		for _, z := range g.Values {
			og.Options = append(og.Options, option{Value: z, Label: strings.ReplaceAll(z, "_", " ")})
		}
		in.Groups = append(in.Groups, og)
	}
	return in
}

// leadingOption is what a select list shows before its choices: a prompt
// when nothing is chosen yet, the current value when the list lacks it.
func leadingOption(value string, values []string, prompt string) []option {
	switch {
	case value == "":
		return []option{{Value: "", Label: prompt}}
	case !slices.Contains(values, value):
		return []option{{Value: value, Label: value}}
	}
	return nil
}
