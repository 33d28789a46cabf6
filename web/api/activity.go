package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/domain"
	"remit/projections"
)

func (s *Server) registerActivityRoutes(r *mux.Router) {
	r.HandleFunc("/api/clients/{id}/activity", s.handleClientActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/clients/{id}/payment-methods/{method_id}/activity", s.handlePaymentMethodActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/services/{id}/activity", s.handleServiceActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/invoices/{id}/activity", s.handleInvoiceActivity).Methods(http.MethodGet)
	r.HandleFunc("/api/proposals/{id}/activity", s.handleProposalActivity).Methods(http.MethodGet)
}

func (s *Server) handleClientActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectClient, "id", "client")
}

func (s *Server) handleServiceActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectService, "id", "service")
}

func (s *Server) handleInvoiceActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectInvoice, "id", "invoice")
}

func (s *Server) handleProposalActivity(w http.ResponseWriter, r *http.Request) {
	s.writeActivity(w, r, projections.SubjectProposal, "id", "proposal")
}

// handlePaymentMethodActivity checks that the method is the client's first.
func (s *Server) handlePaymentMethodActivity(w http.ResponseWriter, r *http.Request) {
	k := s.paymentMethods()
	clientID, methodID, err := k.path(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if _, _, err := k.read(r.Context(), clientID, methodID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeActivity(w, r, projections.SubjectPaymentMethod, "method_id", "payment method")
}

// writeActivity writes one page of a subject's history, oldest first:
// ?limit= lines (default projections.DefaultLimit) after ?cursor=, a
// position in the log the previous page's next link gives (keyset paging,
// so a page costs the same however long the history is).
func (s *Server) writeActivity(w http.ResponseWriter, r *http.Request, subject projections.Subject, idVar, what string) {
	id, err := pathID(r, idVar, what)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q, err := activityPaging(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	csvWanted, err := wantsCSV(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if csvWanted {
		s.exportActivity(w, r, subject, id, what)
		return
	}
	p, err := s.models(r.Context()).ActivityPage(r.Context(), subject, id, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	l := List[ActivityLine]{Items: wireList(p.Lines, activityLineOf), Total: p.Total, Limit: q.Limit, AsOf: asOfMomentOf(r.Context())}
	if p.More {
		v := url.Values{}
		for k, vs := range r.URL.Query() {
			v[k] = vs
		}
		v.Set("cursor", encodePositionCursor(p.Cursor))
		v.Set("limit", strconv.Itoa(q.Limit))
		l.Next = r.URL.Path + "?" + v.Encode()
		w.Header().Set("Link", "<"+l.Next+`>; rel="next"`)
	}
	s.writeJSON(w, r, http.StatusOK, l)
}

// activityPaging reads ?limit= and ?cursor= of an activity list (400
// naming the field when either is bad): the page oldest first after the
// cursor's position, counted.
func activityPaging(r *http.Request) (projections.ActivityQuery, error) {
	q := projections.ActivityQuery{Limit: projections.DefaultLimit, Count: true}
	var probs domain.Problems
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > projections.MaxLimit {
			probs.Add("limit", "must be a whole number from 1 to %d", projections.MaxLimit)
		} else {
			q.Limit = n
		}
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		pos, ok := decodePositionCursor(v)
		if !ok {
			probs.Add("cursor", "is not a cursor this API gave out; use the next link of a list")
		} else {
			q.Cursor = pos
		}
	}
	if err := probs.Err(); err != nil {
		return q, malformed(err)
	}
	return q, nil
}

// Activity cursors carry the position of the last line of a page.
func encodePositionCursor(pos uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p:" + strconv.FormatUint(pos, 10)))
}

func decodePositionCursor(c string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "p:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// exportActivity streams a subject's whole history as CSV, oldest first,
// page after page (keyset paging: each page after the last line's position).
func (s *Server) exportActivity(w http.ResponseWriter, r *http.Request, subject projections.Subject, id uuid.UUID, what string) {
	q := projections.ActivityQuery{Limit: projections.MaxLimit}
	p, err := s.models(r.Context()).ActivityPage(r.Context(), subject, id, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c := startCSV(w, strings.ReplaceAll(what, " ", "-")+"-activity", ActivityLine{}.csvHeader())
	for {
		writeRows(c, wireList(p.Lines, activityLineOf))
		if c.flush() != nil || !p.More {
			return
		}
		q.Cursor = p.Cursor
		if p, err = s.models(r.Context()).ActivityPage(r.Context(), subject, id, q); err != nil {
			s.log.Error("CSV export stopped", "path", r.URL.Path, "err", err)
			return
		}
	}
}
