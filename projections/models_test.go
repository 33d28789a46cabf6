package projections

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
)

func TestModelsSummary(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()

	s, err := m.Summary(t.Context(), acme, today)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Acme Pty Ltd" || s.Currency != aud || s.Archived {
		t.Errorf("details = %q %s archived=%v", s.Name, s.Currency, s.Archived)
	}
	var contacts []string
	for _, c := range s.Contacts {
		contacts = append(contacts, c.Name+map[bool]string{true: "*"}[c.Primary])
	}
	if want := []string{"Jane Doe*", "Bob Roe", "Carol Coe"}; !slices.Equal(contacts, want) {
		t.Errorf("contacts = %v, want %v (primary starred)", contacts, want)
	}
	if len(s.PaymentMethods) != 1 || !s.PaymentMethods[0].Default || s.PaymentMethods[0].Label != "Visa •••• 4242, expires 08/2027" {
		t.Errorf("payment methods = %+v", s.PaymentMethods)
	}
	if len(s.Proposals) != 1 || s.Proposals[0].Status != proposal.StatusAccepted || s.Proposals[0].Title != "Monthly bookkeeping" {
		t.Errorf("proposals = %+v", s.Proposals)
	}
	// Outstanding: INV-1 60 (half paid) + INV-2 110 (rejected); INV-3 void and INV-4 paid count nothing.
	if got := moneyStrings(s.Outstanding); !slices.Equal(got, []string{"AUD 170.00"}) {
		t.Errorf("outstanding = %v, want [AUD 170.00]", got)
	}
	if got := moneyStrings(s.Overdue); !slices.Equal(got, []string{"AUD 60.00"}) {
		t.Errorf("overdue = %v, want [AUD 60.00] (INV-000001 was due 2025-05-15)", got)
	}
	if s.OpenInvoices != 2 || s.OverdueInvoices != 1 {
		t.Errorf("open, overdue = %d, %d; want 2, 1", s.OpenInvoices, s.OverdueInvoices)
	}
	// Overdue depends on the day asked about.
	s, _ = m.Summary(t.Context(), acme, date(2025, 5, 15))
	if len(s.Overdue) != 0 {
		t.Errorf("on the due date itself nothing is overdue, got %v", moneyStrings(s.Overdue))
	}

	_, err = m.Summary(t.Context(), id("client/nobody"), today)
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown client: err = %v, want ENOTFOUND", err)
	}
}

func TestModelsListClients(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	// Ten more clients, for paging.
	for i := range 10 {
		cid := id("client/extra/" + string(rune('a'+i)))
		e.MustAppend(client.StreamName(cid), "", client.ClientCreated{ClientID: cid, Name: "Extra " + string(rune('A'+i)), Currency: aud})
	}
	m := e.MustModels()
	names := func(p Page[ClientListItem]) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Name)
		}
		return out
	}
	tests := []struct {
		name  string
		q     ClientQuery
		want  []string
		total int
	}{
		{"SearchByName", ClientQuery{Search: "acme"}, []string{"Acme Pty Ltd"}, 1},
		{"SearchByContactEmail", ClientQuery{Search: "BETTY@beta"}, []string{"Beta Bakery"}, 1},
		{"Archived", ClientQuery{Filter: ClientsArchived}, []string{"Zeta Zinc"}, 1},
		{"ActiveExcludesArchived", ClientQuery{Filter: ClientsActive, Search: "z"}, nil, 0},
		{"HasOverdue", ClientQuery{Filter: ClientsHasOverdue, Today: today}, []string{"Acme Pty Ltd"}, 1},
		{"HasOverdueBeforeDue", ClientQuery{Filter: ClientsHasOverdue, Today: date(2025, 5, 1)}, nil, 0},
		{"SecondPage", ClientQuery{Paging: Paging{Offset: 3, Limit: 3}}, []string{"Extra B", "Extra C", "Extra D"}, 13},
		{"PastTheEnd", ClientQuery{Paging: Paging{Offset: 20, Limit: 3}}, nil, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok(m.ListClients(t.Context(), tt.q))
			if got := names(p); !slices.Equal(got, tt.want) || p.Total != tt.total {
				t.Errorf("got %v (total %d), want %v (total %d)", got, p.Total, tt.want, tt.total)
			}
		})
	}
	p := ok(m.ListClients(t.Context(), ClientQuery{Search: "acme", Today: today}))
	if it := p.Items[0]; it.PrimaryEmail != "jane@acme.test" || it.OverdueInvoices != 1 || !slices.Equal(moneyStrings(it.Outstanding), []string{"AUD 170.00"}) {
		t.Errorf("acme row = %+v", it)
	}
}

