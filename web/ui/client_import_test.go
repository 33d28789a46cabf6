package ui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestImportClientsPage: staff upload a Xero contacts export on the
// Clients page. A file with an invalid row imports nothing and lists the
// problem by row and column; ticking "import the valid rows" imports the
// others; the same file again creates nothing twice; no file is an error
// beside the file input.
func TestImportClientsPage(t *testing.T) {
	a := newApp(t)
	mustContain(t, a.get("/clients"), `href="/clients/import"`)
	mustContain(t, a.get("/clients/import"), `enctype="multipart/form-data"`, "Xero contacts export")
	const csv = "*ContactName,EmailAddress,FirstName,LastName,POCountry\n" +
		"Acme Plumbing Pty Ltd,accounts@acmeplumbing.example,Jo,Bloggs,AU\n" +
		"Broken Row Ltd,not-an-email,Ann,Other,AU\n"
	upload := func(file string, skip bool) page {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("_token", uuid.NewString())
		if skip {
			_ = mw.WriteField("skip_invalid", "on")
		}
		if file != "" {
			fw, _ := mw.CreateFormFile("file", "contacts.csv")
			_, _ = fw.Write([]byte(file))
		}
		_ = mw.Close()
		resp, err := a.client.Post(a.server.URL+"/clients/import", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}

	before := a.head()
	p := upload(csv, false)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "1 row of the file&#39;s 2 has problems") ||
		!strings.Contains(p.Body, `<td class="num">3</td><td>EmailAddress</td>`) {
		t.Fatalf("a file with an invalid row = %d: %s", p.Status, errorsOf(p.Body))
	}
	if a.head() != before {
		t.Fatal("a refused file imported something")
	}
	if p := upload("", false); p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "file") == "" {
		t.Errorf("no file = %d: %s", p.Status, errorsOf(p.Body))
	}

	p = upload(csv, true)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("importing the valid rows = %d: %s", p.Status, errorsOf(p.Body))
	}
	list := a.get(p.Location)
	mustContain(t, list, "Imported 1 client. 1 row with problems was left out.", "Acme Plumbing Pty Ltd")
	if strings.Contains(list.Body, "Broken Row Ltd") {
		t.Error("the invalid row was imported")
	}
	p = upload(csv, true)
	mustContain(t, a.get(p.Location), "Imported 0 clients. 1 row was already imported from this file.")
	if n := strings.Count(a.get("/clients").Body, ">Acme Plumbing Pty Ltd<"); n != 1 {
		t.Errorf("Acme is listed %d times after importing the file twice", n)
	}
}
