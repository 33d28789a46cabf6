package api_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestActivityPaging: a client's activity comes a page at a time, oldest
// first, each page naming the whole history's size and linking the next
// (in the body and the Link header) until the last; the pages together are
// the whole history, once each, in order.
func TestActivityPaging(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	id := a.mustCreateClient("Acme")
	base := "/api/clients/" + id
	for _, name := range []string{"Acme 2", "Acme 3", "Acme 4", "Acme 5"} {
		a.must(http.StatusOK, "PUT", base, map[string]any{"name": name, "kind": "business"})
	}
	whole := a.must(http.StatusOK, "GET", base+"/activity?limit=500", nil)
	var all []string
	for _, it := range items(t, whole) {
		all = append(all, str(t, it, "text"))
	}
	if len(all) < 5 || get(t, whole, "total").(float64) != float64(len(all)) || whole["next"] != nil {
		t.Fatalf("the whole history in one page: %v", whole)
	}
	var got []string
	next := base + "/activity?limit=2"
	pages := 0
	for next != "" {
		r := a.do("GET", next, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.Status, r.Body)
		}
		page := r.JSON(t)
		if get(t, page, "total").(float64) != float64(len(all)) || get(t, page, "limit").(float64) != 2 {
			t.Fatalf("page: %s", r.Body)
		}
		for _, it := range items(t, page) {
			got = append(got, str(t, it, "text"))
		}
		next, _ = page["next"].(string)
		if next != "" && r.Header.Get("Link") != "<"+next+`>; rel="next"` {
			t.Fatalf("Link header %q", r.Header.Get("Link"))
		}
		if pages++; pages > len(all) {
			t.Fatal("the pages do not end")
		}
	}
	if !slices.Equal(got, all) || pages != (len(all)+1)/2 {
		t.Errorf("%d pages of\n%q\nwant\n%q", pages, got, all)
	}
}
