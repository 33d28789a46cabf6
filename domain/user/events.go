package user

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// IDNamespace is the namespace of user ids derived from email addresses.
// Changing it would rename every user's stream: never do.
var IDNamespace = uuid.MustParse("3b0f6f64-7c1e-4c55-9d43-0f5e9a8e2b71")

// IDForEmail returns the id of the user with the given email address: the
// same address (in any case, with surrounding spaces) always names the same
// user, which is what keeps emails unique.
func IDForEmail(email string) uuid.UUID {
	return uuid.NewSHA1(IDNamespace, []byte(NormalizeEmail(email)))
}

// NormalizeEmail is the form in which an email address is recorded: trimmed
// and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// StreamName returns the name of a user's stream: "user-<uuid>".
func StreamName(id uuid.UUID) string { return "user-" + id.String() }

// Role is what a user may do.
type Role string

// Roles.
const (
	RoleOwner   Role = "owner"   // everything, including users and settings
	RoleStaff   Role = "staff"   // billing work
	RoleAuditor Role = "auditor" // read-only
)

// Roles lists every role.
func Roles() []Role { return []Role{RoleOwner, RoleStaff, RoleAuditor} }

// Scope is what an API token may do.
type Scope string

// Token scopes.
const (
	ScopeRead  Scope = "read"  // GETs only
	ScopeWrite Scope = "write" // what the token's user may do
)

// UserAdded records a new user.
type UserAdded struct {
	UserID uuid.UUID `json:"user_id"`
	Email  string    `json:"email"`
	Name   string    `json:"name"`
	Role   Role      `json:"role"`
	// PasswordHash is the password's hash in its encoded form (bcrypt's
	// "$2a$…"), never the password.
	PasswordHash string `json:"password_hash"`
	// Invited: an owner invited the user, whose password is a random one
	// nobody knows until they choose theirs with the link they were sent.
	Invited bool      `json:"invited,omitempty"`
	At      time.Time `json:"at"`
}

// UserPasswordChanged records a user's new password hash.
type UserPasswordChanged struct {
	UserID       uuid.UUID `json:"user_id"`
	PasswordHash string    `json:"password_hash"`
	At           time.Time `json:"at"`
}

// UserRoleChanged records a user's new role.
type UserRoleChanged struct {
	UserID       uuid.UUID `json:"user_id"`
	Role         Role      `json:"role"`
	PreviousRole Role      `json:"previous_role"`
	At           time.Time `json:"at"`
}

// UserDisabled records that a user may no longer sign in; their tokens stop
// working too.
type UserDisabled struct {
	UserID uuid.UUID `json:"user_id"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// APITokenCreated records a new API token of the user. The token's secret
// is shown once, when it is made; only its SHA-256 is recorded.
type APITokenCreated struct {
	UserID     uuid.UUID `json:"user_id"`
	TokenID    uuid.UUID `json:"token_id"`
	Name       string    `json:"name"`
	Scope      Scope     `json:"scope"`
	SecretHash string    `json:"secret_hash"` // hex SHA-256 of the secret
	// ExpiresAt is when the token stops working; nil means never.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	At        time.Time  `json:"at"`
}

// APITokenRevoked records that a token no longer works.
type APITokenRevoked struct {
	UserID  uuid.UUID `json:"user_id"`
	TokenID uuid.UUID `json:"token_id"`
	At      time.Time `json:"at"`
}

// EventType implements domain.Event.
func (UserAdded) EventType() string { return "UserAdded" }

// EventType implements domain.Event.
func (UserPasswordChanged) EventType() string { return "UserPasswordChanged" }

// EventType implements domain.Event.
func (UserRoleChanged) EventType() string { return "UserRoleChanged" }

// EventType implements domain.Event.
func (UserDisabled) EventType() string { return "UserDisabled" }

// EventType implements domain.Event.
func (APITokenCreated) EventType() string { return "APITokenCreated" }

// EventType implements domain.Event.
func (APITokenRevoked) EventType() string { return "APITokenRevoked" }

// EventTypes lists every event type of the user aggregate.
func EventTypes() []string {
	return []string{"UserAdded", "UserPasswordChanged", "UserRoleChanged", "UserDisabled", "APITokenCreated", "APITokenRevoked"}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// struct (a value, not a pointer).
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "UserAdded":
		return domain.DecodeAs[UserAdded](eventType, data)
	case "UserPasswordChanged":
		return domain.DecodeAs[UserPasswordChanged](eventType, data)
	case "UserRoleChanged":
		return domain.DecodeAs[UserRoleChanged](eventType, data)
	case "UserDisabled":
		return domain.DecodeAs[UserDisabled](eventType, data)
	case "APITokenCreated":
		return domain.DecodeAs[APITokenCreated](eventType, data)
	case "APITokenRevoked":
		return domain.DecodeAs[APITokenRevoked](eventType, data)
	}
	return nil, fmt.Errorf("user: unknown event type %q", eventType)
}
