package journal

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/projections/follow"
)

// Journal is the firm's books as balanced transactions, built from the log
// by Build.
type Journal struct {
	Firm         string
	BaseCurrency domain.Currency
	TimeZone     string
	// Position is the last global position read (0: an empty log).
	Position uint64
	// Through is the last transaction date included; zero when all are.
	Through domain.Date
	// OpenDate is the date accounts are opened on in beancount: the earliest
	// of the firm's set-up and the first transaction.
	OpenDate domain.Date
	// Currencies are the commodities used, sorted by code.
	Currencies []domain.Currency
	// Clients are the clients with a receivable account, sorted by account.
	Clients []ClientAccount
	// Transactions in date order, then log order.
	Transactions []Transaction
	// Flows are the clearing account's movements as the events state them
	// (see CheckClearing), in log order.
	Flows []Flow
}

// ClientAccount is a client and its receivable account.
type ClientAccount struct {
	ClientID uuid.UUID
	Name     string // the client's current name ("[erased]" once forgotten)
	Account  string // in beancount's spelling
}

// Transaction is one event's postings.
type Transaction struct {
	Date      domain.Date
	Position  uint64
	EventID   uuid.UUID
	EventType string
	InvoiceID uuid.UUID
	// PayoutID is set on a payout's transactions (InvoiceNumber is then the
	// payout's reference and ClientName its gateway; no client).
	PayoutID      uuid.UUID
	InvoiceNumber string
	ClientID      uuid.UUID
	ClientName    string
	// Narration says what happened ("invoice issued", "payment collected").
	Narration string
	Postings  []Posting
}

// Posting is one line of a transaction. Positive amounts are debits.
type Posting struct {
	Account  string // in beancount's spelling
	Amount   decimal.Decimal
	Currency domain.Currency
	// ClientID is set on receivable postings: whose receivable it is.
	ClientID uuid.UUID
}

// Options narrow what Build includes.
type Options struct {
	// Through keeps only transactions dated on or before it (the books as
	// of the end of that day); zero keeps all.
	Through domain.Date
	// UpTo stops reading the log at this global position (inclusive); 0
	// reads to the head.
	UpTo uint64
}

// eventTypes are the events Build reads.
func eventTypes() []string {
	types := slices.Clone(firm.EventTypes())
	types = append(types, "ClientCreated", "ClientDetailsChanged",
		"InvoiceIssued", "InvoicePaymentSucceeded", "InvoicePaymentRecorded",
		"InvoiceWrittenOff", "InvoiceCreditNoteIssued", "InvoiceVoided", "PayoutRecorded", "PayoutLinesRecorded", "PayoutFailed", "InvoiceSurchargeAdded")
	return append(types, refundEventTypes...)
}

// booked is what the journal holds for one invoice so far.
type booked struct {
	clientID    uuid.UUID
	number      string
	currency    domain.Currency
	gross, tax  decimal.Decimal // as issued
	credited    decimal.Decimal // gross credited by credit notes
	creditedTax decimal.Decimal // the tax share of it
	revenue     decimal.Decimal // revenue still booked (credit to revenue, as a positive amount)
	taxPayable  decimal.Decimal // tax still booked
}

// builder folds the log into a Journal.
type builder struct {
	j        *Journal
	firm     firm.State
	loc      *time.Location
	names    map[uuid.UUID]string
	invoices map[uuid.UUID]*booked
	payouts  map[uuid.UUID]*payoutBooked
	setUpOn  domain.Date
}

// Build reads the log (through the store's decoding, so forgotten clients'
// names read as erased) and returns the journal.
func Build(ctx context.Context, store eventstore.Store, opts Options) (*Journal, error) {
	b := &builder{
		j:        &Journal{Through: opts.Through},
		loc:      time.UTC,
		names:    map[uuid.UUID]string{},
		invoices: map[uuid.UUID]*booked{},
		payouts:  map[uuid.UUID]*payoutBooked{},
	}
	f := follow.New(store, func(_ context.Context, e follow.Event) error {
		if err := b.apply(e); err != nil {
			return fmt.Errorf("journal: event %s (%s at position %d): %w", e.ID, e.Type, e.Position, err)
		}
		b.j.Position = e.Position
		return nil
	}, follow.Options{Filter: eventstore.Filter{EventTypes: eventTypes()}, Through: opts.UpTo})
	if err := f.CatchUp(ctx); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return b.finish(), nil
}

// dateOf is the firm's calendar date of an instant.
func (b *builder) dateOf(t time.Time) domain.Date { return domain.DateOf(t, b.loc) }

