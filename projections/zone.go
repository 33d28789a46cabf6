package projections

import (
	"time"

	"remit/domain"
	"remit/domain/firm"
)

// firmZone is the firm's time zone an event sets (set-up or a change of
// regional settings), and whether it sets one. Read models that date an
// instant on the firm's calendar (a gateway payment recorded before its
// event carried a date) keep it as of the events they have applied.
func firmZone(e domain.Event) (*time.Location, bool) {
	switch e := e.(type) {
	case firm.FirmSetUp:
		return zone(e.TimeZone), true
	case firm.FirmRegionalSettingsChanged:
		return zone(e.TimeZone), true
	}
	return nil, false
}

// zone is the time zone named name (an IANA name), UTC when it is empty or
// does not load.
func zone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
