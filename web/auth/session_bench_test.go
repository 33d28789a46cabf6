package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/web/auth"
)

func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSessionCheck is the hot path: Authenticate of a request with a
// session cookie, as every signed-in page view and form post does. With
// the sign-in state in a database (auth.db, or PostgreSQL) it is one
// indexed read (the last use is written at most once a minute).
func BenchmarkSessionCheck(b *testing.B) {
	for name, cfg := range sessionBenchConfigs(b) {
		b.Run(name, func(b *testing.B) {
			s := mustStore(b)
			cfg.Store, cfg.BcryptCost = s, bcrypt.MinCost
			a, err := auth.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { a.Close() })
			ctx := context.Background()
			if _, err := a.AddUser(ctx, auth.NewUser{Email: "ana@harbour.example", Name: "Ana", Role: user.RoleStaff, Password: "correct horse battery staple"}, "cli"); err != nil {
				b.Fatal(err)
			}
			sess, err := a.Login(ctx, "ana@harbour.example", "correct horse battery staple", "192.0.2.1:1")
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/clients", nil)
			r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: sess.ID})
			b.ReportAllocs()
			// CPU time of this process per check: the machine is shared, so
			// wall time per op says little on its own (PostgreSQL's own
			// work is in another process and not counted).
			cpu0 := cpuTime(b)
			for b.Loop() {
				if _, err := a.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
