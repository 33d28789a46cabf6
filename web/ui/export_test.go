package ui

import (
	"net/http"

	"github.com/gorilla/mux"
)

// SignInOver is the UI's sign-in (cfg.Auth: login, logout, the setup and
// set-password links, the users and API tokens pages) in front of page, which stands for
// every other page and action: the sign-in tests use a page that tells who
// is signed in.
func SignInOver(page http.Handler, cfg Config) http.Handler {
	h := newHandler(cfg)
	r := mux.NewRouter()
	h.handleRouterErrors(r)
	rt := routes{r: r, h: h, need: staffAccess}
	h.registerSignInRoutes(rt)
	h.registerUserRoutes(rt)
	h.registerTokenRoutes(rt)
	rt.prefix("/", page.ServeHTTP)
	return r
}
