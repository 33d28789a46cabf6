package user_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
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

func TestDecide(t *testing.T) {
	tok := uuid.MustParse("0195a1b2-0000-7000-8000-000000000001")
	later := now.Add(time.Hour)
	created := user.APITokenCreated{UserID: added("staff").UserID, TokenID: tok, Name: "reconcile", Scope: user.ScopeRead, SecretHash: sha, At: now}
	tests := []struct {
		name  string
		given []domain.Event
		when  user.Command
		then  []domain.Event
		code  string // the error's code, "" for success
	}{
		{"OK", nil, user.AddUser{Email: " Ana@Example.com ", Name: "Ana", Role: user.RoleOwner, PasswordHash: hash, Now: now}, []domain.Event{added(user.RoleOwner)}, ""},
		{"ErrDuplicateEmail", []domain.Event{added("staff")}, user.AddUser{Email: "ana@example.com", Role: user.RoleStaff, PasswordHash: hash, Now: now}, nil, domain.ECONFLICT},
		{"ErrBadEmail", nil, user.AddUser{Email: "ana", Role: user.RoleStaff, PasswordHash: hash, Now: now}, nil, domain.EINVALID},
		{"ErrBadRole", nil, user.AddUser{Email: "ana@example.com", Role: "root", PasswordHash: hash, Now: now}, nil, domain.EINVALID},
		{"ErrPlainPassword", nil, user.AddUser{Email: "ana@example.com", Role: user.RoleStaff, PasswordHash: "hunter2hunter2", Now: now}, nil, domain.EINVALID},
		{"ErrNoUser", nil, user.Disable{Now: now}, nil, domain.ENOTFOUND},
		{"RoleChanged", []domain.Event{added("staff")}, user.ChangeRole{Role: user.RoleAuditor, Now: now},
			[]domain.Event{user.UserRoleChanged{UserID: added("").UserID, Role: user.RoleAuditor, PreviousRole: user.RoleStaff, At: now}}, ""},
		{"SameRoleRecordsNothing", []domain.Event{added("staff")}, user.ChangeRole{Role: user.RoleStaff, Now: now}, nil, ""},
		{"TokenCreated", []domain.Event{added("staff")}, user.CreateToken{TokenID: tok, Name: "reconcile", Scope: user.ScopeRead, SecretHash: sha, Now: now}, []domain.Event{created}, ""},
		{"ErrAuditorWriteToken", []domain.Event{added("auditor")}, user.CreateToken{TokenID: tok, Name: "x", Scope: user.ScopeWrite, SecretHash: sha, Now: now}, nil, domain.EINVALID},
		{"ErrTokenExpiryPast", []domain.Event{added("staff")}, user.CreateToken{TokenID: tok, Name: "x", Scope: user.ScopeRead, SecretHash: sha, ExpiresAt: &now, Now: later}, nil, domain.EINVALID},
		{"ErrDisabledUserToken", []domain.Event{added("staff"), user.UserDisabled{UserID: added("").UserID, At: now}}, user.CreateToken{TokenID: tok, Name: "x", Scope: user.ScopeRead, SecretHash: sha, Now: now}, nil, domain.EFORBIDDEN},
		{"TokenRevoked", []domain.Event{added("staff"), created}, user.RevokeToken{TokenID: tok, Now: now},
			[]domain.Event{user.APITokenRevoked{UserID: added("").UserID, TokenID: tok, At: now}}, ""},
		{"RevokeTwiceRecordsNothing", []domain.Event{added("staff"), created, user.APITokenRevoked{UserID: added("").UserID, TokenID: tok, At: now}}, user.RevokeToken{TokenID: tok, Now: now}, nil, ""},
		{"ErrUnknownToken", []domain.Event{added("staff")}, user.RevokeToken{TokenID: tok, Now: now}, nil, domain.ENOTFOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := user.Decide(user.Fold(tc.given), tc.when)
			if code := domain.ErrorCode(err); err != nil && code != tc.code || err == nil && tc.code != "" {
				t.Fatalf("error = %v (code %q), want code %q", err, code, tc.code)
			}
			if !reflect.DeepEqual(got, tc.then) {
				t.Errorf("events = %+v\nwant %+v", got, tc.then)
			}
		})
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
