package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"remit/domain"
	"remit/domain/user"
	"remit/eventstore/sqlite"
	"remit/web/auth"
)

// TestUsersActionErrorStatus: whatever a users-page action fails with, the
// page says so with the status of the one mapping (api.StatusOf); a
// forbidden action is 403 (the page's own mapping made it 500), and every
// code has its status.
func TestUsersActionErrorStatus(t *testing.T) {
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Store: st, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := a.AddUser(ctx, auth.NewUser{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(Config{Store: st, Auth: a})
	for _, tc := range []struct {
		err    error
		status int
		says   string
	}{
		{domain.Forbidden("Only an owner can do this."), http.StatusForbidden, "Only an owner can do this."},
		{domain.Invalid("role", "not a role"), http.StatusUnprocessableEntity, "not a role"},
		{domain.NotFound("There is no such user."), http.StatusNotFound, "There is no such user."},
		{domain.Conflict("sam@firm.example is deactivated."), http.StatusConflict, "is deactivated"},
	} {
		r := httptest.NewRequest(http.MethodPost, usersPath+"/"+id.String()+"/role", nil)
		r = r.WithContext(auth.WithPrincipal(ctx, auth.Principal{UserID: id, Email: "owner@firm.example", Role: user.RoleOwner}))
		w := httptest.NewRecorder()
		h.showUsers(w, r, usersData{}, tc.err)
		body := w.Body.String()
		if w.Code != tc.status || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, tc.says) || !strings.Contains(body, "owner@firm.example") {
			t.Errorf("%v: %d %s, want %d and the users page saying %q: %.300s", tc.err, w.Code, w.Header().Get("Content-Type"), tc.status, tc.says, body)
		}
	}
}
