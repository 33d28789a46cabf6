package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"remit/billing"
)

// TestLogsCarryTheRequestID: in JSON, every line logged with a request's
// context names its request id once, so all a request caused can be found
// from the X-Request-Id of its answer.
func TestLogsCarryTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(&buf, "json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := billing.WithRequestID(context.Background(), "req-0123456789")
	log.ErrorContext(ctx, "request failed", "err", "boom")
	log.InfoContext(ctx, "http request", "request_id", "req-0123456789")
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"req-0123456789", "req-0123456789", ""} {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, lines[i])
		}
		got, _ := m["request_id"].(string)
		if got != want {
			t.Errorf("line %d: request_id %q, want %q", i, got, want)
		}
		if strings.Count(lines[i], `"request_id"`) > 1 {
			t.Errorf("line %d names its request id twice: %s", i, lines[i])
		}
	}
	if _, err := newLogger(&buf, "yaml"); err == nil {
		t.Error("--log-format yaml was accepted")
	}
}
