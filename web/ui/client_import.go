package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"remit/billing"
	"remit/domain"
	"remit/formats/importer"
)

// The clients import page (/clients/import): a firm moving to Remit
// uploads its client list as a Xero contacts export (CSV), the same file
// and the same import as `remit import clients` and POST
// /api/imports/clients. Every row is checked first: a file with invalid
// rows imports nothing and lists each problem by row and column, unless
// staff tick "import the valid rows". The same file imported again
// creates nothing twice (each row's command id is derived from the file
// and its line).

const clientImportPath = "/clients/import"

// importPage is the import page's data.
type importPage struct {
	Problems []importer.Problem // the rows' problems, when a file was refused
	Rows     int                // how many rows the refused file has
}

func (h *handler) registerClientImportRoutes(rt routes) {
	rt.get(clientImportPath, h.handleClientImportForm)
	rt.post(clientImportPath, h.handleClientImport)
}

func (h *handler) handleClientImportForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "client_import", &view{Title: "Import clients", Section: "clients", Form: newForm(), D: importPage{}})
}

func (h *handler) handleClientImport(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, err error, d importPage) {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, status, "client_import", &view{Title: "Import clients", Section: "clients", Form: f, D: d})
	}
	raw, err := uploaded(r, "file")
	if err != nil {
		refuse(statusOf(err), err, importPage{})
		return
	}
	file, err := importer.Parse(bytes.NewReader(raw))
	if err != nil {
		refuse(http.StatusUnprocessableEntity, domain.Invalid("file", "%v", err), importPage{})
		return
	}
	skip := r.FormValue("skip_invalid") == "on"
	var out importer.Outcome
	_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		var err error
		out, err = importer.Import(ctx, h.cfg.Billing, file, importer.Options{SkipInvalid: skip, Actor: meta.Actor})
		return billing.Result{Position: out.Position}, err
	})
	if errors.Is(err, importer.ErrInvalidRows) {
		refuse(http.StatusUnprocessableEntity, domain.Invalid("file", "%s of the file's %d %s problems (below); nothing was imported. Correct them, or tick the box to import the other rows.", count(badRows(out.Problems), "row", "rows"), len(file.Rows), map[bool]string{true: "has", false: "have"}[badRows(out.Problems) == 1]),
			importPage{Problems: out.Problems, Rows: len(file.Rows)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msg := "Imported " + count(out.Imported, "client", "clients") + "."
	if out.Existing > 0 {
		msg += " " + count(out.Existing, "row was", "rows were") + " already imported from this file."
	}
	if out.Skipped > 0 {
		msg += " " + count(out.Skipped, "row with problems was", "rows with problems were") + " left out."
	}
	redirect(w, r, "/clients", msg)
}

// count is n with its noun: "1 client", "3 clients".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// badRows counts the rows with problems.
func badRows(ps []importer.Problem) int {
	rows := map[int]bool{}
	for _, p := range ps {
		rows[p.Line] = true
	}
	return len(rows)
}

// uploaded reads the file sent in the form's input name; its errors are
// on that field.
func uploaded(r *http.Request, name string) ([]byte, error) {
	f, _, err := r.FormFile(name)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, domain.Invalid(name, "the file is too large (at most %d KB)", maxFormBytes>>10)
		}
		return nil, domain.Invalid(name, "choose the CSV file to import")
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read the uploaded file: %w", err)
	}
	return raw, nil
}
