// Package demo loads a realistic demo firm into an empty event store: an
// accounting practice in Sydney with about fifty clients and a year of
// billing history, so that every screen, report and audit tool has something
// true to show.
//
// # Design
//
// Load writes nothing itself: every event comes from a billing.Service use
// case, exactly as the web UI or the API would cause it, so the demo data obeys
// every rule the domain enforces and exercises the command side end to end.
//
// The loader walks the calendar one day at a time from a year before
// Options.Today to Options.Today, with an injected clock (Clock) that reads
// that day's business hours in the firm's time zone. A store opened with the
// clock's Recorded (remit demo does) stamps each event with that simulated
// moment, capped at the real time and never decreasing, so the history is
// spread over the year it tells and the firm as of a date is the firm as it
// stood then; a store with its own clock stamps the real time of loading.
// After setting the firm up it fills the firm's services library (library.go: eleven services an accounting
// practice sells, with prices, billing rules, revenue accounts and terms).
// Each day it
//
//   - runs what is on the day's agenda in time order: clients being onboarded,
//     proposals sent, accepted, declined or withdrawn, payment methods added
//     and replaced, services edited, paused, resumed and ended, manual items
//     billed by hand, instant bills, offline payments, write-offs and voids;
//   - at 07:00 runs the billing run: the automatic schedule items due that day
//     (service.State.DueItems, from service streams the loader folds itself
//     from the store) grouped per client, item date and payment method, one
//     invoice per group;
//   - from 07:30 collects payment on the invoices whose collection falls due,
//     recording each attempt as the sandbox gateway would answer it, and
//     schedules retries of rejected collections by the firm's retry policy;
//   - at 06:00 records the sandbox's payouts of what it collected two days
//     before, with its fees (sandbox.FeeOf), as the payout sync would
//     (payouts.go).
//
// Every random choice — names, addresses, prices, who pays late, which card is
// declined — comes from one math/rand/v2 PCG seeded with Options.Seed, and
// every command id (hence every event id and every derived entity id) from a
// second PCG with the same seed, so the same seed and the same Today give the
// same events, byte for byte apart from recorded-at. The first dozen clients
// play scripted parts (a voided and re-issued invoice, a write-off, a credit
// note, an expired card replaced, a paused and resumed service, an archived
// client…), so every status and billing rule appears whatever the seed; the
// rest are drawn at random.
package demo
