package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"remit/processes/signeddoc"
)

// newAuditProposalCmd is remit audit proposal ID: a signed proposal's
// evidence, and whether its document, hash and stored PDF agree with the
// log (processes/signeddoc.Audit).
func newAuditProposalCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "proposal ID",
		Short: "Show a signed proposal's evidence and verify its document hash and stored signed PDF",
		Long: `Show each signature's evidence (typed name, email, time, IP address, user agent, the hash
of the document signed), then check that SHA-256 of the accepted document is the hash recorded,
that the last signature is of that document, that the PDF rendered again from the acceptance
equals the stored PDF (<data>/proposals/ID/signed.pdf) and that its SHA-256 and size are the ones
filed. For a client who was erased (remit client forget), it says so and checks that the
signed PDF is deleted. Exits 0 when everything is verified, 1 naming what does not match, 2 on bad usage.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return usageErr("ID must be a proposal id (a UUID), got %q", args[0])
			}
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := signeddoc.Audit(ctx, s, so.dir, id)
			if errors.Is(err, signeddoc.ErrNotSigned) {
				return usageErr("%v", err)
			}
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "proposal %s\n", id)
			for i, g := range rep.Signatures {
				fmt.Fprintf(out, "signature %d: %s <%s> at %s from %s (%s), document %s\n",
					i+1, g.SignedName, g.Email, g.At.UTC().Format(time.RFC3339), g.IP, g.UserAgent, g.DocumentHash)
			}
			if rep.Erased {
				fmt.Fprintln(out, "the client was erased: the evidence above reads as erased, and the signed PDF is deleted")
			} else {
				fmt.Fprintf(out, "document sha256: %s\n", rep.DocumentHash)
			}
			if rep.PDFSHA256 != "" {
				fmt.Fprintf(out, "signed pdf sha256: %s\n", rep.PDFSHA256)
			}
			var bad []string
			for _, ch := range rep.Checks {
				if ch.OK {
					fmt.Fprintf(out, "verified: %s\n", ch.What)
				} else {
					fmt.Fprintf(out, "MISMATCH: %s: %s\n", ch.What, ch.Why)
					bad = append(bad, ch.What)
				}
			}
			if len(bad) > 0 {
				return problemErr("%d check(s) failed: %s", len(bad), bad[0])
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	return c
}
