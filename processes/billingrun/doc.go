// Package billingrun is Remit's unattended side: the billing run, which
// invoices due schedule items, and the collection process manager, which
// charges invoices on their collection dates and retries rejected payments
// by the firm's policy. Scheduler runs both every day inside `remit serve`,
// and collection alone every ten minutes between (Scheduler.CollectEvery),
// so a collection scheduled for today after the day's run is charged that
// day; `remit bill` runs them on demand.
//
// # Design
//
// Both runs decide what to try from an Index over the read models
// (projections), which fold every client, service and invoice with the
// aggregates' own Evolve, and which index what a run looks for, so a run
// reads the rows it acts on and never the whole history:
//
//   - the services with an item due: the services table's next_due column
//     is service.State.NextDue (the first day a billing run has an item of
//     the service to invoice, computed when the document is written), so
//     the run loads the services whose day has come and asks each for its
//     DueItems;
//   - the invoices begun and not issued (items marked billed on them, or a
//     number reserved): the "unissued" projection's few rows, which the run
//     completes (its own interrupted invoices) or whose numbers it voids
//     (repair.go);
//   - for collection, the invoices whose collection date has come
//     (collect_on), the rejected ones with the rejections since collection
//     was scheduled (retry_pending), and those a billing run issued without
//     a collection (run_uncollected).
//
// Index.Update brings the read models up to the log's head: in `remit
// serve` it waits for the app's Runner (WaitFor); `remit bill` opens the
// data folder's read models (OpenIndexOn) and applies what they miss
// itself, or waits for a running serve, which holds their lease, to apply
// it (CatchUp), and before it exits it applies what it appended. The firm's
// settings are folded from its stream (projections.FirmView). A process
// keeps nothing between runs but the firm: its memory does not grow with
// the log, and a re-run with nothing to do reads a few index entries.
//
// Collection sends each effect through billing.Service, which re-reads the
// stream and decides there. The billing run hands all its groups to
// billing.Service.IssueBatch, which decides from a snapshot of the firm and
// the run's clients, services (with the stream revision each is folded to)
// and invoices, read from the read models before the batch; every append
// expects the revision the snapshot gives (or no stream), so a stale read
// costs a re-read, never a double effect.
//
// # Billing groups, catch-ups and dates
//
// The run forms its groups with service.Grouping.Plan and service.Groups,
// the very functions the schedule page (projections) forms its billing
// groups with, so the invoices a run issues are the groups the page showed
// for that date: each item's payment method is resolved first (its own,
// else the client's default), so an item naming the default method and one
// using "the client's default" share an invoice. An automatic item whose
// date passed before it was billed (a service started in the past, a run
// that did not happen) is a catch-up: it is invoiced on the run's date (its
// as-of date), grouped with the client's other items of that date and
// method, its line naming the period it covers, due by the payment terms
// from the run's date. When the firm skips missed billings
// (firm.MissedSkip) the run records such items as skipped instead
// (service.SkipMissedItems: one append per service, under a command id
// naming the run's date and the items, so a re-run appends nothing).
//
// Every date a run computes derives from its as-of date, never the wall
// clock: issue dates, due dates, collection dates, and the retry dates of
// Collect, which counts the firm's retry policy from the as-of dates of the
// collection runs that recorded the rejections (read back from their
// correlation ids, "collect/<date>"). The wall clock only stamps events
// (their "at"), so `remit bill --as-of` a future date behaves as the run of
// that day would.
//
// # Dry run
//
// Run with Options.DryRun is the billing run's preview (preview.go): it
// forms the groups and names the invoices as the run does, and
// billing.IssueBatch with BatchOptions.DryRun decides every invoice as it
// does before marking items, then reports the decision (Report.Preview)
// instead of appending it, with the payments collection would take on the
// date. It appends nothing: it voids no stranded number, records no skip,
// reserves no number (numbers are given when issued). Being the same
// decision, the real run on the same log issues exactly what it listed.
//
// # Exactly once
//
// Exactly once comes from deterministic ids, never from remembering what was
// done:
//
//   - A billing group (one client's due items of one issue date and payment
//     method) becomes the invoice billing.InvoiceIDForItemsReleased names
//     (its items and how often each was released by a void), issued with a
//     command id derived from the same and the issue date. Two runs, or a run
//     and its re-run, send the same commands, whose events have the same ids;
//     two runs with different as-of dates that plan the same items name the
//     same invoice, whose items are marked billed (and number reserved) once.
//   - Collection of an invoice issued by a run is scheduled with a command id
//     derived from the invoice (in the same append as the invoice when the
//     run issues it).
//   - The n-th collection attempt on an invoice has id AttemptID(invoice, n),
//     which is the gateway's idempotency key: asking again (after a crash
//     between the charge and recording it, or to poll a pending bank debit)
//     never charges twice. Retries are scheduled with a command id derived
//     from the rejected attempt.
//
// # The batch path, and why it keeps every guarantee
//
// One invoice through billing's generic command path reads the firm, the
// client, each service and the numbering stream and makes three synced
// appends; 100,000 of them ran at about 270 invoices/s. A run instead:
//
//  1. updates the Index once (the firm is read once per run; the due
//     services and their clients are read from the read models by index,
//     not stream by stream);
//  2. plans and decides every invoice from the run's snapshot (invoice.Decide with a
//     placeholder number, so a refused invoice burns no number and marks
//     nothing);
//  3. marks every item billed on its invoice: one append per service stream
//     holding all that service's marks, expecting the revision the read
//     models folded it to. On a conflict billing re-reads that stream and decides
//     again; an item found billed on another invoice (a race lost to staff or
//     to a run that saw other items) refuses its invoice, whose other marked
//     items are released (the compensating ScheduleItemReleased, as the
//     generic path does);
//  4. reserves the numbers of the invoices whose items are all marked, in
//     date order, in blocks: one InvoiceNumbersReserved event naming up to
//     4,096 invoices in order, expecting the numbering stream's revision (a
//     conflict is re-read: an invoice someone else numbered keeps that
//     number, the rest take the next);
//  5. appends each invoice to its own stream, expecting none: InvoiceIssued
//     with its reserved number and, in the same atomic append, its
//     InvoiceCollectionScheduled, as step 2 decided it (the decision is
//     reused with the reserved number, not made again: billing's
//     issueDecider). A block's invoices are appended as soon as its numbers
//     are reserved, while block n+1 is reserved, two blocks at a time, so
//     the appends in flight never drain at a block's end and the run holds
//     only two blocks' outcomes.
//
// Steps 3 and 5 hand the store blocks of appends (Options.Workers, default
// 4,096, streams per block) in one request each (eventstore.AppendMany,
// through billing.HandleBatch), two blocks at a time, so the embedded
// store's writer commits a block with one sync while the next is decided.
//
// A run takes steps 2 to 5 a chunk of about 16,384 invoices at a time
// (Options.Chunk; a client's invoices are never split between chunks), in
// the order of step 4, so the numbers still follow dates across chunks. Each
// chunk is one IssueBatch with every guarantee above: a run that dies between
// two chunks has issued the first whole and marked nothing of the second,
// which the next run bills like any due item. What a chunk planned and
// decided is garbage once it is issued, and the snapshot forgets its clients
// and services, so the run's heap stays about one chunk's.
//
// Each item is invoiced at most once: an item is marked billed on one invoice
// by an append that expects the service's revision the decision was made on,
// and the service aggregate refuses to bill a billed item on another invoice;
// an invoice's stream takes one InvoiceIssued (expected no stream, and its id
// is the group's).
//
// Numbers stay gapless, even when the process dies anywhere, because a number
// is only ever reserved for an invoice G such that (a) the domain accepted
// G's issue (and its events fit the store's event size limit) and (b) every item of G is already marked billed on G. Nothing
// but issuing G can then undo (b): an item billed on G is released only by
// voiding G, which needs G issued, or by the compensating release of a run
// that found one of G's items billed elsewhere, which cannot happen once all
// of G's items are billed on G. And the reservation names G, so a
// number is never given twice for it: whoever issues G takes the number the
// numbering stream holds for G. So when a run dies after reserving (or after
// marking), the next run, here or in another process, finds G in the Index
// (the "unissued" read model: items billed on an invoice that was not issued,
// by a command whose id says it was a billing run's and on which date),
// rebuilds the same group (the
// same id, the same command id and issue date; merged with its still-due
// siblings when they make up the very invoice begun, else with exactly the
// items it has) and issues it with its reserved number. Every gap a crash leaves is an invoice
// whose items are marked, and the next completed run fills it.
//
// The single-invoice path (billing.IssueInvoice, BillItemNow: an instant bill,
// staff billing items by hand) keeps the same order (decide, mark, reserve,
// issue), but a run cannot complete what such a request began: its lines,
// issue date, currency or method are in no event, only in the request. So a
// number it reserved and never used is voided instead, with its reason: each
// run first reads the "unissued" read model for reserved numbers whose invoice is neither
// issued nor a run's own interrupted invoice, reserved at least
// numbering.VoidAfter (10 minutes) before (the request may still be issuing
// it, or be retried with its Idempotency-Key), and voids each through
// billing.Service.VoidStrandedNumber, which abandons the invoice on its own
// stream first (so a late issue and the void cannot both happen), releases
// its items (this run then bills them like any due item) and records
// InvoiceNumberVoided. Every number is then an issued invoice or a void with
// its reason; TestRunVoidsNumbersOfDeadRequests checks this, and `remit
// reconcile` checks it on any store.
// TestRunStoppedAfterNumbers and TestKilledRunCompletes (SIGKILL right after
// the numbers are reserved, then at random moments) check this;
// TestConcurrentRuns and TestManyConcurrentRuns run two and three runs at once
// on one store (each with its own billing.Service, as separate processes
// would have): each item once, numbers 1..N gapless, none unused.
//
// # Speed
//
// BenchmarkRun (100,000 due items, one invoice each, measured when the Index
// folded the log in memory from position 0; the firm
// does not group items, since three of each client's four are catch-ups) on the
// shared 2-core VM: 15.8–20.5 s (4,900–6,300 invoices/s) when the machine is
// quiet enough, 24–33 s while other work loads it (load 3–7, disk syncs
// shared), with 21–29 s of CPU either way (it was 36–38 s and 40–44 s of
// CPU at load ≈ 4; the generic path managed about 270 invoices/s). Each
// invoice is now 3 events (item billed, issued, collection scheduled) plus
// its share of one numbering event per 4,096 invoices: about 300,000 events
// through the store's one writer goroutine.
// What the writer pays for is index pages, not rows (see the sqlite package
// doc), so the changes that made the run twice as fast were, measured one
// after the other on 100,000 items:
//
//   - a 256 MiB page cache on the store's write connection and no revision
//     look-up for appends expecting no stream (the invoices): 45 s, 45 s CPU
//     in the same conditions as the first measurement of 93 s (load ≈ 9);
//   - 4,096 appends in flight (Options.Workers; the store commits up to
//     4,096 together) instead of 512, so each commit writes each dirty index
//     page once for eight times as many appends: 45 s -> 29 s, CPU 45 -> 32 s;
//   - the checkpointer once a second instead of every 200 ms (it copies each
//     page once per checkpoint): 29 s -> 25 s, CPU 32 -> 27 s;
//   - one event per block of numbers (InvoiceNumbersReserved) instead of one
//     per invoice: the writer's CPU 10.0 -> 9.1 s, the run's CPU within the
//     noise (27.4–27.7 s; the wall time, 38–41 s, was at load ≈ 6.5);
//   - blocks of 4,096 invoices instead of 2,000, so the issue step keeps
//     twice as many invoices in flight: 149 -> 76–89 commits for the run's
//     150,000 appends, 17.2 s and 24 s of CPU at load ≈ 3.5–4.
//
// Forming the groups with service.Grouping (catch-ups, resolved methods) and
// naming each line's period cost no measurable CPU: 29.3 s of CPU for the
// run, measured once at load ≈ 30 (139.8 s wall; indexed 16.1 s, planned
// 39.7 s, marked 28.5 s, issued 55.4 s).
//
// Tried and not kept: mmap on the write connection, 8,192 appends in flight
// and per commit, and a writer that waits a few milliseconds for a fuller
// batch after a large commit (none changed the number of commits or the
// CPU beyond the noise). The writer still takes about 9 s of CPU (inserts
// and commits about half each) plus a sync per commit; the rest (the
// in-memory Index then 1.5 s, planning and deciding 2.5 s, encoding, GC) runs beside it on the
// other core, so on a loaded machine the run takes as long as its share of
// CPU and disk allows.
//
// The run's CPU profile at 100,000 items (BenchmarkBill -billingrun.runprofile,
// load ≈ 25–30, 36 s of samples): the store's writer 10.1 s, garbage
// collection about 8 s, the issue appends 4.8 s (deciding 1.1 s, encoding
// 2 s, appending 0.8 s), planning the invoices 3.5 s, the mark appends
// 2.3 s, decoding the due services and clients 2.2 s, forming the groups
// 2.3 s. The issue is now decided once (billing's issueDecider reuses the
// planned decision with the reserved number), the run's own work on its
// groups (planning each service's items, naming the invoices, building the
// batch) runs on every core, and each block of numbers is appended as soon
// as it is reserved, two blocks at a time, so the outcomes of only two
// blocks are held (each outcome carries an invoice's state): 42.8 s of CPU
// against 48.2 s for the code before, one run each at load 25–42. What is
// left is the writer's serial 10 s and about 30 s of the run's own CPU.
//
// The marks and the invoices now go to the store in blocks
// (eventstore.AppendMany through billing.HandleBatch: a block of 4,096
// streams decided on every core, then one request and one reply), instead of
// 4,096 goroutines each deciding and waiting on one append. Those goroutines
// grew their stacks (decimal formatting, planning an item) and were made
// anew for every block: stack copying was 18% of the run's CPU at 10,000
// items and 2.1 s at 100,000, and is gone. Measured interleaved with the
// code before (main at 2d2a5ef), BenchmarkBill -billingrun.runonly, one run
// each at load 26–38 while other lanes built and tested: 10,000 items 3.35 s
// of CPU, 13.8 s, 281 MB peak RSS against 3.83 s, 14.5 s, 439 MB; 100,000
// items 40.7 s of CPU, 231 s, 1.94 GB against 42.7 s, 205 s, 2.02 GB. The
// writer's share did not move (about 10 s at 100,000, half of it inserts,
// the rest commits and the checkpointer) and garbage collection grew a
// little (a block is held decided and encoded while the one before is
// committed): under 8 s for 100,000 items still needs far fewer
// allocations per invoice and a writer that pays less per event.
//
// Reading the read models instead of folding the log (BenchmarkBill, same
// run, load ≈ 16, so every wall time is several times its CPU): a re-run
// with nothing to do takes 3–14 ms at 10,000 items against 2.3–2.9 s,
// 8–16 ms at 100,000 against 23–72 s (load 10–17), and
// `remit bill` re-run on the 956,884-event store of test/bench/readmodels
// 0.3–0.6 s and 36 MB of RSS against 2 min 5 s and 2.4 GB. A run itself
// costs about the same (3.3–4.5 s of CPU against 3.3–3.6 s at 10,000
// items; at 100,000, 85 s and 30 s of CPU against 89 s and 31.5 s measured
// right after it at load 10–14): the due services are decoded from their
// documents, on every CPU, instead of folded from events.
// What it appended then has to reach the read models (applied live by
// `remit serve`; `remit bill` applies it before exiting): 12–13 s for the
// 30,000 events of 10,000 invoices, 88–121 s for the 300,000 of 100,000.
//
// Issuing a chunk at a time (16,384 invoices) took a 100,000-item run from
// 33.6–48.7 s of CPU to 27.0–29.1 s and its peak RSS from 2.8–3.0 GB to
// 1.6–1.7 GB (BenchmarkBill -billingrun.runonly, 3 interleaved pairs at load
// 14–19): a quarter of the run's CPU had been page faults on a heap grown
// into fresh memory, which the chunks now reuse.
//
// A run's commands carry the run as their batch (billing.Meta.Batch), so its
// events' ids begin alike and the store's id index takes them in one place
// instead of rewriting most of its pages in every commit; the store reads
// the revisions of the services a chunk marks in one statement; the due
// services' clients are read beside the services; and a due service's
// document is decoded in one pass. With the four, on a quiet machine (load
// 1.2–1.5, 5 interleaved pairs, -runonly), 100,000 items take 7.4–7.9 s and
// 11.4–12.3 s of CPU against 8.4–8.7 s and 12.4–12.9 s; the store's writer
// 3.6 s of CPU against 7.1 s.
//
// Known limit: between the gateway's answer and recording it, staff could
// record an offline payment; the next run then sees nothing to collect while
// the gateway has the money. Closing that window needs an "attempt started"
// event on the invoice recorded before the charge.
package billingrun
