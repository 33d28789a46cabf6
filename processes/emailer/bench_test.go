package emailer_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/sqlite"
	"remit/integrations/mail"
	"remit/processes/emailer"
)

// queueFirst is the files mailer without mail.OnceByID: the outbox then
// appends EmailQueued before writing the file and EmailSent after, as it
// does over SMTP.
type queueFirst struct{ files mail.Files }

func (q queueFirst) Send(ctx context.Context, m mail.Message) error { return q.files.Send(ctx, m) }

// BenchmarkOutboxFiles times the outbox emailing issued invoices as .eml
// files: each iteration issues 64 invoices on a new embedded store (not
// timed), then a new outbox catches up with them. "record-after" is the
// default (the files deliver at most once by id: one append per email);
// "queue-first" takes the two appends per email it takes over SMTP. It
// reports the wall and CPU time (user and system, the whole process) per
// email.
//
//	go test -run '^$' -bench BenchmarkOutboxFiles -benchtime 5x ./processes/emailer/
func BenchmarkOutboxFiles(b *testing.B) {
	const invoices = 64
	ctx := context.Background()
	for _, mode := range []string{"queue-first", "record-after"} {
		b.Run(mode, func(b *testing.B) {
			var wall, cpu time.Duration
			for range b.N {
				st, err := sqlite.Open(b.TempDir(), sqlite.Options{})
				if err != nil {
					b.Fatal(err)
				}
				issueInvoices(b, ctx, billing.New(billing.Config{Store: st}), invoices)
				var m mail.Mailer = mail.Files{Dir: b.TempDir()}
				if mode == "queue-first" {
					m = queueFirst{files: mail.Files{Dir: b.TempDir()}}
				}
				ob, err := emailer.New(emailer.Config{Store: st, Mailer: m, From: "accounts@ledger.example"})
				if err != nil {
					b.Fatal(err)
				}
				cpu0, start := processCPU(b), time.Now()
				if err := ob.CatchUp(ctx); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(start)
				cpu += processCPU(b) - cpu0
				ob.Close()
				st.Close()
			}
			n := float64(b.N * invoices)
			b.ReportMetric(float64(wall.Microseconds())/1000/n, "ms/email")
			b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/email")
		})
	}
}

// issueInvoices sets up a firm and a client and issues it n invoices.
func issueInvoices(b *testing.B, ctx context.Context, svc *billing.Service, n int) {
	b.Helper()
	meta := func() billing.Meta { return billing.Meta{Actor: "staff@ledger.example", CommandID: uuid.NewString()} }
	if _, err := svc.SetUpFirm(ctx, billing.SetUpFirmRequest{
		Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"},
	}, meta()); err != nil {
		b.Fatal(err)
	}
	c, err := svc.CreateClient(ctx, billing.ClientRequest{Name: "Harbour Cafe", Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Ana Lima", Email: "ana@harbour.example"}}}, meta())
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		if _, err := svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c.ID, Lines: []billing.InstantLine{
			{Description: "Monthly bookkeeping", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(800), TaxRate: decimal.NewFromInt(10)},
		}}, meta()); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