func TestModelsClientServices(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	got, err := m.ClientServices(t.Context(), acme, today)
	if err != nil {
		t.Fatal(err)
	}
	var active, ended []string
	for _, v := range got.Active {
		active = append(active, v.Name)
	}
	for _, v := range got.Ended {
		ended = append(ended, v.Name)
	}
	if want := []string{"Advice", "Bookkeeping", "Payroll", "Tax return"}; !slices.Equal(active, want) {
		t.Errorf("active = %v, want %v", active, want)
	}
	if want := []string{"Old filing"}; !slices.Equal(ended, want) {
		t.Errorf("ended = %v, want %v", ended, want)
	}
	bk, err := m.Service(t.Context(), bookkeeping, today)
	if err != nil {
		t.Fatal(err)
	}
	// The last edit sets the current price, though it is effective in August.
	if bk.UnitPrice.String() != "AUD 120.00" || bk.Mode != service.Automatic || bk.Source.ProposalID != prop1 {
		t.Errorf("bookkeeping = price %s mode %s source %+v", bk.UnitPrice, bk.Mode, bk.Source)
	}
	if bk.NextBilling == nil || bk.NextBilling.Date != date(2025, 7, 1) || !bk.NextBilling.UnitPrice.Amount.Equal(dec("100")) {
		t.Errorf("next billing = %+v, want 2025-07-01 at 100 (the new price starts in August)", bk.NextBilling)
	}
	if _, err := m.Service(t.Context(), id("service/none"), today); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown service: %v", err)
	}
}

func TestModelsSchedule(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	s, err := m.Schedule(t.Context(), acme, ScheduleQuery{Today: today, Through: date(2025, 8, 31)})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		date    string
		name    string
		mode    service.BillingMode
		overdue bool
		price   string
	}
	var got []row
	for _, it := range s.Items {
		got = append(got, row{it.Date.String(), it.ServiceName, it.Mode, it.Overdue, it.UnitPrice.Amount.StringFixed(2)})
	}
	want := []row{
		{"2025-05-10", "Advice", service.Manual, true, "80.00"},
		{"2025-06-10", "Advice", service.Manual, true, "80.00"},
		{"2025-07-01", "Bookkeeping", service.Automatic, false, "100.00"},
		{"2025-07-01", "Payroll", service.Automatic, false, "50.00"},
		{"2025-07-10", "Advice", service.Manual, false, "80.00"},
		{"2025-08-01", "Bookkeeping", service.Automatic, false, "120.00"},
		{"2025-08-01", "Payroll", service.Automatic, false, "50.00"},
		{"2025-08-10", "Advice", service.Manual, false, "80.00"},
		{domain.Date{}.String(), "Tax return", service.Manual, false, "500.00"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("items:\n got %v\nwant %v", got, want)
	}
	// Bookkeeping and Payroll on the same day from the same card: one invoice.
	if len(s.Groups) != 2 {
		t.Fatalf("groups = %d, want 2: %+v", len(s.Groups), s.Groups)
	}
	g := s.Groups[0]
	if g.Date != date(2025, 7, 1) || g.PaymentMethodID != visa || len(g.Items) != 2 || !slices.Equal(moneyStrings(g.Total), []string{"AUD 150.00"}) {
		t.Errorf("first group = %s %s %d items %v", g.Date, g.PaymentMethodID, len(g.Items), moneyStrings(g.Total))
	}
	if g.Key != service.GroupKey(acme, date(2025, 7, 1), visa) {
		t.Errorf("group key = %q", g.Key)
	}
	if len(s.Manual) != 5 || !s.Manual[0].Overdue || !s.Manual[1].Overdue || s.Manual[2].Overdue {
		t.Errorf("manual items: %d, overdue first expected", len(s.Manual))
	}
	items, err := m.ServiceSchedule(t.Context(), advice, ScheduleQuery{Today: today, Through: date(2025, 6, 30)})
	if err != nil || len(items) != 2 {
		t.Errorf("advice schedule = %d items, %v", len(items), err)
	}
}

