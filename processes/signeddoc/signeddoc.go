// Package signeddoc keeps and audits the signed-proposal PDF: the record of
// a proposal its signatories accepted, rendered by formats/pdf.SignedProposal
// from the ProposalAccepted event alone (plus the proposal's title and the
// firm's name and time zone as of that event's position in the log), so it
// can be made again, byte for byte, at any later time.
//
// # Where the PDF is kept
//
// In the data folder, <data>/proposals/<proposal id>/signed.pdf, written
// atomically (a temporary file renamed). A file, not a table: the event
// store holds events, and the PDF is a derived artefact whose SHA-256 the
// log records (ProposalSignedDocumentFiled); a lost or altered file is
// detected by Audit and can be made again from the event, which is the
// authority. The folder survives restarts like the store beside it and is
// in the same backup.
//
// # Audit
//
// Audit reads the proposal's stream and checks, naming what fails: that
// SHA-256(ProposalAccepted.Document) equals its DocumentHash, that the
// last signature (the one that accepted it), when there are several, signed that hash (earlier
// signers signed the document as it was before the first signature fixed
// the choice; their hashes are shown as evidence), that the PDF rendered again from the event
// equals the stored file, and that the stored file's SHA-256 and size are
// what ProposalSignedDocumentFiled recorded.
//
// # Erasure
//
// The PDF holds the signatories' names, emails, IP addresses and user
// agents in clear. When the proposal's client is erased (ClientErased),
// EraseClient deletes the folder of each of the client's proposals, the
// Filer does so when it meets ClientErased and never makes the PDF again,
// FiledPDF answers that it was erased, and Audit reports the erasure (the
// log's document and evidence are erased too, so there is nothing left to
// compare) instead of failing.
package signeddoc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/formats/pdf"
)

// Path is where a proposal's signed PDF is kept.
func Path(dataDir string, proposalID uuid.UUID) string {
	return filepath.Join(dataDir, "proposals", proposalID.String(), "signed.pdf")
}

// Save writes a proposal's signed PDF atomically.
func Save(dataDir string, proposalID uuid.UUID, b []byte) error {
	p := Path(dataDir, proposalID)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".signed-*.pdf")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Hash is a PDF's SHA-256 in lowercase hex.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Record is what the log says about a signed proposal.
type Record struct {
	Accepted proposal.ProposalAccepted
	Title    string
	Firm     string
	Location *time.Location
	Filed    *proposal.ProposalSignedDocumentFiled // nil: not filed yet
	// Erased is true once the proposal's client was erased (ClientErased):
	// the acceptance's personal fields read as erased, and the PDF is not
	// kept.
	Erased bool
}

// ErrNotSigned: the proposal was not accepted by signature.
var ErrNotSigned = errors.New("this proposal was not accepted by signature, so it has no signed document")

// Load reads a proposal's acceptance, its title, the firm as of the
// acceptance and the filed PDF's record.
func Load(ctx context.Context, store eventstore.Store, proposalID uuid.UUID) (Record, error) {
	cat := catalog.New()
	recs, err := store.ReadStream(ctx, proposal.StreamName(proposalID), 0, eventstore.Forward, 0)
	if err != nil {
		return Record{}, err
	}
	if len(recs) == 0 {
		return Record{}, domain.NotFound("this proposal does not exist")
	}
	var (
		out   Record
		evs   []domain.Event
		atPos uint64
		found bool
	)
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return Record{}, fmt.Errorf("%s@%d: %w", proposal.StreamName(proposalID), r.Revision, err)
		}
		evs = append(evs, e)
		switch e := e.(type) {
		case proposal.ProposalAccepted:
			out.Accepted, atPos, found = e, r.Position, true
		case proposal.ProposalSignedDocumentFiled:
			out.Filed = &e
		}
	}
	if !found || out.Accepted.DocumentHash == "" {
		return Record{}, ErrNotSigned
	}
	st := proposal.Fold(evs)
	out.Title = st.Title
	if out.Erased, err = clientErased(ctx, store, st.ClientID); err != nil {
		return Record{}, err
	}
	frecs, err := store.ReadStream(ctx, firm.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		return Record{}, err
	}
	var f firm.State
	for _, r := range frecs {
		if r.Position > atPos {
			break
		}
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			return Record{}, err
		}
		f = firm.Evolve(f, e)
	}
	out.Firm, out.Location = f.Name, time.UTC
	if loc, err := time.LoadLocation(f.TimeZone); err == nil && f.TimeZone != "" {
		out.Location = loc
	}
	return out, nil
}

