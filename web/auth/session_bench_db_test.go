package auth_test

import (
	"context"
	"testing"

	"remit/eventstore/postgres/pgtest"
	"remit/web/auth"
	"remit/web/auth/authdb"
)

// sessionBenchConfigs are the sign-in states BenchmarkSessionCheck runs
// on: a private in-memory database, DATA/auth.db, and PostgreSQL.
func sessionBenchConfigs(b *testing.B) map[string]auth.Config {
	file, err := authdb.OpenSQLite(b.TempDir(), authdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { file.Close() })
	cfgs := map[string]auth.Config{"memory": {}, "sqlite": {DB: file}}
	pg, err := authdb.OpenPostgres(context.Background(), pgtest.MustDatabase(b), authdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pg.Close() })
	cfgs["postgres"] = auth.Config{DB: pg}
	return cfgs
}
