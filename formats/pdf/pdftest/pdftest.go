// Package pdftest reads a PDF document's text back for tests, with
// pdftotext (poppler-utils, which scripts/test.sh installs), the way a
// person reading the document sees it: the layout kept, one page after
// another.
package pdftest

import (
	"bytes"
	"os/exec"
	"testing"
)

// Text is the text of doc, laid out as pdftotext -layout gives it. It
// fails tb when doc is not a PDF, and skips it when pdftotext is missing.
func Text(tb testing.TB, doc []byte) string {
	tb.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		tb.Skip("pdftotext is not installed (apt-get install poppler-utils; scripts/test.sh does it)")
	}
	if !bytes.HasPrefix(doc, []byte("%PDF-")) {
		tb.Fatalf("not a PDF: %.40q", doc)
	}
	cmd := exec.Command(bin, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