// clientErased reports whether the client's stream records ClientErased.
func clientErased(ctx context.Context, store eventstore.Store, clientID uuid.UUID) (bool, error) {
	recs, err := store.ReadStream(ctx, client.StreamName(clientID), 0, eventstore.Forward, 0)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", client.StreamName(clientID), err)
	}
	for _, r := range recs {
		if r.Type == (client.ClientErased{}).EventType() {
			return true, nil
		}
	}
	return false, nil
}

// EraseClient deletes the kept signed PDFs (each proposal's folder under
// <data>/proposals) of the client's proposals, and returns how many it
// deleted. A proposal's client is read from its stream's first event.
func EraseClient(ctx context.Context, store eventstore.Store, dataDir string, clientID uuid.UUID) (int, error) {
	root := filepath.Join(dataDir, "proposals")
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cat := catalog.New()
	n := 0
	for _, e := range entries {
		pid, err := uuid.Parse(e.Name())
		if err != nil || !e.IsDir() {
			continue // not a proposal's folder
		}
		recs, err := store.ReadStream(ctx, proposal.StreamName(pid), 0, eventstore.Forward, 1)
		if err != nil {
			return n, fmt.Errorf("read %s: %w", proposal.StreamName(pid), err)
		}
		if len(recs) == 0 {
			continue
		}
		ev, err := cat.Decode(recs[0].Type, recs[0].SchemaVersion, recs[0].Data)
		if err != nil {
			return n, fmt.Errorf("%s@0: %w", proposal.StreamName(pid), err)
		}
		if proposal.Evolve(proposal.State{}, ev).ClientID != clientID {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return n, fmt.Errorf("delete the signed PDF of proposal %s: %w", pid, err)
		}
		n++
	}
	return n, nil
}

// Render makes the signed PDF of a record.
func Render(r Record) ([]byte, error) {
	var buf bytes.Buffer
	err := pdf.SignedProposal(&buf, pdf.SignedProposalData{Accepted: r.Accepted, Title: r.Title, Firm: r.Firm, Location: r.Location})
	return buf.Bytes(), err
}

// Check is one audit check: what it checked and whether it holds.
type Check struct {
	What string
	OK   bool
	Why  string // when not OK: what does not match
}

// Report is an audit's evidence and checks.
type Report struct {
	ProposalID   uuid.UUID
	Signatures   []proposal.Signature
	DocumentHash string
	PDFSHA256    string // as filed; "" when not filed
	// Erased is true when the client was erased: the evidence reads as
	// erased and the PDF was deleted, so the checks say that instead.
	Erased bool
	Checks []Check
}

// Verified reports whether every check holds.
func (r Report) Verified() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Audit checks a signed proposal's evidence and its stored PDF.
func Audit(ctx context.Context, store eventstore.Store, dataDir string, proposalID uuid.UUID) (Report, error) {
	rec, err := Load(ctx, store, proposalID)
	if err != nil {
		return Report{}, err
	}
	if rec.Erased {
		return auditErased(rec, dataDir), nil
	}
	if rec.Filed == nil {
		return AuditRecord(rec, nil)
	}
	stored, err := os.ReadFile(Path(dataDir, proposalID))
	if err != nil {
		rep, aerr := AuditRecord(rec, nil)
		rep.Checks = append(rep.Checks, Check{What: "the signed PDF is stored", Why: "cannot read " + Path(dataDir, proposalID) + ": " + err.Error()})
		return rep, aerr
	}
	return AuditRecord(rec, stored)
}

