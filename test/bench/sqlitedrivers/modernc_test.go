//go:build modernc

package sqlitedrivers

import _ "modernc.org/sqlite"

const driverLabel, driverName = "modernc", "sqlite"

func dsnFor(p string) string {
	return p + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
}
