package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveProc is a running `remit serve` child process.
type serveProc struct {
	cmd *exec.Cmd
	url string
	out *bytes.Buffer
	mu  *sync.Mutex
}

// MustServe starts the built binary on a free port and waits for the URL it
// prints.
func MustServe(tb testing.TB, bin, dir string, extra ...string) serveProc {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(cmd.Environ(), "REMIT_DATA=", "REMIT_STORE=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	p := serveProc{cmd: cmd, out: &bytes.Buffer{}, mu: &sync.Mutex{}}
	cmd.Stderr = &lockedWriter{w: p.out, mu: p.mu}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.url = <-urls:
	case <-time.After(60 * time.Second):
		tb.Fatalf("remit serve printed no URL; stderr:\n%s", p.out.String())
	}
	return p
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// MustToken adds an owner to the store the args name and returns a write
// API token of theirs, through the CLI as an operator would.
func MustToken(tb testing.TB, bin string, storeArgs ...string) string {
	tb.Helper()
	// In a folder of their own: on KurrentDB the sign-in state is DATA/auth.db,
	// and without --data the default folder must not land in the repository.
	cwd := tb.TempDir()
	cmd := exec.Command(bin, append([]string{"user", "add", "owner@test.example", "--role", "owner"}, storeArgs...)...)
	cmd.Dir = cwd
	cmd.Env = append(cmd.Environ(), "REMIT_DATA=", "REMIT_STORE=", "REMIT_PASSWORD=correct horse battery staple")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("user add: %v\n%s", err, out)
	}
	cmd = exec.Command(bin, append([]string{"token", "create", "--user", "owner@test.example", "--scope", "write"}, storeArgs...)...)
	cmd.Dir = cwd
	cmd.Env = append(cmd.Environ(), "REMIT_DATA=", "REMIT_STORE=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("token create: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// authGet fetches url with the bearer token.
func authGet(tb testing.TB, url, token string) (*http.Response, error) {
	tb.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return http.DefaultClient.Do(req)
}

func post(tb testing.TB, url, token string, body any) (int, map[string]any) {
	tb.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestServeShutsDownGracefully: clients are created over HTTP while the
// server gets SIGTERM; every request that was answered 201 is in the log
// after a restart, the chain verifies and the read models reconcile.
func TestServeShutsDownGracefully(t *testing.T) {
	bin := MustBuild(t)
	dir := filepath.Join(t.TempDir(), "data")
	token := MustToken(t, bin, "--data", dir)
	p := MustServe(t, bin, dir)
	if code, body := post(t, p.url+"/api/firm", token, map[string]any{
		"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney",
	}); code/100 != 2 {
		t.Fatalf("set up firm: %d %v", code, body)
	}

	var mu sync.Mutex
	var created []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("Client %d-%d", w, i)
				code, _ := post(t, p.url+"/api/clients", token, map[string]any{
					"name": name, "kind": "business",
					"contacts": []map[string]any{{"name": "Jo", "email": "jo@example.com"}},
				})
				if code == http.StatusCreated {
					mu.Lock()
					created = append(created, name)
					mu.Unlock()
				}
				if code == 0 { // the server has gone
					return
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // let requests pile up before the signal
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	werr := p.cmd.Wait()
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", werr, p.out.String())
	}
	if len(created) == 0 {
		t.Fatal("no client was created before the shutdown")
	}

	// Nothing answered 201 was lost.
	if code, out := runBin(t, bin, "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("verify after shutdown: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "reconcile", "--data", dir); code != 0 {
		t.Fatalf("reconcile after shutdown: exit %d\n%s", code, out)
	}
	p2 := MustServe(t, bin, dir)
	resp, err := authGet(t, p2.url+"/api/clients?limit=500", token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, name := range created {
		if !strings.Contains(string(raw), name) {
			t.Errorf("client %q was answered 201 before the shutdown but is gone after the restart", name)
		}
	}
	t.Logf("%d clients created before SIGTERM, all present after restart", len(created))
}
