package qbo_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo"
	"remit/integrations/accounting/qbo/qbotest"
)

// TestPushDisputeMovesOnce: a dispute's withdrawal is a Transfer from the
// clearing account (4) to the disputes account (90), its return the other
// way; each made once.
func TestPushDisputeMovesOnce(t *testing.T) {
	srv := qbotest.New(t, qbotest.Options{Accounts: []string{"4", "35", "90"}})
	dir := t.TempDir()
	if err := qbo.Connect(dir, qbo.Connection{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Token: qbo.Token{RefreshToken: srv.RefreshToken()}}); err != nil {
		t.Fatal(err)
	}
	c := MustOpen(t, srv, dir)
	ctx := context.Background()
	out := accounting.DisputeMove{ID: uuid.New(), ClearingAccount: "4", DisputesAccount: "90", Amount: money("110"), Date: domain.MustDate(2025, 3, 12), Reference: "dp_1"}
	back := out
	back.ID, back.Back = uuid.New(), true
	for i := range 2 {
		for _, m := range []accounting.DisputeMove{out, back} {
			ack, err := c.PushDisputeMove(ctx, m)
			if err != nil || ack.LedgerID == "" || ack.Existing != (i == 1) {
				t.Fatalf("push %d (back %v): %+v, %v", i+1, m.Back, ack, err)
			}
		}
	}
	trs := srv.Transfers()
	if len(trs) != 2 || trs[0].FromAccountRef.Value != "4" || trs[0].ToAccountRef.Value != "90" || trs[1].FromAccountRef.Value != "90" ||
		trs[1].ToAccountRef.Value != "4" || trs[0].Amount.String() != "110" {
		t.Errorf("transfers: %+v", trs)
	}
}
