package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestContactEditAndRemove: PUT changes a contact's name, email, phone and
// role; DELETE removes one, the primary billing contact only with
// new_primary_contact_id naming who takes over. Refusals are 422 naming the
// field and append nothing.
func TestContactEditAndRemove(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	base := "/api/clients/" + clientID + "/contacts"
	list := a.must(http.StatusOK, "GET", base, nil)
	first := str(t, list, "items", 0, "id")
	bob := a.must(http.StatusCreated, "POST", base, map[string]any{"name": "Bob Books", "email": "bob@acme.test"})
	bobID := str(t, bob, "id")

	head := a.head()
	r := a.do("PUT", base+"/"+first, map[string]any{"name": "Alice Able", "email": "not-an-email"})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"email"`) {
		t.Fatalf("a bad email: %d %s", r.Status, r.Body)
	}
	if a.head() != head {
		t.Fatal("a refused edit appended events")
	}
	edited := a.must(http.StatusOK, "PUT", base+"/"+first, map[string]any{"name": "Alice Able", "email": "alice@acme.test", "phone": "02 9999 0000", "role": "Director"})
	if str(t, edited, "name") != "Alice Able" || str(t, edited, "phone") != "02 9999 0000" || str(t, edited, "role") != "Director" || get(t, edited, "primary") != true {
		t.Fatalf("after the edit: %v", edited)
	}

	head = a.head()
	r = a.do("DELETE", base+"/"+first, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"new_primary_contact_id"`) {
		t.Fatalf("removing the primary without a successor: %d %s", r.Status, r.Body)
	}
	if a.head() != head {
		t.Fatal("a refused removal appended events")
	}
	a.must(http.StatusOK, "DELETE", base+"/"+first+"?new_primary_contact_id="+bobID, nil)
	list = a.must(http.StatusOK, "GET", base, nil)
	if n := len(items(t, list)); n != 1 || str(t, list, "items", 0, "id") != bobID || get(t, list, "items", 0, "primary") != true {
		t.Fatalf("after removing the primary: %v", list)
	}
	r = a.do("DELETE", base+"/"+bobID, nil)
	if r.Status != http.StatusConflict {
		t.Fatalf("removing the last contact: %d %s", r.Status, r.Body)
	}
}
