package qbo

import (
	"context"

	"github.com/google/uuid"

	"remit/integrations/accounting"
)

// PushDisputeMove records a dispute's withdrawal as a Transfer from the
// clearing account to the disputes account (a won dispute's return the
// other way), PrivateNote "Dispute dp_… remit:<document id>"; once per
// DisputeMove.ID, found again by its date and marker.
func (c *Client) PushDisputeMove(ctx context.Context, m accounting.DisputeMove) (accounting.Ack, error) {
	switch {
	case m.ID == uuid.Nil:
		return accounting.Ack{}, permanent("a dispute without an id cannot be pushed")
	case m.ClearingAccount == "" || m.DisputesAccount == "":
		return accounting.Ack{}, permanent("dispute %s: the clearing and the disputes account must both be mapped", m.Reference)
	case !m.Amount.Amount.IsPositive():
		return accounting.Ack{}, permanent("dispute %s: amount %s must be positive", m.Reference, m.Amount)
	}
	if id, err := c.findBanking(ctx, "Transfer", m.Date, m.ID); err != nil || id != "" {
		return accounting.Ack{LedgerID: id, Existing: id != ""}, err
	}
	from, to, what := m.ClearingAccount, m.DisputesAccount, "Dispute"
	if m.Back {
		from, to, what = m.DisputesAccount, m.ClearingAccount, "Dispute won"
	}
	body := transfer{FromAccountRef: &ref{Value: from}, ToAccountRef: &ref{Value: to}, Amount: num(m.Amount.Amount), TxnDate: m.Date.String(),
		PrivateNote: payoutNote(what, m.Reference, m.ID)}
	var out struct{ Transfer transfer }
	if err := c.create(ctx, "/transfer", m.ID.String(), body, &out); err != nil {
		return accounting.Ack{}, err
	}
	if out.Transfer.ID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "QuickBooks answered the dispute's transfer without an id"}
	}
	return accounting.Ack{LedgerID: out.Transfer.ID}, nil
}

var _ accounting.DisputeLedger = (*Client)(nil)
