package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/formats/importer"
	"remit/formats/journal"
	"remit/projections"
	"remit/projections/rmdb"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

// firmZone returns the firm's time zone (UTC before the firm is set up).
func firmZone(ctx context.Context, store eventstore.Store) (*time.Location, error) {
	recs, err := store.ReadStream(ctx, firm.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		return nil, err
	}
	cat := catalog.New()
	evs := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		e, err := cat.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			continue
		}
		evs = append(evs, e)
	}
	st := firm.Fold(evs)
	if st.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("the firm's time zone %q: %w", st.TimeZone, err)
	}
	return loc, nil
}

// watchReplay reports how far a replay into db has got, from the
// checkpoints it commits with each batch, every interval until stop is
// called: the replay itself offers no hook, and the registry is where its
// progress is recorded anyway.
func watchReplay(ctx context.Context, db *rmdb.DB, every time.Duration, report func(pos uint64)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			regs, err := db.Registrations(ctx)
			if err != nil || len(regs) == 0 {
				continue
			}
			pos := regs[0].Checkpoint
			for _, r := range regs[1:] {
				pos = min(pos, r.Checkpoint)
			}
			report(pos)
		}
	}()
	return func() { cancel(); <-done }
}

// parseAsOf reads --as-of: a global position, an RFC 3339 time, or a date
// (the end of that day in the firm's zone).
func parseAsOf(s string, loc *time.Location) (projections.Bound, error) {
	if s == "" {
		return projections.Bound{}, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return projections.Bound{Position: n}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return projections.Bound{Time: t}, nil
	}
	if d, err := domain.ParseDate(s); err == nil {
		t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1).Add(-time.Nanosecond)
		return projections.Bound{Time: t}, nil
	}
	return projections.Bound{}, usageErr("--as-of %q is neither a position, an RFC 3339 time nor a date (YYYY-MM-DD)", s)
}

