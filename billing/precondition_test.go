package billing_test

import (
	"context"
	"errors"
	"testing"

	"remit/billing"
	"remit/domain/client"
)

// TestIfMatch: a command with a precondition is applied only on top of the
// revision it names; on a stream that has moved on it answers
// *PreconditionFailedError, appends nothing and is not decided again.
func TestIfMatch(t *testing.T) {
	f := newFixture(t)
	f.mustSetUpFirm()
	id := f.mustCreateClient("Acme")
	ctx := context.Background()
	stream := client.StreamName(id)
	edit := func(name, cmd string, rev uint64) (billing.Result, error) {
		m := meta(cmd)
		m.IfMatch = &billing.Precondition{Stream: stream, Revision: rev}
		return f.svc.EditClient(ctx, billing.ClientRequest{ClientID: id, Name: name, Kind: client.KindBusiness}, m)
	}

	t.Run("OK", func(t *testing.T) {
		res := f.in(t).ok(edit("Acme Holdings", "edit-1", 0))
		if res.Revision != 1 {
			t.Fatalf("revision %d after the edit, want 1", res.Revision)
		}
	})
	t.Run("ErrPreconditionFailed", func(t *testing.T) {
		head := f.head()
		_, err := edit("Acme Lost Update", "edit-2", 0)
		var pf *billing.PreconditionFailedError
		if !errors.As(err, &pf) || !pf.Exists || pf.Actual != 1 || pf.Want != 0 {
			t.Fatalf("edit on revision 0 of a stream at 1: %v, want a PreconditionFailedError at 1", err)
		}
		if f.head() != head {
			t.Fatal("a failed precondition appended events")
		}
	})
	t.Run("OtherStreamsUnconditional", func(t *testing.T) {
		m := meta("edit-3")
		m.IfMatch = &billing.Precondition{Stream: "client-someone-else", Revision: 7}
		f.in(t).ok(f.svc.EditClient(ctx, billing.ClientRequest{ClientID: id, Name: "Acme Group", Kind: client.KindBusiness}, m))
	})
}
