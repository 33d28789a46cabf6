package app_test

import (
	"testing"

	"remit/billing"
)

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
