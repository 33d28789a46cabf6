package user

import (
	"maps"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// State is a user as folded from their stream. The zero value is a user
// not yet added.
type State struct {
	ID           uuid.UUID
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	// Invited: invited and not yet signed up (no password of their own).
	Invited  bool
	Disabled bool
	AddedAt  time.Time
	// Tokens holds every token the user made, revoked ones included, by id.
	// Evolve copies the map before changing it.
	Tokens map[uuid.UUID]Token
}

// Exists reports whether the user was added.
func (s State) Exists() bool { return s.ID != uuid.Nil }

// Token is one API token as recorded.
type Token struct {
	ID         uuid.UUID
	Name       string
	Scope      Scope
	SecretHash string
	ExpiresAt  *time.Time
	CreatedAt  time.Time
	Revoked    bool
}

// Usable reports whether the token may be used at now.
func (t Token) Usable(now time.Time) bool {
	return !t.Revoked && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Evolve applies one event to the state. It never fails; events of other
// aggregates leave the state as it is.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case UserAdded:
		s.ID, s.Email, s.Name, s.Role, s.PasswordHash, s.Invited, s.AddedAt = e.UserID, e.Email, e.Name, e.Role, e.PasswordHash, e.Invited, e.At
	case UserPasswordChanged:
		s.PasswordHash, s.Invited = e.PasswordHash, false
	case UserRoleChanged:
		s.Role = e.Role
	case UserDisabled:
		s.Disabled = true
	case APITokenCreated:
		s.Tokens = cloneTokens(s.Tokens)
		s.Tokens[e.TokenID] = Token{ID: e.TokenID, Name: e.Name, Scope: e.Scope, SecretHash: e.SecretHash, ExpiresAt: e.ExpiresAt, CreatedAt: e.At}
	case APITokenRevoked:
		if t, ok := s.Tokens[e.TokenID]; ok {
			s.Tokens = cloneTokens(s.Tokens)
			t.Revoked = true
			s.Tokens[e.TokenID] = t
		}
	}
	return s
}

func cloneTokens(m map[uuid.UUID]Token) map[uuid.UUID]Token {
	if m == nil {
		return map[uuid.UUID]Token{}
	}
	return maps.Clone(m)
}

// Fold folds events into a state from the zero value.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}
