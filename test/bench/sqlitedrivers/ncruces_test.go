//go:build ncruces

package sqlitedrivers

import (
	_ "github.com/ncruces/go-sqlite3/driver"
	_ "github.com/ncruces/go-sqlite3/embed"
)

const driverLabel, driverName = "ncruces", "sqlite3"

func dsnFor(p string) string {
	return "file:" + p + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
}
