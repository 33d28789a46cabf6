package ui

import (
	"net/http"

	"github.com/google/uuid"
)

// confirmPage asks before an action that cannot be undone. The list's button
// is a link to this page (a GET, so it changes nothing); the page's form posts
// to the action's own URL, so the action works the same without JavaScript and
// keeps its CSRF check.
type confirmPage struct {
	Question string // "Deactivate Olivia Owner?"
	Warning  string // what happens, and that it cannot be undone
	Action   string // the URL the form posts to
	Button   string // the button's text, e.g. "Deactivate"
	Cancel   string // where "Cancel" leads
}

func (h *handler) showConfirm(w http.ResponseWriter, r *http.Request, v *view, c confirmPage) {
	v.D = c
	h.render(w, r, http.StatusOK, "confirm", v)
}

// handleUserDeactivateConfirm asks before deactivating a user.
func (h *handler) handleUserDeactivateConfirm(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("uid"))
	if err != nil {
		h.notFound(w, r, "There is no such user.")
		return
	}
	u, err := h.cfg.Auth.User(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	who := u.Name
	if who == "" {
		who = u.Email
	}
	h.showConfirm(w, r, &view{Title: "Deactivate " + who, Section: "users", Back: usersPath}, confirmPage{
		Question: "Deactivate " + who + "?",
		Warning:  who + " (" + u.Email + ") will no longer be able to sign in. This cannot be undone.",
		Action:   usersPath + "/" + id.String() + "/deactivate",
		Button:   "Deactivate " + who,
		Cancel:   usersPath,
	})
}

// handleMethodRemoveConfirm asks before removing a client's payment method.
func (h *handler) handleMethodRemoveConfirm(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	pm, ok := h.idParam(w, r, "pm")
	if !ok {
		return
	}
	back := "/clients/" + c.ID.String() + "/payment-methods"
	for _, m := range c.PaymentMethods {
		if m.ID != pm {
			continue
		}
		h.showConfirm(w, r, &view{Title: c.Name + " · Remove " + m.Label, Section: "clients", Tab: "methods", Client: c, Today: today, Back: back}, confirmPage{
			Question: "Remove " + m.Label + "?",
			Warning:  "Remit will no longer collect with " + m.Label + " for " + c.Name + ". This cannot be undone.",
			Action:   back + "/" + pm.String() + "/remove",
			Button:   "Remove " + m.Label,
			Cancel:   back,
		})
		return
	}
	h.notFound(w, r, "There is no such payment method.")
}
