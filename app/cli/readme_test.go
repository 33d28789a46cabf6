package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"remit/domain/catalog"
	"remit/projections"
)

// repoRoot is the repository root, seen from this package's folder.
const repoRoot = "../.."

// readmeDocs are the pages whose commands and counts TestReadmeIsTrue
// checks: the README and every page of docs/.
func readmeDocs(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	for _, p := range append([]string{filepath.Join(repoRoot, "README.md")}, paths...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, p)
		pages[rel] = string(b)
	}
	return pages
}

var (
	codeSpan    = regexp.MustCompile("`([^`\n]+)`")
	commandWord = regexp.MustCompile(`^[a-z][a-z-]*$`)
	longFlag    = regexp.MustCompile(`(?:^|[\s\[])--([a-z][a-z-]*)`)
)

// TestReadmeIsTrue checks what the README and docs/ say against the code:
// every `remit …` command they name is a real command with the flags they
// give it; every top-level command is in the README; every count of things
// the code defines (event types, aggregates, projections, top-level folders)
// is the code's; and every folder and file the README's layout table names
// exists, and every top-level folder is in it.
func TestReadmeIsTrue(t *testing.T) {
	pages := readmeDocs(t)
	t.Run("Commands", func(t *testing.T) {
		root := newRoot(Env{Getenv: func(string) string { return "" }})
		for page, text := range pages {
			for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
				if span := m[1]; strings.HasPrefix(span, "remit ") {
					if err := checkCommand(root, span); err != nil {
						t.Errorf("%s: `%s`: %v", page, span, err)
					}
				}
			}
		}
		for _, c := range root.Commands() {
			named := regexp.MustCompile("`remit " + regexp.QuoteMeta(c.Name()) + "[` ]")
			if !c.Hidden && !named.MatchString(pages["README.md"]) {
				t.Errorf("README.md does not name the command remit %s", c.Name())
			}
		}
	})
	t.Run("Counts", func(t *testing.T) {
		checkCounts(t, pages)
	})
	t.Run("Layout", func(t *testing.T) {
		checkLayout(t, pages["README.md"])
	})
}

// checkCommand resolves the words of span after "remit" to a command: a
// word that is not a subcommand is an argument, allowed only where the
// command has no subcommands. Every long flag in span must be one of the
// command's.
func checkCommand(root *cobra.Command, span string) error {
	cmd := root
	for _, w := range strings.Fields(span)[1:] {
		if !commandWord.MatchString(w) {
			break
		}
		sub := subcommand(cmd, w)
		if sub == nil {
			if cmd.HasSubCommands() {
				return fmt.Errorf("%s has no subcommand %q", cmd.CommandPath(), w)
			}
			break
		}
		cmd = sub
	}
	if cmd == root {
		return fmt.Errorf("names no command")
	}
	for _, f := range longFlag.FindAllStringSubmatch(span, -1) {
		if cmd.Flags().Lookup(f[1]) == nil && cmd.InheritedFlags().Lookup(f[1]) == nil {
			return fmt.Errorf("%s has no flag --%s", cmd.CommandPath(), f[1])
		}
	}
	return nil
}

func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// numberWords are the counts written out in words.
var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
}

var countClaim = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen) (event types|aggregates|projections|read models|folders by role|top-level folders)\b`)

// checkCounts checks every count of a thing the code defines.
func checkCounts(t *testing.T, pages map[string]string) {
	t.Helper()
	folders, err := topLevelFolders()
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	actual := map[string]int{
		"event types":       len(cat.EventTypes()),
		"aggregates":        len(cat.Aggregates()),
		"projections":       len((&projections.Models{}).Specs()),
		"read models":       len((&projections.Models{}).Specs()),
		"folders by role":   len(folders),
		"top-level folders": len(folders),
	}
	checked := 0
	for page, text := range pages {
		for _, m := range countClaim.FindAllStringSubmatch(text, -1) {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				n = numberWords[strings.ToLower(m[1])]
			}
			if want := actual[strings.ToLower(m[2])]; n != want {
				t.Errorf("%s says %q: the code has %d %s", page, m[0], want, m[2])
			}
			checked++
		}
	}
	if checked < 4 {
		t.Errorf("found %d counts to check; the README gives at least the event types, aggregates, projections and folders", checked)
	}
}

// topLevelFolders lists the repository's top-level folders, leaving out
// hidden ones and those .gitignore names from the root (/remit-data/, /bin/:
// what running Remit or building it leaves behind).
func topLevelFolders() ([]string, error) {
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		return nil, err
	}
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".gitignore"))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	ignored := map[string]bool{}
	for line := range strings.SplitSeq(string(ignore), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "/"); ok {
			ignored[strings.TrimSuffix(name, "/")] = true
		}
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !ignored[e.Name()] {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// layoutPath is a folder or file a layout row names: a folder (with a
// slash), or a page or script.
var layoutPath = regexp.MustCompile(`^[a-z][\w-]*(/[\w-]+)*/$|^[a-z][\w-]*(/[\w-]+)+$|^[\w-]+\.(md|sh)$`)

// checkLayout checks the README's layout table: each row's folder exists,
// and so does every path its job names (relative to the row's folder or to
// the root); every top-level folder has a row.
func checkLayout(t *testing.T, readme string) {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]bool{}
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		folder := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if !exists(folder) {
			t.Errorf("the layout names %s, which does not exist", folder)
			continue
		}
		rows[strings.Split(folder, "/")[0]] = true
		for _, m := range codeSpan.FindAllStringSubmatch(cells[2], -1) {
			p := m[1]
			if !layoutPath.MatchString(p) {
				continue
			}
			if !exists(filepath.Join(folder, p)) && !exists(p) {
				t.Errorf("the layout's row %s names %s, which is neither %s nor a folder of the root", folder, p, filepath.Join(folder, p))
			}
		}
	}
	folders, err := topLevelFolders()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		if !rows[f] {
			t.Errorf("the layout table has no row for the folder %s/", f)
		}
	}
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	return err == nil
}
