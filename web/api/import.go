package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"remit/domain"
	"remit/formats/importer"

	"github.com/gorilla/mux"
)

// ImportProblem is one thing wrong with one row of an imported file.
type ImportProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Imported int             `json:"imported"`
	Existing int             `json:"existing"`
	Skipped  int             `json:"skipped"`
	Problems []ImportProblem `json:"problems"`
}

func (s *Server) registerImportRoutes(r *mux.Router) {
	r.HandleFunc("/api/imports/clients", s.handleClientImport).Methods(http.MethodPost)
}

// handleClientImport imports clients from a CSV in the shape of a Xero
// contacts export (the body, as text/csv): the same import as `remit import
// clients`. Every row is checked first; with invalid rows nothing is
// imported (422 listing them as errors "rows[N].Column") unless
// ?skip_invalid=true. Importing the same file again creates nothing twice.
func (s *Server) handleClientImport(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "text/csv" && mt != "application/csv") {
		s.Error(w, r, &httpError{status: http.StatusUnsupportedMediaType, msg: "Send the file as text/csv."})
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.Error(w, r, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit)})
			return
		}
		s.Error(w, r, malformed(domain.Invalid("", "the request body could not be read")))
		return
	}
	skip := r.URL.Query().Get("skip_invalid")
	if skip != "" && skip != "true" && skip != "false" {
		s.Error(w, r, malformed(domain.Invalid("skip_invalid", "must be true or false")))
		return
	}
	file, err := importer.Parse(bytes.NewReader(raw))
	if err != nil {
		s.Error(w, r, malformed(domain.Invalid("", "%v", err)))
		return
	}
	ctx := context.WithoutCancel(r.Context())
	out, err := importer.Import(ctx, s.cfg.Billing, file, importer.Options{SkipInvalid: skip == "true", Actor: actor(r)})
	if errors.Is(err, importer.ErrInvalidRows) {
		var p domain.Problems
		for _, pr := range out.Problems {
			p.Add(fmt.Sprintf("rows[%d].%s", pr.Line, pr.Column), "%s", pr.Message)
		}
		s.Error(w, r, p.Err())
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if out.Position > 0 {
		wctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTimeout)
		err := s.cfg.Runner.WaitFor(wctx, out.Position)
		cancel()
		if err != nil {
			s.log.Warn("read models did not catch up with an import in time", "position", out.Position, "err", err)
		}
	}
	res := ImportResult{Imported: out.Imported, Existing: out.Existing, Skipped: out.Skipped, Problems: []ImportProblem{}}
	for _, pr := range out.Problems {
		res.Problems = append(res.Problems, ImportProblem{Row: pr.Line, Column: pr.Column, Message: pr.Message})
	}
	s.writeJSON(w, r, http.StatusOK, res)
}
