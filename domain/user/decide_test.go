package user_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/user"
)

var (
	now  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	hash = "$2a$10$abcdefghijklmnopqrstuuLq1xJ0R0nZ8x2h7aB3c4d5e6f7g8h9i"
	sha  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

func added(role user.Role) user.UserAdded {
	return user.UserAdded{UserID: user.IDForEmail("ana@example.com"), Email: "ana@example.com", Name: "Ana", Role: role, PasswordHash: hash, At: now}
}

// decider is the user decider, its events compared whole.
var decider = decidertest.Decider[user.State, user.Command]{Fold: user.Fold, Decide: user.Decide}

func TestDecide(t *testing.T) {
	tok := uuid.MustParse("0195a1b2-0000-7000-8000-000000000001")
	later := now.Add(time.Hour)
	created := user.APITokenCreated{UserID: added("staff").UserID, TokenID: tok, Name: "reconcile", Scope: user.ScopeRead, SecretHash: sha, At: now}
	decidertest.Run(t, decider, []decidertest.Case[user.Command]{
		{Name: "OK", When: user.AddUser{Email: " Ana@Example.com ", Name: "Ana", Role: user.RoleOwner, PasswordHash: hash, Now: now}, Then: []domain.Event{added(user.RoleOwner)}},
		{Name: "ErrDuplicateEmail", Given: []domain.Event{added("staff")}, When: user.AddUser{Email: "ana@example.com", Role: user.RoleStaff, PasswordHash: hash, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrBadEmail", When: user.AddUser{Email: "ana", Role: user.RoleStaff, PasswordHash: hash, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "ErrBadRole", When: user.AddUser{Email: "ana@example.com", Role: "root", PasswordHash: hash, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "ErrPlainPassword", When: user.AddUser{Email: "ana@example.com", Role: user.RoleStaff, PasswordHash: "hunter2hunter2", Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "ErrNoUser", When: user.Disable{Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "RoleChanged", Given: []domain.Event{added("staff")}, When: user.ChangeRole{Role: user.RoleAuditor, Now: now},
			Then: []domain.Event{user.UserRoleChanged{UserID: added("").UserID, Role: user.RoleAuditor, PreviousRole: user.RoleStaff, At: now}}},
		{Name: "SameRoleRecordsNothing", Given: []domain.Event{added("staff")}, When: user.ChangeRole{Role: user.RoleStaff, Now: now}},
		{Name: "TokenCreated", Given: []domain.Event{added("staff")}, When: user.CreateToken{TokenID: tok, Name: "reconcile", Scope: user.ScopeRead, SecretHash: sha, Now: now}, Then: []domain.Event{created}},
		{Name: "ErrAuditorWriteToken", Given: []domain.Event{added("auditor")}, When: user.CreateToken{TokenID: tok, Name: "x", Scope: user.ScopeWrite, SecretHash: sha, Now: now}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "ErrTokenExpiryPast", Given: []domain.Event{added("staff")}, When: user.CreateToken{TokenID: tok, Name: "x", Scope: user.ScopeRead, SecretHash: sha, ExpiresAt: &now, Now: later}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "ErrDisabledUserToken", Given: []domain.Event{added("staff"), user.UserDisabled{UserID: added("").UserID, At: now}}, When: user.CreateToken{TokenID: tok, Name: "x", Scope: user.ScopeRead, SecretHash: sha, Now: now}, Err: decidertest.ThenErr(domain.EFORBIDDEN)},
		{Name: "TokenRevoked", Given: []domain.Event{added("staff"), created}, When: user.RevokeToken{TokenID: tok, Now: now},
			Then: []domain.Event{user.APITokenRevoked{UserID: added("").UserID, TokenID: tok, At: now}}},
		{Name: "RevokeTwiceRecordsNothing", Given: []domain.Event{added("staff"), created, user.APITokenRevoked{UserID: added("").UserID, TokenID: tok, At: now}}, When: user.RevokeToken{TokenID: tok, Now: now}},
		{Name: "ErrUnknownToken", Given: []domain.Event{added("staff")}, When: user.RevokeToken{TokenID: tok, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

// TestInvitedUntilTheirOwnPassword: an invited user is shown as invited
// until they choose their password.
func TestInvitedUntilTheirOwnPassword(t *testing.T) {
	invited := added(user.RoleStaff)
	invited.Invited = true
	decidertest.Run(t, decider, []decidertest.Case[user.Command]{
		{Name: "Invited", When: user.AddUser{Email: "ana@example.com", Name: "Ana", Role: user.RoleStaff, PasswordHash: hash, Invited: true, Now: now}, Then: []domain.Event{invited}},
	})
	if s := user.Fold([]domain.Event{invited}); !s.Invited {
		t.Error("an invited user is not shown as invited")
	}
	if s := user.Fold([]domain.Event{invited, user.UserPasswordChanged{UserID: invited.UserID, PasswordHash: hash, At: now}}); s.Invited {
		t.Error("a user who chose their password is still shown as invited")
	}
}

func TestTokenUsable(t *testing.T) {
	exp := now.Add(time.Hour)
	s := user.Fold([]domain.Event{added("staff"), user.APITokenCreated{UserID: added("").UserID, TokenID: uuid.Max, Name: "x", Scope: user.ScopeRead, SecretHash: sha, ExpiresAt: &exp, At: now}})
	tk := s.Tokens[uuid.Max]
	if !tk.Usable(now) || tk.Usable(exp) {
		t.Errorf("a token expiring at %v: usable now %v, at expiry %v", exp, tk.Usable(now), tk.Usable(exp))
	}
	if user.IDForEmail("A@B.co") != user.IDForEmail(" a@b.co") {
		t.Error("IDForEmail depends on case or spaces")
	}
}
