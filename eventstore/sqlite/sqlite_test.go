package sqlite_test

import (
	"testing"

	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
)

// MustOpen opens a store in a fresh folder and closes it when the test ends.
func MustOpen(tb testing.TB, dir string, opts sqlite.Options) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(dir, opts)
	if err != nil {
		tb.Fatalf("open %s: %v", dir, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return MustOpen(t, t.TempDir(), sqlite.Options{})
	})
}
