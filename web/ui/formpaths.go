package ui

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// formPaths knows which of the UI's pages are forms: a path registered for
// GET (the form) and for POST (what it sends), such as /clients/{id}/edit
// or /invoices/{iid}/void. A section's own page (one segment, such as
// /renewals or /price-increases) lists things and also takes a post; it is
// a page to read, not a form. A page as of a moment disables plain links
// to forms, as it disables the forms themselves (asOfPage).
type formPaths struct {
	mu        sync.Mutex
	get, post map[string]bool
	compiled  *regexp.Regexp // nil until asked, or after a route is added
}

func newFormPaths() *formPaths {
	return &formPaths{get: map[string]bool{}, post: map[string]bool{}}
}

// add records a route.
func (f *formPaths) add(method, path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if method == http.MethodPost {
		f.post[path] = true
	} else {
		f.get[path] = true
	}
	f.compiled = nil
}

// routeVar is a path variable of a route ({id}).
var routeVar = regexp.MustCompile(`\{[a-z_]+\}`)

// matcher is one pattern matching every form's path.
func (f *formPaths) matcher() *regexp.Regexp {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.compiled != nil {
		return f.compiled
	}
	var alts []string
	for p := range f.get {
		if !f.post[p] || strings.Count(strings.Trim(p, "/"), "/") == 0 {
			continue
		}
		parts := routeVar.Split(p, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		alts = append(alts, strings.Join(parts, `[^/?#]+`))
	}
	if len(alts) == 0 {
		alts = append(alts, `\x00never`)
	}
	f.compiled = regexp.MustCompile(`^(?:` + strings.Join(alts, "|") + `)$`)
	return f.compiled
}

// isForm reports whether an internal link (path, maybe with a query or a
// fragment) leads to a form.
func (f *formPaths) isForm(link string) bool {
	if f == nil {
		return false
	}
	path, _, _ := strings.Cut(link, "#")
	path, _, _ = strings.Cut(path, "?")
	return f.matcher().MatchString(path)
}
