package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain"
	"remit/domain/user"
	"remit/eventstore/pii"
	"remit/eventstore/storeurl"
	"remit/processes/signeddoc"
	"remit/web/auth"
)

// withAuth opens the store and the sign-in state beside it (so a password
// changed or a user deactivated here ends their sessions on every node)
// and runs fn with an Authenticator over them.
func withAuth(ctx context.Context, so storeOpts, fn func(*auth.Authenticator) error) error {
	s, err := so.open(ctx, false)
	if err != nil {
		return err
	}
	defer s.Close()
	signIn, err := storeurl.OpenSignIn(ctx, so.url, storeurl.Options{DataDir: so.dir})
	if err != nil {
		return err
	}
	defer signIn.Close()
	a, err := auth.New(auth.Config{Store: s, DB: signIn})
	if err != nil {
		return err
	}
	defer a.Close()
	return asUserError(fn(a))
}

// asUserError turns a domain error (bad input, a duplicate, an unknown
// token) into exit code 2 with its message.
func asUserError(err error) error {
	if err == nil {
		return nil
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID, domain.ECONFLICT, domain.ENOTFOUND, domain.EFORBIDDEN:
		return usageErr("%s", domain.ErrorMessage(err))
	}
	return err
}

func newUserCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage the people who sign in to Remit"}
	var so storeOpts
	var role, name string
	add := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Add a user (the first one on an empty store: --role owner)",
		Long: `Add a user who signs in with EMAIL. The password is taken from REMIT_PASSWORD (at least
12 characters); without it a random one is made and printed once. Roles: owner (everything,
users and settings), staff (billing work), auditor (read-only).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			pw := env.Getenv("REMIT_PASSWORD")
			generated := pw == ""
			if generated {
				pw = randomPassword()
			}
			return withAuth(c.Context(), so, func(a *auth.Authenticator) error {
				id, err := a.AddUser(c.Context(), auth.NewUser{Email: args[0], Name: name, Role: user.Role(role), Password: pw}, "cli")
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "Added %s (%s), user:%s\n", user.NormalizeEmail(args[0]), role, id)
				if generated {
					fmt.Fprintf(env.Stdout, "Password (shown once): %s\n", pw)
				}
				return nil
			})
		},
	}
	storeFlags(add, env, &so)
	add.Flags().StringVar(&role, "role", "", "owner, staff or auditor (required)")
	add.Flags().StringVar(&name, "name", "", "the user's name")
	_ = add.MarkFlagRequired("role")

	var lso storeOpts
	list := &cobra.Command{
		Use:   "list",
		Short: "List the users",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return withAuth(c.Context(), lso, func(a *auth.Authenticator) error {
				us, err := a.Users(c.Context())
				if err != nil {
					return err
				}
				for _, u := range us {
					state := "active"
					if u.Disabled {
						state = "disabled"
					}
					fmt.Fprintf(env.Stdout, "%s\t%s\t%s\tuser:%s\n", u.Email, u.Role, state, u.ID)
				}
				return nil
			})
		},
	}
	storeFlags(list, env, &lso)
	c.AddCommand(add, list, newUserRoleCmd(env), newUserDeactivateCmd(env))
	return c
}

// userByEmail finds a user by email (any case), or a usage error.
func userByEmail(ctx context.Context, a *auth.Authenticator, email string) (user.State, error) {
	us, err := a.Users(ctx)
	if err != nil {
		return user.State{}, err
	}
	for _, u := range us {
		if u.Email == user.NormalizeEmail(email) {
			return u, nil
		}
	}
	return user.State{}, usageErr("no user signs in as %s (remit user list shows who does)", email)
}

func newUserRoleCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "role EMAIL owner|staff|auditor",
		Short: "Change a user's role (from their next request; the last active owner stays an owner)",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return withAuth(c.Context(), so, func(a *auth.Authenticator) error {
				u, err := userByEmail(c.Context(), a, args[0])
				if err != nil {
					return err
				}
				if err := a.ChangeRole(c.Context(), u.ID, user.Role(args[1]), "cli"); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "%s is now %s\n", u.Email, args[1])
				return nil
			})
		},
	}
	storeFlags(c, env, &so)
	return c
}

func newUserDeactivateCmd(env Env) *cobra.Command {
	var so storeOpts
	var reason string
	c := &cobra.Command{
		Use:   "deactivate EMAIL",
		Short: "Stop a user signing in: their sessions and API tokens stop working at once (not the last active owner)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return withAuth(c.Context(), so, func(a *auth.Authenticator) error {
				u, err := userByEmail(c.Context(), a, args[0])
				if err != nil {
					return err
				}
				if err := a.DeactivateUser(c.Context(), u.ID, reason, "cli"); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "%s is deactivated\n", u.Email)
				return nil
			})
		},
	}
	storeFlags(c, env, &so)
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the log)")
	return c
}

func newTokenCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var so storeOpts
	var email, name, scope string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Make an API token for a user (printed once)",
		Long: `Make an API token for the user with --user EMAIL. --scope read allows GETs only (for
reconciliation jobs); write allows what the user's role allows. The token is printed once;
only its hash is kept. Send it as "Authorization: Bearer <token>".`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var exp *time.Time
			if ttl > 0 {
				t := time.Now().Add(ttl)
				exp = &t
			}
			return withAuth(c.Context(), so, func(a *auth.Authenticator) error {
				u, err := a.User(c.Context(), user.IDForEmail(email))
				if err != nil {
					return err
				}
				nt, err := a.CreateToken(c.Context(), u.ID, name, user.Scope(scope), exp, "cli")
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "Token %s (%s, for %s), shown once:\n%s\n", nt.ID, scope, u.Email, nt.Token)
				return nil
			})
		},
	}
	storeFlags(create, env, &so)
	create.Flags().StringVar(&email, "user", "", "the email of the token's user (required)")
	create.Flags().StringVar(&name, "name", "api", "what the token is for")
	create.Flags().StringVar(&scope, "scope", "read", "read or write")
	create.Flags().DurationVar(&ttl, "expires-in", 0, "how long the token works (e.g. 720h); 0 means until revoked")
	_ = create.MarkFlagRequired("user")

	var rso storeOpts
	revoke := &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return usageErr("%q is not a token id", args[0])
			}
			return withAuth(c.Context(), rso, func(a *auth.Authenticator) error {
				if err := a.RevokeTokenAsOperator(c.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "Revoked token %s\n", id)
				return nil
			})
		},
	}
	storeFlags(revoke, env, &rso)
	c.AddCommand(create, revoke)
	return c
}

func newClientCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "client", Short: "Client data operations"}
	var so storeOpts
	forget := &cobra.Command{
		Use:   "forget CLIENT_ID",
		Short: "Erase a client's personal data by destroying their key",
		Long: `Destroy the client's encryption key (its row of DATA/keys/keys.db, or of remit_pii_keys on