// auditErased reports a proposal whose client was erased: the PDF must be
// gone from the data folder, as the erasure requires.
func auditErased(rec Record, dataDir string) Report {
	rep := Report{ProposalID: rec.Accepted.ProposalID, Signatures: rec.Accepted.Signatures, Erased: true}
	if rec.Filed != nil {
		rep.PDFSHA256 = rec.Filed.PDFSHA256
	}
	p := Path(dataDir, rec.Accepted.ProposalID)
	_, err := os.Stat(p)
	rep.Checks = append(rep.Checks, Check{
		What: "the signed PDF was erased with the client's personal data (ClientErased)",
		OK:   errors.Is(err, os.ErrNotExist),
		Why:  p + " is still there although the client was erased: remit serve deletes it when it follows the log",
	})
	return rep
}

// AuditRecord checks a record's evidence and, when stored is not nil, the
// stored PDF; without it, that the PDF rendered again has the hash filed.
func AuditRecord(rec Record, stored []byte) (Report, error) {
	e := rec.Accepted
	rep := Report{ProposalID: e.ProposalID, Signatures: e.Signatures, DocumentHash: e.DocumentHash}
	add := func(what string, ok bool, why string) {
		rep.Checks = append(rep.Checks, Check{What: what, OK: ok, Why: why})
	}
	got := proposal.DocumentHash(e.Document)
	add("the accepted document's SHA-256 is the hash recorded", got == e.DocumentHash,
		fmt.Sprintf("SHA-256 of the document is %s, the event records %s", got, e.DocumentHash))
	// The first signature fixes the choice, and the document then records
	// it: a later signer reads (and the acceptance keeps) that document, so
	// the last signature is checked when it is not the first. A lone
	// signature signed the document as offered; its hash is the evidence.
	if n := len(e.Signatures); n > 1 {
		last := e.Signatures[n-1]
		add(fmt.Sprintf("the last signature (%s <%s>) is of the accepted document", last.SignedName, last.Email), last.DocumentHash == e.DocumentHash,
			fmt.Sprintf("%s signed a document with SHA-256 %s", last.SignedName, last.DocumentHash))
	}
	if rec.Filed == nil {
		add("the signed PDF is filed", false, "no ProposalSignedDocumentFiled event: the signed PDF was not filed yet")
		return rep, nil
	}
	rep.PDFSHA256 = rec.Filed.PDFSHA256
	again, err := Render(rec)
	if err != nil {
		return rep, err
	}
	if stored == nil {
		h := Hash(again)
		add("the PDF rendered again from the acceptance has the SHA-256 filed", h == rec.Filed.PDFSHA256,
			fmt.Sprintf("the PDF rendered again has SHA-256 %s, the log filed %s", h, rec.Filed.PDFSHA256))
		return rep, nil
	}
	add("the stored PDF is the PDF rendered again from the acceptance", bytes.Equal(stored, again),
		fmt.Sprintf("the stored PDF (SHA-256 %s) differs from the one rendered from the event (SHA-256 %s)", Hash(stored), Hash(again)))
	h := Hash(stored)
	add("the stored PDF's SHA-256 is the one filed", h == rec.Filed.PDFSHA256 && int64(len(stored)) == rec.Filed.Bytes,
		fmt.Sprintf("the stored PDF has SHA-256 %s and %d bytes, the log filed %s and %d bytes", h, len(stored), rec.Filed.PDFSHA256, rec.Filed.Bytes))
	return rep, nil
}

// FiledPDF answers a proposal's signed PDF, rendered again from the
// acceptance, once filed and only when its hash is the one filed
// (NotFound before it is filed, ECONFLICT when it does not match).
func FiledPDF(ctx context.Context, store eventstore.Store, proposalID uuid.UUID) ([]byte, error) {
	rec, err := Load(ctx, store, proposalID)
	if errors.Is(err, ErrNotSigned) {
		return nil, domain.NotFound("this proposal has no signed document")
	}
	if err != nil {
		return nil, err
	}
	if rec.Erased {
		return nil, domain.NotFound("the signed document was erased with the client's personal data")
	}
	if rec.Filed == nil {
		return nil, domain.NotFound("the signed document is not filed yet")
	}
	b, err := Render(rec)
	if err != nil {
		return nil, err
	}
	if Hash(b) != rec.Filed.PDFSHA256 {
		return nil, domain.Conflict("the signed document rendered again does not match the one filed: run remit audit proposal %s", proposalID)
	}
	return b, nil
}
