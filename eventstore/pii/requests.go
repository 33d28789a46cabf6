package pii

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// RequestEventType is the type of the web layer's idempotency records (the
// one event of each "request-" stream): the request's fingerprint and the
// response it got, kept so a retry with the same Idempotency-Key gets the
// same answer. Responses carry what the read models showed — a client's
// name, contacts, address — so they are sealed too.
const RequestEventType = "APIRequestCompleted"

// DefaultRequestRetention is how long idempotency records stay readable:
// the key of each day's records is destroyed this many days later. A retry
// older than that is treated as a new request (as Stripe does after 24 h);
// commands keep deterministic event ids, so one that was applied appends
// nothing again.
const DefaultRequestRetention = 7

// requestPrefix starts a sealed request record: "pii:req:v1:" + day + ":" +
// base64(nonce ‖ ciphertext).
const requestPrefix = "pii:req:v1:"

const dayLayout = "2006-01-02"

// sealedRequest is the shape of a sealed request record: every field but
// method and path (which name the route, not a person) moves into Sealed.
type sealedRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Sealed string `json:"sealed"`
}

// expiredRequest is how a record reads once its day key is gone or past
// the retention: the web layer treats the request as never seen.
type expiredRequest struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Expired bool   `json:"expired"`
}

// requestSweeper drops day keys past the retention, at most once a day.
type requestSweeper struct {
	mu      sync.Mutex
	swept   string // the day of the last sweep
	lastErr error
	// keys caches the day keys read so far (a replay opens many records
	// of one day); a day past the retention is refused before the cache is
	// asked, and dropped from it at the sweep.
	keys map[string][]byte
}

// requestKey returns the day's key, through the cache.
func (s *Sealer) requestKey(day string, create bool) ([]byte, error) {
	s.sweeper.mu.Lock()
	k, ok := s.sweeper.keys[day]
	s.sweeper.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := s.keys.RequestKey(day, create)
	if err != nil || k == nil {
		return k, err
	}
	s.sweeper.mu.Lock()
	if s.sweeper.keys == nil {
		s.sweeper.keys = map[string][]byte{}
	}
	s.sweeper.keys[day] = k
	s.sweeper.mu.Unlock()
	return k, nil
}

func (s *Sealer) today() time.Time { return s.now().UTC() }

// oldestDay is the first day whose request records are still readable.
func (s *Sealer) oldestDay() string {
	return s.today().AddDate(0, 0, -(s.retention - 1)).Format(dayLayout)
}

// sweep destroys the day keys older than the retention, once per day.
func (s *Sealer) sweep() {
	today := s.today().Format(dayLayout)
	s.sweeper.mu.Lock()
	defer s.sweeper.mu.Unlock()
	if s.sweeper.swept == today {
		return
	}
	oldest := s.oldestDay()
	for d := range s.sweeper.keys {
		if d < oldest {
			delete(s.sweeper.keys, d)
		}
	}
	s.sweeper.lastErr = s.keys.DropRequestKeysBefore(oldest)
	if s.sweeper.lastErr == nil {
		s.sweeper.swept = today
	}
}

// SweepRequestKeys destroys the day keys of idempotency records past the
// retention now (Append also does, once a day).
func (s *Sealer) SweepRequestKeys() error {
	s.sweeper.mu.Lock()
	s.sweeper.swept = ""
	s.sweeper.mu.Unlock()
	s.sweep()
	s.sweeper.mu.Lock()
	defer s.sweeper.mu.Unlock()
	return s.sweeper.lastErr
}

func (s *Sealer) sealRequest(data []byte) ([]byte, error) {
	s.sweep()
	var head struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("pii: %s: %w", RequestEventType, err)
	}
	day := s.today().Format(dayLayout)
	key, err := s.requestKey(day, true)
	if err != nil {
		return nil, err
	}
	sealed, err := sealValue(key, requestAAD(day), string(data))
	if err != nil {
		return nil, err
	}
	return json.Marshal(sealedRequest{Method: head.Method, Path: head.Path,
		Sealed: requestPrefix + day + ":" + strings.TrimPrefix(sealed, sealedPrefix)})
}

func (s *Sealer) openRequest(data []byte) ([]byte, error) {
	if !bytes.Contains(data, []byte(requestPrefix)) {
		return data, nil
	}
	var rec sealedRequest
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("pii: %s: %w", RequestEventType, err)
	}
	rest, ok := strings.CutPrefix(rec.Sealed, requestPrefix)
	day, body, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return nil, fmt.Errorf("pii: %s: a sealed record is damaged", RequestEventType)
	}
	expired := func() ([]byte, error) {
		return json.Marshal(expiredRequest{Method: rec.Method, Path: rec.Path, Expired: true})
	}
	if day < s.oldestDay() {
		return expired()
	}
	key, err := s.requestKey(day, false)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return expired()
	}
	plain, err := openValue(key, requestAAD(day), sealedPrefix+body)
	if err != nil {
		return nil, fmt.Errorf("pii: %s: %w", RequestEventType, err)
	}
	return []byte(plain), nil
}

func requestAAD(day string) []byte { return []byte("requests\x00" + day) }
