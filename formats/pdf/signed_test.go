package pdf_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/proposal"
	"remit/formats/pdf"
	"remit/formats/pdf/pdftest"
)

func signedSample() pdf.SignedProposalData {
	doc := "# Engagement letter\n\nDear **Harbour Cafe**, Ledger & Co will keep your books.\n\n| Service | Price |\n|---|---:|\n| Bookkeeping | A$759.00 a month |\n| Payroll (add-on) | A$110.00 a month |\n\nChosen: Standard, add-ons: Payroll\n"
	at := time.Date(2026, 3, 2, 23, 15, 4, 0, time.UTC)
	return pdf.SignedProposalData{
		Title: "Books and payroll", Firm: "Ledger & Co", Location: sydney(),
		Accepted: proposal.ProposalAccepted{
			ProposalID: uuid.MustParse("6f1c2b1e-0000-4000-8000-000000000001"), AcceptedOn: domain.DateOf(at, sydney()),
			Document: doc, DocumentHash: proposal.DocumentHash(doc), At: at,
			Signatures: []proposal.Signature{
				{SignedName: "Ana Lima", Email: "ana@harbour.example", IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11) Chrome/131", DocumentHash: proposal.DocumentHash(doc), At: at.Add(-time.Hour)},
				{SignedName: "Carla Ruiz", Email: "carla@partners.example", IP: "198.51.100.22", UserAgent: "Mozilla/5.0 (Mac) Safari/17", DocumentHash: proposal.DocumentHash(doc), At: at},
			},
		},
	}
}

func sydney() *time.Location {
	l, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		panic(err)
	}
	return l
}

// TestTheSignedProposalPDFShowsTheDocumentAndEveryonesEvidence: the PDF
// holds the letter, the services chosen, each signature's name, email, time
// (firm's zone and UTC), IP, user agent and hash, and the document's hash;
// rendering the same event again gives the same bytes.
func TestTheSignedProposalPDFShowsTheDocumentAndEveryonesEvidence(t *testing.T) {
	data := signedSample()
	var a, b bytes.Buffer
	if err := pdf.SignedProposal(&a, data); err != nil {
		t.Fatal(err)
	}
	if err := pdf.SignedProposal(&b, data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same event rendered twice gives different bytes")
	}
	text := strings.Join(strings.Fields(pdftest.Text(t, a.Bytes())), " ")
	h := data.Accepted.DocumentHash
	for _, want := range []string{
		"Signed proposal: Books and payroll", "Engagement letter", "Dear Harbour Cafe, Ledger & Co will keep your books.",
		"Bookkeeping | A$759.00 a month", "Chosen: Standard, add-ons: Payroll",
		"1. Ana Lima <ana@harbour.example>", "3 Mar 2026 09:15:04 AEDT", "2026-03-02 22:15:04 UTC", "IP address: 203.0.113.7", "User agent: Mozilla/5.0 (X11) Chrome/131",
		"2. Carla Ruiz <carla@partners.example>", "3 Mar 2026 10:15:04 AEDT", "2026-03-02 23:15:04 UTC", "IP address: 198.51.100.22",
		"Document SHA-256 shown when signing: " + h, "SHA-256 of the accepted document: " + h,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "|---") {
		t.Error("a table separator row is shown")
	}
}
