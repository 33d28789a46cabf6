package auth

import (
	"context"
	"net/http"

	"remit/domain"
	"remit/domain/user"
)

// Access is what a route asks of whoever calls it.
type Access int

// Accesses, from least to most demanding.
const (
	// Public routes need no credentials (login, the OpenAPI document, client
	// links, which carry their own signed token).
	Public Access = iota
	// Read routes take any signed-in user and any token.
	Read
	// Write routes take owners and staff, and their write-scoped tokens.
	Write
	// OwnerOnly routes (users, the firm's settings) take owners, and their
	// write-scoped tokens.
	OwnerOnly
	// SessionWrite routes take signed-in owners and staff, never a token
	// (making and revoking tokens: a token must not mint tokens).
	SessionWrite
)

// Policy says what access a request needs; the router knows its routes, so
// the web package supplies it.
type Policy func(r *http.Request) Access

// Allow reports whether p may call a route needing need, as a domain error
// (EFORBIDDEN) when not.
func Allow(p Principal, need Access) error {
	switch need {
	case Public, Read:
		return nil
	case SessionWrite:
		if !p.ViaSession() {
			return domain.Forbidden("Sign in to do this: an API token cannot.")
		}
		if !p.CanWrite() {
			return forbidden(p)
		}
		return nil
	case Write:
		if !p.CanWrite() {
			return forbidden(p)
		}
		return nil
	case OwnerOnly:
		if !p.CanWrite() || p.Role != user.RoleOwner {
			return domain.Forbidden("Only an owner can do this.")
		}
		return nil
	}
	return domain.Forbidden("This is not allowed.")
}

func forbidden(p Principal) error {
	if p.Role == user.RoleAuditor {
		return domain.Forbidden("An auditor has read-only access.")
	}
	return domain.Forbidden("This API token is read-only.")
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the middleware put in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// ErrCSRF is the error of an unsafe session request without its CSRF token.
var ErrCSRF = domain.Forbidden("The request lacks this session's CSRF token (X-CSRF-Token header or csrf_token form field).")

// Middleware authenticates every request whose route is not Public, checks
// the CSRF token of unsafe session requests and the principal's access to
// the route, and puts the principal in the request's context. A refused
// request is answered by deny (with an error matching ErrUnauthenticated,
// ErrCSRF or an EFORBIDDEN domain error) and never reaches the handler.
// Any X-Remit-Actor header is removed: the actor is the principal.
func (a *Authenticator) Middleware(policy Policy, deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("X-Remit-Actor")
			need := policy(r)
			if need == Public {
				if p, err := a.Authenticate(r); err == nil {
					r = r.WithContext(WithPrincipal(r.Context(), p))
				}
				next.ServeHTTP(w, r)
				return
			}
			p, err := a.Authenticate(r)
			if err != nil {
				deny(w, r, err)
				return
			}
			if !CheckCSRF(r, p) {
				deny(w, r, ErrCSRF)
				return
			}
			if err := Allow(p, need); err != nil {
				deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// ContentSecurityPolicy is sent on every response: scripts and styles only
// from Remit itself (no inline script), no plugins, no framing, forms post
// only to Remit (which may redirect them on to Stripe's hosted checkout,
// where a client enters a card or bank account: browsers check form-action
// on the redirect too).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'"

// SecurityHeaders sets the security headers on every response of next: the
// CSP, X-Content-Type-Options nosniff, X-Frame-Options DENY (for browsers
// without frame-ancestors), Referrer-Policy same-origin (client links carry
// their token in the URL: it must not leak to other sites), and no caching
// of authenticated answers.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