func newReplayCmd(env Env) *cobra.Command {
	var so storeOpts
	var asOf string
	c := &cobra.Command{
		Use:   "replay",
		Short: "Replay the log into fresh read models (optionally as of a past moment) and summarise them",
		Long: `Replay the whole log, or the part of it up to --as-of, into fresh read models, and print
what they hold: clients, services, invoices by status, outstanding and overdue money.
--as-of takes a global position (1523), a time (2026-03-31T17:00:00+11:00) or a date
(2026-03-31: the end of that day in the firm's time zone). Read-only: runs beside remit serve.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			loc, err := firmZone(ctx, s)
			if err != nil {
				return err
			}
			bound, err := parseAsOf(asOf, loc)
			if err != nil {
				return err
			}
			head, _ := s.Head(ctx)
			if bound.Position > 0 {
				head = min(head, bound.Position)
			}
			db, err := rmdb.OpenTemp()
			if err != nil {
				return err
			}
			defer db.Close()
			m := projections.NewModels(db)
			bar := newProgress(env.Stderr, "replay")
			start := time.Now()
			stop := watchReplay(ctx, db, 200*time.Millisecond, func(pos uint64) { bar.Update(int(pos), int(head)) })
			st, err := projections.Replay(ctx, s, m, bound)
			stop()
			bar.Update(int(st.Last), int(head))
			bar.Finish()
			if err != nil {
				return err
			}
			today := domain.DateOf(time.Now(), loc)
			if !bound.Time.IsZero() {
				today = domain.DateOf(bound.Time, loc)
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "replayed %d events up to position %d in %s\n", st.Events, st.Last, time.Since(start).Round(time.Millisecond))
			return printSummary(ctx, out, m, today)
		},
	}
	storeFlags(c, env, &so)
	c.Flags().StringVar(&asOf, "as-of", "", "stop at a position, an RFC 3339 time or a date (YYYY-MM-DD)")
	return c
}

func printSummary(ctx context.Context, out io.Writer, m *projections.Models, today domain.Date) error {
	all, err := m.ListClients(ctx, projections.ClientQuery{Today: today, Paging: projections.Paging{Limit: projections.MaxLimit}})
	if err != nil {
		return err
	}
	arch, err := m.ListClients(ctx, projections.ClientQuery{Filter: projections.ClientsArchived, Today: today})
	if err != nil {
		return err
	}
	overdueClients, err := m.ListClients(ctx, projections.ClientQuery{Filter: projections.ClientsHasOverdue, Today: today})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "as of %s:\n", today)
	fmt.Fprintf(out, "  clients:   %d (%d archived, %d with overdue invoices)\n", all.Total, arch.Total, overdueClients.Total)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  invoices\tcount\t")
	total := 0
	for _, st := range []invoice.Status{invoice.StatusAwaitingPayment, invoice.StatusPaymentScheduled, invoice.StatusOverdue,
		invoice.StatusPartlyPaid, invoice.StatusPaymentRejected, invoice.StatusPaid, invoice.StatusWrittenOff, invoice.StatusVoid} {
		page, err := m.ListInvoices(ctx, projections.InvoiceQuery{Statuses: []invoice.Status{st}, Today: today, Paging: projections.Paging{Limit: 1}})
		if err != nil {
			return err
		}
		total += page.Total
		fmt.Fprintf(w, "  %s\t%d\t\n", st, page.Total)
	}
	w.Flush()
	fmt.Fprintf(out, "  invoices in all: %d\n", total)
	outstanding, overdue := map[string]domain.Money{}, map[string]domain.Money{}
	for off := 0; off < all.Total; off += projections.MaxLimit {
		page, err := m.ListClients(ctx, projections.ClientQuery{Today: today, Paging: projections.Paging{Offset: off, Limit: projections.MaxLimit}})
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			addAll(outstanding, it.Outstanding)
			addAll(overdue, it.Overdue)
		}
	}
	fmt.Fprintf(out, "  outstanding: %s\n  overdue:     %s\n", moneyList(outstanding), moneyList(overdue))
	return nil
}

func addAll(into map[string]domain.Money, ms []domain.Money) {
	for _, m := range ms {
		if cur, ok := into[m.Currency.Code]; ok {
			if sum, err := cur.Add(m); err == nil {
				into[m.Currency.Code] = sum
			}
			continue
		}
		into[m.Currency.Code] = m
	}
}

func moneyList(ms map[string]domain.Money) string {
	if len(ms) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(ms))
	for k := range ms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = ms[k].String()
	}
	return strings.Join(parts, ", ")
}

func newReconcileCmd(env Env) *cobra.Command {
	var so storeOpts
	var withLedger bool
	c := &cobra.Command{
		Use:   "reconcile",
		Short: "Prove the books agree: read models equal a fresh replay, every invoice adds up, invoice numbers have no gap",
		Long: `Open the read models remit serve keeps (DATA/readmodels.db, or the rm_* tables in
PostgreSQL), catch them up to the head of the log, and check them against a fresh replay of
the log (into a temporary database), entity by entity;
check that for every invoice, total = payments + credit notes + write-offs + voided +
outstanding; and check that every invoice number from the first to the last is exactly one
issued invoice or one recorded void (a number reserved by a request that died is voided, with
its reason, by the next billing run once it is 10 minutes old). Exits 0 when everything agrees,
1 with a report of every mismatch, naming each invoice number that is neither.
Read-only on the log: runs beside remit serve (a billing run in progress shows the numbers it
has reserved and not yet issued).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			s, db, closeAll, err := so.openWithReadModels(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			m := projections.NewModels(db)
			r, err := projections.NewRunner(ctx, s, m, projections.RunnerOptions{})
			if err != nil {
				return err
			}
			defer r.Close()
			if err := r.CatchUp(ctx); err != nil {
				return err
			}
			rep, err := projections.Reconcile(ctx, s, m)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "checked %d read models, %d invoices and %d invoice numbers (%d void) at position %d\n", rep.Projections, rep.Invoices, rep.Numbers, rep.NumbersVoided, rep.Position)
			ledgerDiffs, err := reconcileLedger(c, s, withLedger)
			if err != nil {
				return err
			}
			if withLedger {
				// The plain-text journal too: it balances, and each client's
				// receivable equals what Remit shows outstanding.
				diffs, err := journal.Reconcile(ctx, s, m)
				if err != nil {
					return err
				}
				if len(diffs) == 0 {
					fmt.Fprintln(out, "journal: balances, every client's receivable equals their outstanding amount, and the gateway's clearing account equals collected − fees − refunds − paid out")
				}
				for _, d := range diffs {
					fmt.Fprintln(out, "journal difference: "+d)
				}
				ledgerDiffs += len(diffs)
			}
			if rep.OK() && ledgerDiffs == 0 {
				fmt.Fprintln(out, "OK: everything agrees")
				return nil
			}
			if !rep.OK() {
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "check\tread model\tsubject\tdetail")
				for _, mm := range rep.Mismatches {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", mm.Check, mm.Projection, mm.Subject, mm.Detail)
				}
				w.Flush()
			}
			return problemErr("%d mismatches, %d ledger differences", len(rep.Mismatches), ledgerDiffs)
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	c.Flags().BoolVar(&withLedger, "ledger", false, "also compare what Remit issued and collected with what each connected ledger acknowledged (Xero, QuickBooks Online), and with the journal export")
	return c
}

// streamOf turns what a user typed into a stream name: a stream name as is,
// or an entity id looked up among the aggregates' streams.
func streamOf(ctx context.Context, store eventstore.Store, arg string) (string, error) {
	if eventstore.ValidateStreamName(arg) != nil {
		return "", usageErr("%q is not a stream name or an id", arg)
	}
	id, err := uuid.Parse(arg)
	if err != nil {
		return arg, nil
	}
	for _, prefix := range []string{"client-", "service-", "invoice-", "proposal-"} {
		recs, err := store.ReadStream(ctx, prefix+id.String(), 0, eventstore.Forward, 1)
		if err != nil {
			return "", err
		}
		if len(recs) > 0 {
			return prefix + id.String(), nil
		}
	}
	return "", usageErr("no client, service, invoice or proposal has id %s", id)
}

func newAuditStreamCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "stream STREAM|ID",
		Short: "Show one stream's whole history as a table: when, who, what, and its chain hash",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			stream, err := streamOf(ctx, s, args[0])
			if err != nil {
				return err
			}
			recs, err := s.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
			if err != nil {
				return err
			}
			if len(recs) == 0 {
				return usageErr("stream %s has no events", stream)
			}
			// The plain-English line of each event, from the activity read
			// model replayed up to the stream's last event.
			m, _, err := projections.BuildAsOf(ctx, s, projections.Bound{Position: recs[len(recs)-1].Position})
			if err != nil {
				return err
			}
			defer m.Close()
			text := map[uint64]string{}
			if subj, id, ok := subjectOf(stream); ok {
				lines, err := m.ActivityOf(ctx, subj, id)
				if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
					return err
				}
				for _, l := range lines {
					text[l.Position] = l.Text
				}
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "stream %s: %d events\n", stream, len(recs))
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "rev\tposition\trecorded at (UTC)\tactor\tcorrelation (request id)\tevent\twhat\thash")
			for _, r := range recs {
				what := text[r.Position]
				if what == "" {
					what = string(r.Data)
					if len(what) > 60 {
						what = what[:57] + "..."
					}
				}
				actor := r.Metadata.Actor
				if actor == "" {
					actor = "-"
				}
				corr := r.Metadata.CorrelationID
				if corr == "" {
					corr = "-"
				}
				fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%x…\n", r.Revision, r.Position, r.Metadata.RecordedAt.Format("2006-01-02 15:04:05.000"), actor, corr, r.Type, what, r.Hash[:min(6, len(r.Hash))])
			}
			return w.Flush()
		},
	}
	storeFlags(c, env, &so)
	return c
}

func subjectOf(stream string) (projections.Subject, uuid.UUID, bool) {
	prefix, rest, ok := strings.Cut(stream, "-")
	if !ok {
		return "", uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	if err != nil {
		return "", uuid.Nil, false
	}
	switch prefix {
	case "client":
		return projections.SubjectClient, id, true
	case "service":
		return projections.SubjectService, id, true
	case "invoice":
		return projections.SubjectInvoice, id, true
	case "proposal":
		return projections.SubjectProposal, id, true
	}
	return "", uuid.Nil, false
}

func newImportCmd(env Env) *cobra.Command {
	imp := &cobra.Command{Use: "import", Short: "Bring a firm's existing data into Remit"}
	var so storeOpts
	var skip bool
	clients := &cobra.Command{
		Use:   "clients FILE.csv",
		Short: "Import clients and contacts from a CSV in the shape of a Xero contacts export",
		Long: `Import clients and their contacts from a CSV file exported from Xero (Contacts → Export),
or any CSV with the same columns (ContactName is required; EmailAddress, FirstName, LastName,
PO address columns, PhoneNumber, TaxNumber, DueDateSalesDay, Person1..5 are read).
Every row is checked first; problems are listed by row and column and nothing is imported
unless every row is valid (or --skip-invalid). Importing the same file again creates nothing
twice. Exits 0 when imported, 2 when rows are invalid or the file cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			fh, err := os.Open(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			file, err := importer.Parse(fh)
			fh.Close()
			if err != nil {
				return usageErr("%s: %v", args[0], err)
			}
			s, err := so.open(ctx, false)
			if err != nil {
				return err
			}
			defer s.Close()
			svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
			bar := newProgress(env.Stderr, "import")
			res, err := importer.Import(ctx, svc, file, importer.Options{SkipInvalid: skip, Actor: "cli:import", Progress: bar.Update})
			bar.Finish()
			out := c.OutOrStdout()
			for _, p := range res.Problems {
				fmt.Fprintln(out, p.String())
			}
			if errors.Is(err, importer.ErrInvalidRows) {
				return usageErr("%v (fix the rows above, or use --skip-invalid)", err)
			}
			if err != nil {
				if domain.ErrorCode(err) == domain.ENOTFOUND || domain.ErrorCode(err) == domain.EINVALID {
					return usageErr("%s", domain.ErrorMessage(err))
				}
				return err
			}
			fmt.Fprintf(out, "imported %d clients (%d already imported, %d invalid rows skipped)\n", res.Imported, res.Existing, res.Skipped)
			return nil
		},
	}
	storeFlags(clients, env, &so)
	clients.Flags().BoolVar(&skip, "skip-invalid", false, "import the valid rows and list the invalid ones")
	imp.AddCommand(clients)
	return imp
}
