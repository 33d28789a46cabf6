package importer_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"remit/billing"
	"remit/domain/client"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/formats/importer"

	"github.com/google/uuid"
)

type fixture struct {
	store *sqlite.Store
	svc   *billing.Service
}

func newFixture(tb testing.TB) fixture {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	now := func() time.Time { return time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC) }
	svc := billing.New(billing.Config{Store: st, Now: now, NewID: uuid.New})
	if _, err := svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
	}, billing.Meta{Actor: "test", CommandID: "firm"}); err != nil {
		tb.Fatal(err)
	}
	return fixture{store: st, svc: svc}
}

func (f fixture) head(tb testing.TB) uint64 {
	tb.Helper()
	h, err := f.store.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func mustParse(tb testing.TB, csv string) importer.File {
	tb.Helper()
	f, err := importer.Parse(strings.NewReader(csv))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return f
}

func clientsIn(tb testing.TB, st eventstore.Store) map[string]client.ClientCreated {
	tb.Helper()
	recs, err := st.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"ClientCreated"}})
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]client.ClientCreated{}
	for _, r := range recs {
		e, err := client.DecodeEvent(r.Type, r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		c := e.(client.ClientCreated)
		out[c.Name] = c
	}
	return out
}

func TestImportXeroExport(t *testing.T) {
	f := newFixture(t)
	raw, err := os.ReadFile("testdata/xero-contacts.csv")
	if err != nil {
		t.Fatal(err)
	}
	file := mustParse(t, string(raw))
	out, err := importer.Import(context.Background(), f.svc, file, importer.Options{Actor: "import-test"})
	if err != nil {
		t.Fatalf("import: %v (problems %v)", err, out.Problems)
	}
	if out.Imported != 3 || out.Existing != 0 {
		t.Fatalf("outcome %+v", out)
	}
	got := clientsIn(t, f.store)
	acme := got["Acme Plumbing Pty Ltd"]
	if acme.Kind != client.KindBusiness || acme.TaxNumber == "" || acme.Address.Country != "AU" || acme.Address.Line2 != "Unit 4" {
		t.Errorf("Acme = %+v", acme)
	}
	if acme.PaymentTermsDays == nil || *acme.PaymentTermsDays != 14 {
		t.Errorf("Acme terms = %v", acme.PaymentTermsDays)
	}
	if len(acme.Contacts) != 2 || acme.Contacts[0].Email != "accounts@acmeplumbing.example" || acme.Contacts[1].Name != "Sam Lee" {
		t.Errorf("Acme contacts = %+v", acme.Contacts)
	}
	if acme.PrimaryContactID != acme.Contacts[0].ID {
		t.Errorf("primary contact is not the billing contact")
	}
	if mary := got["Mary Smith"]; mary.Kind != client.KindIndividual {
		t.Errorf("Mary = %+v, want an individual", mary)
	}
	if kiwi := got["Kiwi Design Ltd"]; kiwi.Address.Country != "NZ" {
		t.Errorf("Kiwi country = %q", kiwi.Address.Country)
	}

	// The same file again creates nothing.
	head := f.head(t)
	again, err := importer.Import(context.Background(), f.svc, mustParse(t, string(raw)), importer.Options{})
	if err != nil || again.Imported != 0 || again.Existing != 3 {
		t.Fatalf("re-import = %+v, %v", again, err)
	}
	if h := f.head(t); h != head {
		t.Fatalf("re-import appended: head %d -> %d", head, h)
	}
}

const badCSV = `ContactName,EmailAddress,POCountry,DueDateSalesDay,DueDateSalesTerm
Good Co,ok@good.example,AU,,
,nobody@x.example,AU,,
Bad Email Co,not-an-email,AU,,
Bad Country Co,x@y.example,Atlantis,,
Bad Terms Co,x@y.example,AU,-3,
Good Co,dup@good.example,AU,,
Odd Terms Co,x@y.example,AU,5,OFFOLLOWINGMONTH
`

func TestInvalidRowsImportNothing(t *testing.T) {
	f := newFixture(t)
	head := f.head(t)
	out, err := importer.Import(context.Background(), f.svc, mustParse(t, badCSV), importer.Options{})
	if !errors.Is(err, importer.ErrInvalidRows) {
		t.Fatalf("err = %v, want ErrInvalidRows", err)
	}
	if h := f.head(t); h != head {
		t.Fatalf("an invalid file appended: head %d -> %d", head, h)
	}
	want := map[string]string{ // "row/column" → part of the message
		"3/ContactName":      "",
		"4/EmailAddress":     "",
		"5/POCountry":        "Atlantis",
		"6/DueDateSalesDay":  "-3",
		"7/ContactName":      "row 2",
		"8/DueDateSalesTerm": "OFFOLLOWINGMONTH",
	}
	got := map[string]string{}
	for _, p := range out.Problems {
		got[strconv.Itoa(p.Line)+"/"+p.Column] = p.Message
	}
	for k, frag := range want {
		msg, ok := got[k]
		if !ok {
			t.Errorf("no problem reported at row/column %s; got %v", k, out.Problems)
			continue
		}
		if !strings.Contains(msg, frag) {
			t.Errorf("%s: message %q does not mention %q", k, msg, frag)
		}
	}
	if _, ok := got["2/ContactName"]; ok {
		t.Errorf("the first Good Co row was reported: %v", out.Problems)
	}

	// With SkipInvalid the valid row is imported and the rest reported.
	out, err = importer.Import(context.Background(), f.svc, mustParse(t, badCSV), importer.Options{SkipInvalid: true})
	if err != nil || out.Imported != 1 || out.Skipped != 6 {
		t.Fatalf("skip-invalid = %+v, %v", out, err)
	}
	if _, ok := clientsIn(t, f.store)["Good Co"]; !ok {
		t.Fatal("Good Co was not imported")
	}
}

func TestParseRefusesWhatIsNotAContactsExport(t *testing.T) {
	for name, in := range map[string]string{
		"Empty":       "",
		"NoName":      "Email,Phone\nx@y.example,1\n",
		"BrokenQuote": "ContactName\n\"Acme\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := importer.Parse(strings.NewReader(in)); err == nil {
				t.Fatal("parsed without error")
			}
		})
	}
}
