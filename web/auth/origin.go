package auth

import (
	"net/http"
	"net/url"
)

// SameOrigin reports whether an unsafe request may have come from one of
// Remit's own pages, for forms that no session's CSRF token protects (sign-in,
// first-run setup, set-password links, client links).
//
// A browser's Origin header must name this host. "Origin: null" is what a
// browser sends from a page whose referrer policy is no-referrer (or from a
// sandboxed frame or a data: URL), so it is refused unless the browser's own
// Sec-Fetch-Site, which no page can forge, says same-origin. Remit's pages
// use the referrer policy same-origin so that browsers send their real
// origin. A request with neither header comes from a program (curl, a test),
// not from a page of another site, and is let through: their forms carry
// one-time tokens or passwords of their own.
func SameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	o := r.Header.Get("Origin")
	switch {
	case o == "null":
		return site == "same-origin"
	case o != "":
		u, err := url.Parse(o)
		return err == nil && u.Host != "" && u.Host == r.Host && (site == "" || site == "same-origin")
	}
	return site == "" || site == "same-origin" || site == "none"
}
