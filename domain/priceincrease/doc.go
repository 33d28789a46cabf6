// Package priceincrease decides bulk price increases with notice: one batch
// per stream ("priceincrease-<uuid>") that records, for an auditor, the whole
// change and who approved it.
//
// A batch is planned first (Plan, pure): the services a Filter selects (by
// library service, client tag, client status, billing frequency, currency
// or explicit clients; only services that have not ended and bill on a
// repeating rule), each with its old unit price and the new one (Increase:
// a percentage or a fixed amount per unit, then Rounding up to the cent,
// whole unit, 5 or 10, never below the old price plus the increase). A plan
// writes nothing: it is the dry run.
//
// Commands (Decide) and the events they record:
//
//   - Apply: PriceIncreaseApplied, carrying the whole plan (filter,
//     increase, rounding, effective date, notice period and the date the
//     notices go out, who approved it, every affected service with its old
//     and new price). Refused when the effective date is not after today,
//     the notice date (effective date less NoticeDays) is before today, the
//     increase is not positive, no service is affected, or nobody approved
//     it. The same Apply sent again records nothing.
//   - SendNotice: PriceIncreaseNoticeSent for one client of the batch, once
//     (a repeat records nothing), on or after the notice date, naming the
//     contact it goes to; refused on a cancelled batch.
//   - Cancel: PriceIncreaseCancelled, only before the effective date.
//
// The services' prices themselves change through the service aggregate:
// billing issues one service.Edit per affected service (effective from the
// effective date) when the batch is applied, and one back to the old price
// when it is cancelled, each under a command id derived from the batch and
// the service (ServiceCommandID), so a repeat never changes a price twice.
package priceincrease
