// Package auth decides who is asking and what they may do: users and their
// passwords (bcrypt), server-side sessions with CSRF tokens, login rate
// limiting and lockout, API tokens with scopes, signed client links, and the
// HTTP middleware that applies them with security headers.
//
// # Design
//
// Users and tokens are events in the user aggregate (domain/user), written
// through billing.Handle like every other command. The Authenticator keeps
// them in a read model (the directory) that the one log follower
// (projections/follow) keeps current in the background, so a token or
// session check is a map lookup and no request reads the log. A change made
// through the Authenticator is in the directory when the call returns; one
// made by another process (`remit token revoke` against a shared store)
// takes effect as soon as the follower sees it, normally within
// milliseconds. BenchmarkTokenCheck measures a check on a store with
// 100,000 events after the last user event against the scan the directory
// used to do on every request. Close stops the follower. Passwords are recorded only as bcrypt hashes and
// token secrets only as SHA-256 (the secrets are 256-bit random, so a fast
// hash is enough); a token reads "remit_<id hex>_<secret>".
//
// Sessions, the login limiter's counts, the first-run setup link,
// set-password links and the UI's pending ledger OAuth flows live in the
// sign-in state (package authdb, Config.DB): DATA/auth.db beside the
// embedded log, or tables of the PostgreSQL database of the log, shared by
// every node. A restart signs nobody out and any node serves any request.
// A session is stored by the SHA-256 of its id, so a copy of the table
// signs nobody in; a check is one indexed read, and its last use is
// written at most once a minute (BenchmarkSessionCheck). Login always
// starts a new session id, so a fixed session id is worthless. Each session
// has its own CSRF token, derived from its id (nothing stored), required
// on every unsafe request that authenticates with the cookie (header
// X-CSRF-Token, or form field csrf_token for server-rendered forms);
// requests with a bearer token need none. The cookie is HttpOnly,
// SameSite=Lax, Secure over TLS. Signing out, a password change and
// deactivation delete the rows, ending the sessions on every node.
//
// Login attempts are limited per client address (a one-minute window) and
// per email: MaxFailures wrong passwords within Lockout lock the email for
// Lockout, even for the right password. Each count is one atomic SQL
// statement, so attempts on several nodes at once all count. Unknown
// emails take the same time as known ones.
//
// Middleware takes a Policy (the route's Access: Public, Read, Write,
// OwnerOnly, SessionWrite) from the web package, which knows its routes:
// owners may do everything, staff every command but the firm's settings,
// auditors and read-scoped tokens only GETs, and tokens never make tokens.
//
// LinkSigner signs client links (accept a proposal, add or replace a payment
// method, view or pay an invoice) with HMAC-SHA256 under a key in the data
// folder (link.key; LoadLinkSigner) or, for nodes sharing a PostgreSQL
// store, in its sign-in tables (LoadSharedLinkSigner), never in the log; a link names one client, one purpose,
// one resource and an expiry, and anything else is refused. A link also
// carries when it was issued: "Revoke client links" (RevokeClientLinks,
// event client.ClientLinksRevoked) refuses every link of the client issued
// before it, checked when a link is opened (CheckNotRevoked).
//
// The first owner can also be made through a one-time setup link
// (StartSetup, CompleteSetup: an hour, dead once an owner exists; with
// StartSetupOn a node keeps another node's live link rather than replacing
// it), and
// owners invite users (InviteUser) with one-time set-password links
// (PasswordLinkTTL). Both are kept by the SHA-256 of their token and taken
// with one DELETE … RETURNING, so a link used on one node is refused on
// every other. ChangeRole and DeactivateUser never
// leave the firm without an active owner, also on several nodes at once:
// they take turns through a lock in the shared sign-in state
// (authdb.DB.WithLock: an advisory lock on PostgreSQL, the write lock on
// SQLite) and count the owners on a directory read to the log's head.
package auth
