// Package emailer is the email process manager: it follows the event log
// (through the one log follower, projections/follow) and the clock and
// emails the firm's clients, each email exactly once as far as the log can
// tell.
//
// # What it sends
//
//   - InvoiceIssued: the invoice, with its PDF (remit/pdf) attached; both
//     say from which method and on which date it is charged when its
//     collection was scheduled with it, else that nothing is charged
//     automatically and how to pay, and the email then carries the
//     invoice's pay-now link (LinkPayInvoice).
//   - InvoiceSent (staff's Send / Re-send, "Send pay link" on the
//     Collections page): the invoice again, with its PDF, to the recipient
//     staff chose, with its pay-now link while something is owed and no
//     collection is scheduled (a failed or never-scheduled one).
//   - InvoicePaymentSucceeded, InvoicePaymentRecorded: a receipt.
//   - InvoicePaymentRejected: the decline reason, with links to retry or to
//     use another payment method (Config.LinkFor makes them), unless the
//     firm's dunning policy turned it off; and to the firm's staff (the
//     policy's staff addresses, else Config.StaffTo, else From) when the
//     policy asks for failure notices (dunning.go).
//   - InvoiceReminderSent (the daily dunning job, processes/dunning): the
//     reminder to the address it names, with the balance, the due date, the
//     pay-now link and the link to put a payment method on file;
//     InvoiceDunningExhausted with a client address: the final notice that
//     the automatic retries ran out, with the same links (dunning.go).
//   - InvoicePaymentDisputed: to the firm's staff (Config.StaffTo, else
//     From), not the client: the disputed payment, its amount and reason,
//     and that the invoice is awaiting payment again (dispute.go).
//   - InvoiceCreditNoteIssued, for a credit note issued on its own (not a
//     refund's): to the client, its number, amount, date and reason, and
//     what is left to pay on the invoice, with its pay-now link when
//     nothing charges it, else the date it is charged (refund_email.go).
//   - InvoicePaymentRefunded, InvoiceDuplicatePaymentRefunded: to the
//     client, the amount refunded, its date and why (refund_email.go).
//   - ProposalSent: the proposal (its services, prices and totals per
//     cadence, first-year value): to each signatory yet to sign, with their
//     own signing link (Config.SignLinkFor), and to each recipient staff
//     chose who is not a signatory, with its signed acceptance link; a
//     re-send emails them again.
//   - ProposalReminderSent (the daily proposals job, processes/reminders):
//     a reminder to each signatory it names who has not signed, with their
//     own signing link (Config.SignLinkFor) (proposal_notices.go).
//   - ProposalViewed (the first of a proposal), ProposalAccepted and
//     ProposalDeclined: to the firm's staff when the firm's proposal
//     settings say so (firm.ProposalSettings.NotifyStaff), at their staff
//     address, else Config.StaffTo, else From; once per proposal.
//   - ProposalSignedDocumentFiled: the signed-proposal PDF (rendered again
//     from the acceptance, checked against the hash filed) attached, to
//     each signatory and to the firm's staff (Config.StaffTo, else From)
//     (signed.go).
//   - ClientPaymentDetailsRequested: staff's request for payment details,
//     with the client's signed link to put a method on file
//     (LinkUpdateMethod) and staff's note, to the contact the event names;
//     one email per request id.
//   - PriceIncreaseNoticeSent (the daily price increases job): the
//     notice of a bulk price increase, to the contact it names: the old
//     and new price of each of the client's services in the batch and the
//     date the new prices take effect; ServiceEdited with
//     notify_client_of_price_change and a new unit price: the same email
//     for that one service, to the primary billing contact
//     (price_notice.go).
//   - Daily, from the clock in the firm's time zone: a card about to expire
//     (client.State.ExpiringMethods, Config.ExpiryNoticeDays ahead, once per
//     card and expiry) and an upcoming charge (Config.UpcomingChargeDays
//     before a scheduled collection or retry, once per invoice and date).
//     The first Tick of a day checks every client and every invoice with a
//     collection scheduled; later Ticks that day (a restart's included)
//     check only the clients and collections seen since, so a Tick does not
//     fold every invoice of the log again every TickInterval.
//
// Every email but a proposal goes to the client's primary billing contact,
// and a proposal to the recipients its ProposalSent names, from the firm
// (its name, Config.From's address), with a text and an HTML body
// (text/template and html/template; multipart/alternative).
//
// # Exactly once, and where that stops
//
// Each email has a deterministic id (domain/outbox.EmailID): from the
// triggering event's id and the kind, or from the card and its expiry, or the
// invoice and its collection date. The id names its stream "email-<id>" and
// is its Message-ID. Before handing an email to the transport the outbox
// appends EmailQueued with expected revision "no stream"; after the transport
// accepts it, EmailSent. A replayed log, a restart or a second outbox finds
// the stream and does not queue again. A mailer that delivers a message at
// most once by its id (mail.OnceByID: the .eml files) is handed the email
// first, and EmailQueued is appended with its outcome in one append, one
// synced commit instead of two: a crash in between leaves the trigger
// unhandled, so the restarted outbox handles it again and the second
// delivery writes nothing. The emails of the events read together (those
// waiting when the outbox turns to the log, up to 256; a catch-up's 256
// emails at a time) are handed over together (mail.GroupSender: the
// .eml files' folder is synced once for all) and recorded together, in one
// append over their streams (billing.RecordNewMany): a burst of invoices
// costs one folder sync and one synced commit, and the outbox moves past
// the group's events only once all are recorded. But the boundary between
// the store and the mail server is not transactional: if the process dies
// after the server accepted an email and before EmailSent is stored, the
// restarted outbox sends it again, with the same Message-ID (at least once,
// with a de-duplication key that mail clients and mailpit can use). Two
// outboxes on one store may likewise both send a queued email they both
// found unsent: run one per store at a time (remit serve runs it only on
// the node holding the outbox's lease, internal/lease; a node taking the
// lease over starts it again, Start after Close, and it reads its state
// afresh).
//
// A temporary failure (4xx, a server that does not answer) leaves the email
// queued; it is retried by the transport with backoff, then on every Tick.
// A permanent failure (5xx) is recorded as EmailFailed and not retried.
//
// # Checkpoint
//
// The outbox keeps what it knows in its state database (Config.State; under
// remit serve the read models' database, tables outbox_*, state.go): its
// checkpoint (the next log position to handle), every email's status, the
// emails queued and not sent, the clients and the invoices with a
// collection scheduled the daily check looks at (flagged when seen since the
// last check), and the day of the last full check. The changes of up to a
// few hundred events (live: of a group) are written together with the
// checkpoint in one transaction, never one held while an email is handed
// to the transport; live, a group that changes nothing (the outbox's own
// EmailQueued and EmailSent coming back) writes nothing, so the stored
// checkpoint may lag behind such events, which a restart reads again to no
// effect. A start reads that one row and resumes the log after the
// checkpoint, so it takes the same time whatever the length of the log,
// and memory does not grow with it; the emails queued and not sent are sent again. The first
// start on a database without the row (a new one, or one whose first load
// was cut short) reads the email streams and the facts the daily check needs
// from the whole log, writing its row only once that is done, and resumes
// after the highest position an email was queued for (re-reading the events
// after it is harmless: their emails are known, or they trigger nothing).
// Whatever the database says, an email is queued only if its stream does
// not exist yet in the store, so a lost or older state database costs a
// re-read, never a second email.
//
// # Running it
//
//	ob, err := outbox.New(outbox.Config{Store: store, Mailer: mailer, From: "billing@firm.example", Now: now})
//	err = ob.Start(ctx) // follows the log live and runs Tick every Config.TickInterval
//	defer ob.Close()
//
// MailerFor(smtpURL, dataDir) picks the transport: "" writes .eml files to
// <dataDir>/outbox, smtp://… delivers by SMTP. Tests and one-shot commands use
// CatchUp and Tick synchronously.
package emailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	mailbox "remit/domain/outbox"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/formats/pdf"
	"remit/integrations/mail"
	"remit/projections"
	"remit/projections/follow"
	"remit/projections/rmdb"
)