func TestModelsInvoices(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	numbers := func(p Page[InvoiceListItem]) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Number+":"+string(it.Status))
		}
		return out
	}
	tests := []struct {
		name string
		q    InvoiceQuery
		want []string
	}{
		{"Client", InvoiceQuery{ClientID: acme, Today: today}, []string{"INV-000002:payment_rejected", "INV-000004:paid", "INV-000003:void", "INV-000001:overdue"}},
		{"FirmWide", InvoiceQuery{Today: today, Paging: Paging{Limit: 2}}, []string{"INV-000005:awaiting_payment", "INV-000002:payment_rejected"}},
		{"Overdue", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusOverdue}, Today: today}, []string{"INV-000001:overdue"}},
		{"NotYetOverdue", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusPartlyPaid}, Today: date(2025, 5, 10)}, []string{"INV-000001:partly_paid"}},
		{"VoidAndPaid", InvoiceQuery{Statuses: []invoice.Status{invoice.StatusVoid, invoice.StatusPaid}, Today: today}, []string{"INV-000004:paid", "INV-000003:void"}},
		{"OtherClient", InvoiceQuery{ClientID: beta, Today: today}, []string{"INV-000005:awaiting_payment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := numbers(ok(m.ListInvoices(t.Context(), tt.q))); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if p := ok(m.ListInvoices(t.Context(), InvoiceQuery{Today: today, Paging: Paging{Limit: 2}})); p.Total != 5 || p.Items[0].ClientName != "Beta Bakery" {
		t.Errorf("firm-wide page: total %d, first client %q", p.Total, p.Items[0].ClientName)
	}

	d, err := m.Invoice(t.Context(), inv1, today)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != invoice.StatusOverdue || d.StoredStatus != invoice.StatusPartlyPaid || d.Balance.String() != "AUD 60.00" || d.Total.String() != "AUD 110.00" {
		t.Errorf("INV-000001: status %s/%s balance %s total %s", d.Status, d.StoredStatus, d.Balance, d.Total)
	}
	if len(d.Payments) != 1 || !d.Payments[0].Gateway || d.Payments[0].Reference != "ch_1" || len(d.Attempts) != 1 || d.SendCount != 2 {
		t.Errorf("INV-000001: payments %+v attempts %+v sends %d", d.Payments, d.Attempts, d.SendCount)
	}
	if len(d.Lines) != 1 || d.Lines[0].ItemKey != service.ItemKey(bookkeeping, 1) {
		t.Errorf("INV-000001 lines = %+v", d.Lines)
	}
	if len(d.Audit) != 5 || !strings.HasPrefix(d.Audit[0].Text, "Invoice INV-000001 issued for A$110.00, due 15 May 2025") {
		t.Errorf("INV-000001 audit = %v", texts(d.Audit))
	}

	d, _ = m.Invoice(t.Context(), inv2, today)
	if d.LastRejection == nil || d.LastRejection.DeclineCode != "insufficient_funds" || d.Attempts[0].Outcome != invoice.AttemptRejected {
		t.Errorf("INV-000002 rejection = %+v, attempts %+v", d.LastRejection, d.Attempts)
	}
	d, _ = m.Invoice(t.Context(), inv3, today)
	if d.VoidReason != "duplicate" || d.Status != invoice.StatusVoid {
		t.Errorf("INV-000003 = %s %q", d.Status, d.VoidReason)
	}
	d, _ = m.Invoice(t.Context(), inv4, today)
	if len(d.Payments) != 1 || d.Payments[0].Method != "bank_transfer" || d.Payments[0].Date != date(2025, 5, 10) || !d.Balance.IsZero() {
		t.Errorf("INV-000004 payments = %+v balance %s", d.Payments, d.Balance)
	}
	if _, err := m.Invoice(t.Context(), id("invoice/none"), today); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown invoice: %v", err)
	}
}

func texts(lines []ActivityLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Text)
	}
	return out
}

