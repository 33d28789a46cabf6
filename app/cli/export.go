package cli

import "github.com/spf13/cobra"

// newExportCmd is `remit export`: documents for other programs, built from
// the event log (a plain-text journal for hledger or beancount; an invoice
// as a UBL e-invoice).
func newExportCmd(env Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "export",
		Short: "Export the books as a journal, or an invoice as an e-invoice",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newExportJournalCmd(env), newExportInvoiceCmd(env))
	return c
}
