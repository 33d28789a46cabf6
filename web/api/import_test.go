package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestClientImport(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	csvType := []string{"Content-Type", "text/csv"}
	good := "*ContactName,EmailAddress,FirstName,LastName,POCountry\nBeta Co,ap@beta.example,Bo,Tan,Australia\nGamma Co,ap@gamma.example,,,NZ\n"
	bad := "ContactName,EmailAddress\nDelta Co,not-an-email\nEpsilon Co,ok@eps.example\n"

	t.Run("InvalidRowsImportNothing", func(t *testing.T) {
		head := a.head()
		r := a.do(http.MethodPost, "/api/imports/clients", bad, csvType...)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `rows[2].EmailAddress`) {
			t.Fatalf("status %d\n%s", r.Status, r.Body)
		}
		if h := a.head(); h != head {
			t.Fatalf("an invalid file appended: head %d -> %d", head, h)
		}
	})
	t.Run("NotCSV", func(t *testing.T) {
		head := a.head()
		if r := a.do(http.MethodPost, "/api/imports/clients", good); r.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("JSON content type: status %d\n%s", r.Status, r.Body)
		}
		if r := a.do(http.MethodPost, "/api/imports/clients", "Email\nx@y.example\n", csvType...); r.Status != http.StatusBadRequest {
			t.Fatalf("no ContactName column: status %d\n%s", r.Status, r.Body)
		}
		if h := a.head(); h != head {
			t.Fatalf("a refused import appended: head %d -> %d", head, h)
		}
	})
	t.Run("OK", func(t *testing.T) {
		res := a.must(http.StatusOK, http.MethodPost, "/api/imports/clients", good, csvType...)
		if res["imported"] != float64(2) {
			t.Fatalf("import = %v", res)
		}
		// Read-your-writes: the clients list shows them at once.
		list := a.must(http.StatusOK, http.MethodGet, "/api/clients?search=Co", nil)
		if list["total"] != float64(2) {
			t.Fatalf("clients after import = %v", list)
		}
		head := a.head()
		again := a.must(http.StatusOK, http.MethodPost, "/api/imports/clients", good, csvType...)
		if again["imported"] != float64(0) || again["existing"] != float64(2) || a.head() != head {
			t.Fatalf("same file again = %v (head %d -> %d)", again, head, a.head())
		}
	})
	t.Run("SkipInvalid", func(t *testing.T) {
		res := a.must(http.StatusOK, http.MethodPost, "/api/imports/clients?skip_invalid=true", bad, csvType...)
		if res["imported"] != float64(1) || res["skipped"] != float64(1) {
			t.Fatalf("skip-invalid = %v", res)
		}
	})
}
