package app_test

import (
	"context"
	"testing"
	"time"

	"remit/app"
	"remit/billing"
)

// mustOpenApp opens the wired app on dir (no sign-in, clock stopped at now,
// client links under https://billing.example.com), closed when tb ends.
func mustOpenApp(tb testing.TB, dir string, now time.Time) *app.App {
	tb.Helper()
	a, err := app.Open(context.Background(), app.Config{DataDir: dir, Addr: "127.0.0.1:0", NoAuth: true, PublicURL: "https://billing.example.com",
		Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// commandHelpers returns what the wired-app tests run commands with: meta
// makes a command's metadata from its id (the actor "test"), and must fails
// tb when the command is refused.
func commandHelpers(tb testing.TB) (meta func(id string) billing.Meta, must func(billing.Result, error) billing.Result) {
	meta = func(id string) billing.Meta { return billing.Meta{Actor: "test", CommandID: id} }
	must = func(r billing.Result, err error) billing.Result {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return r
	}
	return meta, must
}
