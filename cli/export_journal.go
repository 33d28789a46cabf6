package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newExportJournalCmd is `remit export journal`.
func newExportJournalCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "journal",
		Short: "Write the books as a double-entry journal (hledger, beancount)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return errors.New("not built yet") },
	}
}
