// Package library decides the firm's services library: the services the firm
// sells, each with its default terms (name, description, unit price,
// quantity, unit, billing rule, automatic or manual, tax rate, revenue
// account and the terms an engagement letter shows for it). Proposals and
// instant bills start from a library service and may override any of its
// fields per line; nothing started from it changes when the library does.
//
// The library is a singleton aggregate (stream "library"), so the rule that
// no two active services share a name is checked by Decide alone, against
// the State folded from that one stream. A service is never deleted: it is
// archived (no longer offered) and may be restored.
//
// Commands (Decide) and the events they record:
//
//   - Add: LibraryServiceAdded, carrying the whole service.
//   - Change: LibraryServiceChanged, carrying the whole service as it now is
//     and the names of the fields that changed; a change that changes
//     nothing records nothing.
//   - Archive: LibraryServiceArchived (archiving an archived service records
//     nothing).
//   - Restore: LibraryServiceRestored, refused when an active service took
//     its name meanwhile.
//
// Refusals: a name is required and unique among active services (field
// "name"), the price and quantity are bounded and not negative, the billing
// rule is valid (fields "billing_rule.…"), the tax rate is a percentage from
// 0 to 100, texts have their lengths; changing or archiving a service the
// library does not hold is ENOTFOUND, changing an archived one ECONFLICT.
//
// Line and Bill turn a library service into the values a proposal line or
// an instant bill starts from (pure helpers for the UI and the API).
package library
