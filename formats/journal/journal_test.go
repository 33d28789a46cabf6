package journal_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/eventstore/pii"
	"remit/formats/journal"
)

// TestHledgerStrictAndBalancesEqualOutstanding: the hledger export passes
// Debian's hledger `check --strict ordereddates` (and its default checks,
// balancing with no conversion), and `hledger balance assets:receivable`
// gives, per client and currency, exactly the outstanding amount the read
// models show.
func TestHledgerStrictAndBalancesEqualOutstanding(t *testing.T) {
	need(t, "hledger")
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	path := MustWrite(t, j, journal.Hledger)
	if out, ok := run(t, "hledger", "-f", path, "check", "--strict", "ordereddates"); !ok {
		t.Fatalf("hledger check --strict ordereddates failed:\n%s", out)
	}

	got := hledgerBalances(t, path)
	m := MustModels(t, w.store)
	accounts := map[uuid.UUID]string{}
	for _, c := range j.Clients {
		accounts[c.ClientID] = strings.ToLower(c.Account)
	}
	compared, nonZero := 0, 0
	for _, id := range []uuid.UUID{w.usd, w.jpy, w.twin, w.erased} {
		if accounts[id] == "" {
			t.Errorf("client %s has no receivable account", id)
		}
	}
	for id, acct := range accounts {
		sum, err := m.Summary(context.Background(), id, today)
		if err != nil {
			t.Fatalf("summary of %s: %v", id, err)
		}
		want := map[string]decimal.Decimal{}
		for _, o := range sum.Outstanding {
			if !o.IsZero() {
				want[o.Currency.Code] = o.Amount
			}
		}
		have := map[string]decimal.Decimal{}
		for code, a := range got[acct] {
			if !a.IsZero() {
				have[code] = a
			}
		}
		for code := range merge(want, have) {
			compared++
			if !want[code].Equal(have[code]) {
				t.Errorf("%s (%s) %s: hledger says %s, Remit shows %s outstanding", sum.Name, acct, code, have[code], want[code])
			}
			if !want[code].IsZero() {
				nonZero++
			}
		}
	}
	if nonZero < 4 {
		t.Errorf("only %d client balances were non-zero: the world should owe in several currencies", nonZero)
	}
	t.Logf("%d transactions, %d client accounts, %d balances compared (%d non-zero)", len(j.Transactions), len(j.Clients), compared, nonZero)

	// The balances we can work out by hand.
	wantHand := map[uuid.UUID]string{
		w.usd:    "USD 516.14", // 899.47 − 200 − 150 − 33.33; the voided invoice nets to zero
		w.jpy:    "JPY 85803",  // 135803 − 50000
		w.twin:   "AUD 400.00", // 440 − 40
		w.erased: "AUD 1020.00",
	}
	for id, want := range wantHand {
		code, amt, _ := strings.Cut(want, " ")
		if a := got[accounts[id]][code]; !a.Equal(decimal.RequireFromString(amt)) {
			t.Errorf("%s: hledger balance %s %s, want %s", accounts[id], a, code, want)
		}
	}
}

func merge(a, b map[string]decimal.Decimal) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestBeancountPassesBeanCheck: the beancount export is accepted by
// bean-check, and a tampered amount is refused by it.
func TestBeancountPassesBeanCheck(t *testing.T) {
	need(t, "bean-check")
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	path := MustWrite(t, j, journal.Beancount)
	if out, ok := run(t, "bean-check", path); !ok {
		t.Fatalf("bean-check failed:\n%s", out)
	}
	text, _ := os.ReadFile(path)
	for _, want := range []string{`option "operating_currency" "AUD"`, `option "operating_currency" "USD"`, `option "operating_currency" "JPY"`, " open Assets:Receivable:Kiwi-Exports-Ltd-", " open Assets:Receivable:Erased-"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("the beancount file lacks %q", want)
		}
	}
	tampered := regexp.MustCompile(`(?m)^(  Income:Revenue +-)(\d)`).ReplaceAll(text, []byte("${1}9$2"))
	if bytes.Equal(tampered, text) {
		t.Fatal("found no revenue posting to tamper with")
	}
	bad := path + ".tampered.beancount"
	os.WriteFile(bad, tampered, 0o644)
	if out, ok := run(t, "bean-check", bad); ok {
		t.Errorf("bean-check accepted a journal with a tampered amount:\n%s", out)
	}
}

