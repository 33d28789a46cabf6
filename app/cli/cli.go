// Package cli is the remit command: its subcommands, their flags and exit
// codes. main only hands it the arguments and the process environment, so
// tests run the real program in-process.
//
// Exit codes: 0 success; 1 a check found a problem (a broken hash chain, a
// failed reconciliation); 2 bad usage or bad input.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version is Remit's version; release builds set it with
// -ldflags "-X remit/app/cli.Version=…".
var Version = "0.1.0-dev"

// Exit codes.
const (
	ExitOK      = 0
	ExitProblem = 1
	ExitUsage   = 2
)

// Env is what the program gets from its process: output streams and the
// environment (read here, never below cmd/ and app/cli/).
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// exitError carries an exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

func problemErr(format string, args ...any) error {
	return &exitError{code: ExitProblem, err: fmt.Errorf(format, args...)}
}

// Main runs the remit command with args (without the program name) and
// returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	root := newRoot(env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		fmt.Fprintln(env.Stderr, "remit:", ee.err)
		return ee.code
	}
	// Anything cobra itself refused (unknown command or flag, wrong
	// arguments) is bad usage.
	fmt.Fprintln(env.Stderr, "remit:", err)
	return ExitUsage
}

func newRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "remit",
		Short:         "Remit: an event-sourced client-billing ledger",
		Long:          "Remit turns agreed services into billing schedules, issues invoices, collects payments\nand keeps every change as an event in an append-only, hash-chained log.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr("%v (see %s --help)", err, c.CommandPath()) })
	root.AddCommand(newVersionCmd(), newInfoCmd(env), newAuditCmd(env), newReplayCmd(env), newReconcileCmd(env), newImportCmd(env), newMigrateCmd(env), newServeCmd(env), newDemoCmd(env), newBillCmd(env), newUserCmd(env), newTokenCmd(env), newClientCmd(env), newExportCmd(env))
	root.AddCommand(newLedgerCmd(env), newProjectionsCmd(env), newPayoutsCmd(env), newProposalsCmd(env), newDunningCmd(env))
	root.AddCommand(newBackupCmd(env), newRestoreCmd(env))
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Remit's version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						rev = " " + s.Value[:12]
					}
				}
			}
			fmt.Fprintf(c.OutOrStdout(), "remit %s%s (%s %s/%s)\n", Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// asUsage turns errors a user can fix by changing the command (a folder in
// use, a bad address) into usage errors.
func asUsage(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	msg := err.Error()
	for _, s := range []string{"locked by another Remit process", "open for writing by another Remit process", "listen on", "unknown store"} {
		if strings.Contains(msg, s) {
			return usageErr("%v", err)
		}
	}
	return nil
}
