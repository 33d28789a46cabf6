package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"remit/projections"
)

// TestContactEditAndRemove: staff edit a contact's name, email, phone and
// role from the client's Summary, and remove a contact; the primary billing
// contact only after choosing who takes over. Refusals show beside the field
// or on the page, and append nothing.
func TestContactEditAndRemove(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	base := "/clients/" + id.String()
	a.mustPost(base+"/contacts/new", url.Values{"contact.name": {"Bob Jones"}, "contact.email": {"bob@acme.test"}}, "Contact Bob Jones added.")
	contact := func(name string) (projections.ContactView, bool) {
		t.Helper()
		sum, err := a.models.Summary(context.Background(), id, date("2025-03-10"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sum.Contacts {
			if c.Name == name {
				return c, true
			}
		}
		return projections.ContactView{}, false
	}
	ada, _ := contact("Ada Acme")
	bob, _ := contact("Bob Jones")
	adaEdit := base + "/contacts/" + ada.ID.String() + "/edit"

	mustContain(t, a.get(base), `href="`+adaEdit+`"`)
	form := a.get(adaEdit)
	mustContain(t, form, "Edit contact Ada Acme", "Primary billing contact after Ada Acme", "Bob Jones (bob@acme.test)")
	if v := inputValue(form.Body, "contact.email"); v != "ada@acme.test" {
		t.Errorf("the edit form shows email %q, want ada@acme.test", v)
	}

	before := a.head()
	bad := a.post(adaEdit, url.Values{"contact.name": {"Ada Smith"}, "contact.email": {"ada@"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "contact.email") == "" {
		t.Fatalf("a bad email = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if v := inputValue(bad.Body, "contact.name"); v != "Ada Smith" {
		t.Errorf("the refused form lost what was typed: name %q", v)
	}
	if a.head() != before {
		t.Error("a refused edit appended events")
	}

	ok := a.mustPost(adaEdit, url.Values{"contact.name": {"Ada Smith"}, "contact.email": {"ada.smith@acme.test"}, "contact.phone": {"02 9999 0000"}, "contact.role": {"Finance"}}, "Contact Ada Smith saved.")
	mustContain(t, ok, "Ada Smith", "ada.smith@acme.test", "02 9999 0000", "Finance")
	if c, found := contact("Ada Smith"); !found || !c.Primary || c.Email != "ada.smith@acme.test" || c.Role != "Finance" {
		t.Errorf("after the edit: %+v", c)
	}

	// The primary cannot go without a successor: the error shows on the
	// contact's page, and nothing is appended.
	before = a.head()
	p := a.post(base+"/contacts/"+ada.ID.String()+"/remove", nil)
	if p.Status != http.StatusSeeOther || p.Location != adaEdit {
		t.Fatalf("removing the primary without a successor = %d to %q", p.Status, p.Location)
	}
	if back := a.get(p.Location); !strings.Contains(back.Body, "choose another contact") {
		t.Errorf("the refusal is not shown: %s", errorsOf(back.Body))
	}
	if a.head() != before {
		t.Error("a refused removal appended events")
	}
	a.mustPost(base+"/contacts/"+ada.ID.String()+"/remove", url.Values{"new_primary_contact_id": {bob.ID.String()}}, "Contact removed.")
	if _, found := contact("Ada Smith"); found {
		t.Error("Ada is still a contact")
	}
	if c, _ := contact("Bob Jones"); !c.Primary {
		t.Error("Bob did not become the primary billing contact")
	}
	mustContain(t, a.get(base+"/contacts/"+bob.ID.String()+"/edit"), "needs at least one contact")
	if p := a.get(base + "/contacts/" + ada.ID.String() + "/edit"); p.Status != http.StatusNotFound {
		t.Errorf("a removed contact's page = %d, want 404", p.Status)
	}
}