PostgreSQL) and record ClientErased in the log. Their names, emails, phones, address lines
and tax numbers, sealed in the log with that key, can no longer be read by anyone: replays,
read models and exports show them as erased. The signed PDFs of the client's proposals
(DATA/proposals/<id>/signed.pdf) are deleted. Amounts, dates and the hash chain are untouched
(remit audit verify still passes). This cannot be undone.
On the embedded store the read models' DATA/readmodels.db is deleted (remit serve fills it
again from the log at its next start); any remit serve following the log (on PostgreSQL or
KurrentDB) rebuilds its read models when it sees ClientErased. On the embedded store, stop
remit serve first, or erase through the API instead (POST /api/clients/{id}/forget, owners
only).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return usageErr("%q is not a client id", args[0])
			}
			s, err := so.open(c.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := pii.Erase(c.Context(), s, id, billing.Meta{Actor: "cli"}, time.Now()); err != nil {
				return asUserError(err)
			}
			// The signed-proposal PDFs hold the signatories' names, emails
			// and IPs in clear: they go too (a running server's filer also
			// deletes them when it meets ClientErased).
			if _, err := signeddoc.EraseClient(c.Context(), s, so.dir, id); err != nil {
				return fmt.Errorf("delete the client's signed proposals: %w", err)
			}
			// The read models hold the client's data in clear: without a
			// server to rebuild them (the store's lock says none runs), the
			// file goes, and the next start replays the log without it.
			if path, ok := so.embeddedReadModels(); ok {
				for _, f := range []string{path, path + "-wal", path + "-shm"} {
					if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
						return fmt.Errorf("remove the read models: %w", err)
					}
				}
			}
			fmt.Fprintf(env.Stdout, "Client %s forgotten: their key is destroyed.\n", id)
			return nil
		},
	}
	storeFlags(forget, env, &so)
	c.AddCommand(forget)
	return c
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
