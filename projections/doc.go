// Package projections builds the read models of the client page from the
// event log and answers the queries the web API and the CLI ask of them. It
// never feeds decide: command handlers fold their own streams.
//
// # Read models in a database
//
// The read models live in tables of a SQL database (package rmdb): a SQLite
// file beside the embedded log (readmodels.db) by default, or PostgreSQL,
// where every `remit serve` node shares them. A process keeps no history in
// memory: what it holds between batches are caches with a size bound, so it
// starts in the time it takes to open the database and its memory does not
// grow with the log. Ten projections, each with a name, a version and its
// tables (see each type's doc for its tables and columns):
//
//   - "clients" (*Clients): client details, contacts and payment methods
//     (client.State) and the client's proposals (proposal.State), with the
//     columns the clients list sorts, filters and searches on (whether a
//     method can be charged, and since when a request for payment details
//     is unanswered, which also serve PaymentDetailsRequests).
//   - "services" (*Services): every service folded with service.Evolve; its
//     schedule is derived with service.State.Schedule (its pending items,
//     service.State.Pending, kept in a column through about 14 months after
//     the service's last event, so the Billing Schedule tab reads a few
//     items per service instead of its whole history) and its billing
//     groups, catch-ups and missed items with service.Grouping.Plan and
//     service.Groups (the billing run's own functions), so schedule queries
//     always agree with what the billing run will do; its next_due column
//     (service.State.NextDue, indexed) lets the billing run read only the
//     services with an item due (ServicesDue). A service's state is kept in
//     its row form (service.State.MarshalHead, MarshalItem): the head in the
//     services table, the log of each item billed or changed one by one in
//     a row of "service_items", so an event writes the head and the one
//     item it changed, and a read gets both in one query (the item rows
//     aggregated into one JSON array, decoded in one pass).
//   - "invoices" (*Invoices): every invoice folded with invoice.Evolve, plus
//     what the detail page shows (payments, attempts, rejections, credit
//     notes, write-offs, refunds and disputes) and an independently kept outstanding amount that
//     reconciliation checks against the money that came in; indexed by
//     client, status, issue and due date, and open balance, so a client's
//     summary and the firm's lists are index ranges; by what collection
//     acts on (CollectionsDue, and a page at a time by key
//     RejectedInvoicesPage and RunInvoicesToCollectPage); and
//     each client's earliest open due date (invoices_due), so the clients
//     list filtered to has_overdue is a range of one index; and what the
//     collections page reads (Collections: upcoming_on, failed_since).
//   - "unissued" (*Unissued): the invoices begun and not issued (items
//     marked billed on them, or a number reserved), which the billing run
//     completes or whose numbers it voids: a few rows, each deleted when
//     its invoice is issued or its items released and number voided.
//   - "activity" (*Activity): one plain-English line per event, rendered
//     when the event is applied, indexed by client, service, invoice,
//     proposal and payment method; read a page at a time (ActivityPage:
//     the newest lines before a position, or the oldest after one), so a
//     page costs the same however long the history is.
//   - "ledger" (*Ledger): each invoice's sync status in each connected
//     ledger.
//   - "emails" (*Emails): every email about an invoice or a proposal, from
//     the outbox's own events, with its delivery status.
//   - "payouts" (*Payouts): every payout of the payment gateway with the
//     charges, refunds and fees it settles, indexed by arrival date
//     (ListPayouts, Payout).
//   - "library" (*Library): the firm's services library, one document per
//     library service with its archived flag and the library stream's
//     revision at its last change (LibraryServices by status and search,
//     LibraryService, LibraryRevision: the ETag of every library service).
//   - "sent_proposals" (*SentProposals): every proposal with its next
//     reminder and expiry date from the firm's proposal settings, indexed
//     by the first date something is due, so the daily proposals job
//     (processes/reminders) reads only what is due (ProposalsDue).
//   - "price_increases" (*PriceIncreases): every bulk price increase
//     (priceincrease.State) with whether a notice is still to send
//     (PriceIncreaseList, PriceIncrease, PriceIncreasesWithNotices; the
//     planner reads AllServices).
//
// Models groups them and is the query API: Summary, ListClients,
// ClientServices, Service, Schedule, ListInvoices, Invoice, EmailsAbout,
// ActivityPage, ActivityOf (a whole history, for audits) and Collections
// (the collections page: upcoming collections, failed payments, overdue
// invoices by aging bucket, totals per currency), each taking a
// context and returning an error; and for the billing run and collection
// (processes/billingrun, runs.go) the folded aggregates by id
// (ServicesByID, ClientsByID, InvoicesByID) and by what a run looks for
// (ServicesDue, UnissuedInvoices, CollectionsDue, and PageSize at a time
// RejectedInvoicesPage and RunInvoicesToCollectPage), so a run reads what
// it acts on and never the whole log. A service's next billing is service.State.NextBilling, which derives
// only the items that can be next, not the schedule from its first date.
// The firm's reports
// (reports*.go: RecurringRevenue, ProjectedBillings, Revenue, Receivables,
// Collections, Proposals, DSO, each taking a ReportQuery and giving a
// plain Table per figure) are computed when asked from the same tables —
// services, invoices, clients and proposals — with no table of their
// own; docs/reports.md defines every figure. Queries that
// depend on "today" (overdue) take the date as a parameter. Money stays
// decimal (domain.Money). A missing client, service or invoice is a
// domain.Error with code ENOTFOUND. Queries read committed rows through
// views, never a writer's cache, so any process on the database can answer
// them.
//
// # Applying: one transaction per batch
//
// The Runner reads the log through the one log follower (projections/follow)
// and applies events in batches: for each batch it opens one transaction,
// hands every event after each projection's checkpoint to its Apply, lets
// each projection Flush what it changed, moves every checkpoint to the
// batch's last position (a compare-and-set: a writer that finds the
// checkpoint moved under it fails instead of committing), and commits. A
// crash loses the whole batch or nothing, so each event is applied exactly
// once. Catching up (a fill) reads batches in one goroutine, decodes them
// across every CPU in another, and applies each decoded batch at once in
// the open transaction, committing about every 32,768 events: a document
// the events of that stretch touch is encoded and written once, and the
// fill holds one batch of events at a time. A fill keeps both CPUs busy:
// two goroutines apply each batch side by side, one to services, invoices
// and unissued, the other to every other projection (each projection sees
// every event in order); Flush encodes the documents on every CPU; and the
// transaction's inserts run on a goroutine of their own
// (rmdb.Tx.Pipeline), in order, while the next events are applied. During a fill the services'
// and invoices' caches keep up to 16 MiB of documents each (by their JSON
// size, a service's item rows included; 1,024 and 4,096 documents otherwise), so a document met again a
// month of log later is still decoded; and a service written again has its
// costly derived columns (view, schedule part) left NULL, which queries
// derive from the state, and computed once when the fill has committed
// (rmdb.Column.Deferrable). A fill of a new generation (checkpoint 0:
// its tables hold no row) marks its tables filled from empty
// (rmdb.DB.FillFromEmpty), so looking up a document the fill has not
// written (a new invoice, its activity and unissued rows) reads nothing
// and does not wait for the queued inserts; such a fill also leaves a
// service's costly columns NULL from its first write, not only when it is
// written again. Live, the follower queues
// events and the applier takes whatever is queued (up to 512) per
// transaction, so a burst of appends costs one commit. Projections write
// their rows many per statement (rmdb.Rows; COPY on PostgreSQL). An event no decoder knows is skipped, counted
// and warned about, never fatal; events of "request-" streams (the HTTP
// API's idempotency records that old logs hold) are passed over silently.
// WaitFor(ctx, pos) returns once every projection has committed pos
// (read-your-writes after an append).
//
// # Generations, rebuilds and versions
//
// A projection's tables are stored per generation (rm_clients_g3) and read
// through views (rm_clients); the registry table rm_projections holds each
// generation's version, checkpoint and whether it serves. Rebuild(name)
// fills a new generation from the log while the serving one keeps answering
// queries (the live loop too keeps applying, until the last stretch), then
// swaps the views and the registry in one transaction and drops the old
// generation: blue/green by table version. Every new generation is created
// without its secondary indexes and filled from the log before it is read
// (the catch-up that precedes the live loop fills a new database's); the
// fill builds the indexes once it is done, before the swap, and every fill
// ends by creating any that are missing (a crash between a fill and its
// indexes). A projection whose stored
// version is not the code's (Spec.Version, bumped whenever its tables or
// what Apply writes change) gets a new empty generation on start and is
// filled from the log, with progress logged; that is also how a data folder
// from before read models moved to the database upgrades.
//
// An erasure (ClientErased) makes the runner fill a new generation of every
// projection up to it, from the log that now reads erased, and swap them
// all at once: no table keeps the erased client's personal data in clear.
//
// # Several processes
//
// On SQLite one process owns the data folder. On PostgreSQL every node
// reads the shared tables; one of them applies: the runner that holds a
// session advisory lock (pg_try_advisory_lock) on a pinned connection. The
// others poll the registry's checkpoints (RunnerOptions.PollInterval) to
// answer WaitFor, and try for the lock again, so when the applying node
// stops (its connection closes) another takes over from the committed
// checkpoints.
//
// # The query cache
//
// The live models keep the answers of the client page's tabs, the clients
// and invoice lists and activity pages in a cache bounded by size
// (RunnerOptions.QueryCacheBytes, 32 MiB by default), each with the
// models' version it was read at: a counter the runner moves whenever a
// serving generation or its checkpoint changes (its own commit, a swap, or
// a checkpoint another node committed), before it moves Position. A
// client's answers (Summary, ClientServices, Schedule, its invoices, its
// activity) are given until an event that touches that client is applied:
// the clients, services, invoices and activity projections say whose rows
// each live batch changed. The firm-wide lists, and anything after a
// catch-up, a swap, another node's commits or a change of the firm's
// settings, are read again after any change. So a query asked again is a
// map lookup while other clients are written, and a request that waited
// for its command's position never reads an answer from before it
// (querycache.go). At most twice as many misses as the process has CPUs
// read the tables at once; the others wait their turn, so the memory their
// answers take while they are built does not grow with the number of
// requests in flight. Reconcile and time travel read the tables, never the
// cache.
//
// # As of, and reconciliation
//
// BuildAsOf and Replay fill fresh Models in a temporary SQLite database
// (rmdb.OpenTemp) up to a Bound (a position, or a recorded-at time), for
// auditors; Close deletes it. TimeTravel answers the API's and the UI's
// as_of: Resolve finds the Moment of a Bound (the last event at or before
// it); Client builds a client's models by per-stream replay (the streams
// StreamsOfClient finds in the live models, which only grow, read whole,
// cut at the moment and merged by position: the client's history, not the
// firm's); Firmwide replays the whole log up to the moment. Both are kept
// in a small LRU cache keyed by (client, position). ActivityBetween reads
// the activity lines between two positions ("what changed"). FirmAt folds
// the firm's settings as of a position. docs/time-travel.md has the costs. Reconcile reads the live tables in one read
// transaction, replays the log into a temporary database to the same
// position and compares every table row by row in key order, and checks
// that for every invoice total = payments − refunds − unsettled disputes +
// credit notes + write-offs + voided + outstanding and that the invoice numbers have no gap (the
// numbers the numbering stream gave are read a page at a time into a table
// of the temporary database and compared with the invoices there); the
// Report lists every mismatch. Replay, BuildAsOf and Reconcile keep in
// memory what a fill does (a batch, caches bounded by count or, for the
// services and invoices, by 16 MiB of JSON each, whose documents, such as
// a service's state, still grow with its history) and
// the mismatches found; nothing is kept per event or per invoice number.
package projections
