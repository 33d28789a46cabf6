package test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestForgetClientThroughTheBinary: a client created over the API is
// forgotten with `remit client forget`; the chain still verifies, the log
// never held the personal fields in the clear, and after a restart the API
// shows them erased while the invoice amounts stay.
func TestForgetClientThroughTheBinary(t *testing.T) {
	bin := MustBuild(t)
	dir := filepath.Join(t.TempDir(), "data")
	token := MustToken(t, bin, "--data", dir)
	p := MustServe(t, bin, dir)
	if code, body := post(t, p.url+"/api/firm", token, map[string]any{"name": "Ledger & Co", "base_currency": "AUD", "time_zone": "Australia/Sydney"}); code != http.StatusCreated {
		t.Fatalf("firm: %d %v", code, body)
	}
	code, body := post(t, p.url+"/api/clients", token, map[string]any{
		"name": "Zebulon Quartermaine", "kind": "individual", "tax_number": "98 765 432 109",
		"contacts": []map[string]any{{"name": "Zebulon Quartermaine", "email": "zebulon@quartermaine.example", "phone": "0400 111 222"}},
	})
	if code != http.StatusCreated {
		t.Fatalf("client: %d %v", code, body)
	}
	id := body["id"].(string)
	if code, body := post(t, p.url+"/api/invoices", token, map[string]any{"client_id": id,
		"lines": []map[string]any{{"description": "Tax return", "quantity": "1", "unit_price": "500", "tax_rate": "10"}}}); code != http.StatusCreated {
		t.Fatalf("invoice: %d %v", code, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()

	raw, err := os.ReadFile(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, "events.db-wal"))
	for _, secret := range []string{"Quartermaine", "zebulon@quartermaine.example", "0400 111 222", "98 765 432 109"} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
			t.Errorf("the log holds %q in the clear", secret)
		}
	}
	if code, out := runBin(t, bin, "client", "forget", id, "--data", dir); code != 0 {
		t.Fatalf("forget: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("verify after forget: exit %d\n%s", code, out)
	}
	p2 := MustServe(t, bin, dir)
	resp, err := authGet(t, p2.url+"/api/clients/"+id, token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(got), "Quartermaine") || !strings.Contains(string(got), "[erased]") {
		t.Fatalf("client after forget:\n%s", got)
	}
	var summary map[string]any
	json.Unmarshal(got, &summary)
	if !strings.Contains(string(got), "550.00") {
		t.Errorf("the amounts owed should survive erasure:\n%s", got)
	}
}