func (b *builder) apply(r follow.Event) error {
	switch e := r.Data.(type) {
	case client.ClientCreated:
		b.names[e.ClientID] = e.Name
		return nil
	case client.ClientDetailsChanged:
		b.names[e.ClientID] = e.Name
		return nil
	case invoice.InvoiceIssued:
		return b.issued(r, e)
	case invoice.InvoicePaymentSucceeded:
		b.flow(Flow{Kind: FlowCollected, Date: e.PaymentDate(b.loc), EventID: r.ID, Reference: e.GatewayReference, Amount: e.Amount})
		return b.moneyIn(r, e.InvoiceID, e.Amount, AccountGateway, e.PaymentDate(b.loc), "payment collected")
	case payout.PayoutRecorded:
		return b.payoutRecorded(r, e)
	case payout.PayoutLinesRecorded:
		return b.payoutLines(r, e)
	case payout.PayoutFailed:
		return b.payoutFailed(r, e)
	case invoice.InvoicePaymentRecorded:
		acct := AccountBank
		switch e.Method {
		case invoice.PaidByCash:
			acct = AccountCash
		case invoice.PaidByOther:
			acct = AccountOtherPayment
		}
		return b.moneyIn(r, e.InvoiceID, e.Amount, acct, e.Date, "payment received ("+methodName(e.Method)+")")
	case invoice.InvoiceWrittenOff:
		return b.moneyIn(r, e.InvoiceID, e.Amount, AccountBadDebts, b.dateOf(e.At), "written off")
	case invoice.InvoiceCreditNoteIssued:
		return b.credit(r, e)
	case invoice.InvoiceVoided:
		return b.void(r, e)
	case invoice.InvoicePaymentRefunded:
		return b.refunded(r, e)
	case invoice.InvoicePaymentDisputed:
		return b.disputed(r, e)
	case invoice.InvoiceDisputeClosed:
		return b.disputeClosed(r, e)
	case invoice.InvoiceDuplicatePaymentRefunded:
		b.duplicateRefunded(r, e)
		return nil
	case invoice.InvoiceSurchargeAdded:
		return b.surcharge(r, e)
	}
	if r.Stream == firm.StreamName() {
		b.firm = firm.Evolve(b.firm, r.Data)
		if b.firm.TimeZone != "" {
			loc, err := time.LoadLocation(b.firm.TimeZone)
			if err != nil {
				return fmt.Errorf("the firm's time zone %q: %w", b.firm.TimeZone, err)
			}
			b.loc = loc
		}
		if b.setUpOn.IsZero() && !b.firm.SetUpAt.IsZero() {
			b.setUpOn = b.dateOf(b.firm.SetUpAt)
		}
	}
	return nil
}

func methodName(m invoice.PaymentMethod) string {
	switch m {
	case invoice.PaidByBankTransfer:
		return "bank transfer"
	case "":
		return "offline"
	}
	return string(m)
}

func (b *builder) add(r follow.Event, invoiceID uuid.UUID, inv *booked, date domain.Date, narration string, postings ...Posting) {
	b.j.Transactions = append(b.j.Transactions, Transaction{
		Date:          date,
		Position:      r.Position,
		EventID:       r.ID,
		EventType:     r.Type,
		InvoiceID:     invoiceID,
		InvoiceNumber: inv.number,
		ClientID:      inv.clientID,
		Narration:     narration,
		Postings:      dropZero(postings),
	})
}

