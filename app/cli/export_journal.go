package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"remit/domain"
	"remit/formats/journal"
	"remit/internal/atomicfile"
)

// newExportJournalCmd is `remit export journal`.
func newExportJournalCmd(env Env) *cobra.Command {
	var so storeOpts
	var format, asOf, outFile string
	c := &cobra.Command{
		Use:   "journal [--format hledger|beancount] [--as-of DATE] [-o FILE]",
		Short: "Write the books as a double-entry journal (hledger, beancount)",
		Long: `Write the firm's books as a plain-text double-entry journal, built from the event log:
one balanced transaction per invoice issued, payment collected or received, write-off,
credit note and void, in each invoice's currency, with one receivable account per client
and every account and commodity declared (hledger check --strict, bean-check).
Each transaction carries its event's id and its invoice's id, so it can be traced back.

--format hledger (the default) or beancount. --as-of DATE keeps the transactions dated
on or before DATE (the firm's calendar dates). -o FILE writes to FILE (replaced whole,
never left half-written) instead of standard output. Read-only: runs beside remit serve.
See docs/journal.md for the chart of accounts.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := journal.ParseFormat(format)
			if err != nil {
				return usageErr("--format: %v", err)
			}
			var opts journal.Options
			if asOf != "" {
				d, err := domain.ParseDate(asOf)
				if err != nil {
					return usageErr("--as-of %q is not a date (YYYY-MM-DD)", asOf)
				}
				opts.Through = d
			}
			if outFile != "" {
				if fi, err := os.Stat(outFile); err == nil && fi.IsDir() {
					return usageErr("-o %s is a folder; name the file to write", outFile)
				}
				if fi, err := os.Stat(filepath.Dir(outFile)); err != nil || !fi.IsDir() {
					return usageErr("-o %s: no folder %s to write it in", outFile, filepath.Dir(outFile))
				}
			}
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			j, err := journal.Build(ctx, s, opts)
			if err != nil {
				return err
			}
			if outFile == "" {
				return j.Write(c.OutOrStdout(), f)
			}
			if err := atomicfile.Write(outFile, 0o600, func(w io.Writer) error { return j.Write(w, f) }); err != nil {
				return err
			}
			codes := make([]string, len(j.Currencies))
			for i, cur := range j.Currencies {
				codes[i] = cur.Code
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %d transactions (%s; %d client accounts; events up to position %d) to %s\n",
				len(j.Transactions), strings.Join(codes, ", "), len(j.Clients), j.Position, outFile)
			return nil
		},
	}
	storeFlags(c, env, &so)
	c.Flags().StringVar(&format, "format", string(journal.Hledger), "hledger or beancount")
	c.Flags().StringVar(&asOf, "as-of", "", "keep transactions dated on or before this date (YYYY-MM-DD)")
	c.Flags().StringVarP(&outFile, "output", "o", "", "write to this file instead of standard output")
	return c
}
