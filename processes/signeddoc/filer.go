package signeddoc

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/projections/follow"
)

// Actor is the name the filer records its commands under.
const Actor = "signed-document"

// Filer files the signed PDF of every proposal accepted by signature: on
// ProposalAccepted (with a document) it renders the PDF, saves it in the
// data folder and records its hash (billing.FileSignedDocument, the command
// id derived from the proposal and the hash, so a retried or restarted
// filer records it once). It reads the log's ProposalAccepted events from
// the start on each CatchUp or Run and skips a proposal filed whose file is
// there, so nothing is missed after a crash between saving and filing and a
// lost file is made again.
type Filer struct {
	Billing *billing.Service
	Store   eventstore.Store
	DataDir string
	Logger  *slog.Logger
}

func (f *Filer) follower() *follow.Follower {
	return follow.New(f.Store, func(ctx context.Context, ev follow.Event) error {
		if e, ok := ev.Data.(proposal.ProposalAccepted); ok && e.DocumentHash != "" {
			return f.File(ctx, e.ProposalID, ev.ID.String())
		}
		return nil
	}, follow.Options{Filter: eventstore.Filter{EventTypes: []string{"ProposalAccepted"}}})
}

// CatchUp files every signed proposal not filed yet, then returns.
func (f *Filer) CatchUp(ctx context.Context) error {
	fl := f.follower()
	return fl.CatchUp(ctx)
}

// Run files signed proposals as they are accepted, until ctx ends.
func (f *Filer) Run(ctx context.Context) error {
	fl := f.follower()
	return fl.Run(ctx)
}

// File renders, saves and files one proposal's signed PDF; causation is
// what caused it (the acceptance event's id).
func (f *Filer) File(ctx context.Context, proposalID uuid.UUID, causation string) error {
	rec, err := Load(ctx, f.Store, proposalID)
	if err != nil {
		return err
	}
	if rec.Filed != nil {
		if _, err := os.Stat(Path(f.DataDir, proposalID)); err == nil {
			return nil // filed and kept
		}
	}
	b, err := Render(rec)
	if err != nil {
		return fmt.Errorf("signed PDF of proposal %s: %w", proposalID, err)
	}
	if err := Save(f.DataDir, proposalID, b); err != nil {
		return fmt.Errorf("save the signed PDF of proposal %s: %w", proposalID, err)
	}
	h := Hash(b)
	_, err = f.Billing.FileSignedDocument(ctx, billing.SignedDocumentRequest{ProposalID: proposalID, PDFSHA256: h, Bytes: int64(len(b))},
		billing.Meta{Actor: Actor, CommandID: "signed-document/" + proposalID.String() + "/" + h, CausationID: causation})
	if err != nil {
		return fmt.Errorf("file the signed PDF of proposal %s: %w", proposalID, err)
	}
	if f.Logger != nil {
		f.Logger.Info("signed proposal filed", "proposal", proposalID, "sha256", h, "bytes", len(b))
	}
	return nil
}
