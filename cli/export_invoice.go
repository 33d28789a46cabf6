package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newExportInvoiceCmd is `remit export invoice ID`.
func newExportInvoiceCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "invoice ID",
		Short: "Write an invoice as a UBL 2.1 e-invoice (EN 16931, Peppol BIS 3.0)",
		Args:  cobra.ExactArgs(1),
		RunE:  func(*cobra.Command, []string) error { return errors.New("not built yet") },
	}
}