func TestModelsActivity(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	tests := []struct {
		subject Subject
		id      uuid.UUID
		want    []string
	}{
		{SubjectInvoice, inv3, []string{
			"Invoice INV-000003 issued for A$110.00, due 16 May 2025 (by user:alice)",
			"Invoice INV-000003 voided: duplicate (by user:alice)",
		}},
		{SubjectInvoice, inv2, []string{
			"Invoice INV-000002 issued for A$110.00, due 30 Jun 2025 (by system:billing-run)",
			`Billing #2 of "Bookkeeping" billed on invoice INV-000002 (by system:billing-run)`,
			"Invoice INV-000002: payment from Visa •••• 4242, expires 08/2027 rejected: insufficient_funds (Your card has insufficient funds.) (by system:collections)",
		}},
		{SubjectService, oldSvc, []string{
			`Service "Old filing" activated from an instant bill: A$30.00 × 1, monthly, automatic (by user:alice)`,
			`Service "Old filing" ended on 31 Mar 2025: no longer needed (by user:alice)`,
			`Billing #1 of "Old filing" skipped (by user:alice)`,
			`Billing #2 of "Old filing" skipped (by user:alice)`,
			`Billing #3 of "Old filing" skipped (by user:alice)`,
		}},
		{SubjectPaymentMethod, visa, nil}, // checked below
		{SubjectClient, zeta, []string{
			`Client "Zeta Zinc" created (by user:bob)`,
			"Client archived: moved to another firm (by user:bob)",
		}},
	}
	for _, tt := range tests {
		lines, err := m.ActivityOf(t.Context(), tt.subject, tt.id)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.subject, tt.id, err)
		}
		if tt.want != nil && !slices.Equal(texts(lines), tt.want) {
			t.Errorf("%s activity:\n got %q\nwant %q", tt.subject, texts(lines), tt.want)
		}
	}
	lines, _ := m.ActivityOf(t.Context(), SubjectPaymentMethod, visa)
	if len(lines) < 3 || lines[0].Text != "Payment method Visa •••• 4242, expires 08/2027 added (by user:alice)" ||
		lines[1].Text != "Payment method Visa •••• 4242, expires 08/2027 set as default (by user:alice)" {
		t.Errorf("visa activity = %q", texts(lines))
	}
	// Who and when come from the envelope.
	lines, _ = m.ActivityOf(t.Context(), SubjectInvoice, inv3)
	if lines[1].Actor != "user:alice" || lines[1].At.Format("2006-01-02") != "2025-05-01" || lines[1].EventType != "InvoiceVoided" {
		t.Errorf("void line envelope = %+v", lines[1])
	}
	// A client's history includes its proposals, services and invoices.
	lines, _ = m.ActivityOf(t.Context(), SubjectClient, acme)
	all := strings.Join(texts(lines), "\n")
	for _, want := range []string{`Proposal "Monthly bookkeeping" accepted by Jane Doe <jane@acme.test> on 20 Apr 2025`, `Service "Bookkeeping" edited from 1 Aug 2025: price A$100.00 → A$120.00 (the client is to be told of the price change)`, "Invoice INV-000004: payment of A$220.00 received by bank transfer on 10 May 2025, reference EFT 991", "Contact Carol Coe <carol@acme.test> added"} {
		if !strings.Contains(all, want) {
			t.Errorf("client activity lacks %q:\n%s", want, all)
		}
	}
	if !slices.IsSortedFunc(lines, func(a, b ActivityLine) int { return int(a.Position) - int(b.Position) }) {
		t.Error("client activity is not in log order")
	}
	if _, err := m.ActivityOf(t.Context(), SubjectService, id("service/none")); !errors.Is(err, &domain.Error{Code: domain.ENOTFOUND}) && domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown subject: %v", err)
	}
}

func TestModelsUnknownEventTypesAreSkipped(t *testing.T) {
	e := newEnv(t)
	e.MustAppendRaw("gadget-"+id("gadget").String(), "GadgetInvented", `{"x":1}`)
	e.MustAppend(client.StreamName(beta), "", client.ClientCreated{ClientID: beta, Name: "Beta Bakery", Currency: aud})
	m := e.MustModels()
	if _, err := m.Summary(t.Context(), beta, today); err != nil {
		t.Fatalf("the event after an unknown one was not applied: %v", err)
	}
	if pos := m.Position(); pos != 2 {
		t.Errorf("read models at %d, want 2", pos)
	}
}
