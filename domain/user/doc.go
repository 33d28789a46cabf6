// Package user is the aggregate of the people who sign in to Remit and the
// API tokens they create: who they are, their role, their password hash, and
// their tokens' scopes and hashed secrets. It is pure: it never hashes a
// password or makes a secret (package auth does), it only records and checks.
//
// # Streams
//
// One stream per user, "user-<uuid>", whose id is derived from the user's
// email address (IDForEmail): two users with one email would share a stream,
// so adding the second is refused by Decide (ECONFLICT) and, under a race, by
// the store's NoStream expectation. A user's API tokens live in the user's own
// stream, so a disabled user's tokens stop working with them.
//
// # Roles and scopes
//
//   - owner: everything, including users and the firm's settings;
//   - staff: billing work (every command but users and settings);
//   - auditor: read-only (every GET, replay, audit), no command at all.
//
// A token has a scope: "read" (GETs only, for reconciliation jobs) or
// "write" (what its user's role allows). An auditor can only make read
// tokens. A token never carries more than its user.
package user
