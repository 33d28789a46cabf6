package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"remit/domain"
	"remit/formats/einvoice"
)

// newExportInvoiceCmd is `remit export invoice ID`.
func newExportInvoiceCmd(env Env) *cobra.Command {
	var so storeOpts
	var format, out, sellerEmail string
	c := &cobra.Command{
		Use:   "invoice ID",
		Short: "Write an invoice as a UBL 2.1 e-invoice (EN 16931, Peppol BIS 3.0)",
		Long: `Write an invoice as a UBL 2.1 Invoice, or a credit note as a UBL 2.1 CreditNote, following
EN 16931 as Peppol BIS Billing 3.0 uses it. ID is an invoice's id or number (INV-000042), or a
credit note's id or number (INV-000042-CN1: the invoice's number and the credit note's
sequence on it). The document goes to standard output, or to --output FILE.

Read-only: runs beside remit serve. docs/einvoice.md says where each field comes from.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "ubl" {
				return usageErr("--format %q: the only e-invoice format is ubl", format)
			}
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			ref, err := einvoice.Resolve(ctx, s, args[0])
			if err != nil {
				return domainUsage(err)
			}
			in, err := einvoice.Load(ctx, s, ref)
			if err != nil {
				return domainUsage(err)
			}
			in.SellerEmail = sellerEmail
			doc, err := einvoice.Marshal(in)
			if err != nil {
				return domainUsage(err)
			}
			if out == "" || out == "-" {
				_, err = c.OutOrStdout().Write(doc)
				return err
			}
			if err := os.WriteFile(out, doc, 0o600); err != nil {
				return usageErr("write %s: %v", out, err)
			}
			fmt.Fprintf(c.ErrOrStderr(), "wrote %s (%s) to %s\n", in.FileName(), kindOf(in), out)
			return nil
		},
	}
	storeFlags(c, env, &so)
	c.Flags().StringVar(&format, "format", "ubl", "document format: ubl (UBL 2.1, EN 16931 / Peppol BIS Billing 3.0)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	c.Flags().StringVar(&sellerEmail, "seller-email", env.Getenv("REMIT_MAIL_FROM"), "the firm's electronic address (Peppol scheme EM) (env REMIT_MAIL_FROM)")
	return c
}

func kindOf(in einvoice.Input) string {
	if in.CreditNote != nil {
		return "UBL CreditNote"
	}
	return "UBL Invoice"
}

// domainUsage turns a user-facing domain error (no such invoice, a void
// invoice, a firm setting missing) into bad usage with every message it
// carries; other errors pass as they are.
func domainUsage(err error) error {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		msgs := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			msgs[i] = p.Message
		}
		return usageErr("%s", strings.Join(msgs, "; "))
	}
	return asUserError(err)
}
