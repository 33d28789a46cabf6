package ui

import (
	"testing"
	"time"

	_ "time/tzdata" // the zones load on a machine without a zone database

	"remit/domain"
)

// TestTimeZonesLoad: every zone the time zone list offers is one the firm
// settings accept (it loads), and no zone is offered twice.
func TestTimeZonesLoad(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range timeZones {
		for _, z := range g.Values {
			if _, err := time.LoadLocation(z); err != nil {
				t.Errorf("%s (%s): %v", z, g.Label, err)
			}
			if seen[z] {
				t.Errorf("%s is listed twice", z)
			}
			seen[z] = true
		}
	}
}

// TestCurrencyNames: every currency Remit knows has a name in the list.
func TestCurrencyNames(t *testing.T) {
	for _, c := range domain.CurrencyCodes() {
		if currencyNames[c] == "" {
			t.Errorf("%s has no name", c)
		}
	}
}
