package projections

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"remit/domain/client"
)

func TestModelsRequestStreamsAreIgnored(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	requestEvent := func(n int) {
		e.MustAppendRaw(fmt.Sprintf("request-%064x", n), "APIRequestCompleted", `{"method":"POST","path":"/api/clients","response":{"status":201}}`)
	}
	requestEvent(1)
	e.MustAppendRaw("gadget-"+id("gadget/1").String(), "GadgetInvented", `{"x":1}`)
	e.MustAppend(client.StreamName(beta), "", client.ClientCreated{ClientID: beta, Name: "Beta Bakery", Currency: aud})
	m, r := e.mustLiveModels(RunnerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	requestEvent(2)
	e.MustAppendRaw("gadget-"+id("gadget/2").String(), "GadgetInvented", `{"x":2}`)
	last := e.MustAppend(client.StreamName(zeta), "", client.ClientCreated{ClientID: zeta, Name: "Zeta Zinc", Currency: aud})
	if err := r.WaitFor(waitCtx(t), last); err != nil {
		t.Fatal(err)
	}
	for _, c := range []uuidName{{beta, "Beta Bakery"}, {zeta, "Zeta Zinc"}} {
		if s, err := m.Summary(t.Context(), c.id, today); err != nil || s.Name != c.name {
			t.Errorf("summary of %s: %q, %v", c.name, s.Name, err)
		}
	}
	if r.Skipped() != 2 || r.Ignored() != 2 {
		t.Errorf("skipped %d, ignored %d; want 2 unknown events skipped and 2 request events ignored", r.Skipped(), r.Ignored())
	}
	out := logs.String()
	if n := strings.Count(out, "GadgetInvented"); n != 2 {
		t.Errorf("%d warnings about the unknown events, want 2:\n%s", n, out)
	}
	if strings.Contains(out, "request-") || strings.Contains(out, "APIRequestCompleted") {
		t.Errorf("request events were warned about:\n%s", out)
	}
	for name, c := range r.Checkpoints() {
		if c != last {
			t.Errorf("%s at %d, want %d", name, c, last)
		}
	}
}

type uuidName struct {
	id   [16]byte
	name string
}
