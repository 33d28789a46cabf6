package xero

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"remit/integrations/accounting"
)

// maxBody bounds what is read of one answer.
const maxBody = 16 << 20

// call sends one request to the Accounting API and decodes a 2xx answer
// into out. A 401 refreshes the token once and asks again; any other
// failure becomes a *accounting.Error. idemKey, when not "", is sent as the
// Idempotency-Key header.
func (l *Ledger) call(ctx context.Context, method, path string, query url.Values, body any, idemKey string, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("xero: encode %s %s: %w", method, path, err)
		}
	}
	u := l.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	refreshed := false
	for {
		tok, err := l.accessToken(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("xero: %s %s: %w", method, path, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("xero-tenant-id", l.tenantID)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		resp, err := l.http.Do(req)
		if err != nil {
			return &accounting.Error{Temporary: true, Message: "could not reach Xero: " + err.Error()}
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return &accounting.Error{Temporary: true, Status: resp.StatusCode, Message: "reading Xero's answer: " + err.Error()}
		}
		if resp.StatusCode == http.StatusUnauthorized && !refreshed {
			refreshed = true
			if _, err := l.tokenRefused(ctx, tok); err != nil {
				return err
			}
			continue
		}
		if resp.StatusCode/100 == 2 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return &accounting.Error{Status: resp.StatusCode, Message: fmt.Sprintf("Xero's answer to %s %s is not what its spec describes: %v", method, path, err)}
			}
			return nil
		}
		return statusError(resp, data, l.now())
	}
}

// statusError turns a failed answer into a *accounting.Error: rate limits and
// server faults are temporary, the rest permanent, with Xero's own words.
func statusError(resp *http.Response, data []byte, now time.Time) error {
	code := resp.StatusCode
	e := &accounting.Error{Status: code, Message: xeroMessage(data)}
	switch {
	case code == http.StatusTooManyRequests:
		e.Temporary = true
		e.RetryAfter = retryAfter(resp.Header, now)
		limit := resp.Header.Get("X-Rate-Limit-Problem") // minute, day or concurrent
		if limit == "" {
			limit = "a"
		}
		e.Message = fmt.Sprintf("Xero's %s rate limit was reached; will retry", limit)
	case code >= 500:
		e.Temporary = true
		e.RetryAfter = retryAfter(resp.Header, now)
		if e.Message == "" {
			e.Message = "Xero is unavailable (" + http.StatusText(code) + "); will retry"
		}
	case code == http.StatusUnauthorized:
		e.Message = "Xero refused the connection's access token even after a refresh: connect Xero again (" + e.Message + ")"
	case code == http.StatusForbidden:
		e.Message = "Xero refused access to the organisation (is the tenant id right, and still connected?): " + e.Message
	}
	if e.Message == "" {
		e.Message = http.StatusText(code)
	}
	return e
}

// xeroMessage extracts the reason from Xero's error document: its
// validation messages when there are any, else its message.
func xeroMessage(data []byte) string {
	var x xError
	if json.Unmarshal(data, &x) != nil {
		s := strings.TrimSpace(string(data))
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		return s
	}
	var msgs []string
	seen := map[string]bool{}
	for _, el := range x.Elements {
		for _, v := range el.ValidationErrors {
			if v.Message != "" && !seen[v.Message] {
				seen[v.Message] = true
				msgs = append(msgs, v.Message)
			}
		}
	}
	switch {
	case len(msgs) > 0:
		return strings.Join(msgs, "; ")
	case x.Message != "":
		return x.Message
	case x.Detail != "":
		return x.Detail
	default:
		return x.Title
	}
}

// retryAfter reads Retry-After, in seconds or as an HTTP date; 0 when
// absent.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// idempotencyKey names one request: what it does, Remit's id, and a digest
// of the body. Xero answers a repeated key with its first answer; the
// digest makes a corrected request (a fixed account mapping after a 400) a
// new key instead of a replay of the old refusal, while the lookup by
// Reference still keeps the document single.
func idempotencyKey(kind, id string, body any) string {
	b, _ := json.Marshal(body)
	sum := sha256.Sum256(b)
	return "remit-" + kind + "-" + id + "-" + hex.EncodeToString(sum[:8])
}
