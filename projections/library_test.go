package projections

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/library"
	"remit/projections/rmdb"
)

// TestLibrary builds the services library read model on SQLite and
// PostgreSQL: services by name, search, archived ones apart, each whole as
// last changed, and the library stream's revision as the highest of theirs.
func TestLibrary(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		l := newClientsLog(t, db, newLibrary(db, 1))
		m := &Models{db: db, Library: newLibrary(db, 0)}
		at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever}
		svc := func(name, price, desc string) library.Service {
			return library.Service{ServiceID: id("library/" + name), Name: name, Description: desc, UnitPrice: decimal.RequireFromString(price),
				Quantity: decimal.NewFromInt(1), BillingRule: rule, TaxRate: decimal.NewFromInt(10)}
		}
		if rev, err := m.LibraryRevision(ctx); err != nil || rev != 0 {
			t.Fatalf("revision of an empty library = %d, %v", rev, err)
		}
		payroll, book, advice := svc("payroll", "25", "per employee"), svc("Bookkeeping", "450", "monthly reports"), svc("advisory hour", "220", "")
		l.add(library.StreamName(),
			library.LibraryServiceAdded{Service: payroll, At: at},
			library.LibraryServiceAdded{Service: book, At: at},
			library.LibraryServiceAdded{Service: advice, At: at})
		book2 := book
		book2.UnitPrice, book2.RevenueAccount, book2.Terms = decimal.RequireFromString("495"), "4000", "Monthly.\n\nTerms."
		l.add(library.StreamName(),
			library.LibraryServiceChanged{Service: book2, Changed: []string{"unit_price", "revenue_account", "terms"}, At: at.Add(time.Hour)},
			library.LibraryServiceArchived{ServiceID: payroll.ServiceID, At: at.Add(2 * time.Hour)})

		names := func(f LibraryFilter) []string {
			t.Helper()
			vs, err := m.LibraryServices(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range vs {
				out = append(out, v.Name)
			}
			return out
		}
		if got := names(LibraryFilter{}); len(got) != 2 || got[0] != "advisory hour" || got[1] != "Bookkeeping" {
			t.Errorf("active = %v, want advisory hour, Bookkeeping (by name, ignoring case)", got)
		}
		if got := names(LibraryFilter{Status: "archived"}); len(got) != 1 || got[0] != "payroll" {
			t.Errorf("archived = %v", got)
		}
		if got := names(LibraryFilter{Status: "all", Search: "EMPLOY"}); len(got) != 1 || got[0] != "payroll" {
			t.Errorf("search of descriptions = %v", got)
		}
		v, err := m.LibraryService(ctx, book.ServiceID)
		if err != nil || !v.UnitPrice.Equal(decimal.RequireFromString("495")) || v.RevenueAccount != "4000" || v.Terms != "Monthly.\n\nTerms." ||
			!v.ChangedAt.Equal(at.Add(time.Hour)) || v.Revision != 3 {
			t.Errorf("changed service = %+v, %v", v, err)
		}
		if rev, err := m.LibraryRevision(ctx); err != nil || rev != 4 {
			t.Errorf("library revision = %d, %v; want 4", rev, err)
		}
		l.add(library.StreamName(), library.LibraryServiceRestored{ServiceID: payroll.ServiceID, At: at.Add(3 * time.Hour)})
		if got := names(LibraryFilter{}); len(got) != 3 {
			t.Errorf("active after restoring = %v", got)
		}
		if _, err := m.LibraryService(ctx, id("library/none")); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("unknown service: %v", err)
		}
	})
}