// Link purposes passed to Config.LinkFor.
const (
	LinkRetryPayment = "retry_payment" // pay a rejected invoice again
	LinkUpdateMethod = "update_method" // add or switch a payment method
	LinkAccept       = "accept"        // read and accept a proposal
	LinkPayInvoice   = "pay_invoice"   // pay one invoice now (a pay-now link)
	LinkCollections  = "collections"   // staff's Collections page (no client, no resource)
)

// Config is what the outbox needs.
type Config struct {
	Store  eventstore.Store
	Mailer mail.Mailer
	// From is the firm's sending address; the firm's name is its display
	// name, and its domain ends every Message-ID.
	From string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// LinkFor returns the link a client follows for purpose (LinkRetryPayment,
	// LinkUpdateMethod, LinkAccept, LinkPayInvoice) about a client and a
	// resource: the invoice (uuid.Nil when none) or, for LinkAccept, the
	// proposal. Nil
	// writes a placeholder until signed client links exist.
	LinkFor func(purpose string, clientID, resource uuid.UUID) string
	// SignLinkFor returns a proposal signatory's own signing link (the
	// signatory signed into it); nil: LinkFor's LinkAccept link.
	SignLinkFor func(clientID, proposalID, signatoryID uuid.UUID) string
	// ExpiryNoticeDays: a card expiring within this many days gets its
	// reminder (default 30).
	ExpiryNoticeDays int
	// UpcomingChargeDays: a collection this many days away or fewer gets its
	// notice (default 3).
	UpcomingChargeDays int
	// SkipHistory makes the first start on a store record the log's head
	// (OutboxStarted): events already in the log then send no email, only
	// later ones do. remit serve turns it on, so a demo, an import or a
	// migrated history does not mail a year of invoices at once.
	SkipHistory bool
	// TickInterval is how often Start runs Tick (default 15 minutes).
	TickInterval time.Duration
	// Collections reads the collections read model
	// (projections.Models.Collections) for the staff's daily digest; nil:
	// the digest gives its counts and totals only.
	Collections func(context.Context, projections.CollectionsQuery) (projections.Collections, error)
	// StaffTo is where emails for the firm's staff go (a disputed
	// payment); empty: From, the firm's own billing address.
	StaffTo string
	// Logger receives operational logs; nil discards.
	Logger *slog.Logger
	// State is the database the outbox keeps what it knows in (its
	// checkpoint, every email's status, the emails still to send, what
	// the daily check looks at; tables outbox_*): remit serve passes the
	// read models' database, so a start resumes from the checkpoint
	// instead of reading the log from the start. Nil: a temporary
	// database, deleted by Close (a new outbox then reads the log again).
	State *rmdb.DB
}

// MailerFor returns the mailer for an SMTP URL (see mail.ParseSMTPURL), or,
// for "", the default that writes .eml files into <dataDir>/outbox.
func MailerFor(smtpURL, dataDir string) (mail.Mailer, error) {
	if smtpURL == "" {
		return mail.Files{Dir: filepath.Join(dataDir, "outbox")}, nil
	}
	cfg, err := mail.ParseSMTPURL(smtpURL)
	if err != nil {
		return nil, err
	}
	return mail.NewSMTP(cfg), nil
}

// triggers are the event types that cause an email.
var triggers = map[string]mailbox.Kind{
	"InvoiceIssued":                   mailbox.KindInvoiceIssued,
	"InvoicePaymentSucceeded":         mailbox.KindPaymentReceipt,
	"InvoicePaymentRecorded":          mailbox.KindPaymentReceipt,
	"InvoicePaymentRejected":          mailbox.KindPaymentRejected,
	"ProposalSent":                    mailbox.KindProposal,
	"InvoiceSent":                     mailbox.KindInvoiceSent,
	"ClientPaymentDetailsRequested":   mailbox.KindPaymentDetailsRequest,
	"InvoicePaymentDisputed":          mailbox.KindDisputeOpened, // to staff (dispute.go)
	"InvoicePaymentRefunded":          mailbox.KindRefundIssued,  // refund_email.go
	"InvoiceDuplicatePaymentRefunded": mailbox.KindRefundIssued,
	"InvoiceCreditNoteIssued":         mailbox.KindCreditNoteIssued,   // refund_email.go
	"ProposalReminderSent":            mailbox.KindProposalReminder,   // proposal_notices.go
	"ProposalViewed":                  mailbox.KindProposalViewed,     // to staff
	"ProposalAccepted":                mailbox.KindProposalAccepted,   // to staff
	"ProposalDeclined":                mailbox.KindProposalDeclined,   // to staff
	"ProposalSignedDocumentFiled":     mailbox.KindProposalSigned,     // signed.go
	"InvoiceReminderSent":             mailbox.KindInvoiceReminder,    // dunning.go
	"InvoiceDunningExhausted":         mailbox.KindDunningFinalNotice, // dunning.go
	"FirmDunningDigestSent":           mailbox.KindDunningDigest,      // digest.go, to staff
	"PriceIncreaseNoticeSent":         mailbox.KindPriceIncrease,      // price_notice.go
	"ServiceEdited":                   mailbox.KindPriceIncrease,      // with notify_client_of_price_change
}

// watched are the event types the outbox reads: triggers, what the daily
// check needs to know about (clients, scheduled collections), and emails.
func watched() eventstore.Filter {
	types := []string{"ClientCreated", "InvoiceCollectionScheduled", "InvoiceRetryScheduled"}
	for t := range triggers {
		types = append(types, t)
	}
	return eventstore.Filter{EventTypes: append(types, mailbox.EventTypes()...)}
}

// Outbox is the email process manager. Its methods are safe for concurrent
// use; handling is serialised.
type Outbox struct {
	cfg       Config
	log       *slog.Logger
	cat       *catalog.Catalog
	templates map[mailbox.Kind]templateSet
	transport string

	mu      sync.Mutex
	db      *rmdb.DB // the state database (state.go)
	closeDB bool     // db is a temporary one of the outbox's own
	loaded  bool
	loading bool   // reading the log for a first start: no checkpoint yet
	next    uint64 // the next log position to handle
	started bool   // the start marker was seen
	// history is the log's head when MarkHistory was called (historySet):
	// the end of the history a first start with SkipHistory sends nothing for.
	history    uint64
	historySet bool
	// sweptOn is the last day the daily check went through every client
	// and collection; later Ticks that day check those seen since.
	sweptOn  domain.Date
	pend     changes             // not yet written to db
	group    *group              // while events are handled as a group: the emails to send together
	reads    *reads              // while a trigger is handled: what it read
	progress eventstore.Progress // how far the log is handled, for WaitFor

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// running and failures are for Stats.
	running  atomic.Bool
	failures atomic.Uint64
	beat     atomic.Int64 // unix nanoseconds of the tick loop's last turn
}