// TestHledgerRefusesATamperedFile: the real hledger refuses the export once
// one posting's amount is changed (every posting carries its amount, so none
// can absorb the change).
func TestHledgerRefusesATamperedFile(t *testing.T) {
	need(t, "hledger")
	w := MustWorld(t)
	path := MustWrite(t, MustBuild(t, w.store, journal.Options{}), journal.Hledger)
	text, _ := os.ReadFile(path)
	tampered := regexp.MustCompile(`(?m)^(    income:revenue +-)(\d)`).ReplaceAll(text, []byte("${1}9$2"))
	os.WriteFile(path, tampered, 0o644)
	if out, ok := run(t, "hledger", "-f", path, "check"); ok || !strings.Contains(out, "balance") {
		t.Errorf("hledger check of a tampered journal: ok=%v\n%s", ok, out)
	}
}

// TestReconcileAgrees: Reconcile finds no difference between the journal and
// the read models, whether it replays them itself or is given them.
func TestReconcileAgrees(t *testing.T) {
	w := MustWorld(t)
	ctx := context.Background()
	diffs, err := journal.Reconcile(ctx, w.store, nil)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("Reconcile: %v, differences:\n%s", err, strings.Join(diffs, "\n"))
	}
	diffs, err = journal.Reconcile(ctx, w.store, MustModels(t, w.store))
	if err != nil || len(diffs) != 0 {
		t.Fatalf("Reconcile with models: %v, differences:\n%s", err, strings.Join(diffs, "\n"))
	}
}

// TestReconcileCatchesATamperedJournal: a journal whose amount was changed
// no longer balances, and the client's receivable no longer equals what
// Remit shows; Check says both, naming the client, currency and figures.
func TestReconcileCatchesATamperedJournal(t *testing.T) {
	w := MustWorld(t)
	m := MustModels(t, w.store)
	j := MustBuild(t, w.store, journal.Options{})
	if diffs := MustCheck(t, j, m); len(diffs) != 0 {
		t.Fatalf("the untouched journal differs:\n%s", strings.Join(diffs, "\n"))
	}
	i := slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool {
		return tx.InvoiceID == w.multiRate && tx.EventType == "InvoicePaymentRecorded"
	})
	if i < 0 {
		t.Fatal("no transaction for the offline payment")
	}
	tx := &j.Transactions[i]
	k := slices.IndexFunc(tx.Postings, func(p journal.Posting) bool { return p.ClientID == w.usd })
	tx.Postings[k].Amount = tx.Postings[k].Amount.Add(decimal.RequireFromString("0.01")) // 1 cent less received
	diffs := MustCheck(t, j, m)
	if len(diffs) != 2 {
		t.Fatalf("want 2 differences (unbalanced, receivable), got:\n%s", strings.Join(diffs, "\n"))
	}
	if !strings.Contains(diffs[0], "does not balance") || !strings.Contains(diffs[0], "USD 0.01") || !strings.Contains(diffs[0], tx.EventID.String()) {
		t.Errorf("unbalanced transaction reported as %q", diffs[0])
	}
	if want := "client Kiwi Exports Ltd (" + w.usd.String() + ") USD: the journal's receivable is 516.15 but Remit shows 516.14 outstanding"; diffs[1] != want {
		t.Errorf("difference\n got %q\nwant %q", diffs[1], want)
	}

	// A transaction dropped (a payment lost on the way) balances, but the
	// receivable is off.
	j = MustBuild(t, w.store, journal.Options{})
	j.Transactions = slices.DeleteFunc(j.Transactions, func(tx journal.Transaction) bool {
		return tx.InvoiceID == w.yen && tx.EventType == "InvoicePaymentRecorded"
	})
	diffs = MustCheck(t, j, m)
	if len(diffs) != 1 || !strings.Contains(diffs[0], "JPY: the journal's receivable is 135803 but Remit shows 85803 outstanding") {
		t.Errorf("a lost payment reported as:\n%s", strings.Join(diffs, "\n"))
	}
}

