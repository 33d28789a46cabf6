package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"remit/domain/user"
	"remit/integrations/mail"
	"remit/web/auth"
	"remit/web/ui"
)

// TestUsersPage: an owner invites a user on /settings/users and gets a
// one-time set-password link; the user chooses a password there and is
// signed in; staff cannot open the page; a deactivated user's session ends.
func TestUsersPage(t *testing.T) {
	srv, a, _ := setupServer(t)
	ctx := context.Background()
	if _, err := a.AddUser(ctx, auth.NewUser{Email: "owner@firm.example", Role: user.RoleOwner, Password: "owner-password-1"}, "test"); err != nil {
		t.Fatal(err)
	}
	owner := setupBrowser()
	if code, _ := status(t, owner, http.MethodPost, srv.URL+"/login", url.Values{"email": {"owner@firm.example"}, "password": {"owner-password-1"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	code, page := status(t, owner, http.MethodGet, srv.URL+"/settings/users", nil)
	if code != http.StatusOK || !strings.Contains(page, "owner@firm.example") {
		t.Fatalf("users page: %d %s", code, page)
	}
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatal("the users page has no CSRF token")
	}
	if code, _ := status(t, owner, http.MethodPost, srv.URL+"/settings/users", url.Values{"email": {"sam@firm.example"}, "role": {"staff"}}); code != http.StatusForbidden {
		t.Errorf("an invite without the CSRF token: %d, want 403", code)
	}
	code, page = status(t, owner, http.MethodPost, srv.URL+"/settings/users", url.Values{"csrf_token": {csrf[1]}, "email": {"sam@firm.example"}, "name": {"Sam"}, "role": {"staff"}})
	link := regexp.MustCompile(`http://[^<\s]+/set-password/[A-Za-z0-9_-]+`).FindString(page)
	if code != http.StatusOK || link == "" {
		t.Fatalf("invite: %d, no link in %s", code, page)
	}
	if code, body := status(t, owner, http.MethodPost, srv.URL+"/settings/users", url.Values{"csrf_token": {csrf[1]}, "email": {"not an email"}, "name": {"Nat"}, "role": {"auditor"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("a bad email: %d, want 422", code)
	} else if _, form, _ := strings.Cut(body, `id="invite"`); fieldError(form, "email") == "" || inputValue(form, "email") != "not an email" || inputValue(form, "role") != "auditor" {
		t.Errorf("a bad email: the error is not beside the field (%q), or what was typed is lost (%q, %q)", fieldError(form, "email"), inputValue(form, "email"), inputValue(form, "role"))
	}

	sam := setupBrowser()
	if code, body := status(t, sam, http.MethodGet, link, nil); code != http.StatusOK || !strings.Contains(body, "sam@firm.example") {
		t.Fatalf("set-password page: %d %s", code, body)
	}
	pw := url.Values{"password": {"sam-password-12"}, "password2": {"sam-password-12"}}
	if code, _ := status(t, sam, http.MethodPost, link, pw); code != http.StatusSeeOther {
		t.Fatalf("set password: %d", code)
	}
	if code, body := status(t, sam, http.MethodGet, srv.URL+"/clients", nil); code != http.StatusOK || !strings.Contains(body, "sam@firm.example (staff)") {
		t.Fatalf("after setting the password: %d %s", code, body)
	}
	if code, _ := status(t, setupBrowser(), http.MethodGet, link, nil); code != http.StatusNotFound {
		t.Errorf("a used link: %d, want 404", code)
	}
	if code, _ := status(t, sam, http.MethodGet, srv.URL+"/settings/users", nil); code != http.StatusForbidden {
		t.Errorf("staff on the users page: %d, want 403", code)
	}

	samID := user.IDForEmail("sam@firm.example").String()
	ownerID := user.IDForEmail("owner@firm.example").String()
	if code, body := status(t, owner, http.MethodPost, srv.URL+"/settings/users/"+ownerID+"/deactivate", url.Values{"csrf_token": {csrf[1]}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "last active owner") {
		t.Errorf("deactivating the last owner: %d", code)
	}
	// Deactivate asks first: the users page links to a page whose form
	// (with the CSRF token) posts the deactivation.
	_, page = status(t, owner, http.MethodGet, srv.URL+"/settings/users", nil)
	if strings.Contains(page, `action="/settings/users/`+samID+`/deactivate"`) || !strings.Contains(page, `href="/settings/users/`+samID+`/deactivate"`) {
		t.Error("the users page deactivates in one click")
	}
	code, page = status(t, owner, http.MethodGet, srv.URL+"/settings/users/"+samID+"/deactivate", nil)
	for _, want := range []string{"<h1>Deactivate Sam?</h1>", "sam@firm.example", "cannot be undone", `<form method="post" action="/settings/users/` + samID + `/deactivate">`,
		`name="csrf_token" value="` + csrf[1] + `"`, `<a href="/settings/users">Cancel</a>`} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("the deactivate confirmation = %d, lacks %s", code, want)
		}
	}
	if code, _ := status(t, sam, http.MethodGet, srv.URL+"/clients", nil); code != http.StatusOK {
		t.Errorf("only asking ended Sam's session: %d", code)
	}
	if code, _ := status(t, owner, http.MethodPost, srv.URL+"/settings/users/"+samID+"/deactivate", url.Values{"csrf_token": {csrf[1]}}); code != http.StatusOK {
		t.Fatalf("deactivate: %d", code)
	}
	if code, _ := status(t, sam, http.MethodGet, srv.URL+"/clients", nil); code != http.StatusSeeOther {
		t.Errorf("a deactivated user's session: %d, want a redirect to sign in", code)
	}
}

// TestInvitationIsEmailed: with email on, an owner's invitation is emailed
// to the new user with their one-time link (to the public URL) and shown
// on the page too; the user is listed as invited until they choose their
// password with the emailed link; a new link is emailed the same way; an
// email that cannot be sent says so, and the page still gives the link.
func TestInvitationIsEmailed(t *testing.T) {
	outbox := t.TempDir()
	mailer := &ui.PasswordLinkMailer{Mailer: mail.Files{Dir: outbox}, From: "billing@firm.example", PublicURL: func() string { return "https://remit.firm.example/" }}
	srv, a, _ := setupServerWith(t, func(c *ui.Config) { c.PasswordLinks = mailer })
	if _, err := a.AddUser(context.Background(), auth.NewUser{Email: "owner@firm.example", Name: "Olive Owner", Role: user.RoleOwner, Password: "owner-password-1"}, "test"); err != nil {
		t.Fatal(err)
	}
	owner := setupBrowser()
	if code, _ := status(t, owner, http.MethodPost, srv.URL+"/login", url.Values{"email": {"owner@firm.example"}, "password": {"owner-password-1"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	_, page := status(t, owner, http.MethodGet, srv.URL+"/settings/users", nil)
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)[1]
	code, page := status(t, owner, http.MethodPost, srv.URL+"/settings/users", url.Values{"csrf_token": {csrf}, "email": {"Sam@Firm.example"}, "name": {"Sam Staff"}, "role": {"staff"}})
	shown := regexp.MustCompile(`/set-password/[A-Za-z0-9_-]+`).FindString(page)
	if code != http.StatusOK || !strings.Contains(page, "Emailed sam@firm.example their one-time link") || shown == "" {
		t.Fatalf("invite: %d %s", code, errorsOf(page))
	}
	if !strings.Contains(page, "invited (no password chosen yet)") {
		t.Error("the users page does not show the new user as invited")
	}
	sent := emls(t, outbox)
	if len(sent) != 1 {
		t.Fatalf("%d emails, want the invitation", len(sent))
	}
	for _, want := range []string{"To: \"Sam Staff\" <sam@firm.example>", "Subject: Olive Owner invited you to Remit", "https://remit.firm.example" + shown, "sign in with sam@firm.example"} {
		if !strings.Contains(sent[0], want) {
			t.Errorf("the invitation lacks %q:\n%s", want, sent[0])
		}
	}

	sam := setupBrowser()
	pw := url.Values{"password": {"sam-password-12"}, "password2": {"sam-password-12"}}
	if code, _ := status(t, sam, http.MethodPost, srv.URL+shown, pw); code != http.StatusSeeOther {
		t.Fatalf("set password with the emailed link: %d", code)
	}
	_, page = status(t, owner, http.MethodGet, srv.URL+"/settings/users", nil)
	if strings.Contains(page, "invited (no password chosen yet)") {
		t.Error("a user who chose their password is still shown as invited")
	}

	samID := user.IDForEmail("sam@firm.example").String()
	code, page = status(t, owner, http.MethodPost, srv.URL+"/settings/users/"+samID+"/password-link", url.Values{"csrf_token": {csrf}})
	if sent = emls(t, outbox); code != http.StatusOK || len(sent) != 2 || !strings.Contains(page, "Emailed sam@firm.example") {
		t.Fatalf("a new link: %d, %d emails", code, len(sent))
	}

	// An email that cannot be sent (the outbox is a file, not a folder).
	blocked := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mailer.Mailer = mail.Files{Dir: blocked}
	code, page = status(t, owner, http.MethodPost, srv.URL+"/settings/users/"+samID+"/password-link", url.Values{"csrf_token": {csrf}})
	if code != http.StatusOK || !strings.Contains(page, "could not be sent") || !regexp.MustCompile(`/set-password/[A-Za-z0-9_-]+`).MatchString(page) {
		t.Errorf("a link that could not be emailed: %d %s", code, errorsOf(page))
	}
}
