package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"remit/eventstore"
)

// auditPage is how many events `remit audit request` reads at a time.
const auditPage = 2000

func newAuditRequestCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "request ID",
		Short: "List the events an HTTP request appended, by the request id of its log line (X-Request-Id)",
		Long: `List the events an HTTP request appended: every event whose correlation id is the request
id that remit serve logged for it (request_id) and answered in X-Request-Id. It reads the whole
log (read-only, beside a running serve); exit 1 when no event has that id (a request that
appended nothing, or one that carried its own Idempotency-Key before this version).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			out := c.OutOrStdout()
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "position\tstream\trev\trecorded at (UTC)\tactor\tevent")
			found := 0
			for from := uint64(0); ; {
				recs, err := s.ReadAll(ctx, from, eventstore.Forward, auditPage, eventstore.Filter{})
				if err != nil {
					return err
				}
				for _, r := range recs {
					if r.Metadata.CorrelationID == args[0] {
						found++
						fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%s\t%s\n", r.Position, r.Stream, r.Revision, r.Metadata.RecordedAt.Format("2006-01-02 15:04:05.000"), r.Metadata.Actor, r.Type)
					}
				}
				if len(recs) < auditPage {
					break
				}
				from = recs[len(recs)-1].Position + 1
			}
			if found == 0 {
				return problemErr("no event has correlation id %q", args[0])
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "%d events\n", found)
			return nil
		},
	}
	storeFlags(c, env, &so)
	return c
}
