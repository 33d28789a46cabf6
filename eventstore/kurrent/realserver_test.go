package kurrent_test

import (
	"context"
	"os"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/kurrent"
	"remit/eventstore/storetest"
)

// TestRealServer runs the whole conformance suite against a real KurrentDB
// (or EventStoreDB) when REMIT_KURRENTDB_URL names one, e.g.
// kurrentdb://admin:changeit@localhost:2113?tls=false (a user that may read
// $all; admin, or an ops user). A real server is shared and keeps its log,
// so the suite runs in the mode TestConformance/SparseSharedServer runs
// against the test server: every test starts from the server's head, works
// in streams and event types named for the run, and expects positions that
// increase but are not consecutive, and event ids checked per stream. It
// needs that nothing else writes user events to the server while it runs
// (system events are fine: they are skipped).
func TestRealServer(t *testing.T) {
	conn := os.Getenv("REMIT_KURRENTDB_URL")
	if conn == "" {
		t.Skip("REMIT_KURRENTDB_URL is not set: no real KurrentDB to run the conformance suite against " +
			"(set it to e.g. kurrentdb://admin:changeit@localhost:2113?tls=false; docs/kurrentdb.md says how to start one)")
	}
	open := func(t *testing.T) eventstore.Store {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := kurrent.Open(ctx, conn, kurrent.Options{})
		if err != nil {
			t.Fatalf("REMIT_KURRENTDB_URL: %v", err)
		}
		return s
	}
	// Fail once, clearly, rather than in every test, when the server cannot
	// be reached.
	open(t).Close()
	storetest.RunWith(t, open, storetest.Options{SparsePositions: true, EventIDsPerStream: true})
}
