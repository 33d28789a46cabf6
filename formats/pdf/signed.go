package pdf

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"remit/domain/proposal"
)

// SignedProposalData is what the signed-proposal PDF shows: the accepted
// proposal's event as recorded, the firm's name and time zone (each
// signature's time is shown in it and in UTC).
type SignedProposalData struct {
	Accepted proposal.ProposalAccepted
	Title    string
	Firm     string
	Location *time.Location // nil: UTC
}

// SignedProposal draws the record of a signed proposal: the whole accepted
// document (the letter, the services with the chosen package and add-ons,
// their terms; Markdown shown as text, tables as rows), then each
// signature's evidence (typed name, email, time in the firm's zone and in
// UTC, IP address, user agent, the hash of the document that signer was
// shown) and the accepted document's SHA-256. It depends on nothing but
// data: the creation date is the acceptance event's time and no ids are
// random, so rendering the same event again gives the same bytes (what
// remit audit proposal checks the stored file against).
func SignedProposal(w io.Writer, data SignedProposalData) error {
	e := data.Accepted
	loc := data.Location
	if loc == nil {
		loc = time.UTC
	}
	doc := fpdf.New("P", "mm", "A4", "")
	doc.SetCatalogSort(true)
	created := e.At.UTC().Truncate(time.Second)
	doc.SetCreationDate(created)
	doc.SetModificationDate(created)
	doc.SetTitle("Signed proposal: "+data.Title, true)
	doc.SetAuthor(data.Firm, true)
	doc.SetCreator("Remit", true)
	doc.SetMargins(15, 15, 15)
	doc.SetAutoPageBreak(true, 15)
	doc.AddPage()
	tr := translator(doc) // core fonts are cp1252

	doc.SetFont("Helvetica", "B", 16)
	doc.MultiCell(0, 8, tr("Signed proposal: "+data.Title), "", "L", false)
	doc.SetFont("Helvetica", "", 9)
	doc.MultiCell(0, 5, tr(fmt.Sprintf("From %s. Accepted on %s. Proposal %s.", data.Firm, FormatDate(e.AcceptedOn), e.ProposalID)), "", "L", false)
	doc.Ln(3)

	markdownText(doc, tr, e.Document)

	doc.Ln(4)
	doc.SetFont("Helvetica", "B", 12)
	doc.CellFormat(0, 7, "Signatures", "B", 1, "L", false, 0, "")
	doc.Ln(1)
	for i, s := range e.Signatures {
		doc.SetFont("Helvetica", "B", 10)
		doc.MultiCell(0, 6, tr(fmt.Sprintf("%d. %s <%s>", i+1, s.SignedName, s.Email)), "", "L", false)
		doc.SetFont("Helvetica", "", 9)
		for _, l := range []string{
			"Signed at: " + s.At.In(loc).Format("2 Jan 2006 15:04:05 MST") + " (" + loc.String() + "); " + s.At.UTC().Format("2006-01-02 15:04:05") + " UTC",
			"IP address: " + s.IP,
			"User agent: " + s.UserAgent,
			"Document SHA-256 shown when signing: " + s.DocumentHash,
		} {
			doc.MultiCell(0, 5, tr(l), "", "L", false)
		}
		doc.Ln(2)
	}
	if len(e.Signatures) == 0 {
		doc.MultiCell(0, 5, tr(fmt.Sprintf("Accepted by %s <%s>, signed %q.", e.AcceptedByName, e.AcceptedByEmail, e.SignatureName)), "", "L", false)
	}
	doc.Ln(2)
	doc.SetFont("Helvetica", "B", 10)
	doc.MultiCell(0, 6, "SHA-256 of the accepted document: "+e.DocumentHash, "", "L", false)
	doc.SetFont("Helvetica", "", 8)
	doc.MultiCell(0, 4, tr("The hash is of the document text above (UTF-8) as recorded in the ProposalAccepted event; each signer's hash is of the document they were shown."), "", "L", false)
	return doc.Output(w)
}

// markdownText draws a Markdown document as text: headings larger and
// bold, table rows as cells joined by " | " (separator rows left out),
// emphasis markers removed, other lines wrapped as paragraphs.
func markdownText(doc *fpdf.Fpdf, tr func(string) string, md string) {
	for _, line := range strings.Split(md, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			doc.Ln(2)
		case strings.HasPrefix(t, "#"):
			level := len(t) - len(strings.TrimLeft(t, "#"))
			doc.SetFont("Helvetica", "B", float64(max(10, 15-level)))
			doc.MultiCell(0, 7, tr(plain(strings.TrimSpace(t[level:]))), "", "L", false)
		case strings.HasPrefix(t, "|"):
			cells := strings.Split(strings.Trim(t, "|"), "|")
			if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
				continue
			}
			for i := range cells {
				cells[i] = plain(strings.TrimSpace(cells[i]))
			}
			doc.SetFont("Helvetica", "", 9)
			doc.MultiCell(0, 5, tr(strings.Join(cells, " | ")), "", "L", false)
		default:
			doc.SetFont("Helvetica", "", 9)
			doc.MultiCell(0, 5, tr(plain(t)), "", "L", false)
		}
	}
}

// plain drops Markdown's emphasis markers.
func plain(s string) string {
	return strings.NewReplacer("**", "", "__", "", "`", "").Replace(s)
}
