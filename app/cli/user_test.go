package cli_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/app/cli"
	"remit/billing"
	"remit/domain/client"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/storeurl"
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
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: st, Now: time.Now, NewID: uuid.New})
	if _, err := svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, billing.Meta{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.CreateClient(ctx, billing.ClientRequest{Name: "Quokka Bakery", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Ana", Email: "ana@quokka.example"}}}, billing.Meta{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	st.Close()

	env := map[string]string{"REMIT_DATA": dir}
	if code, out, errOut := runEnv(env, "client", "forget", id.String()); code != cli.ExitOK || !strings.Contains(out, "forgotten") {
		t.Fatalf("client forget: %d %q %q", code, out, errOut)
	}
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if gone, err := keys.Forgotten(id); err != nil || !gone {
		t.Errorf("the client is not forgotten (%v)", err)
	}
	if key, err := keys.Key(id, false); key != nil || !errors.Is(err, pii.ErrForgotten) {
		t.Errorf("the key is still there: %d bytes, %v", len(key), err)
	}
	keys.Close()
	st, err = storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.ReadStream(ctx, client.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1]; last.Type != "ClientErased" || strings.Contains(string(recs[0].Data), "Quokka") || last.Metadata.Actor != "cli" {
		t.Errorf("after forget the client stream ends with %s by %q; created reads %s", last.Type, last.Metadata.Actor, recs[0].Data)
	}
	st.Close()
	if code, _, _ := runEnv(env, "client", "forget", "nope"); code != cli.ExitUsage {
		t.Errorf("forget with a bad id: %d", code)
	}
	if code, _, _ := runEnv(env, "client", "forget", uuid.NewString()); code != cli.ExitUsage {
		t.Errorf("forget of an unknown client: %d", code)
	}
}

func TestUserRoleAndDeactivate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"REMIT_DATA": dir, "REMIT_PASSWORD": "a long enough password"}
	for _, u := range [][]string{{"boss@firm.example", "owner"}, {"sam@firm.example", "staff"}} {
		if code, _, errOut := runEnv(env, "user", "add", u[0], "--role", u[1]); code != cli.ExitOK {
			t.Fatalf("user add %s: %d %q", u[0], code, errOut)
		}
	}
	if code, _, errOut := runEnv(env, "user", "deactivate", "boss@firm.example"); code != cli.ExitUsage || !strings.Contains(errOut, "owner") {
		t.Errorf("deactivating the last owner: %d %q", code, errOut)
	}
	if code, _, errOut := runEnv(env, "user", "role", "boss@firm.example", "staff"); code != cli.ExitUsage {
		t.Errorf("demoting the last owner: %d %q", code, errOut)
	}
	if code, _, errOut := runEnv(env, "user", "role", "nobody@firm.example", "staff"); code != cli.ExitUsage || !strings.Contains(errOut, "nobody@firm.example") {
		t.Errorf("an unknown user: %d %q", code, errOut)
	}
	if code, _, errOut := runEnv(env, "user", "role", "sam@firm.example", "root"); code != cli.ExitUsage {
		t.Errorf("a bad role: %d %q", code, errOut)
	}
	if code, out, errOut := runEnv(env, "user", "role", "Sam@Firm.example", "owner"); code != cli.ExitOK || !strings.Contains(out, "now owner") {
		t.Fatalf("promoting: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runEnv(env, "user", "deactivate", "boss@firm.example", "--reason", "left"); code != cli.ExitOK || !strings.Contains(out, "deactivated") {
		t.Fatalf("deactivating a second owner: %d %q %q", code, out, errOut)
	}
	_, out, _ := runEnv(env, "user", "list")
	if !strings.Contains(out, "boss@firm.example\towner\tdisabled") || !strings.Contains(out, "sam@firm.example\towner\tactive") {
		t.Errorf("user list after the changes:\n%s", out)
	}
}
