package ui

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/user"
	"remit/web/auth"
)

// The API tokens page (/settings/api-tokens): each signed-in person makes,
// lists and revokes their own tokens, as POST /api/tokens does, without
// stopping Remit to run `remit token create`; owners also see and may
// revoke everyone else's. A new token is shown once, on the page that made
// it; Remit keeps only its hash.

const tokensPath = "/settings/api-tokens"

type tokensData struct {
	Mine, Others []tokenRow
	// New is the token just made, shown this once; NewName its name.
	New, NewName string
	// Again: the form that makes a token was sent again; its token was
	// made the first time.
	Again   bool
	CanMake bool
}

// tokenRow is one token as the page lists it.
type tokenRow struct {
	user.Token
	User   string // its user's email
	Status string // active, expired or revoked
}

// registerTokenRoutes registers the API tokens page: a page for anyone
// signed in; making and revoking need a signed-in person who may write
// (auth.SessionWrite, as the API's token routes do).
func (h *handler) registerTokenRoutes(rt routes) {
	if h.cfg.Auth == nil {
		return
	}
	rt.get(tokensPath, h.handleTokens)
	rt.get(tokensPath+"/{tid}/revoke", h.handleTokenRevokeConfirm)
	rt.need = func(*http.Request) auth.Access { return auth.SessionWrite }
	rt.post(tokensPath, h.handleTokenCreate)
	rt.post(tokensPath+"/{tid}/revoke", h.handleTokenRevoke)
}

func (h *handler) handleTokens(w http.ResponseWriter, r *http.Request) {
	h.showTokens(w, r, http.StatusOK, newForm(), tokensData{})
}

// handleTokenCreate makes a token for the signed-in person and shows it.
func (h *handler) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	f := formFrom(r)
	var exp *time.Time
	if days := f.Value("expires"); days != "" {
		n, ok := map[string]int{"30": 30, "90": 90, "365": 365}[days]
		if !ok {
			f.Errors["expires"] = "choose when the token stops working"
			h.showTokens(w, r, http.StatusUnprocessableEntity, f, tokensData{})
			return
		}
		t := h.cfg.Now().AddDate(0, 0, n)
		exp = &t
	}
	// The form's one-time id names the request: sent twice (a double
	// click, the browser's reload), it makes one token.
	nt, err := h.cfg.Auth.CreateTokenOnce(r.Context(), uuid.MustParse(f.Token), p.UserID, f.Value("name"), user.Scope(f.Value("scope")), exp, p.Actor())
	if domain.ErrorCode(err) == domain.ECONFLICT {
		h.showTokens(w, r, http.StatusConflict, newForm(), tokensData{Again: true})
		return
	}
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.showTokens(w, r, statusOf(err), f, tokensData{})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.showTokens(w, r, http.StatusCreated, newForm(), tokensData{New: nt.Token, NewName: f.Value("name")})
}

// tokenOf finds the token in the path among the tokens the signed-in
// person may revoke: their own, or anyone's for an owner.
func (h *handler) tokenOf(w http.ResponseWriter, r *http.Request) (tokenRow, bool) {
	id, err := uuid.Parse(r.PathValue("tid"))
	if err == nil {
		mine, others, lerr := h.apiTokens(r)
		if lerr != nil {
			h.fail(w, r, lerr)
			return tokenRow{}, false
		}
		for _, t := range append(mine, others...) {
			if t.ID == id {
				return t, true
			}
		}
	}
	h.notFound(w, r, "There is no such API token.")
	return tokenRow{}, false
}

// handleTokenRevokeConfirm asks before revoking a token.
func (h *handler) handleTokenRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	t, ok := h.tokenOf(w, r)
	if !ok {
		return
	}
	h.showConfirm(w, r, &view{Title: "Revoke " + t.Name, Section: "api-tokens", Back: tokensPath}, confirmPage{
		Question: "Revoke the API token " + t.Name + "?",
		Warning:  "Programs using it (for " + t.User + ") are refused from their next request. This cannot be undone: make a new token to give them access again.",
		Action:   tokensPath + "/" + t.ID.String() + "/revoke",
		Button:   "Revoke " + t.Name,
		Cancel:   tokensPath,
	})
}

func (h *handler) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	t, ok := h.tokenOf(w, r)
	if !ok {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	if err := h.cfg.Auth.RevokeToken(r.Context(), p, t.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, tokensPath, "API token "+t.Name+" revoked.")
}

// apiTokens lists the signed-in person's tokens and, for an owner, everyone
// else's; newest first.
func (h *handler) apiTokens(r *http.Request) (mine, others []tokenRow, err error) {
	p, _ := auth.PrincipalFrom(r.Context())
	var users []user.State
	if p.Role == user.RoleOwner {
		users, err = h.cfg.Auth.Users(r.Context())
	} else {
		var u user.State
		u, err = h.cfg.Auth.User(r.Context(), p.UserID)
		users = []user.State{u}
	}
	if err != nil {
		return nil, nil, err
	}
	now := h.cfg.Now()
	for _, u := range users {
		for _, t := range u.Tokens {
			row := tokenRow{Token: t, User: u.Email, Status: "active"}
			switch {
			case t.Revoked:
				row.Status = "revoked"
			case !t.Usable(now):
				row.Status = "expired"
			}
			if u.ID == p.UserID {
				mine = append(mine, row)
			} else {
				others = append(others, row)
			}
		}
	}
	newest := func(a, b tokenRow) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}
	slices.SortFunc(mine, newest)
	slices.SortFunc(others, newest)
	return mine, others, nil
}

// showTokens renders the page with f (the new token form) and data.
func (h *handler) showTokens(w http.ResponseWriter, r *http.Request, status int, f *form, data tokensData) {
	mine, others, err := h.apiTokens(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	data.Mine, data.Others, data.CanMake = mine, others, p.CanWrite()
	if f.Value("scope") == "" {
		f.set("scope", string(user.ScopeRead))
	}
	h.render(w, r, status, "api_tokens", &view{Title: "API tokens", Section: "api-tokens", Form: f, D: data})
}