// TestOneTransactionPerEventKind checks the postings of each kind of event
// against amounts worked out by hand.
func TestOneTransactionPerEventKind(t *testing.T) {
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	acct := map[uuid.UUID]string{}
	for _, c := range j.Clients {
		acct[c.ClientID] = c.Account
	}
	find := func(inv uuid.UUID, typ string) journal.Transaction {
		t.Helper()
		for _, tx := range j.Transactions {
			if tx.InvoiceID == inv && tx.EventType == typ {
				return tx
			}
		}
		t.Fatalf("no %s transaction for invoice %s", typ, inv)
		return journal.Transaction{}
	}
	postings := func(tx journal.Transaction) []string {
		var out []string
		for _, p := range tx.Postings {
			out = append(out, p.Account+" "+p.Amount.StringFixed(p.Currency.MinorUnits)+" "+p.Currency.Code)
		}
		return out
	}
	usd := acct[w.usd]
	// 3 × 133.33 − 12.5 % = 349.99 + 35.00 tax; 250.00 zero-rated;
	// 2.5 × 99.99 − 20 = 229.98 (229.975 rounded half away) + 34.50 tax.
	cases := []struct {
		name string
		inv  uuid.UUID
		typ  string
		want []string
		desc string
	}{
		{"issued", w.multiRate, "InvoiceIssued", []string{usd + " 899.47 USD", "Income:Revenue -829.97 USD", "Liabilities:Tax-Payable -69.50 USD"}, "invoice issued"},
		{"collected", w.multiRate, "InvoicePaymentSucceeded", []string{"Assets:Clearing:Gateway 200.00 USD", usd + " -200.00 USD"}, "payment collected"},
		{"received", w.multiRate, "InvoicePaymentRecorded", []string{"Assets:Bank 150.00 USD", usd + " -150.00 USD"}, "payment received (bank transfer)"},
		// 33.33 × 69.50 / 899.47 = 2.58 tax.
		{"credit note", w.multiRate, "InvoiceCreditNoteIssued", []string{"Income:Revenue 30.75 USD", "Liabilities:Tax-Payable 2.58 USD", usd + " -33.33 USD"}, "credit note"},
		// 99.99 + 15.00 tax; 10.01 credited (1.31 tax); the void reverses the rest.
		{"void", w.creditedThenVoided, "InvoiceVoided", []string{"Income:Revenue 91.29 USD", "Liabilities:Tax-Payable 13.69 USD", usd + " -104.98 USD"}, "invoice voided"},
		{"cash, no minor units", w.yen, "InvoicePaymentRecorded", []string{"Assets:Cash 50000 JPY", acct[w.jpy] + " -50000 JPY"}, "payment received (cash)"},
		{"yen issued", w.yen, "InvoiceIssued", []string{acct[w.jpy] + " 135803 JPY", "Income:Revenue -123457 JPY", "Liabilities:Tax-Payable -12346 JPY"}, "invoice issued"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := find(c.inv, c.typ)
			if got := postings(tx); !slices.Equal(got, c.want) {
				t.Errorf("postings\n got %q\nwant %q", got, c.want)
			}
			if tx.Narration != c.desc || tx.InvoiceNumber == "" || tx.EventID == uuid.Nil || tx.ClientID == uuid.Nil {
				t.Errorf("transaction %+v", tx)
			}
		})
	}
	// A write-off, from the demo.
	i := slices.IndexFunc(j.Transactions, func(tx journal.Transaction) bool { return tx.EventType == "InvoiceWrittenOff" })
	if i < 0 {
		t.Fatal("the demo's write-off is not in the journal")
	}
	wo := j.Transactions[i]
	if len(wo.Postings) != 2 || wo.Postings[0].Account != journal.AccountBadDebts || !wo.Postings[0].Amount.IsPositive() ||
		!wo.Postings[1].Amount.Equal(wo.Postings[0].Amount.Neg()) || wo.Postings[1].ClientID != wo.ClientID {
		t.Errorf("write-off postings %+v", wo.Postings)
	}
	// The credited-then-voided invoice leaves nothing on the books.
	var rev, tax, rec decimal.Decimal
	for _, tx := range j.Transactions {
		if tx.InvoiceID != w.creditedThenVoided {
			continue
		}
		for _, p := range tx.Postings {
			switch p.Account {
			case journal.AccountRevenue:
				rev = rev.Add(p.Amount)
			case journal.AccountTaxPayable:
				tax = tax.Add(p.Amount)
			default:
				rec = rec.Add(p.Amount)
			}
		}
	}
	if !rev.IsZero() || !tax.IsZero() || !rec.IsZero() {
		t.Errorf("after credit and void the invoice still has revenue %s, tax %s, receivable %s", rev, tax, rec)
	}
}

// TestTraceableAndDated: every transaction carries its event and invoice,
// the hledger text has them as tags, and transactions are in date order.
func TestTraceableAndDated(t *testing.T) {
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	var b bytes.Buffer
	j.Write(&b, journal.Hledger)
	text := b.String()
	seen := map[uuid.UUID]bool{}
	for i, tx := range j.Transactions {
		if seen[tx.EventID] {
			t.Errorf("event %s has two transactions", tx.EventID)
		}
		seen[tx.EventID] = true
		if i > 0 && tx.Date.Before(j.Transactions[i-1].Date) {
			t.Errorf("transaction %d (%s) is dated before the one above it", i, tx.Date)
		}
		tag := "; event:" + tx.EventID.String() + ", type:" + tx.EventType + ", invoice:" + tx.InvoiceID.String() + ", number:" + tx.InvoiceNumber
		if tx.PayoutID != uuid.Nil {
			tag = "; event:" + tx.EventID.String() + ", type:" + tx.EventType + ", payout:" + tx.PayoutID.String() + ", reference:" + tx.InvoiceNumber
		}
		if !strings.Contains(text, tag) {
			t.Errorf("the hledger text lacks %q", tag)
			break
		}
	}
	// Recorded on the 16th in Sydney (the evening of the 15th in UTC would
	// be the 15th): the firm's calendar date.
	for _, tx := range j.Transactions {
		if tx.InvoiceID == w.multiRate && tx.Date != domain.MustDate(2026, 3, 16) {
			t.Errorf("%s %s dated %s, want 2026-03-16", tx.InvoiceNumber, tx.Narration, tx.Date)
		}
	}
}

