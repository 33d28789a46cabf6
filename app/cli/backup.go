package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"remit/eventstore/pii"
	"remit/eventstore/sqlite"
	"remit/eventstore/storeurl"
	"remit/internal/fsperm"

	"github.com/mattn/go-sqlite3"
	"github.com/spf13/cobra"
)

// backupDB copies the SQLite database src into dst (a new file, 0600) with
// SQLite's online backup API: all pages in one step, under one read
// transaction of src (Step(-1); stepping page by page would restart on
// every write to src, never finishing under load), so the copy is the database as of one commit while
// writers go on appending (the store's WAL lets them).
func backupDB(ctx context.Context, dst, src string) error {
	if err := fsperm.SQLite(dst); err != nil {
		return err
	}
	d := &sqlite3.SQLiteDriver{}
	sc, err := d.Open("file:" + src + "?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer sc.Close()
	dc, err := d.Open("file:" + dst + "?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("open %s: %w", dst, err)
	}
	defer dc.Close()
	b, err := dc.(*sqlite3.SQLiteConn).Backup("main", sc.(*sqlite3.SQLiteConn), "main")
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	done, err := b.Step(-1)
	if ferr := b.Finish(); err == nil {
		err = ferr
	}
	if err == nil && !done {
		err = errors.New("the backup did not complete")
	}
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	// A backup is one self-contained file: the store turns WAL back on
	// when it opens a restored copy.
	if _, err := dc.(*sqlite3.SQLiteConn).Exec(`PRAGMA journal_mode = DELETE`, nil); err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fsperm.SQLite(dst)
}

// emptyDir makes dir (0700) and refuses one that holds anything.
func emptyDir(dir, what string) error {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(ents) > 0 {
		return usageErr("%s %s is not empty: refusing to write into it", what, dir)
	}
	return fsperm.Dir(dir)
}

// copyKeys copies the personal-data keys of the folder from into the folder
// to (0700, files 0600): the key database (pii.KeysFile) with the backup
// API, as of one commit while remit serve goes on making keys, and any
// other file as it is (temporary files, named with a leading dot, and files
// gone since the listing are skipped); a missing from has none.
func copyKeys(ctx context.Context, from, to string) (int, error) {
	ents, err := os.ReadDir(from)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := fsperm.Dir(to); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, pii.KeysFile+"-") { // its -wal, -shm: in the copy
			continue
		}
		if name == pii.KeysFile {
			if err := backupDB(ctx, filepath.Join(to, name), filepath.Join(from, name)); err != nil {
				return n, err
			}
			n++
			continue
		}
		if strings.HasPrefix(name, ".") { // a temporary file being written: not a key yet
			continue
		}
		if err := copyFile(filepath.Join(to, name), filepath.Join(from, name)); errors.Is(err, fs.ErrNotExist) {
			continue // gone since the listing (an older Remit's key file moved into the table)
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fsperm.FileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return fsperm.File(dst)
}

// verifyFolder walks the chain of the embedded store in dir.
func verifyFolder(ctx context.Context, dir string) (sqlite.VerifyReport, error) {
	s, err := sqlite.Open(dir, sqlite.Options{ReadOnly: true})
	if err != nil {
		return sqlite.VerifyReport{}, usageErr("no Remit store in %s: %v", dir, err)
	}
	defer s.Close()
	rep, err := s.Verify(ctx)
	if err != nil {
		return rep, problemErr("the store in %s is broken: %v", dir, err)
	}
	return rep, nil
}

// copyStore copies a data folder's store (and, when asked and present, its
// read models) from one folder into another with the backup API, then its
// keys, and verifies the copy's chain.
func copyStore(ctx context.Context, out io.Writer, fromDir, toDir, keysFrom, keysTo string, readModels bool) (sqlite.VerifyReport, error) {
	if err := backupDB(ctx, filepath.Join(toDir, sqlite.FileName), filepath.Join(fromDir, sqlite.FileName)); err != nil {
		return sqlite.VerifyReport{}, err
	}
	rm := filepath.Join(fromDir, storeurl.ReadModelsFile)
	if _, err := os.Stat(rm); readModels && err == nil {
		if err := backupDB(ctx, filepath.Join(toDir, storeurl.ReadModelsFile), rm); err != nil {
			return sqlite.VerifyReport{}, err
		}
		fmt.Fprintf(out, "read models: copied %s\n", storeurl.ReadModelsFile)
	}
	// The keys are copied after the log: every client in the copied log
	// had its key made before its events were appended.
	if keysFrom != "" {
		n, err := copyKeys(ctx, keysFrom, keysTo)
		if err != nil {
			return sqlite.VerifyReport{}, fmt.Errorf("copy the personal-data keys: %w", err)
		}
		fmt.Fprintf(out, "keys: copied %d files into %s\n", n, keysTo)
	}
	return verifyFolder(ctx, toDir)
}

func newBackupCmd(env Env) *cobra.Command {
	var so storeOpts
	var readModels bool
	c := &cobra.Command{
		Use:   "backup DEST",
		Short: "Take a consistent online backup of the embedded store into the empty folder DEST, and verify its chain",
		Long: `Copy the embedded store (DATA/events.db) into the new or empty folder DEST with SQLite's
online backup API: a consistent copy as of one commit, taken while remit serve goes on
appending. The personal-data keys in DATA/keys are copied into DEST/keys after it (keys kept
elsewhere with --keys are not: back that folder up on its own, and keep the two apart).
--read-models copies DATA/readmodels.db too (it can be rebuilt from the log, so it is optional).
The copy's hash chain is verified and its head printed; every file is 0600, folders 0700.
Bring a backup back with remit restore. Exits 0 when done, 1 when the copy does not
verify, 2 on bad usage. PostgreSQL and KurrentDB are backed up with their own tools
(docs/operations.md).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if so.url != "" {
				return usageErr("remit backup copies the embedded store; back up PostgreSQL with pg_dump or PITR and KurrentDB with its own backup (docs/operations.md)")
			}
			dest := args[0]
			if inside(dest, so.dir) {
				return usageErr("the backup folder %s is inside the data folder %s", dest, so.dir)
			}
			if _, err := os.Stat(filepath.Join(so.dir, sqlite.FileName)); err != nil {
				return usageErr("no Remit store in %s (looked for %s)", so.dir, sqlite.FileName)
			}
			if err := emptyDir(dest, "the backup folder"); err != nil {
				return err
			}
			keysFrom, keysTo := "", ""
			if so.keys == "" {
				keysFrom, keysTo = filepath.Join(so.dir, pii.KeyDir), filepath.Join(dest, pii.KeyDir)
			}
			out := c.OutOrStdout()
			rep, err := copyStore(c.Context(), out, so.dir, dest, keysFrom, keysTo, readModels)
			if err != nil {
				return err
			}
			if so.keys != "" {
				fmt.Fprintf(out, "keys: not copied: back up %s on its own\n", so.keys)
			}
			fmt.Fprintf(out, "backed up and verified %d events into %s\nhead: %d:%s\n", rep.Events, dest, rep.Head, rep.HeadHash)
			return nil
		},
	}
	storeFlags(c, env, &so)
	c.Flags().BoolVar(&readModels, "read-models", false, "copy the read models (readmodels.db) too; they can be rebuilt from the log")
	return c
}

func newRestoreCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "restore SRC --data DIR",
		Short: "Bring a backup of remit backup back into an empty data folder, verifying its chain first",
		Long: `Verify the hash chain of the backup in SRC, then copy it (events.db, readmodels.db when
the backup has one, and the keys in SRC/keys into DIR/keys or the --keys folder) into the
new or empty data folder DIR, and verify the copy. A non-empty DIR is refused: restore never
overwrites a store. Check the restored log against your anchors afterwards with
remit audit verify --data DIR --anchors FILE. Exits 0 when done, 1 when the backup does
not verify, 2 on bad usage.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if so.url != "" {
				return usageErr("remit restore brings back the embedded store; restore PostgreSQL or KurrentDB with their own tools (docs/operations.md)")
			}
			if !c.Flags().Changed("data") && env.Getenv("REMIT_DATA") == "" {
				return usageErr("say where to restore with --data DIR")
			}
			src := args[0]
			ctx := c.Context()
			if _, err := verifyFolder(ctx, src); err != nil {
				return err
			}
			if err := emptyDir(so.dir, "the data folder"); err != nil {
				return err
			}
			keysTo := filepath.Join(so.dir, pii.KeyDir)
			if so.keys != "" {
				keysTo = so.keys
				if err := emptyDir(keysTo, "the keys folder"); err != nil {
					return err
				}
			}
			rep, err := copyStore(ctx, c.OutOrStdout(), src, so.dir, filepath.Join(src, pii.KeyDir), keysTo, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "restored and verified %d events into %s\nhead: %d:%s\n", rep.Events, so.dir, rep.Head, rep.HeadHash)
			return nil
		},
	}
	storeFlags(c, env, &so)
	return c
}
