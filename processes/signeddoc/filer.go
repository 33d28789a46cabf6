package signeddoc

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/client"
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
// lost file is made again. On ClientErased it deletes the client's PDFs
// (EraseClient), and it never makes the PDF of an erased client's proposal
// again.
type Filer struct {
	Billing *billing.Service
	Store   eventstore.Store
	DataDir string
	Logger  *slog.Logger
}

func (f *Filer) follower() *follow.Follower {
	return follow.New(f.Store, func(ctx context.Context, ev follow.Event) error {
		switch e := ev.Data.(type) {
		case proposal.ProposalAccepted:
			if e.DocumentHash != "" {
				return f.File(ctx, e.ProposalID, ev.ID.String())
			}
		case client.ClientErased:
			n, err := EraseClient(ctx, f.Store, f.DataDir, e.ClientID)
			if n > 0 && f.Logger != nil {
				f.Logger.Info("signed proposals of an erased client deleted", "client", e.ClientID, "proposals", n)
			}
			return err
		}
		return nil
	}, follow.Options{Filter: eventstore.Filter{EventTypes: []string{"ProposalAccepted", "ClientErased"}}})
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
	if rec.Erased {
		// The client was erased after signing: keep no PDF of them.
		if err := os.RemoveAll(filepath.Dir(Path(f.DataDir, proposalID))); err != nil {
			return fmt.Errorf("delete the signed PDF of erased proposal %s: %w", proposalID, err)
		}
		return nil
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
