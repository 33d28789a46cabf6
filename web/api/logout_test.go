package api_test

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"

	"remit/domain/user"
	"remit/web/auth/authdb"
)

// A sign-out the sign-in state could not record is not answered as done:
// the session would still let its cookie in.
func TestLogoutFailsWhenTheSessionCannotEnd(t *testing.T) {
	dir := t.TempDir()
	db, err := authdb.OpenSQLite(dir, authdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := newSecuredOn(t, db)
	c := s.login(user.RoleStaff)

	// Sessions can be read but no longer deleted.
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, authdb.File)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER keep_sessions BEFORE DELETE ON ` + authdb.SessionsTable + ` BEGIN SELECT RAISE(ABORT, 'sessions cannot be deleted'); END`); err != nil {
		t.Fatal(err)
	}

	r := s.send(c, http.MethodPost, "/api/logout", "")
	if r.status != http.StatusInternalServerError {
		t.Errorf("logout answered %d %s although the session still works, want 500", r.status, r.body)
	}
	if got := s.send(c, http.MethodGet, "/api/clients", ""); got.status != http.StatusOK {
		t.Fatalf("the session was ended after all (%d): the test's trigger did not hold", got.status)
	}
}
