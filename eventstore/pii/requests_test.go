package pii_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/eventstore/pii"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRequestRecordsAreSealedAndExpire checks that an idempotency record
// is stored without its fingerprint and response in clear, opens again
// within the retention, and reads as expired — its day key destroyed —
// after it.
func TestRequestRecordsAreSealedAndExpire(t *testing.T) {
	dir := t.TempDir()
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: now}
	s := pii.NewSealerWith(keys, pii.SealerOptions{Now: clock.Now, RequestRetention: 7})
	plain := `{"method":"POST","path":"/api/clients","fingerprint":"abc123","response":{"status":201,"body":{"name":"Harbour Cafe","email":"ana@harbour.example"}}}`
	sealed, err := s.Seal(pii.RequestEventType, []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Harbour", "ana@harbour.example", "abc123", "201"} {
		if strings.Contains(string(sealed), secret) {
			t.Errorf("the sealed record shows %q: %s", secret, sealed)
		}
	}
	if !strings.Contains(string(sealed), `"path":"/api/clients"`) {
		t.Errorf("the sealed record lost its route: %s", sealed)
	}
	keyFile := filepath.Join(dir, pii.KeyDir, "requests-"+now.Format("2006-01-02")+".key")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("no day key: %v", err)
	}
	// Six days later it still opens.
	clock.Add(6 * 24 * time.Hour)
	if got, err := s.Open(pii.RequestEventType, sealed); err != nil || string(got) != plain {
		t.Fatalf("open within the retention = %s, %v", got, err)
	}
	// A record of another day cannot pass for this one.
	tampered := strings.Replace(string(sealed), now.Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02"), 1)
	if got, err := s.Open(pii.RequestEventType, []byte(tampered)); err == nil && strings.Contains(string(got), "Harbour") {
		t.Error("a record moved to another day opened")
	}
	// After the retention it reads as expired, and the next record sealed
	// destroys the old day's key.
	clock.Add(2 * 24 * time.Hour)
	got, err := s.Open(pii.RequestEventType, sealed)
	if err != nil || !strings.Contains(string(got), `"expired":true`) || strings.Contains(string(got), "Harbour") {
		t.Fatalf("open after the retention = %s, %v", got, err)
	}
	if _, err := s.Seal(pii.RequestEventType, []byte(plain)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("the expired day key is still there: %v", err)
	}
	// Even a sealer with a longer retention cannot open it now: the key is gone.
	long := pii.NewSealerWith(keys, pii.SealerOptions{Now: clock.Now, RequestRetention: 30})
	if got, err := long.Open(pii.RequestEventType, sealed); err != nil || !strings.Contains(string(got), `"expired":true`) {
		t.Errorf("open without the key = %s, %v", got, err)
	}
	// Plain records (written before sealing) read as they are.
	if got, err := s.Open(pii.RequestEventType, []byte(plain)); err != nil || string(got) != plain {
		t.Errorf("open of a plain record = %s, %v", got, err)
	}
}
