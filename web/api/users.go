package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/domain/user"
	"remit/web/auth"
)

// User management, for owners (routeAccess makes every /api/users route
// OwnerOnly, reads included: the user list is the firm's staff directory).

// UserListItem is a user as the users list shows them.
type UserListItem struct {
	UserView
	Active  bool `json:"active"`
	AddedAt Time `json:"added_at"`
}

// InviteRequest is the body of POST /api/users.
type InviteRequest struct {
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Role  user.Role `json:"role"`
}

// RoleRequest is the body of POST /api/users/{id}/role.
type RoleRequest struct {
	Role user.Role `json:"role"`
}

// DeactivateRequest is the (optional) body of POST /api/users/{id}/deactivate.
type DeactivateRequest struct {
	Reason string `json:"reason,omitempty"`
}

// PasswordLinkView is a one-time set-password link: give it to the user (it
// is shown this once, and works until ExpiresAt, once).
type PasswordLinkView struct {
	User            UserListItem `json:"user"`
	SetPasswordPath string       `json:"set_password_path"`
	SetPasswordURL  string       `json:"set_password_url"`
	ExpiresAt       Time         `json:"expires_at"`
}

func (s *Server) registerUserRoutes(r *mux.Router) {
	r.HandleFunc("/api/users", s.handleUserList).Methods(http.MethodGet)
	r.HandleFunc("/api/users", s.handleUserInvite).Methods(http.MethodPost)
	r.HandleFunc("/api/users/{id}/role", s.handleUserRole).Methods(http.MethodPost)
	r.HandleFunc("/api/users/{id}/deactivate", s.handleUserDeactivate).Methods(http.MethodPost)
	r.HandleFunc("/api/users/{id}/password-link", s.handleUserPasswordLink).Methods(http.MethodPost)
}

func userListItem(u user.State) UserListItem {
	return UserListItem{UserView: userView(u), Active: !u.Disabled, AddedAt: Time(u.AddedAt)}
}

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.principal(w, r); !ok {
		return
	}
	us, err := s.cfg.Auth.Users(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items := make([]UserListItem, 0, len(us))
	for _, u := range us {
		items = append(items, userListItem(u))
	}
	s.writeJSON(w, r, http.StatusOK, List[UserListItem]{Items: items, Total: len(items), Limit: len(items)})
}

// linkView answers a set-password link with the URL the request came to.
func (s *Server) linkView(r *http.Request, u user.State, l auth.PasswordLink) PasswordLinkView {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := auth.PasswordLinkPath(l.Token)
	return PasswordLinkView{User: userListItem(u), SetPasswordPath: path, SetPasswordURL: scheme + "://" + r.Host + path, ExpiresAt: Time(l.Expires)}
}

func (s *Server) handleUserInvite(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req InviteRequest
	if err := decodeJSON(raw, &req, "email", "role"); err != nil {
		s.Error(w, r, err)
		return
	}
	id, link, err := s.cfg.Auth.InviteUser(r.Context(), auth.Invite{Email: req.Email, Name: req.Name, Role: req.Role}, p.Actor())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/api/users/"+id.String())
	s.writeJSON(w, r, http.StatusCreated, s.linkView(r, u, link))
}

func (s *Server) handleUserPasswordLink(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.principal(w, r); !ok {
		return
	}
	id, err := pathID(r, "id", "user")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	link, err := s.cfg.Auth.NewPasswordLink(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, s.linkView(r, u, link))
}

// userChange runs change on the user of the path and answers the user.
func (s *Server) userChange(w http.ResponseWriter, r *http.Request, body any, required []string, change func(p auth.Principal, id uuid.UUID) error) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "user")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	raw, err := readBody(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := decodeJSON(raw, body, required...); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := change(p, id); err != nil {
		s.Error(w, r, err)
		return
	}
	u, err := s.cfg.Auth.User(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, userListItem(u))
}

func (s *Server) handleUserRole(w http.ResponseWriter, r *http.Request) {
	var req RoleRequest
	s.userChange(w, r, &req, []string{"role"}, func(p auth.Principal, id uuid.UUID) error {
		return s.cfg.Auth.ChangeRole(r.Context(), id, req.Role, p.Actor())
	})
}

func (s *Server) handleUserDeactivate(w http.ResponseWriter, r *http.Request) {
	var req DeactivateRequest
	s.userChange(w, r, &req, nil, func(p auth.Principal, id uuid.UUID) error {
		return s.cfg.Auth.DeactivateUser(r.Context(), id, req.Reason, p.Actor())
	})
}