// dropZero leaves out zero postings (no tax on a zero-rated invoice), unless
// all are zero: a transaction keeps at least its receivable line.
func dropZero(ps []Posting) []Posting {
	out := ps[:0:0]
	for _, p := range ps {
		if !p.Amount.IsZero() {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return ps
	}
	return out
}

func (b *builder) receivable(inv *booked, amount decimal.Decimal) Posting {
	return Posting{Account: AccountReceivable, Amount: amount, Currency: inv.currency, ClientID: inv.clientID}
}

func (b *builder) issued(r follow.Event, e invoice.InvoiceIssued) error {
	if _, dup := b.invoices[e.InvoiceID]; dup {
		return fmt.Errorf("invoice %s issued twice", e.InvoiceID)
	}
	inv := &booked{
		clientID:   e.ClientID,
		number:     e.Number,
		currency:   e.Currency,
		gross:      e.Totals.Gross.Amount,
		tax:        e.Totals.Tax.Amount,
		revenue:    e.Totals.Net.Amount,
		taxPayable: e.Totals.Tax.Amount,
	}
	b.invoices[e.InvoiceID] = inv
	date := e.IssueDate
	if date.IsZero() {
		date = b.dateOf(e.At)
	}
	b.add(r, e.InvoiceID, inv, date, "invoice issued",
		b.receivable(inv, e.Totals.Gross.Amount),
		Posting{Account: AccountRevenue, Amount: e.Totals.Net.Amount.Neg(), Currency: inv.currency},
		Posting{Account: AccountTaxPayable, Amount: e.Totals.Tax.Amount.Neg(), Currency: inv.currency},
	)
	return nil
}

func (b *builder) invoice(id uuid.UUID) (*booked, error) {
	inv, ok := b.invoices[id]
	if !ok {
		return nil, fmt.Errorf("invoice %s has no InvoiceIssued before it", id)
	}
	return inv, nil
}

// moneyIn books an amount that reduces the receivable against another
// account: a payment, or a write-off.
func (b *builder) moneyIn(r follow.Event, id uuid.UUID, m domain.Money, account string, date domain.Date, narration string) error {
	inv, err := b.invoice(id)
	if err != nil {
		return err
	}
	if m.Currency != inv.currency {
		return fmt.Errorf("%s on invoice %s is in %s but the invoice is in %s", narration, inv.number, m.Currency, inv.currency)
	}
	b.add(r, id, inv, date, narration,
		Posting{Account: account, Amount: m.Amount, Currency: inv.currency},
		b.receivable(inv, m.Amount.Neg()),
	)
	return nil
}

func (b *builder) credit(r follow.Event, e invoice.InvoiceCreditNoteIssued) error {
	inv, err := b.invoice(e.InvoiceID)
	if err != nil {
		return err
	}
	if e.Amount.Currency != inv.currency {
		return fmt.Errorf("credit note on invoice %s is in %s but the invoice is in %s", inv.number, e.Amount.Currency, inv.currency)
	}
	inv.credited = inv.credited.Add(e.Amount.Amount)
	cumTax := invoice.CreditedTax(inv.currency, inv.gross, inv.tax, inv.credited)
	tax := cumTax.Sub(inv.creditedTax)
	inv.creditedTax = cumTax
	net := e.Amount.Amount.Sub(tax)
	inv.revenue = inv.revenue.Sub(net)
	inv.taxPayable = inv.taxPayable.Sub(tax)
	b.add(r, e.InvoiceID, inv, b.dateOf(e.At), "credit note",
		Posting{Account: AccountRevenue, Amount: net, Currency: inv.currency},
		Posting{Account: AccountTaxPayable, Amount: tax, Currency: inv.currency},
		b.receivable(inv, e.Amount.Amount.Neg()),
	)
	return nil
}

func (b *builder) void(r follow.Event, e invoice.InvoiceVoided) error {
	inv, err := b.invoice(e.InvoiceID)
	if err != nil {
		return err
	}
	rev, tax := inv.revenue, inv.taxPayable
	inv.revenue, inv.taxPayable = decimal.Zero, decimal.Zero
	b.add(r, e.InvoiceID, inv, b.dateOf(e.At), "invoice voided",
		Posting{Account: AccountRevenue, Amount: rev, Currency: inv.currency},
		Posting{Account: AccountTaxPayable, Amount: tax, Currency: inv.currency},
		b.receivable(inv, rev.Add(tax).Neg()),
	)
	return nil
}

// finish names the clients' accounts, sorts, and fills in the header.
func (b *builder) finish() *Journal {
	j := b.j
	j.Firm, j.BaseCurrency, j.TimeZone = b.firm.Name, b.firm.BaseCurrency, b.firm.TimeZone
	if !j.Through.IsZero() {
		j.Transactions = slices.DeleteFunc(j.Transactions, func(t Transaction) bool { return t.Date.After(j.Through) })
		j.Flows = slices.DeleteFunc(j.Flows, func(f Flow) bool { return f.Date.After(j.Through) })
	}
	slices.SortStableFunc(j.Transactions, func(a, b Transaction) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Position, b.Position))
	})

	// Accounts: slug + 8 hex digits, or the whole id for the (one in four
	// billion) clients whose short names would collide.
	ids := map[uuid.UUID]bool{}
	for _, t := range j.Transactions {
		if t.ClientID != uuid.Nil { // a payout has no client
			ids[t.ClientID] = true
		}
	}
	short := map[string]int{}
	for id := range ids {
		short[receivableAccount(b.names[id], id, idDigits)]++
	}
	accounts := map[uuid.UUID]string{}
	for id := range ids {
		a := receivableAccount(b.names[id], id, idDigits)
		if short[a] > 1 {
			a = receivableAccount(b.names[id], id, 32)
		}
		accounts[id] = a
		j.Clients = append(j.Clients, ClientAccount{ClientID: id, Name: b.names[id], Account: a})
	}
	slices.SortFunc(j.Clients, func(a, b ClientAccount) int { return cmp.Compare(a.Account, b.Account) })
	for i := range j.Transactions {
		t := &j.Transactions[i]
		if t.PayoutID != uuid.Nil {
			continue
		}
		t.ClientName = b.names[t.ClientID]
		for k := range t.Postings {
			if t.Postings[k].Account == AccountReceivable {
				t.Postings[k].Account = accounts[t.ClientID]
			}
		}
	}

	currencies := map[string]domain.Currency{}
	for _, t := range j.Transactions {
		for _, p := range t.Postings {
			currencies[p.Currency.Code] = p.Currency
		}
	}
	if !j.BaseCurrency.IsZero() {
		currencies[j.BaseCurrency.Code] = j.BaseCurrency
	}
	for _, c := range currencies {
		j.Currencies = append(j.Currencies, c)
	}
	slices.SortFunc(j.Currencies, func(a, b domain.Currency) int { return cmp.Compare(a.Code, b.Code) })

	j.OpenDate = b.setUpOn
	if len(j.Transactions) > 0 && (j.OpenDate.IsZero() || j.Transactions[0].Date.Before(j.OpenDate)) {
		j.OpenDate = j.Transactions[0].Date
	}
	return j
}
