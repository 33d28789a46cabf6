package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"remit/domain"
	"remit/processes/signeddoc"
)

// ProposalEvidence is a signed proposal's evidence and the audit of its
// document and signed PDF (processes/signeddoc.Audit, without the stored
// file: the PDF is rendered again from the acceptance and checked against
// the hash filed).
type ProposalEvidence struct {
	ProposalID   string              `json:"proposal_id"`
	Signatures   []SignatureEvidence `json:"signatures"`
	DocumentHash string              `json:"document_hash"`
	PDFSHA256    string              `json:"pdf_sha256,omitempty"`
	Checks       []EvidenceCheck     `json:"checks"`
	Verified     bool                `json:"verified"`
}

// SignatureEvidence is one signature as recorded.
type SignatureEvidence struct {
	SignatoryID  string `json:"signatory_id,omitempty"`
	SignedName   string `json:"signed_name"`
	Email        string `json:"email"`
	IP           string `json:"ip"`
	UserAgent    string `json:"user_agent"`
	DocumentHash string `json:"document_hash"`
	At           string `json:"at"`
}

// EvidenceCheck is one check of the audit.
type EvidenceCheck struct {
	What string `json:"what"`
	OK   bool   `json:"ok"`
	Why  string `json:"why,omitempty"`
}

func (s *Server) registerEvidenceRoutes(r *mux.Router) {
	r.HandleFunc("/api/proposals/{id}/evidence", s.handleProposalEvidence).Methods(http.MethodGet)
	r.HandleFunc("/api/proposals/{id}/signed.pdf", s.handleSignedPDF).Methods(http.MethodGet)
}

func (s *Server) handleProposalEvidence(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "proposal")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rec, err := signeddoc.Load(r.Context(), s.cfg.Store, id)
	if errors.Is(err, signeddoc.ErrNotSigned) {
		err = domain.Conflict("%v", err)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	rep, err := signeddoc.AuditRecord(rec, nil)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := ProposalEvidence{ProposalID: id.String(), DocumentHash: rep.DocumentHash, PDFSHA256: rep.PDFSHA256, Verified: rep.Verified(),
		Signatures: []SignatureEvidence{}, Checks: []EvidenceCheck{}}
	for _, g := range rep.Signatures {
		e := SignatureEvidence{SignedName: g.SignedName, Email: g.Email, IP: g.IP, UserAgent: g.UserAgent, DocumentHash: g.DocumentHash, At: g.At.UTC().Format(time.RFC3339)}
		if g.SignatoryID.String() != "00000000-0000-0000-0000-000000000000" {
			e.SignatoryID = g.SignatoryID.String()
		}
		out.Signatures = append(out.Signatures, e)
	}
	for _, c := range rep.Checks {
		ch := EvidenceCheck{What: c.What, OK: c.OK}
		if !c.OK {
			ch.Why = c.Why
		}
		out.Checks = append(out.Checks, ch)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handleSignedPDF answers the signed-proposal PDF, rendered again from the
// acceptance (the same bytes as the file kept) once its hash is filed.
func (s *Server) handleSignedPDF(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "proposal")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	b, err := signeddoc.FiledPDF(r.Context(), s.cfg.Store, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "signed-proposal-"+id.String()+".pdf"))
	_, _ = w.Write(b)
}
