// Package service decides what may happen to a client's agreed service and
// to its billing schedule. It is a pure decider: Decide checks a command
// against the State folded from the service's events and returns new events;
// Evolve applies an event to State and never fails.
//
// The schedule is derived, not stored item by item: State.Schedule(through)
// generates items from the billing rule's occurrences (domain.BillingRule) and
// replays, in event order, the changes recorded against them: service edits
// effective from a date, switches between automatic and manual billing, and
// per-item edits, skips and issue dates. A billed item is a snapshot recorded
// by ScheduleItemBilled, so nothing changes it afterwards. Item keys are
// "<service-uuid>/<seq>" (ItemKey); a rule change continues the numbering at a
// sequence number recorded on its event, so keys never change meaning.
//
// Stream: "service-<uuid>" (StreamName).
//
// Events:
//   - ServiceActivated: terms, billing rule with its first date, automatic or manual.
//   - ServiceEdited: price, quantity, discount, description, payment method or
//     billing rule, effective from a date; whether the client is told of a price change.
//   - ServiceSwitchedToManual / ServiceSwitchedToAutomatic: every unbilled item (pause/resume).
//   - ServiceEnded: items after the end date are archived; irreversible.
//   - ScheduleItemEdited: one item's date, price, quantity, discount, description
//     or payment method.
//   - ScheduleItemSwitchedToManual / ScheduleItemSwitchedToAutomatic: one item.
//   - ScheduleItemSkipped: one item is not billed (by staff, or by a billing
//     run as a missed billing when the firm skips those: MissedAsOf).
//   - ScheduleItemIssueScheduled: a manual item is to be issued on a date.
//   - ScheduleItemBilled: an item was invoiced (at most once), with what was billed.
//   - ScheduleItemReleased: the invoice that billed an item was voided; the item is open (manual) again.
//
// Commands: Activate, Edit, SwitchToManual, SwitchToAutomatic, End, EditItem,
// SwitchItemToManual, SwitchItemToAutomatic, SkipItem, ScheduleItemIssue,
// SkipMissedItems, MarkItemBilled, ReleaseBilledItem.
//
// Folding is linear, and a State never changes once made. Command handlers
// cache folded States and read models hand them to queries on other
// goroutines, so Evolve must leave the State it is given as it was; copying
// its maps on every event made folding n billed items take O(n²) time and
// memory. Instead the per-item part of State (items billed or changed one by
// one) lives in a persistent trie keyed by sequence number
// (domain/internal/persistent.Sparse), which Evolve extends by copying the
// few nodes it changes and sharing the rest, and the changes of every item
// are a list that grows at its head. Evolving by one event costs O(log n) at
// worst and O(1) for the next item in sequence, what billing runs do;
// BenchmarkServiceFold checks it. Rule changes, being few, still copy the
// list of rules.
//
// State: the service's identity, source and current Terms, billing rule,
// whether and when it ended; Schedule, Item and DueItems derive the billing
// schedule from it; Period and LineDescription name the period an item of a
// repeating rule covers on its invoice line ("Monthly bookkeeping — February
// 2026").
//
// Pro rata: the first item of a rule that bills its first period pro rata
// (domain.BillingRule.ProRataFirst, Occurrence.ProRata) is dated on the
// rule's start and bills the unit price in force on its date × the part of
// the period it covers, rounded to minor units (a price staff set on the item
// itself is billed as set); its line names the days ("Monthly bookkeeping —
// 15 – 30 April 2027, pro rata 16/30 days"). A rule change effective
// mid-period with the option bills the days from its first date up to its
// first anchor the same way. Quantity, discount and tax apply to the reduced
// price as to any other.
//
// Billing groups (groups.go): Grouping.Plan says how a billing run on a
// given day bills an item (the invoice's date: the item's own, or the run's
// date when it has passed, a catch-up; the payment method, resolved to the
// client's default when the item has none; whether it is skipped as missed;
// its group key), and Groups gathers planned items into invoices. The
// billing run and the schedule page both use them, so the page's groups
// are the run's invoices.
package service