// New returns an outbox; Start runs it, or call CatchUp and Tick.
func New(cfg Config) (*Outbox, error) {
	if cfg.Store == nil || cfg.Mailer == nil {
		return nil, errors.New("outbox: a store and a mailer are needed")
	}
	if !strings.Contains(cfg.From, "@") {
		return nil, fmt.Errorf("outbox: the sending address %q is not an email address", cfg.From)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LinkFor == nil {
		cfg.LinkFor = func(purpose string, _, _ uuid.UUID) string {
			return "(a link to " + strings.ReplaceAll(purpose, "_", " ") + " will follow)"
		}
	}
	if cfg.ExpiryNoticeDays <= 0 {
		cfg.ExpiryNoticeDays = 30
	}
	if cfg.UpcomingChargeDays <= 0 {
		cfg.UpcomingChargeDays = 3
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = 15 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ts, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("outbox: templates: %w", err)
	}
	transport := "custom"
	if n, ok := cfg.Mailer.(interface{ Name() string }); ok {
		transport = n.Name()
	}
	return &Outbox{
		cfg: cfg, log: cfg.Logger, cat: catalog.New(), templates: ts, transport: transport,
		db: cfg.State, pend: newChanges(),
	}, nil
}

// Start loads the outbox's state from the store, sends what was queued and
// not sent, then follows the log live and runs Tick every TickInterval until
// Close. The tick loop beats at each turn (Stats.LastBeat), so a stuck or
// dead loop shows. Start after Close starts it again.
func (o *Outbox) Start(ctx context.Context) error {
	ctx, o.cancel = context.WithCancel(context.WithoutCancel(ctx))
	o.running.Store(true)
	o.wg.Add(2)
	// Catching up may send many emails: it runs in the background so that
	// serving does not wait for it; the follower starts where it ends.
	go func() {
		defer o.wg.Done()
		if err := o.CatchUp(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("outbox: catching up", "err", err)
		}
		o.follow(ctx)
	}()
	go func() {
		defer o.wg.Done()
		t := time.NewTicker(o.cfg.TickInterval)
		defer t.Stop()
		for {
			o.beat.Store(time.Now().UnixNano()) // the wall clock: liveness is real time
			if err := o.Tick(ctx); err != nil && ctx.Err() == nil {
				o.log.Warn("outbox tick", "err", err)
			}
			o.beat.Store(time.Now().UnixNano()) // the wall clock: liveness is real time
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Close stops the outbox started by Start, waits for it, and deletes its
// temporary state database, if it made one.
func (o *Outbox) Close() error {
	o.running.Store(false)
	if o.cancel != nil {
		o.cancel()
		o.wg.Wait()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	// Started again (a node taking the outbox's lease back), it reads its
	// state afresh: another node may have moved it on meanwhile.
	o.loaded = false
	if o.closeDB && o.db != nil {
		err := o.db.Close()
		o.db, o.loaded = nil, false
		return err
	}
	return nil
}

// follow handles events as they are appended, through the one log follower
// (projections/follow), starting it again from where the outbox is after a
// failure.
func (o *Outbox) follow(ctx context.Context) {
	for ctx.Err() == nil {
		o.mu.Lock()
		from := max(o.next, 1) - 1
		o.mu.Unlock()
		if err := o.followFrom(ctx, from); err != nil && ctx.Err() == nil {
			o.log.Warn("outbox: following the log", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second): // back off before resubscribing
		}
	}
}

// groupMax is the most events handled as one group, and the most emails
// sent as one.
const groupMax = 256

// followFrom follows the log after position from until ctx ends or handling
// fails: the follower queues each event, and one goroutine handles what is
// queued as a group (handleGroup), so a burst of invoices costs one sync
// of the outbox folder, one append and one write of the state, not one
// each.
func (o *Outbox) followFrom(ctx context.Context, from uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan follow.Event, 4*groupMax)
	drained := make(chan error, 1)
	go func() {
		err := o.drain(ctx, queue)
		cancel() // a failure stops the follower; the loop starts again from o.next
		drained <- err
	}()
	f := follow.New(o.cfg.Store, func(ctx context.Context, ev follow.Event) error {
		select {
		case queue <- ev:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, follow.Options{From: from, Filter: watched(), Catalog: o.cat})
	err := f.Run(ctx)
	cancel()
	if derr := <-drained; derr != nil && !errors.Is(derr, context.Canceled) {
		return derr
	}
	return err
}

// drain handles the queued events, as many as are waiting (up to groupMax)
// at a time.
func (o *Outbox) drain(ctx context.Context, queue <-chan follow.Event) error {
	evs := make([]follow.Event, 0, groupMax)
	for {
		evs = evs[:0]
		select {
		case ev := <-queue:
			evs = append(evs, ev)
		case <-ctx.Done():
			return ctx.Err()
		}
	more:
		for len(evs) < groupMax {
			select {
			case ev := <-queue:
				evs = append(evs, ev)
			default:
				break more
			}
		}
		if err := o.handleGroup(ctx, evs); err != nil {
			return err
		}
	}
}

// handleGroup handles evs, sends their emails together and writes what was
// learnt. Nothing learnt (most often the outbox's own EmailQueued and
// EmailSent coming back) writes nothing: the stored checkpoint then lags
// behind such events, and a restart reads them again, which changes nothing
// either.
func (o *Outbox) handleGroup(ctx context.Context, evs []follow.Event) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.group = &group{}
	defer func() { o.group = nil }()
	for _, ev := range evs {
		if err := o.handle(ctx, ev); err != nil {
			return err
		}
	}
	if err := o.sendGroup(ctx); err != nil {
		return err
	}
	if !o.pend.dirty {
		return nil
	}
	return o.flush(ctx)
}

// WaitFor returns once the outbox has handled the log up to position pos, or
// ctx's error. The live follower moves only on the events the outbox watches
// (triggers, clients, collections, emails); CatchUp and Tick move it to the
// head, so wait for the position of a watched event, or call CatchUp.
func (o *Outbox) WaitFor(ctx context.Context, pos uint64) error {
	return o.progress.Wait(ctx, pos)
}

// CatchUp loads the outbox's state the first time, sends emails queued and not
// sent, and handles the log up to its head.
func (o *Outbox) CatchUp(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.loaded {
		if err := o.load(ctx); err != nil {
			return err
		}
		o.loaded = true
	}
	if err := o.sendPending(ctx); err != nil {
		return err
	}
	// The head is read before the log: every event up to it is then read
	// below, and advancing to it cannot skip one appended meanwhile (the
	// follower picks those up).
	head, err := o.cfg.Store.Head(ctx)
	if err != nil {
		return err
	}
	o.group = &group{}
	defer func() { o.group = nil }()
	f := follow.New(o.cfg.Store, func(ctx context.Context, ev follow.Event) error {
		if err := o.handle(ctx, ev); err != nil {
			return err
		}
		if len(o.group.emails) >= groupMax {
			if err := o.sendGroup(ctx); err != nil {
				return err
			}
		}
		return o.handled(ctx)
	}, follow.Options{From: max(o.next, 1) - 1, Filter: watched(), Catalog: o.cat})
	err = f.CatchUp(ctx)
	if err == nil {
		err = o.sendGroup(ctx)
	}
	if err == nil {
		o.advance(head)
	}
	if ferr := o.flush(ctx); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Tick catches up with the log, runs the clock's checks for today in the
// firm's time zone (cards about to expire, upcoming charges) and retries
// emails that are still unsent.
func (o *Outbox) Tick(ctx context.Context) error {
	if err := o.CatchUp(ctx); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := o.firm(ctx)
	if err != nil || !f.SetUp {
		return err
	}
	return o.daily(ctx, domain.DateOf(o.cfg.Now(), location(f)))
}

func location(f firm.State) *time.Location {
	if loc, err := time.LoadLocation(f.TimeZone); err == nil && f.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// load reads the outbox's state: its checkpoint row when it has one (a
// start then reads nothing of the log before it); else, the first time on
// a state database, every email stream and the facts the daily check
// needs, from the log.
func (o *Outbox) load(ctx context.Context) error {
	found, err := o.openState(ctx)
	if err != nil {
		return err
	}
	if found {
		if o.next > 0 {
			o.progress.Advance(o.next - 1)
		}
		return nil
	}
	f := follow.New(o.cfg.Store, func(ctx context.Context, ev follow.Event) error {
		if err := o.observe(ctx, ev); err != nil {
			return err
		}
		return o.handled(ctx)
	}, follow.Options{Filter: watched(), Catalog: o.cat})
	// The checkpoint row is written once the whole log is read: a load cut
	// short leaves none, and the next start reads the log again (its rows
	// so far are written idempotently) rather than take the history for
	// new events to email.
	o.loading = true
	err = f.CatchUp(ctx)
	o.loading = false
	if err != nil {
		return fmt.Errorf("outbox: load: %w", err)
	}
	if !o.started && o.cfg.SkipHistory {
		if err := o.markStart(ctx); err != nil {
			return err
		}
	}
	return o.flush(ctx)
}

// observe updates the state from one event; it sends nothing.
func (o *Outbox) observe(ctx context.Context, ev follow.Event) error {
	switch e := ev.Data.(type) {
	case client.ClientCreated:
		o.setWatch(watchClient, e.ClientID, true)
	case invoice.InvoiceCollectionScheduled:
		o.setWatch(watchCollection, e.InvoiceID, true)
	case invoice.InvoiceRetryScheduled:
		o.setWatch(watchCollection, e.InvoiceID, true)
	case mailbox.EmailQueued:
		known, err := o.known(ctx, e.EmailID)
		if err != nil {
			return err
		}
		if !known {
			o.setStatus(e.EmailID, mailbox.StatusQueued, &e)
		}
		if e.TriggerPosition+1 > o.next {
			o.next = e.TriggerPosition + 1
		}
	case mailbox.EmailSent:
		return o.settle(ctx, e.EmailID, mailbox.StatusSent)
	case mailbox.EmailFailed:
		return o.settle(ctx, e.EmailID, mailbox.StatusFailed)
	case mailbox.OutboxStarted:
		o.started = true
		if e.FromPosition+1 > o.next {
			o.next = e.FromPosition + 1
		}
	}
	return nil
}

// MarkHistory notes the log's head now as the end of the history that a
// first start with SkipHistory sends no email for: every event appended
// after the call is emailed, however long the first start's load (which
// runs in the background, Start) takes. remit serve calls it before it
// serves a request or runs a job; without it, the head is read when that
// load ends, and an invoice issued meanwhile was taken for history and
// never emailed. Only the first call counts.
func (o *Outbox) MarkHistory(ctx context.Context) error {
	head, err := o.cfg.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.historySet {
		o.history, o.historySet = head, true
	}
	return nil
}

// markStart records, the first time emails are enabled with SkipHistory on,
// that the events already in the log (up to MarkHistory's head, or else the
// head now) send no email. Every process reads the one marker back, whoever
// wrote it.
func (o *Outbox) markStart(ctx context.Context) error {
	head := o.history
	if !o.historySet {
		var err error
		if head, err = o.cfg.Store.Head(ctx); err != nil {
			return err
		}
	}
	err := o.append(ctx, uuid.Nil, "start", eventstore.NoStream, mailbox.OutboxStarted{FromPosition: head, At: o.cfg.Now()}, "")
	if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return err
	}
	recs, err := o.cfg.Store.ReadStream(ctx, mailbox.StartStreamName(), 0, eventstore.Forward, 1)
	if err != nil {
		return fmt.Errorf("outbox: read the start marker: %w", err)
	}
	for _, r := range recs {
		ev, err := follow.Decode(o.cat, r)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if err := o.observe(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func (o *Outbox) advance(pos uint64) {
	if pos+1 > o.next {
		o.next = pos + 1
	}
	o.progress.Advance(pos)
}

// handle observes one event and, for a trigger, queues and sends its email.
func (o *Outbox) handle(ctx context.Context, ev follow.Event) error {
	if err := o.observe(ctx, ev); err != nil {
		return err
	}
	if kind, ok := triggers[ev.Type]; ok {
		o.reads = &reads{trigger: ev, streams: map[string][]positioned{}}
		err := o.trigger(ctx, kind, ev)
		o.reads = nil
		if err != nil {
			return err
		}
	}
	if o.group != nil {
		// Handled once the group's emails are sent (sendGroup).
		o.group.last = max(o.group.last, ev.Position)
		return nil
	}
	o.advance(ev.Position)
	return nil
}

// group is the emails of a group of events, sent together once the
// events are handled (sendGroup), and the last event's position.
type group struct {
	emails []groupEmail
	last   uint64
}

// groupEmail is one email of a group: queued, composed, not yet sent.
type groupEmail struct {
	q           mailbox.EmailQueued
	msg         mail.Message
	correlation string
}

// sendGroup sends the group's emails together (sendThenRecordAll), then
// moves the outbox past the group's events, and starts an empty group.
// When sending fails the outbox stays before the group, so its events are
// handled again.
func (o *Outbox) sendGroup(ctx context.Context) error {
	g := o.group
	o.group = &group{}
	if err := o.sendThenRecordAll(ctx, g.emails); err != nil {
		return err
	}
	if g.last > 0 {
		o.advance(g.last)
	}
	return nil
}

func (o *Outbox) trigger(ctx context.Context, kind mailbox.Kind, ev follow.Event) error {
	switch kind {
	case mailbox.KindProposal:
		return o.triggerProposal(ctx, ev)
	case mailbox.KindPaymentDetailsRequest:
		return o.triggerDetailsRequest(ctx, ev)
	case mailbox.KindProposalReminder:
		return o.triggerReminder(ctx, ev)
	case mailbox.KindProposalViewed, mailbox.KindProposalAccepted, mailbox.KindProposalDeclined:
		return o.triggerStaffNotice(ctx, kind, ev)
	case mailbox.KindProposalSigned:
		return o.triggerSigned(ctx, ev)
	case mailbox.KindInvoiceReminder, mailbox.KindDunningFinalNotice:
		return o.triggerDunning(ctx, kind, ev)
	case mailbox.KindPaymentRejected:
		if send, err := o.rejectionNotices(ctx, ev); err != nil || !send {
			return err
		}
	case mailbox.KindPriceIncrease:
		return o.triggerPriceNotice(ctx, ev)
	case mailbox.KindDunningDigest:
		return o.triggerDigest(ctx, ev)
	case mailbox.KindCreditNoteIssued:
		if own, err := o.creditNoteOnItsOwn(ctx, ev); err != nil || !own {
			return err
		}
	}
	id := mailbox.EmailID(kind, ev.ID.String())
	if known, err := o.known(ctx, id); err != nil || known {
		return err
	}
	e := ev.Data
	var invoiceID uuid.UUID
	switch e := e.(type) {
	case invoice.InvoiceIssued:
		invoiceID = e.InvoiceID
	case invoice.InvoicePaymentSucceeded:
		invoiceID = e.InvoiceID
	case invoice.InvoicePaymentRecorded:
		invoiceID = e.InvoiceID
	case invoice.InvoicePaymentRejected:
		invoiceID = e.InvoiceID
	case invoice.InvoiceSent:
		invoiceID = e.InvoiceID
	case invoice.InvoicePaymentDisputed:
		invoiceID = e.InvoiceID
	case invoice.InvoicePaymentRefunded:
		invoiceID = e.InvoiceID
	case invoice.InvoiceDuplicatePaymentRefunded:
		invoiceID = e.InvoiceID
	case invoice.InvoiceCreditNoteIssued:
		invoiceID = e.InvoiceID
	}
	inv, err := o.invoiceAsOf(ctx, invoiceID, ev.Position)
	if err != nil {
		return err
	}
	q := mailbox.EmailQueued{
		EmailID: id, Kind: kind, ClientID: inv.ClientID, InvoiceID: invoiceID, PaymentMethodID: inv.PaymentMethodID,
		TriggerEventID: ev.ID, TriggerPosition: ev.Position,
	}
	if e, ok := e.(invoice.InvoiceSent); ok {
		if !strings.Contains(e.Recipient, "@") {
			o.log.Warn("outbox: the invoice was sent to no email address (erased?); not sent", "invoice", invoiceID)
			return nil
		}
		q.To = e.Recipient // staff chose the recipient
	}
	if kind == mailbox.KindDisputeOpened {
		q.To, q.ToName = o.staffAddress()
	}
	return o.queueAndSend(ctx, q, ev.Metadata.CorrelationID)
}

// triggerProposal emails a sent proposal: to each signatory yet to sign,
// with their own signing link (the view finds the signatory by the
// address), and to each recipient staff chose who is not a signatory, with
// the proposal's link. An email's id comes from the trigger event and the
// signatory's id or the recipient's place in the list, so a re-send (a new
// ProposalSent) emails again and a replay never does.
func (o *Outbox) triggerProposal(ctx context.Context, ev follow.Event) error {
	sent, ok := ev.Data.(proposal.ProposalSent)
	if !ok {
		return nil
	}
	p, err := o.proposalAsOf(ctx, sent.ProposalID, ev.Position)
	if err != nil {
		return err
	}
	type to struct {
		key string
		proposal.Recipient
	}
	var list []to
	for _, g := range p.Unsigned() {
		list = append(list, to{"signatory/" + g.ID.String(), proposal.Recipient{Name: g.Name, Email: g.Email}})
	}
	for i, r := range sent.Recipients { // the catalogue upcasts a v1 event's recipient_email into Recipients
		if _, isSignatory := signatoryByEmail(p, r.Email); !isSignatory {
			list = append(list, to{strconv.Itoa(i), r})
		}
	}
	for _, r := range list {
		id := mailbox.EmailID(mailbox.KindProposal, ev.ID.String()+"/"+r.key)
		if known, err := o.known(ctx, id); err != nil {
			return err
		} else if known {
			continue
		}
		if !strings.Contains(r.Email, "@") {
			o.log.Warn("outbox: a proposal recipient has no email address (erased?); not sent", "proposal", sent.ProposalID)
			continue
		}
		q := mailbox.EmailQueued{
			EmailID: id, Kind: mailbox.KindProposal, ClientID: p.ClientID, ProposalID: sent.ProposalID,
			To: r.Email, ToName: r.Name, TriggerEventID: ev.ID, TriggerPosition: ev.Position,
		}
		if err := o.queueAndSend(ctx, q, ev.Metadata.CorrelationID); err != nil {
			return err
		}
	}
	return nil
}

// signatoryByEmail finds the proposal's signatory with an address
// (compared without case).
func signatoryByEmail(p proposal.State, email string) (proposal.Signatory, bool) {
	for _, g := range p.Signatories {
		if strings.EqualFold(strings.TrimSpace(g.Email), strings.TrimSpace(email)) {
			return g, true
		}
	}
	return proposal.Signatory{}, false
}

// triggerDetailsRequest emails a request for payment details to the
// contact it names; its id comes from the request id, so a request recorded
// once is emailed once.
func (o *Outbox) triggerDetailsRequest(ctx context.Context, ev follow.Event) error {
	e, ok := ev.Data.(client.ClientPaymentDetailsRequested)
	if !ok {
		return nil
	}
	id := mailbox.EmailID(mailbox.KindPaymentDetailsRequest, e.RequestID.String())
	if known, err := o.known(ctx, id); err != nil || known {
		return err
	}
	if !strings.Contains(e.Email, "@") {
		o.log.Warn("outbox: a payment-details request has no email address (erased?); not sent", "client", e.ClientID)
		return nil
	}
	q := mailbox.EmailQueued{
		EmailID: id, Kind: mailbox.KindPaymentDetailsRequest, ClientID: e.ClientID, To: e.Email, ToName: e.Name,
		TriggerEventID: ev.ID, TriggerPosition: ev.Position,
	}
	return o.queueAndSend(ctx, q, ev.Metadata.CorrelationID)
}

// queueAndSend addresses the email (to the client's primary billing contact
// unless q names a recipient), records it as queued and sends it.
func (o *Outbox) queueAndSend(ctx context.Context, q mailbox.EmailQueued, correlation string) error {
	if q.To == "" {
		c, err := o.client(ctx, q.ClientID)
		if err != nil {
			return err
		}
		contact, ok := c.PrimaryContact()
		if !ok || !strings.Contains(contact.Email, "@") {
			o.log.Warn("outbox: no primary billing contact with an email address; not sent", "client", q.ClientID, "kind", q.Kind)
			return nil
		}
		q.To, q.ToName = contact.Email, contact.Name
	}
	q.From = o.cfg.From
	q.MessageID = messageID(q.EmailID, o.cfg.From)
	q.At = o.cfg.Now()
	msg, err := o.compose(ctx, q)
	if err != nil {
		return err
	}
	q.Subject = msg.Subject
	if _, err := mailbox.Decide(mailbox.State{}, mailbox.Queue{Email: q}); err != nil {
		o.log.Warn("outbox: email refused; not sent", "email", q.EmailID, "err", err)
		return nil
	}
	if m, ok := o.cfg.Mailer.(mail.OnceByID); ok && m.DeliversOnceByID() {
		return o.sendThenRecord(ctx, q, msg, correlation)
	}
	if err := o.append(ctx, q.EmailID, "queued", eventstore.NoStream, q, correlation); err != nil {
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return err
		}
		// Another outbox queued it first: take its record as it stands.
		return o.adopt(ctx, q.EmailID)
	}
	o.setStatus(q.EmailID, mailbox.StatusQueued, &q)
	o.deliver(ctx, q, msg)
	return nil
}

// sendThenRecord is queueAndSend for a mailer that delivers a message at
// most once by its id (mail.OnceByID): it delivers first, then records
// EmailQueued and the outcome in one append, one synced commit where the
// other order takes two. A crash between the two leaves the trigger
// unhandled (nothing moved the checkpoint past it), so it is handled again
// and the second delivery delivers nothing; a temporary failure records
// the email queued alone, for sendPending to retry. While a group of
// events is handled, the email waits to be sent with the group's others.
func (o *Outbox) sendThenRecord(ctx context.Context, q mailbox.EmailQueued, msg mail.Message, correlation string) error {
	e := groupEmail{q: q, msg: msg, correlation: correlation}
	if o.group != nil {
		o.group.emails = append(o.group.emails, e)
		return nil
	}
	return o.sendThenRecordAll(ctx, []groupEmail{e})
}

// sendThenRecordAll is sendThenRecord for several emails: they are handed
// to the mailer together (mail.GroupSender: the .eml files' folder is
// synced once), then recorded in one append over their streams
// (billing.RecordNewMany: one synced commit).
func (o *Outbox) sendThenRecordAll(ctx context.Context, emails []groupEmail) error {
	if len(emails) == 0 {
		return nil
	}
	errs := o.sendAll(ctx, emails)
	recs := make([]billing.NewRecord, len(emails))
	statuses := make([]mailbox.Status, len(emails))
	for i, e := range emails {
		outcome, step, status := o.outcome(e.q, errs[i])
		ids, events := []uuid.UUID{uuid.NewSHA1(e.q.EmailID, []byte("queued"))}, []domain.Event{e.q}
		if outcome != nil {
			ids, events = append(ids, uuid.NewSHA1(e.q.EmailID, []byte(step))), append(events, outcome)
		}
		recs[i] = billing.NewRecord{Stream: mailbox.StreamName(e.q.EmailID), IDs: ids, Events: events, Meta: o.meta(e.q.EmailID, e.correlation)}
		statuses[i] = status
	}
	_, rerrs, err := billing.RecordNewMany(ctx, billing.Env{Store: o.cfg.Store, Catalog: o.cat}, recs)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	var first error
	for i, e := range emails {
		switch err := rerrs[i]; {
		case err == nil:
			o.setStatus(e.q.EmailID, mailbox.StatusQueued, &emails[i].q)
			if statuses[i] != "" {
				o.setStatus(e.q.EmailID, statuses[i], nil)
			}
		case errors.Is(err, eventstore.ErrWrongExpectedVersion):
			// Another outbox recorded it first: take its record as it stands.
			if err := o.adopt(ctx, e.q.EmailID); err != nil && first == nil {
				first = err
			}
		case first == nil:
			first = fmt.Errorf("outbox: append %s: %w", recs[i].Stream, err)
		}
	}
	return first
}

// sendAll hands the emails to the mailer, together when it can
// (mail.GroupSender), and returns each one's error; an email without a
// recipient is not handed over (attempt says why).
func (o *Outbox) sendAll(ctx context.Context, emails []groupEmail) []error {
	errs := make([]error, len(emails))
	var msgs []mail.Message
	var at []int
	for i, e := range emails {
		msg, err := o.addressed(e.q, e.msg)
		if err != nil {
			errs[i] = err
			continue
		}
		msgs, at = append(msgs, msg), append(at, i)
	}
	if gs, ok := o.cfg.Mailer.(mail.GroupSender); ok {
		for j, err := range gs.SendAll(ctx, msgs) {
			errs[at[j]] = err
		}
		return errs
	}
	for j, msg := range msgs {
		errs[at[j]] = o.cfg.Mailer.Send(ctx, msg)
	}
	return errs
}

// adopt reads an email's stream (queued by someone else, or whose outcome
// the state database may not hold) into the state.
func (o *Outbox) adopt(ctx context.Context, id uuid.UUID) error {
	evs, err := o.cfg.Store.ReadStream(ctx, mailbox.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		return err
	}
	for _, r := range evs {
		ev, err := follow.Decode(o.cat, r)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if err := o.observe(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func messageID(id uuid.UUID, from string) string {
	_, host, _ := strings.Cut(from, "@")
	return "<" + id.String() + "@" + host + ">"
}

// sendPending sends every email queued and not yet sent or failed.
func (o *Outbox) sendPending(ctx context.Context) error {
	pending, err := o.pendingEmails(ctx)
	if err != nil {
		return err
	}
	for _, q := range pending {
		// The store has the last word: an email sent (or failed) whose
		// outcome the state database lost (the process died before writing
		// it) is not sent again.
		if err := o.adopt(ctx, q.EmailID); err != nil {
			return err
		}
		if s, err := o.status(ctx, q.EmailID); err != nil {
			return err
		} else if s != mailbox.StatusQueued {
			continue
		}
		msg, err := o.compose(ctx, q)
		if err != nil {
			o.log.Warn("outbox: cannot compose queued email", "email", q.EmailID, "err", err)
			continue
		}
		o.deliver(ctx, q, msg)
	}
	return nil
}

// deliver hands the message to the transport and records the outcome. A
// temporary failure leaves the email pending.
func (o *Outbox) deliver(ctx context.Context, q mailbox.EmailQueued, msg mail.Message) {
	outcome, step, status := o.attempt(ctx, q, msg)
	if outcome == nil {
		return
	}
	if err := o.append(ctx, q.EmailID, step, eventstore.Exact(0), outcome, ""); err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		o.log.Warn("outbox: outcome not recorded; a sent email will be sent again", "email", q.EmailID, "step", step, "err", err)
		return
	}
	o.setStatus(q.EmailID, status, nil)
}

// attempt hands the message to the transport and returns the outcome to
// record (EmailSent or EmailFailed), its step and the status it sets; nil
// for a temporary failure, which leaves the email pending.
func (o *Outbox) attempt(ctx context.Context, q mailbox.EmailQueued, msg mail.Message) (domain.Event, string, mailbox.Status) {
	msg, err := o.addressed(q, msg)
	if err == nil {
		err = o.cfg.Mailer.Send(ctx, msg)
	}
	return o.outcome(q, err)
}

// addressed gives the message the email's subject and recipient; an email
// without a recipient cannot be sent.
func (o *Outbox) addressed(q mailbox.EmailQueued, msg mail.Message) (mail.Message, error) {
	msg.Subject, msg.To = q.Subject, mail.Address{Name: q.ToName, Email: q.To}
	if q.To == "" {
		// The recipient was sealed and the client forgotten since (remit/pii):
		// there is nobody left to send it to.
		return msg, &mail.PermanentError{Err: errors.New("the client's personal data was erased")}
	}
	return msg, nil
}

// outcome is what to record of an email handed to the transport with the
// error err: EmailSent or EmailFailed, its step and the status it sets; nil
// for a temporary failure, which leaves the email pending.
func (o *Outbox) outcome(q mailbox.EmailQueued, err error) (domain.Event, string, mailbox.Status) {
	if err != nil {
		o.failures.Add(1)
	}
	attempts := 1
	var ae *mail.AttemptsError
	if errors.As(err, &ae) {
		attempts = ae.Attempts
	}
	switch {
	case err == nil:
		return mailbox.EmailSent{EmailID: q.EmailID, Transport: o.transport, Attempts: attempts, At: o.cfg.Now()}, "sent", mailbox.StatusSent
	case mail.IsPermanent(err):
		o.log.Warn("outbox: email refused for good", "email", q.EmailID, "to", q.To, "err", err)
		return mailbox.EmailFailed{EmailID: q.EmailID, Reason: err.Error(), Attempts: attempts, At: o.cfg.Now()}, "failed", mailbox.StatusFailed
	default:
		o.log.Warn("outbox: email not sent yet; will retry", "email", q.EmailID, "err", err)
		return nil, "", ""
	}
}

// append records one of the outbox's own events (its start marker, an
// email's queueing or outcome) through the command handler, named from the
// email and the step, on the condition expected places on the email's
// stream (a refusal wraps eventstore.ErrWrongExpectedVersion).
func (o *Outbox) append(ctx context.Context, id uuid.UUID, step string, expected eventstore.ExpectedRevision, e domain.Event, correlation string) error {
	return o.record(ctx, id, expected, []uuid.UUID{uuid.NewSHA1(id, []byte(step))}, []domain.Event{e}, correlation)
}

// record is append for several events of one email, in one append (all or
// none), the i-th named ids[i].
func (o *Outbox) record(ctx context.Context, id uuid.UUID, expected eventstore.ExpectedRevision, ids []uuid.UUID, events []domain.Event, correlation string) error {
	stream := mailbox.StreamName(id)
	env, meta := billing.Env{Store: o.cfg.Store, Catalog: o.cat}, o.meta(id, correlation)
	var err error
	if expected.IsNoStream() {
		// An email's first record: its stream is new but for a race or a
		// repeat, which the append's own expectation catches.
		_, err = billing.RecordNew(ctx, env, stream, ids, events, meta)
	} else {
		_, err = billing.RecordAll(ctx, env, stream, expected, ids, events, meta)
	}
	if err != nil {
		return fmt.Errorf("outbox: append %s: %w", stream, err)
	}
	return nil
}

// meta is what the outbox's records of an email say of who made them and
// why: the email's id, correlated with the trigger (else the email).
func (o *Outbox) meta(id uuid.UUID, correlation string) billing.Meta {
	if correlation == "" {
		correlation = id.String()
	}
	return billing.Meta{Actor: "system:outbox", CommandID: id.String(), CorrelationID: correlation, CausationID: id.String()}
}

// daily sends the clock's emails for today: the first time on a day it
// checks every client and every invoice with a collection scheduled (the
// day of the last full check is in the state database); later that day only
// those seen since, so a Tick every few
// minutes does not fold every invoice of a large log again. (A card added
// to an existing client that is already within the notice period is thus
// announced by the next day's check.)
func (o *Outbox) daily(ctx context.Context, today domain.Date) error {
	sweep := today != o.sweptOn
	clients, err := o.watching(ctx, watchClient, !sweep)
	if err != nil {
		return err
	}
	for _, clientID := range clients {
		if err := o.checkClient(ctx, clientID, today); err != nil {
			return err
		}
	}
	collecting, err := o.watching(ctx, watchCollection, !sweep)
	if err != nil {
		return err
	}
	for _, invoiceID := range collecting {
		if err := o.checkCollection(ctx, invoiceID, today); err != nil {
			return err
		}
	}
	if sweep {
		o.sweptOn = today
	}
	o.pend.clearFresh, o.pend.dirty = true, true
	return o.flush(ctx)
}

// checkClient announces the client's cards about to expire.
func (o *Outbox) checkClient(ctx context.Context, clientID uuid.UUID, today domain.Date) error {
	c, err := o.client(ctx, clientID)
	if err != nil {
		return err
	}
	if c.Archived {
		return nil
	}
	for _, m := range c.ExpiringMethods(today, o.cfg.ExpiryNoticeDays) {
		exp := m.ExpiresOn()
		id := mailbox.EmailID(mailbox.KindMethodExpiring, clientID.String()+"/"+m.ID.String()+"/"+exp.String())
		if known, err := o.known(ctx, id); err != nil {
			return err
		} else if known {
			continue
		}
		q := mailbox.EmailQueued{EmailID: id, Kind: mailbox.KindMethodExpiring, ClientID: clientID, PaymentMethodID: m.ID, Date: exp}
		if err := o.queueAndSend(ctx, q, ""); err != nil {
			return err
		}
	}
	return nil
}

// checkCollection announces the invoice's collection when it is a few days
// away, and forgets an invoice with none scheduled (a new schedule adds it
// back).
func (o *Outbox) checkCollection(ctx context.Context, invoiceID uuid.UUID, today domain.Date) error {
	inv, err := o.invoiceAsOf(ctx, invoiceID, eventstore.End)
	if err != nil {
		return err
	}
	col := inv.Collection
	if col.Date.IsZero() || inv.Status != invoice.StatusPaymentScheduled {
		o.setWatch(watchCollection, invoiceID, false)
		return nil
	}
	if !today.Before(col.Date) || today.Before(col.Date.AddDays(-o.cfg.UpcomingChargeDays)) {
		return nil
	}
	id := mailbox.EmailID(mailbox.KindUpcomingCharge, invoiceID.String()+"/"+col.Date.String())
	if known, err := o.known(ctx, id); err != nil || known {
		return err
	}
	q := mailbox.EmailQueued{EmailID: id, Kind: mailbox.KindUpcomingCharge, ClientID: inv.ClientID, InvoiceID: invoiceID, PaymentMethodID: col.PaymentMethodID, Date: col.Date}
	return o.queueAndSend(ctx, q, "")
}

// triggerOf reads and decodes the event that queued the email (nil when
// none was recorded), checking it is the one the record names.
func (o *Outbox) triggerOf(ctx context.Context, q mailbox.EmailQueued) (domain.Event, error) {
	if q.TriggerPosition == 0 {
		return nil, nil
	}
	if o.reads != nil && o.reads.trigger.ID == q.TriggerEventID && o.reads.trigger.Position == q.TriggerPosition {
		return o.reads.trigger.Data, nil // the event being handled
	}
	evs, err := o.cfg.Store.ReadAll(ctx, q.TriggerPosition, eventstore.Forward, 1, eventstore.Filter{})
	if err != nil {
		return nil, err
	}
	if len(evs) != 1 || evs[0].ID != q.TriggerEventID {
		return nil, fmt.Errorf("outbox: email %s: its trigger %s is not at position %d", q.EmailID, q.TriggerEventID, q.TriggerPosition)
	}
	return o.cat.Decode(evs[0].Type, evs[0].SchemaVersion, evs[0].Data)
}

// compose renders the email a queued record describes. It reads the facts
// again from the store (the trigger event, the invoice as of it, the firm and
// the client), so a re-send after a restart says the same.
func (o *Outbox) compose(ctx context.Context, q mailbox.EmailQueued) (mail.Message, error) {
	f, err := o.firm(ctx)
	if err != nil {
		return mail.Message{}, err
	}
	c, err := o.client(ctx, q.ClientID)
	if err != nil {
		return mail.Message{}, err
	}
	v := view{Firm: f.Name, Client: c.Name, Contact: q.ToName}
	if v.Contact == "" {
		v.Contact = c.Name
	}
	if m, ok := c.PaymentMethod(q.PaymentMethodID); ok {
		v.Method = pdf.MethodName(m.PaymentMethodDetails)
	}
	attach, err := o.kindView(ctx, &v, q, f)
	if err != nil {
		return mail.Message{}, err
	}
	msg := mail.Message{
		ID: q.EmailID.String(), MessageID: q.MessageID, Date: q.At,
		From: mail.Address{Name: f.Name, Email: q.From}, To: mail.Address{Name: q.ToName, Email: q.To}, Attachments: attach,
	}

	trigger, err := o.triggerOf(ctx, q)
	if err != nil {
		return mail.Message{}, err
	}
	pos := q.TriggerPosition
	if pos == 0 {
		pos = eventstore.End
	}
	var inv invoice.State
	if q.InvoiceID != uuid.Nil {
		if inv, err = o.invoiceAsOf(ctx, q.InvoiceID, pos); err != nil {
			return mail.Message{}, err
		}
		v.Number, v.IssueDate, v.DueDate = inv.Number, pdf.FormatDate(inv.IssueDate), pdf.FormatDate(inv.DueDate)
		v.Total = money(inv.Totals.Gross)
	}

	sent, resent := trigger.(invoice.InvoiceSent)
	if resent {
		// Sent again by staff: the same email as when it was issued.
		if trigger, err = o.issuedEvent(ctx, sent.InvoiceID); err != nil {
			return mail.Message{}, err
		}
	}
	// A price notice's prices (nothing for other triggers).
	if err := o.priceView(ctx, &v, trigger, pos); err != nil {
		return mail.Message{}, err
	}
	if docs, err := o.triggerView(ctx, &v, trigger, f, c, inv, q, resent); err != nil {
		return mail.Message{}, err
	} else if docs != nil {
		msg.Attachments = docs // the kind's own (a signed proposal's) otherwise
	}
	if q.Kind == mailbox.KindPaymentReceipt {
		if b := inv.Balance(); b.Amount.IsPositive() {
			v.Balance = money(b)
		}
	}
	switch q.Kind {
	case mailbox.KindMethodExpiring:
		v.ExpiresOn = pdf.FormatDate(q.Date)
	case mailbox.KindUpcomingCharge:
		v.ChargeDate, v.Amount = pdf.FormatDate(q.Date), money(inv.Balance())
	}
	kind := q.Kind
	if kind == mailbox.KindInvoiceSent {
		kind = mailbox.KindInvoiceIssued
	}
	ts, ok := o.templates[kind]
	if !ok {
		return mail.Message{}, fmt.Errorf("outbox: no templates for %q", q.Kind)
	}
	if msg.Subject, msg.Text, msg.HTML, err = ts.render(v); err != nil {
		return mail.Message{}, fmt.Errorf("outbox: render %s: %w", q.Kind, err)
	}
	return msg, nil
}

// kindView fills in what a proposal, a reminder, a staff notice
// (proposal_notices.go), a signed proposal or a payment email says about its
// kind (links, the signed PDF attached).
func (o *Outbox) kindView(ctx context.Context, v *view, q mailbox.EmailQueued, f firm.State) ([]mail.Attachment, error) {
	switch q.Kind {
	case mailbox.KindProposal:
		return nil, o.proposalView(ctx, v, q, f)
	case mailbox.KindProposalReminder, mailbox.KindProposalViewed, mailbox.KindProposalAccepted, mailbox.KindProposalDeclined:
		return nil, o.noticeView(ctx, v, q)
	case mailbox.KindProposalSigned:
		return o.signedView(ctx, v, q, f)
	case mailbox.KindPriceIncrease, mailbox.KindDunningDigest:
		return nil, nil
	}
	v.RetryLink = o.cfg.LinkFor(LinkRetryPayment, q.ClientID, q.InvoiceID)
	v.UpdateLink = o.cfg.LinkFor(LinkUpdateMethod, q.ClientID, q.InvoiceID)
	return nil, nil
}

// triggerView fills the view with what the trigger event says (the
// payment, the decline, the credit note…) and answers the attachments its
// email carries (the invoice's or the credit note's PDF; nil for the
// others).
func (o *Outbox) triggerView(ctx context.Context, v *view, trigger domain.Event, f firm.State, c client.State, inv invoice.State, q mailbox.EmailQueued, resent bool) ([]mail.Attachment, error) {
	switch e := trigger.(type) {
	case invoice.InvoiceIssued:
		return o.issuedView(ctx, v, e, f, c, inv, q, resent)
	case invoice.InvoicePaymentSucceeded:
		v.Amount, v.PaidOn = money(e.Amount), pdf.FormatDate(e.PaymentDate(location(f)))
		v.Method = paidWith(e, c)
	case invoice.InvoicePaymentRecorded:
		v.Amount, v.PaidOn = money(e.Amount), pdf.FormatDate(e.Date)
		v.Method = "" // paid outside the gateway, not from the invoice's method
		v.PaidBy = paidOffline(e)
	case invoice.InvoicePaymentRejected:
		v.Decline, v.DeclineCode = domain.Sentence(e.DeclineMessage), e.DeclineCode
		v.Total = money(inv.Balance())
	case client.ClientPaymentDetailsRequested:
		v.Note = e.Note
	case invoice.InvoiceReminderSent, invoice.InvoiceDunningExhausted:
		o.dunningView(v, e, inv, q)
	case firm.FirmDunningDigestSent:
		return nil, o.digestView(ctx, v, e)
	case invoice.InvoiceCreditNoteIssued:
		attach, err := creditNoteView(v, e, inv, f, c)
		switch {
		case err != nil || v.Balance == "":
		case inv.Collection.Date.IsZero():
			// Nothing charges the rest: the email carries the pay-now link.
			v.PayLink = o.cfg.LinkFor(LinkPayInvoice, q.ClientID, q.InvoiceID)
		default:
			v.ChargeDate = pdf.FormatDate(inv.Collection.Date)
		}
		return attach, err
	default:
		staffView(v, trigger, inv)
	}
	return nil, nil
}

// issuedView fills in what an invoice email says about paying it (when
// and from what it is charged, else how to pay, with its pay-now link when
// nothing charges it) and answers its PDF as the attachment. Re-sent
// (resent) while owed with no collection scheduled now (it failed, or
// never was), the email carries the pay-now link too.
func (o *Outbox) issuedView(ctx context.Context, v *view, e invoice.InvoiceIssued, f firm.State, c client.State, inv invoice.State, q mailbox.EmailQueued, resent bool) ([]mail.Attachment, error) {
	col, err := o.collectionWithIssue(ctx, e)
	if err != nil {
		return nil, err
	}
	data := pdf.FromIssued(e, col, f, c)
	v.HowToPay = data.HowToPay
	if (col.Date.IsZero() || resent && inv.Collection.Date.IsZero()) && inv.Balance().Amount.IsPositive() {
		// Nothing charges it: the email carries its pay-now link.
		v.PayLink = o.cfg.LinkFor(LinkPayInvoice, q.ClientID, q.InvoiceID)
	}
	var buf bytes.Buffer
	if err := pdf.Invoice(&buf, data); err != nil {
		return nil, err
	}
	return []mail.Attachment{{Filename: e.Number + ".pdf", ContentType: "application/pdf", Data: buf.Bytes()}}, nil
}

func money(m domain.Money) string { return pdf.FormatMoney(m) + " " + m.Currency.Code }
