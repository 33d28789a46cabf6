package cli

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain/ledger"
	"remit/eventstore"
	"remit/processes/ledgersync"
)

func newLedgerCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "ledger", Short: "Connect Xero or QuickBooks Online, and see what is synced"}
	c.AddCommand(newLedgerConnectCmd(env), newLedgerStatusCmd(env), newLedgerMapContactCmd(env), newLedgerDisconnectCmd(env))
	return c
}

func cliMeta() billing.Meta { return billing.Meta{Actor: "cli", CommandID: "cli:" + uuid.NewString()} }

func newLedgerConnectCmd(env Env) *cobra.Command {
	var so storeOpts
	var r ledgersync.ConnectRequest
	var taxTypes, rateAccounts, serviceAccounts []string
	c := &cobra.Command{
		Use:   "connect xero|qbo",
		Short: "Connect a ledger (or change its mapping): invoices, payments, credits and voids are pushed to it",
		Long: `Connect Xero (--tenant is the Xero tenant id) or QuickBooks Online (--tenant is the realm id).
The OAuth client id and secret and the refresh token are written to DATA/ledger/PROVIDER.json
(mode 0600), never to the event log; prefer the environment (REMIT_LEDGER_CLIENT_SECRET,
REMIT_LEDGER_REFRESH_TOKEN) to flags, which other users can see in the process list.
The mapping says which accounts and tax codes documents use: --revenue-account (default),
--service-account SERVICE=CODE, --rate-account RATE=CODE, --tax-type RATE=CODE (RATE in
percent: 10, 0), --clearing-account (payments), --write-off-account (bad debts), and for the
gateway's payouts --bank-account (where payouts land; default Xero 090, QuickBooks 35) and
--fees-account (the gateway's fees; default Xero 404, QuickBooks 8); for refunds in
QuickBooks --receivable-account (Accounts Receivable, which the refund check goes to; default 84);
--disputes-account (a "Disputed payments" balance-sheet account: disputes are pushed only with it).
Invoices issued before connecting are not pushed unless --history. Running it again for the
same tenant changes the mapping; remit serve pushes from then on.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			r.Provider = args[0]
			if !slices.Contains(ledger.Providers(), r.Provider) {
				return usageErr("%q is not a ledger Remit connects to (xero or qbo)", r.Provider)
			}
			if r.Secrets.ClientSecret == "" {
				r.Secrets.ClientSecret = env.Getenv("REMIT_LEDGER_CLIENT_SECRET")
			}
			if r.Secrets.RefreshToken == "" {
				r.Secrets.RefreshToken = env.Getenv("REMIT_LEDGER_REFRESH_TOKEN")
			}
			var err error
			if r.Mapping.TaxTypes, err = pairs("--tax-type", taxTypes); err != nil {
				return err
			}
			if r.Mapping.TaxRateAccounts, err = pairs("--rate-account", rateAccounts); err != nil {
				return err
			}
			svc, err := pairs("--service-account", serviceAccounts)
			if err != nil {
				return err
			}
			for k, v := range svc {
				id, err := uuid.Parse(k)
				if err != nil {
					return usageErr("--service-account %s=%s: %q is not a service id", k, v, k)
				}
				if r.Mapping.ServiceAccounts == nil {
					r.Mapping.ServiceAccounts = map[uuid.UUID]string{}
				}
				r.Mapping.ServiceAccounts[id] = v
			}
			r.Now = time.Now()
			s, err := so.open(c.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := ledgersync.Connect(c.Context(), s, so.dir, r, cliMeta())
			if err != nil {
				return asUserError(err)
			}
			if res.Appended == 0 {
				fmt.Fprintf(env.Stdout, "%s is connected to %s with this mapping already (secrets saved)\n", r.Provider, r.TenantID)
				return nil
			}
			fmt.Fprintf(env.Stdout, "Connected %s (%s); secrets in %s\n", r.Provider, r.TenantID, so.dir+"/ledger/"+r.Provider+".json")
			return nil
		},
	}
	storeFlags(c, env, &so)
	f := c.Flags()
	f.StringVar(&r.TenantID, "tenant", "", "Xero tenant id or QuickBooks realm id (required)")
	f.StringVar(&r.Secrets.ClientID, "client-id", "", "the OAuth app's client id")
	f.StringVar(&r.Secrets.ClientSecret, "client-secret", "", "the OAuth app's client secret (env REMIT_LEDGER_CLIENT_SECRET)")
	f.StringVar(&r.Secrets.RefreshToken, "refresh-token", "", "an OAuth refresh token for the organisation (env REMIT_LEDGER_REFRESH_TOKEN)")
	f.StringVar(&r.Mapping.RevenueAccount, "revenue-account", "", "default revenue account code (required)")
	f.StringVar(&r.Mapping.ClearingAccount, "clearing-account", "", "account payments are received into (required)")
	f.StringVar(&r.Mapping.WriteOffAccount, "write-off-account", "", "bad-debt account for write-offs")
	f.StringVar(&r.Mapping.BankAccount, "bank-account", "", "bank account the gateway's payouts are transferred to from the clearing account (default Xero 090, QuickBooks 35)")
	f.StringVar(&r.Mapping.FeesAccount, "fees-account", "", "expense account the gateway's fees are spent to from the clearing account (default Xero 404, QuickBooks 8)")
	f.StringVar(&r.Mapping.ReceivableAccount, "receivable-account", "", "QuickBooks: the Accounts Receivable account a refund's check goes to (default 84)")
	f.StringVar(&r.Mapping.DisputesAccount, "disputes-account", "", "balance-sheet account disputed payments move to from the clearing account; empty: disputes are not pushed")
	f.StringArrayVar(&taxTypes, "tax-type", nil, "RATE=CODE: the ledger's tax code for a rate in percent (repeat)")
	f.StringArrayVar(&rateAccounts, "rate-account", nil, "RATE=CODE: the revenue account for lines at a rate (repeat)")
	f.StringArrayVar(&serviceAccounts, "service-account", nil, "SERVICE-ID=CODE: the revenue account of a service (repeat)")
	f.BoolVar(&r.History, "history", false, "also push the invoices issued before connecting")
	return c
}

// pairs reads KEY=VALUE flags.
func pairs(flag string, vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(val) == "" {
			return nil, usageErr("%s %q: write KEY=VALUE", flag, v)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return out, nil
}

func newLedgerStatusCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "status",
		Short: "Show each ledger connection, its mapping and how many invoices are synced, waiting or failed",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := so.open(c.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			sts, err := ledgersync.Status(c.Context(), s)
			if err != nil {
				return err
			}
			out := env.Stdout
			if len(sts) == 0 {
				fmt.Fprintln(out, "No ledger is connected (remit ledger connect xero|qbo …).")
				return nil
			}
			for _, st := range sts {
				state := "connected"
				if !st.Connected {
					state = "disconnected"
				}
				fmt.Fprintf(out, "%s: %s, tenant %s, since %s\n", st.Provider, state, st.TenantID, st.Since.Format(time.RFC3339))
				m := st.Mapping
				fmt.Fprintf(out, "  revenue %s, clearing %s, write-off %s, tax types %s, %d services and %d rates with their own account, %d contacts mapped\n",
					m.RevenueAccount, m.ClearingAccount, orNone(m.WriteOffAccount), kv(m.TaxTypes), len(m.ServiceAccounts), len(m.TaxRateAccounts), st.Contacts)
				fmt.Fprintf(out, "  payouts: to bank %s, fees to %s\n", m.BankAccountFor(st.Provider), m.FeesAccountFor(st.Provider))
				fmt.Fprintf(out, "  disputes: %s\n", orNone(m.DisputesAccount))
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "  invoices\tsynced\tpending\tretrying\tfailed")
				fmt.Fprintf(w, "  %d\t%d\t%d\t%d\t%d\n", st.Invoices, st.Synced, st.Pending, st.Retrying, st.Failed)
				w.Flush()
				if st.Payouts > 0 {
					fmt.Fprintf(out, "  payouts: %d, synced %d\n", st.Payouts, st.PayoutsSynced)
				}
				for _, line := range st.Waiting {
					fmt.Fprintln(out, "  "+line)
				}
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	return c
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func kv(m map[string]string) string {
	if len(m) == 0 {
		return "(account defaults)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "%=" + m[k]
	}
	return strings.Join(keys, " ")
}

func newLedgerMapContactCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "map-contact xero|qbo CLIENT-ID LEDGER-CONTACT-ID",
		Short: "Push a client's invoices to an existing ledger contact (instead of matching by name)",
		Args:  cobra.ExactArgs(3),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[1])
			if err != nil {
				return usageErr("%q is not a client id", args[1])
			}
			s, err := so.open(c.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := ledgersync.MapContact(c.Context(), s, args[0], id, args[2], time.Now(), cliMeta()); err != nil {
				return asUserError(err)
			}
			fmt.Fprintf(env.Stdout, "Client %s is %s contact %s\n", id, args[0], args[2])
			return nil
		},
	}
	storeFlags(c, env, &so)
	return c
}

func newLedgerDisconnectCmd(env Env) *cobra.Command {
	var so storeOpts
	var reason string
	c := &cobra.Command{
		Use:   "disconnect xero|qbo",
		Short: "Stop pushing to a ledger (connecting again resumes where it stopped)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			s, err := so.open(c.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := ledgersync.Disconnect(c.Context(), s, args[0], reason, time.Now(), cliMeta()); err != nil {
				return asUserError(err)
			}
			fmt.Fprintf(env.Stdout, "Disconnected %s\n", args[0])
			return nil
		},
	}
	storeFlags(c, env, &so)
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}

// reconcileLedger runs `remit reconcile --ledger`'s ledger check (when on)
// and prints its differences; it returns how many there are.
func reconcileLedger(c *cobra.Command, s eventstore.Store, on bool) (int, error) {
	if !on {
		return 0, nil
	}
	rep, err := ledgersync.Reconcile(c.Context(), s)
	if err != nil {
		return 0, err
	}
	out := c.OutOrStdout()
	if len(rep.Connections) == 0 {
		fmt.Fprintln(out, "ledger: no ledger is connected")
		return 0, nil
	}
	fmt.Fprintf(out, "ledger: checked %d invoices and %d acknowledged pushes in %s\n", rep.Invoices, rep.Pushes, strings.Join(rep.Connections, ", "))
	for _, d := range rep.Differences {
		fmt.Fprintln(out, "ledger difference: "+d)
	}
	return len(rep.Differences), nil
}
