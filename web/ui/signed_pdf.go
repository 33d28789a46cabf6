package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"remit/processes/signeddoc"
	"remit/web/auth"
)

// The signed-proposal PDF, for staff from the proposal's page and for the
// client from their link: rendered again from the acceptance
// (signeddoc.FiledPDF, the same bytes as the file kept) and given only when
// its hash is the one filed. Routes: /proposals/{pid}/signed.pdf (staff)
// and /c/p/{token}/signed.pdf (the client's link).

func (h *handler) handleSignedPDF(w http.ResponseWriter, r *http.Request) {
	p, _, _, ok := h.loadProposal(w, r)
	if !ok {
		return
	}
	h.sendSignedPDF(w, r, p.ID)
}

func (h *handler) handleLinkSignedPDF(w http.ResponseWriter, r *http.Request) {
	l, ok := h.verifyLink(w, r, auth.PurposeAcceptProposal)
	if !ok {
		return
	}
	h.sendSignedPDF(w, r, l.Resource)
}

func (h *handler) sendSignedPDF(w http.ResponseWriter, r *http.Request, id uuid.UUID) {
	b, err := signeddoc.FiledPDF(r.Context(), h.cfg.Store, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "signed-proposal.pdf"))
	_, _ = w.Write(b)
}
