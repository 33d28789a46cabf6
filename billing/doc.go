// Package billing turns requests into events: it is Remit's command side.
// Every use case of the client page is one method of Service; each builds a
// domain command, runs it through the one generic command handler (Handle)
// against the aggregate's stream, and answers with a Result saying where the
// events landed, or a domain error (domain.Error codes, *domain.ValidationError
// for field-level problems) that the web layer maps to an HTTP status.
//
// # The command handler
//
// The command handler is the only code in Remit, outside eventstore, that
// appends events (appendTogether, its form for the steps of one use case
// that are recorded together, encodes events as it does). Handle[S, C] runs one command: it reads the stream forward,
// decodes each event with the catalogue (domain/catalog), folds the events
// with the aggregate's Evolve, calls its Decide, encodes the new events
// (envelopes: JSON of the event struct, type EventType(), the type's current
// schema version from the catalogue,
// the command's metadata, deterministic ids) and appends them expecting
// NoStream when the stream had no events, else Exact(last revision). On
// eventstore.ErrWrongExpectedVersion it re-reads and decides again, at most
// MaxAttempts times with a small jittered backoff, then answers ECONFLICT.
// Decide returning no events is a success that appends nothing.
//
// HandleBatch[S, C] is the same for many commands on one or many streams:
// per stream it reads once (or starts from a state the caller folded,
// HandleOptions.Known, reading only after a conflict), decides the stream's
// commands in order, each on the state the ones before it left, and makes one
// encode and one append of all their events; a command Decide refuses gets
// its error and the others go on. Handle is HandleBatch with one command.
// When the caller knows the streams' states (Known), HandleBatch decides
// them in blocks of up to 4,096 streams on every core and hands each block's
// appends to the store in one request (eventstore.AppendMany: each append
// with its own expected revision and outcome), two blocks at a time; a
// stream whose append fails goes on alone, re-read and decided again, so
// the outcome is the one stream-by-stream handling gives, in far fewer
// requests and without a goroutine waiting on each append.
// The billing run's IssueBatch, invoice numbering, and the process managers
// (the email outbox and ledger sync, through Record, which records an event
// a process decided itself on the revision it expects, under an id the
// process derives) all append through it.
//
// A Decider may carry a cache of folded states (Decider.Cache), so a command
// reads only the events after the state cached: each Service keeps the
// states of its most recently used service streams (ServiceCacheSize), as
// a service billed daily for years has thousands of events, and the firm's
// state, which most commands read (currency, time zone, terms), so each
// reads only the firm events recorded since. Evolve must therefore never
// change the state it is given.
//
// # Commands, aggregates and streams
//
//	firm settings (SetUpFirm, ChangeFirm…, tax rates,
//	  ChangeDunningPolicy)                            → "firm"
//	clients, contacts, payment methods                → "client-<id>"
//	proposals (draft … expire)                        → "proposal-<id>"
//	proposal templates (create, edit, archive)        → "proposaltemplate-<id>"
//	services and their schedule items                 → "service-<id>"
//	invoices, collections, payments, credits,
//	  dunning steps (dunning.go)                      → "invoice-<id>"
//	invoice numbers                                   → "numbering-invoices"
//	bulk price increases                              → "priceincrease-<id>"
//
// A few use cases touch several streams, each with its own append (one append
// is atomic, several are not), ordered so that any prefix of them is safe and
// re-running the command completes the rest:
//
//   - DraftFromTemplate drafts one proposal per client, each its own append,
//     under the id proposaltemplate.ProposalID(batch, client): a re-run
//     finds the drafts already there (Existed) and drafts the rest.
//   - AcceptProposal appends ProposalAccepted, then activates one service per
//     line with the deterministic id proposal.ServiceID(proposal, line), each
//     activation its own append. A re-run skips what is already there.
//     When the proposal renews another (RenewalOf), each old service whose
//     line it carries over (proposal.Carried) is then ended the day before
//     the renewal starts; one already ended is left.
//   - RenewProposals drafts (and with Send sends) one renewal per accepted
//     proposal, ids proposal.RenewalID(old, batch): the same batch run again
//     drafts and sends nothing twice; DryRun only previews.
//   - ApplyPriceIncrease appends PriceIncreaseApplied (the whole plan the
//     caller made, processes/priceincreases), then edits each planned
//     service's unit price from the effective date (SettlePriceIncrease),
//     each edit its own append under priceincrease.ServiceCommandID(batch,
//     service, "apply"); CancelPriceIncrease appends PriceIncreaseCancelled
//     and settles again, adding the edits back to the old prices ("cancel").
//     A re-run (the daily job settles every batch with notices to send)
//     appends nothing twice. SendPriceIncreaseNotice records a client's
//     notice under NoticeCommandID(batch, client), once.
//   - IssueInvoice decides the invoice first (with a placeholder number) and
//     checks that its events fit the store's event size limit
//     (eventstore.MaxEventSizeOf), so a refused invoice never burns a number
//     (an oversize one is a 422 on "lines"); then marks each schedule item
//     billed on the invoice (service streams, at most once per item: an item
//     billed on another invoice refuses the whole command); then reserves the
//     number in "numbering-invoices" (idempotent per invoice id, appended with
//     Exact expected revision and retried, so numbers are gapless: every
//     reserved number belongs to an invoice the domain accepted); then appends
//     InvoiceIssued with NoStream, followed in the same append by
//     InvoiceCollectionScheduled on the firm's collection date when the
//     invoice has a payment method. On a store that appends to several
//     streams at once (eventstore.AtomicAppender: the embedded store and
//     PostgreSQL) an invoice whose stream is new is issued in the same append
//     as its number's reservation, all or none (issueTogether, through the
//     handler's appendTogether): one synced commit instead of two in a row,
//     and no number recorded without its invoice; a block refused on the
//     numbering stream is decided again, any other failure goes the usual
//     way, as does an invoice that may have a number already (one the
//     number book has a fingerprint of and no cached number: a retry long
//     after its number was reserved keeps that number). A crash between the
//     steps is completed by
//     re-running the command: every step is idempotent for the same ids.
//     Reservations made by this process are serialised by a mutex so the
//     50-way race is decided in memory, not by 50 rounds of conflicts; those
//     that queue while one is being appended are reserved together, in one
//     block (InvoiceNumbersReserved, under the first one's command), so
//     concurrent instant bills share one synced append to the numbering
//     stream instead of each waiting for the one before; another process
//     still meets the expected-revision check. The mutex is held only until
//     a block's append has its place in the store's queue
//     (eventstore.AppendQueued, HandleOptions.Queued), not through its
//     synced commit: the next block is decided on it meanwhile and expects
//     the revision it leaves, so when a block fails, those queued behind it
//     fail too, the book is read again and they are decided again. It is
//     read again only once every block in flight is answered: a block
//     decided on a book read while others fly would expect the revision one
//     of them expects (a fork), and the blocks queued behind the one that
//     lost would then be accepted after the one that won, giving numbers
//     twice (TestGaplessNumbersWhenAQueuedBlockFails caught it, 1 run in 20).
//     A number in flight is nobody's yet: an invoice asked for again while
//     its block flies (a retried instant bill, a run over the same items)
//     waits for the block's answer instead of being issued with a number
//     its block may still lose (TestNumberInFlightIsNobodysYet).
//     The embedded store has one process and one billing.Service writing
//     the numbering stream (its folder is locked); on the other stores a
//     block is queued only once it is written.
//     Only a refusal (the item billed elsewhere, skipped, archived) releases
//     the items marked before it; a store failure or exhausted retries leave
//     them marked for the re-run, since a run may be issuing the same invoice.
//   - IssueBatch issues many invoices (a billing run's groups) with the same
//     steps done once for all, each step one HandleBatch: decided from a
//     caller's Snapshot (folded from the log) instead of stream reads; each
//     service's marks in one append with the Snapshot's revision (re-read
//     and decided again on a conflict); the numbers in blocks (one
//     InvoiceNumbersReserved naming up to 4,096 invoices in order, with the
//     numbering stream's revision, whatever instant each invoice was
//     planned at); each invoice with its collection in one append. Numbers
//     are reserved only for invoices whose items are all marked on them, so
//     a crash after reserving leaves invoices a re-run completes with those
//     numbers (see the billingrun package doc). This process's numbering is
//     a book folded in place (numbering.Evolve copies its lookup per event)
//     that holds the last sequence, the recent numbers and an 8-byte
//     fingerprint per invoice numbered, not every number: an older invoice
//     asked for again is looked up in the numbering stream.
//   - BillItemNow edits the item when the confirmed price, quantity or
//     description differ, then issues the item's invoice as above (with its
//     collection, like every invoice with a payment method).
//   - VoidStrandedNumber repairs a number whose request died between
//     reserving it and issuing the invoice (nothing in the log says what an
//     instant bill's lines or a hand-billed invoice's date were, so only the
//     same request retried could complete it): once the reservation is
//     numbering.VoidAfter old, it appends InvoiceAbandoned to the invoice's
//     stream (the invoice aggregate refuses it once issued, and refuses to
//     issue after it: that stream settles the race with a late issue),
//     releases the items marked on the invoice, then appends
//     InvoiceNumberVoided. Every step is idempotent under a command id
//     derived from the invoice, so two repairers record one void. The
//     billing run calls it for every stranded number (billingrun).
//   - VoidInvoice voids the invoice, then releases each schedule item it
//     billed (service.ReleaseBilledItem), so the item can be billed again.
//   - ArchiveClient and RemovePaymentMethod need facts from the client's
//     services (which are active; which automatic ones pay with the method).
//     The client stream does not list its services, so Service keeps an index
//     client → service ids fed by the one log follower (projections/follow)
//     with ServiceActivated events (each call catches it up with the head,
//     reading only events after its checkpoint), then folds those services'
//     own streams. Projections never feed Decide.
//
// # Ids and idempotency
//
// Every command has a command id: Meta.CommandID (the HTTP Idempotency-Key),
// or a fresh one from Config.NewID. Event ids are deterministic:
// uuid.NewSHA1(EventNamespace, commandID + "/" + stream + "/" + index), and
// for a command of a batch (Meta.Batch: a billing run's) the same with its
// first six bytes taken from the batch's name (EventIDIn), so that a run's
// events sort together in the store's index of ids. Ids of
// things a command creates (client, contact, payment method, proposal and its
// lines, service, invoice and its lines, attempts, payments, credit notes,
// tax rates) are taken from the request when given, else derived from the
// command id (uuid.NewSHA1(EventNamespace, commandID + "/" + kind + …)), so
// the same command id always names the same things. One exception, where
// nothing would repeat the name: a client created with neither an id nor a
// command id takes Config.NewClientID's (the key store's spare ids, whose
// personal-data keys are already durable). Hence a command re-run with the
// same command id can never append twice:
//
//   - Handle first looks for the command's own first event id in the stream it
//     loaded; when found it answers the first run's Result (revision and
//     position of the last event that command appended there), with
//     Result.AlreadyApplied set, and decides nothing.
//   - Otherwise the store either treats the append as an idempotent retry
//     (same ids, same place) or refuses it with ErrDuplicateEventID, which
//     Handle also turns into "already applied", read back from the stream.
//
// The invoice issued from schedule items without an InvoiceID gets
// InvoiceIDForItems(item keys): two billing runs over the same items name the
// same invoice, so at most one is issued; a run that finds it already issued
// completes what is missing and answers its Result. Items released from an
// earlier invoice (voided, or never issued) carry their release count into
// that name, so billing them again names a new invoice, not the voided one.
// An issue that finds one of its items billed elsewhere after marking others
// releases the ones it marked (a separate step of the same command), so no
// item is left billed on an invoice that was never issued.
//
// Process managers name their own events (Decider.EventID: an email's
// outcome by the email and step, a ledger push's by the push and attempt);
// such a command is not looked for in its stream, and an append refused for
// a duplicate id is answered as already applied.
//
// Every event's metadata records Meta.Actor, the command id, Meta.CorrelationID
// (the command id when empty) and Meta.CausationID (the command id when empty).
//
// # Time
//
// Config.Now is the clock; calendar dates ("today", acceptance date, issue date)
// are taken in the firm's time zone (firm settings; UTC before set-up).
package billing
