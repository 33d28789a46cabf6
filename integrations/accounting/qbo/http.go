package qbo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"remit/integrations/accounting"
)

// fault is QBO's error body: {"Fault":{"Error":[{"Message","Detail","code"}],"type"}}.
// encoding/json matches names case-insensitively, which also reads the
// lower-case "fault"/"error" shape QBO's authentication layer answers with.
type fault struct {
	Fault *struct {
		Error []struct {
			Message string `json:"Message"`
			Detail  string `json:"Detail"`
			Code    string `json:"code"`
			Element string `json:"element"`
		} `json:"Error"`
		Type string `json:"type"`
	} `json:"Fault"`
}

// apiError is a failed call: the *accounting.Error the caller sees, plus QBO's
// error codes so the adapter can react to a few (5010 stale SyncToken, 6240
// duplicate name).
type apiError struct {
	err   *accounting.Error
	codes []string
}

func (e *apiError) Error() string { return e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

// hasCode reports whether err is a QBO fault with the given error code.
func hasCode(err error, code string) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		for _, c := range ae.codes {
			if c == code {
				return true
			}
		}
	}
	return false
}

// permanent is an error of Remit's own making (a missing mapping, a total
// QBO disagrees with): asking again cannot help until someone fixes it.
func permanent(format string, args ...any) error {
	return &accounting.Error{Message: fmt.Sprintf(format, args...)}
}

// requestID is the value of QBO's requestid parameter for a create: Remit's
// id of the thing, plus a digest of the body. An identical retry (after a
// timeout, a 5xx, a crash) repeats the requestid, so QBO answers the first
// response instead of creating again; a body corrected after a rejection
// (a mapping fixed) gets a fresh one, so QBO cannot replay the old rejection.
// The lookup before every create covers the rest. QBO allows 50 characters.
func requestID(key string, body []byte) string {
	sum := sha256.Sum256(body)
	return key + "-" + hex.EncodeToString(sum[:4])
}

// call makes one API request: path is below /v3/company/{realm}; query gets
// minorversion; body (when not nil) is sent as JSON; the JSON answer is
// decoded into out. A 401 refreshes the access token and asks once more.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body []byte, out any) error {
	if query == nil {
		query = url.Values{}
	}
	query.Set("minorversion", strconv.Itoa(c.minor))
	u := c.base + "/v3/company/" + url.PathEscape(c.realm) + path + "?" + query.Encode()
	tok, err := c.tokens.access(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return fmt.Errorf("qbo: %s %s: %w", method, path, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("qbo: %s %s: %w", method, path, ctx.Err())
			}
			return &accounting.Error{Temporary: true, Message: "QuickBooks Online unreachable: " + err.Error()}
		}
		data, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if rerr != nil {
			return &accounting.Error{Temporary: true, Status: resp.StatusCode, Message: "QuickBooks Online answer cut short: " + rerr.Error()}
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			if tok, err = c.tokens.refresh(ctx, tok); err != nil {
				return err
			}
			continue
		}
		return decodeAnswer(resp, data, out)
	}
}

func decodeAnswer(resp *http.Response, data []byte, out any) error {
	st := resp.StatusCode
	var f fault
	_ = json.Unmarshal(data, &f)
	switch {
	case st == http.StatusTooManyRequests:
		return &accounting.Error{Temporary: true, Status: st, RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
			Message: "QuickBooks Online rate limit reached, will retry"}
	case st >= 500:
		return &accounting.Error{Temporary: true, Status: st, RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
			Message: "QuickBooks Online is unavailable (" + http.StatusText(st) + "), will retry" + faultSuffix(f)}
	case st == http.StatusUnauthorized:
		return &apiError{err: &accounting.Error{Status: st, Message: "QuickBooks Online refused the access token even after a refresh: connect QuickBooks again" + faultSuffix(f)}, codes: f.codes()}
	case st >= 300 || f.Fault != nil:
		if st < 300 {
			st = http.StatusBadRequest // QBO sometimes reports a fault with 200
		}
		msg := f.message()
		if msg == "" {
			msg = strings.TrimSpace(string(data))
			if len(msg) > 300 {
				msg = msg[:300]
			}
			msg = http.StatusText(st) + ": " + msg
		}
		return &apiError{err: &accounting.Error{Status: st, Message: msg}, codes: f.codes()}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return permanent("QuickBooks Online answered something unreadable: %v", err)
	}
	return nil
}

func (f fault) codes() []string {
	if f.Fault == nil {
		return nil
	}
	var cs []string
	for _, e := range f.Fault.Error {
		cs = append(cs, e.Code)
	}
	return cs
}

// message joins QBO's errors as "Message: Detail (code N)".
func (f fault) message() string {
	if f.Fault == nil {
		return ""
	}
	var parts []string
	for _, e := range f.Fault.Error {
		m := e.Message
		if e.Detail != "" && e.Detail != e.Message {
			if m != "" {
				m += ": "
			}
			m += e.Detail
		}
		if e.Code != "" {
			m += " (code " + e.Code + ")"
		}
		parts = append(parts, m)
	}
	return strings.Join(parts, "; ")
}

func faultSuffix(f fault) string {
	if m := f.message(); m != "" {
		return ": " + m
	}
	return ""
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
