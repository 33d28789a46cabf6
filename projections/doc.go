// Package projections builds the read models of the client page from the
// event log and answers the queries the web API and the CLI ask of them. It
// never feeds decide: command handlers fold their own streams.
//
// # Read models
//
// Six projections, each with a name, its own checkpoint (the global position
// of the last event it applied) and its state in memory:
//
//   - "clients" (*Clients): client details, contacts, payment methods and the
//     client's proposals with their status, from client and proposal events.
//   - "services" (*Services): every service folded with service.Evolve; its
//     schedule is derived on demand with service.State.Schedule and its
//     billing groups, catch-ups and missed items with service.Grouping.Plan
//     and service.Groups (the billing run's own functions; the caller gives
//     the firm's grouping and missed-billings settings in ScheduleQuery), so
//     schedule queries always agree with what the billing run will do.
//   - "invoices" (*Invoices): every invoice folded with invoice.Evolve, plus
//     what the detail page shows (payments, attempts, rejections, credit
//     notes, write-offs, sends) and an independently kept outstanding amount
//     that reconciliation checks against the money that came in. Per client
//     and currency it keeps the open invoices sorted by due date with their
//     outstanding sum, so a summary's outstanding and overdue amounts cost a
//     binary search and a sum over the shorter side, not a pass over every
//     invoice.
//   - "activity" (*Activity): one plain-English line per event ("Invoice
//     INV-000042 voided: duplicate"), with who did it (metadata actor) and
//     when (recorded-at), indexed by client, service, invoice and payment
//     method. Applying renders the line there and then, naming things as
//     they are known when the event happens, and keeps only the line (its
//     text and the few fields pages and the API show), not the event: about
//     320 bytes per event (BenchmarkActivityMemory). An invoice's number,
//     which may come after a line naming the invoice, is read when the line
//     is.
//   - "ledger" (*Ledger): each invoice's sync status in each connected
//     ledger.
//   - "emails" (*Emails): every email about an invoice or a proposal, from
//     the outbox's own events (queued, sent, failed), for the invoice and
//     proposal pages and the invoice JSON (EmailsAbout).
//
// Models groups them and is the query API: Summary, ListClients,
// ClientServices, Service, Schedule, ListInvoices, Invoice and ActivityOf.
// Queries that depend on "today" (overdue) take the date as a parameter.
// Money stays decimal (domain.Money). A missing client, service or invoice is
// a domain.Error with code ENOTFOUND.
//
// # Concurrency
//
// Each projection is applied by one goroutine of its own (a lane), fed in
// global order through a channel, so the projections apply concurrently while each
// sees every event in order; any number of goroutines query. Each projection
// guards its state with its own sync.RWMutex: Apply takes the write lock for
// one event, queries take the read lock and return copies, so nothing a
// caller holds changes under it. A query that spans projections may see one
// a few events ahead of another; WaitFor(pos) guarantees all have pos.
//
// # Runner, checkpoints and snapshots
//
// The Runner first catches up with the log the way Replay does: batches are
// read in one goroutine, decoded across every CPU in another, and handed to
// the lanes. Then it follows the log live through the one log follower
// (projections/follow, which every process manager uses too) from the lowest
// checkpoint, each event decoded once through domain/catalog by type and
// schema version, and hands it to the lanes; a lane applies an event only if its projection's checkpoint
// is below its position. An event no decoder knows is skipped, counted and
// warned about, never fatal; events of "request-" streams (the HTTP API's
// idempotency records that old logs hold, not domain events) are passed
// over silently and counted apart. Every SnapshotInterval
// and on Close it writes each projection's state and checkpoint to
// <dir>/<name>.snapshot.json atomically (temp file, fsync, rename); on start
// it restores them and resumes from each checkpoint. A snapshot of another
// format version, or a corrupt one, is discarded and that projection is
// rebuilt from the log. Rebuild(ctx, name) truncates one projection and
// replays the log into it while the others keep going. WaitFor(ctx, pos)
// returns once every projection has applied pos (read-your-writes after an
// append), or ctx's error.
//
// Snapshots are JSON; the activity snapshot keeps its lines, the names later
// lines use and the few service events (activations and edits) it folds to
// tell what an edit replaced.
//
// # As of, and reconciliation
//
// BuildAsOf replays the log into fresh Models up to a Bound (a position, or a
// recorded-at time), for auditors. Reconcile compares each live projection
// with a fresh replay to the same position, entity by entity, and checks that
// for every invoice total = payments + credit notes + write-offs + voided +
// outstanding; the Report lists every mismatch.
package projections
