package user

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"remit/domain"
)

// Command is a request to the user aggregate; Decide handles each kind.
type Command interface{ isUserCommand() }

// AddUser adds a user. The user's id is IDForEmail(Email).
type AddUser struct {
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	Invited      bool // the password is a random one: the user chooses theirs with a link
	Now          time.Time
}

// ChangePassword records a new password hash.
type ChangePassword struct {
	PasswordHash string
	Now          time.Time
}

// ChangeRole gives the user another role.
type ChangeRole struct {
	Role Role
	Now  time.Time
}

// Disable stops the user signing in and their tokens working.
type Disable struct {
	Reason string
	Now    time.Time
}

// CreateToken records a new API token of the user.
type CreateToken struct {
	TokenID    uuid.UUID
	Name       string
	Scope      Scope
	SecretHash string
	ExpiresAt  *time.Time
	Now        time.Time
}

// RevokeToken stops a token working. Revoking a revoked token records
// nothing.
type RevokeToken struct {
	TokenID uuid.UUID
	Now     time.Time
}

func (AddUser) isUserCommand()        {}
func (ChangePassword) isUserCommand() {}
func (ChangeRole) isUserCommand()     {}
func (Disable) isUserCommand()        {}
func (CreateToken) isUserCommand()    {}
func (RevokeToken) isUserCommand()    {}

// Decide returns the events that command c records against state s, or the
// reason it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case AddUser:
		return addUser(s, c)
	}
	if !s.Exists() {
		return nil, domain.NotFound("There is no such user.")
	}
	switch c := c.(type) {
	case ChangePassword:
		if err := checkHash(c.PasswordHash); err != nil {
			return nil, err
		}
		return []domain.Event{UserPasswordChanged{UserID: s.ID, PasswordHash: c.PasswordHash, At: c.Now}}, nil
	case ChangeRole:
		if !validRole(c.Role) {
			return nil, domain.Invalid("role", "%q is not a role (owner, staff or auditor)", c.Role)
		}
		if c.Role == s.Role {
			return nil, nil
		}
		return []domain.Event{UserRoleChanged{UserID: s.ID, Role: c.Role, PreviousRole: s.Role, At: c.Now}}, nil
	case Disable:
		if s.Disabled {
			return nil, nil
		}
		return []domain.Event{UserDisabled{UserID: s.ID, Reason: strings.TrimSpace(c.Reason), At: c.Now}}, nil
	case CreateToken:
		return createToken(s, c)
	case RevokeToken:
		t, ok := s.Tokens[c.TokenID]
		if !ok {
			return nil, domain.NotFound("There is no such API token.")
		}
		if t.Revoked {
			return nil, nil
		}
		return []domain.Event{APITokenRevoked{UserID: s.ID, TokenID: c.TokenID, At: c.Now}}, nil
	}
	return nil, domain.Errorf(domain.EINTERNAL, "user: unknown command %T", c)
}

func addUser(s State, c AddUser) ([]domain.Event, error) {
	if s.Exists() {
		return nil, domain.Conflict("There is already a user with the email %s.", s.Email)
	}
	var p domain.Problems
	email := NormalizeEmail(c.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		p.Add("email", "%q is not an email address", c.Email)
	}
	name := strings.TrimSpace(c.Name)
	if utf8.RuneCountInString(name) > 200 {
		p.Add("name", "the name is too long (at most 200 characters)")
	}
	if !validRole(c.Role) {
		p.Add("role", "%q is not a role (owner, staff or auditor)", c.Role)
	}
	if err := checkHash(c.PasswordHash); err != nil {
		p = append(p, err)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{UserAdded{UserID: IDForEmail(email), Email: email, Name: name, Role: c.Role, PasswordHash: c.PasswordHash, Invited: c.Invited, At: c.Now}}, nil
}

func createToken(s State, c CreateToken) ([]domain.Event, error) {
	if s.Disabled {
		return nil, domain.Forbidden("A disabled user cannot make API tokens.")
	}
	var p domain.Problems
	if c.TokenID == uuid.Nil {
		p.Add("token_id", "a token needs an id")
	} else if _, dup := s.Tokens[c.TokenID]; dup {
		return nil, domain.Conflict("There is already a token with this id.")
	}
	name := strings.TrimSpace(c.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		p.Add("name", "give the token a name of 1 to 100 characters (what it is for)")
	}
	switch c.Scope {
	case ScopeRead:
	case ScopeWrite:
		if s.Role == RoleAuditor {
			p.Add("scope", "an auditor can only make read tokens")
		}
	default:
		p.Add("scope", "%q is not a scope (read or write)", c.Scope)
	}
	if len(c.SecretHash) != 64 || strings.Trim(c.SecretHash, "0123456789abcdef") != "" {
		p.Add("secret_hash", "the secret's hash must be a hex SHA-256")
	}
	if c.ExpiresAt != nil && !c.ExpiresAt.After(c.Now) {
		p.Add("expires_at", "the expiry must be in the future")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{APITokenCreated{UserID: s.ID, TokenID: c.TokenID, Name: name, Scope: c.Scope, SecretHash: c.SecretHash, ExpiresAt: c.ExpiresAt, At: c.Now}}, nil
}

func validRole(r Role) bool { return r == RoleOwner || r == RoleStaff || r == RoleAuditor }

// checkHash refuses anything that is not an encoded password hash, so a
// password can never be recorded by mistake.
func checkHash(h string) *domain.Error {
	if !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$argon2id$") {
		return domain.Invalid("password_hash", "a password is recorded only as its hash")
	}
	return nil
}
