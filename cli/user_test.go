package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/cli"
	"remit/pii"
)

func runEnv(env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

func TestUserAndTokenCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"REMIT_DATA": dir, "REMIT_PASSWORD": "a long enough password"}
	if code, out, errOut := runEnv(env, "user", "add", "Owner@Firm.example", "--role", "owner"); code != cli.ExitOK || !strings.Contains(out, "owner@firm.example") || strings.Contains(out, "Password") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runEnv(env, "user", "add", "owner@firm.example", "--role", "staff"); code != cli.ExitUsage || !strings.Contains(errOut, "already") {
		t.Errorf("adding the same email again: %d %q", code, errOut)
	}
	if code, _, errOut := runEnv(env, "user", "add", "x@firm.example", "--role", "root"); code != cli.ExitUsage {
		t.Errorf("a bad role: %d %q", code, errOut)
	}
	code, out, errOut := runEnv(map[string]string{"REMIT_DATA": dir}, "user", "add", "aud@firm.example", "--role", "auditor")
	if code != cli.ExitOK || !strings.Contains(out, "Password (shown once): ") {
		t.Errorf("user add without REMIT_PASSWORD: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runEnv(env, "token", "create", "--user", "aud@firm.example", "--scope", "read", "--name", "reconcile")
	tok := regexp.MustCompile(`remit_[0-9a-f]{32}_\S+`).FindString(out)
	if code != cli.ExitOK || tok == "" {
		t.Fatalf("token create: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runEnv(env, "token", "create", "--user", "aud@firm.example", "--scope", "write"); code != cli.ExitUsage {
		t.Errorf("a write token for an auditor: %d %q", code, errOut)
	}
	raw, _ := uuid.Parse(tok[6:38])
	if code, out, errOut := runEnv(env, "token", "revoke", raw.String()); code != cli.ExitOK || !strings.Contains(out, "Revoked") {
		t.Errorf("token revoke: %d %q %q", code, out, errOut)
	}
	if code, _, _ := runEnv(env, "token", "revoke", uuid.NewString()); code != cli.ExitUsage {
		t.Errorf("revoking an unknown token: %d", code)
	}
	if code, out, _ := runEnv(env, "user", "list"); code != cli.ExitOK || strings.Count(out, "\n") != 2 {
		t.Errorf("user list: %d %q", code, out)
	}
}

func TestClientForget(t *testing.T) {
	dir := t.TempDir()
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	s := pii.NewSealer(keys)
	if _, err := s.Seal("ClientContactAdded", []byte(`{"client_id":"`+id.String()+`","contact":{"name":"Ana"}}`)); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runEnv(map[string]string{"REMIT_DATA": dir}, "client", "forget", id.String()); code != cli.ExitOK || !strings.Contains(out, "forgotten") {
		t.Fatalf("client forget: %d %q %q", code, out, errOut)
	}
	if !keys.Forgotten(id) {
		t.Error("the client is not forgotten")
	}
	if _, err := os.Stat(filepath.Join(dir, pii.KeyDir, id.String()+".key")); !os.IsNotExist(err) {
		t.Errorf("the key file is still there: %v", err)
	}
	if code, _, _ := runEnv(map[string]string{"REMIT_DATA": dir}, "client", "forget", "nope"); code != cli.ExitUsage {
		t.Errorf("forget with a bad id: %d", code)
	}
}
