package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// WebhookPath is where Remit takes the sandbox's webhook events: the same
// handler as Stripe's (stripe.Webhook), with the sandbox's secret.
const WebhookPath = "/api/webhooks/sandbox"

// WebhookSecret answers the secret the sandbox signs its webhook events
// with (whsec_…), made once and kept in payments-sandbox.db in the data
// folder, so every process on the folder signs and verifies alike.
func (g *Gateway) WebhookSecret(ctx context.Context) (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	if _, err := g.db.ExecContext(ctx, `INSERT INTO checkout_settings(name, value) VALUES ('webhook_secret', ?) ON CONFLICT DO NOTHING`,
		"whsec_"+hex.EncodeToString(b[:])); err != nil {
		return "", fmt.Errorf("sandbox gateway: webhook secret: %w", err)
	}
	var s string
	if err := g.db.QueryRowContext(ctx, `SELECT value FROM checkout_settings WHERE name = 'webhook_secret'`).Scan(&s); err != nil {
		return "", fmt.Errorf("sandbox gateway: webhook secret: %w", err)
	}
	return s, nil
}

// queue records a webhook event (Stripe's event envelope) to deliver; its
// id derives from the session and the type, so it is queued once.
func (g *Gateway) queue(ctx context.Context, tx queryer, typ, sessionID string, object map[string]any) error {
	ev := map[string]any{
		"id": "evt_sandbox_" + hash(24, typ, sessionID), "object": "event", "api_version": stripego.APIVersion,
		"created": g.opts.Now().Unix(), "type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkout_events(id, payload) VALUES (?, ?) ON CONFLICT DO NOTHING`, ev["id"], raw); err != nil {
		return fmt.Errorf("sandbox gateway: queue webhook: %w", err)
	}
	return nil
}

// WebhookEvent is a queued webhook event (for tests).
type WebhookEvent struct {
	ID        string
	Payload   []byte
	Delivered bool
	Attempts  int
}

// WebhookEvents answers every webhook event queued, oldest first.
func (g *Gateway) WebhookEvents(ctx context.Context) ([]WebhookEvent, error) {
	rows, err := g.db.QueryContext(ctx, `SELECT id, payload, delivered, attempts FROM checkout_events ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookEvent
	for rows.Next() {
		var e WebhookEvent
		if err := rows.Scan(&e.ID, &e.Payload, &e.Delivered, &e.Attempts); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeliverWebhooks makes one delivery pass: it queues the outcomes of bank
// debits that settled or were returned since the last pass (on the injected
// clock), then POSTs each due event, oldest first, to url, signed as Stripe
// signs (the Stripe-Signature header, timestamped with the real time so the
// receiver's tolerance check holds whatever the injected clock says). An
// event answered 2xx is done; any other answer or a network error is tried
// again on a later pass, backing off from one second to an hour. It answers
// how many events were delivered.
func (g *Gateway) DeliverWebhooks(ctx context.Context, url string, client *http.Client) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if err := g.settle(ctx); err != nil {
		return 0, err
	}
	secret, err := g.WebhookSecret(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := g.db.QueryContext(ctx, `SELECT seq, payload, attempts FROM checkout_events WHERE delivered = 0 AND next_at <= ? ORDER BY seq LIMIT 100`, time.Now().Unix())
	if err != nil {
		return 0, fmt.Errorf("sandbox gateway: %w", err)
	}
	type due struct {
		seq      int64
		payload  []byte
		attempts int
	}
	var todo []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.seq, &d.payload, &d.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range todo {
		ok := post(ctx, client, url, secret, d.payload)
		if ok {
			n++
			_, err = g.db.ExecContext(ctx, `UPDATE checkout_events SET delivered = 1, attempts = attempts + 1 WHERE seq = ?`, d.seq)
		} else {
			backoff := min(time.Second<<min(d.attempts, 12), time.Hour)
			_, err = g.db.ExecContext(ctx, `UPDATE checkout_events SET attempts = attempts + 1, next_at = ? WHERE seq = ?`, time.Now().Add(backoff).Unix(), d.seq)
		}
		if err != nil {
			return n, fmt.Errorf("sandbox gateway: %w", err)
		}
	}
	return n, nil
}

// post sends one signed event and reports whether it was answered 2xx.
func post(ctx context.Context, client *http.Client, url, secret string, payload []byte) bool {
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", signed.Header)
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks) remit-sandbox")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// StartWebhooks delivers the webhook events to url (Remit's WebhookPath on
// its own address) until ctx ends, a pass every interval (one second when
// zero). Several processes on one folder may each run it: an event may then
// arrive twice, as Stripe's may, and Remit records it once.
func (g *Gateway) StartWebhooks(ctx context.Context, url string, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if _, err := g.DeliverWebhooks(ctx, url, nil); err != nil && ctx.Err() == nil {
				log.Warn("sandbox gateway: webhook delivery", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
