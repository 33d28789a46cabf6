//go:build mattn

package sqlitedrivers

import _ "github.com/mattn/go-sqlite3"

const driverLabel, driverName = "mattn", "sqlite3"

func dsnFor(p string) string { return p + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000" }