// TestErasedAndSameNamedClients: a forgotten client's account and
// descriptions carry no personal data but still balance; two clients of one
// name get two accounts.
func TestErasedAndSameNamedClients(t *testing.T) {
	w := MustWorld(t)
	j := MustBuild(t, w.store, journal.Options{})
	acct := map[uuid.UUID]journal.ClientAccount{}
	for _, c := range j.Clients {
		acct[c.ClientID] = c
	}
	er := acct[w.erased]
	if er.Name != pii.Erased || !strings.HasPrefix(er.Account, "Assets:Receivable:Erased-"+strings.ReplaceAll(w.erased.String(), "-", "")[:8]) {
		t.Errorf("erased client's account %+v", er)
	}
	for _, f := range []journal.Format{journal.Hledger, journal.Beancount} {
		var b bytes.Buffer
		j.Write(&b, f)
		if strings.Contains(b.String(), "Erin") || strings.Contains(strings.ToLower(b.String()), "erin-example") {
			t.Errorf("the %s export still names the erased client", f)
		}
	}
	if a, b := acct[w.usd].Account, acct[w.twin].Account; a == b || !strings.HasPrefix(a, "Assets:Receivable:Kiwi-Exports-Ltd-") || !strings.HasPrefix(b, "Assets:Receivable:Kiwi-Exports-Ltd-") {
		t.Errorf("two clients named Kiwi Exports Ltd have accounts %q and %q", a, b)
	}
	if got := acct[w.jpy].Account; !strings.HasPrefix(got, "Assets:Receivable:Cafe-Ono-") {
		t.Errorf("Café Ōno's account is %q", got)
	}
	rec := j.Receivables()
	if got := rec[w.erased]["AUD"]; got.String() != "AUD 1020.00" {
		t.Errorf("erased client's receivable %s, want AUD 1020.00", got)
	}
}

// TestThrough: the books as of a date hold only transactions dated up to it
// and still pass hledger's checks.
func TestThrough(t *testing.T) {
	need(t, "hledger")
	w := MustWorld(t)
	through := domain.MustDate(2026, 1, 31)
	j := MustBuild(t, w.store, journal.Options{Through: through})
	all := MustBuild(t, w.store, journal.Options{})
	if len(j.Transactions) == 0 || len(j.Transactions) >= len(all.Transactions) {
		t.Fatalf("through %s kept %d of %d transactions", through, len(j.Transactions), len(all.Transactions))
	}
	for _, tx := range j.Transactions {
		if tx.Date.After(through) {
			t.Errorf("transaction dated %s kept", tx.Date)
		}
	}
	path := MustWrite(t, j, journal.Hledger)
	if out, ok := run(t, "hledger", "-f", path, "check", "--strict", "ordereddates"); !ok {
		t.Fatalf("hledger check failed:\n%s", out)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Acme Pty Ltd":             "Acme-Pty-Ltd",
		"Ryan & Haddad Electrical": "Ryan-Haddad-Electrical",
		"O'Brien's café":           "OBriens-Cafe",
		"[erased]":                 "Erased",
		"  ":                       "",
		"東京商事":                     "",
		"3M; Co | Ltd":             "3M-Co-Ltd",
		"a very long client name that goes on and on and on forever": "A-Very-Long-Client-Name-That-Goes-On-And",
	} {
		if got := journal.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	if !regexp.MustCompile(`^[A-Z0-9][A-Za-z0-9-]*$`).MatchString(journal.Slug("élan vital")) {
		t.Errorf("Slug(élan vital) = %q: not a beancount account component", journal.Slug("élan vital"))
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]journal.Format{"hledger": journal.Hledger, "Beancount": journal.Beancount} {
		if got, err := journal.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := journal.ParseFormat("ledger"); err == nil || !strings.Contains(err.Error(), "hledger or beancount") {
		t.Errorf("ParseFormat(ledger) error %v", err)
	}
}

// BenchmarkBuild measures building the journal of the world (the demo firm
// with 12 clients and a year of history, plus the extra scenarios) and
// writing it in hledger's format.
func BenchmarkBuild(b *testing.B) {
	w := MustWorld(b)
	var n int
	for b.Loop() {
		j, err := journal.Build(context.Background(), w.store, journal.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := j.Write(&buf, journal.Hledger); err != nil {
			b.Fatal(err)
		}
		n = len(j.Transactions)
	}
	b.ReportMetric(float64(n), "transactions")
}
