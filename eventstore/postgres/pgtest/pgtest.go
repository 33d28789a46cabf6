// Package pgtest gives tests an empty PostgreSQL database of their own on
// the server the project machine runs (127.0.0.1:5432, trust auth), or on
// REMIT_TEST_POSTGRES_URL; without a reachable server the test is skipped
// with a message.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tests need a PostgreSQL server. They try REMIT_TEST_POSTGRES_URL, then
// the local server as role postgres and as role root (trust auth), each with
// database test; each test creates and drops its own database.
var findServer = sync.OnceValues(func() (string, error) {
	candidates := []string{
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"postgres://root@127.0.0.1:5432/test?sslmode=disable",
	}
	if u := os.Getenv("REMIT_TEST_POSTGRES_URL"); u != "" {
		candidates = []string{u}
	}
	var errs []error
	for _, u := range candidates {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c, err := pgx.Connect(ctx, u)
		cancel()
		if err == nil {
			c.Close(context.Background())
			return u, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
})

// MustDatabase creates an empty database with a random name and returns its
// connection string; the database is dropped when the test ends. Without a
// reachable server the test is skipped.
func MustDatabase(tb testing.TB) string {
	tb.Helper()
	admin, err := findServer()
	if err != nil {
		tb.Skipf("no PostgreSQL server reachable (set REMIT_TEST_POSTGRES_URL, or run one on 127.0.0.1:5432): %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "remit_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect %s: %v", admin, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
