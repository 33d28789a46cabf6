// Package client is the Client aggregate as a pure decider: a firm's client,
// its contacts (exactly one of them the primary billing contact) and the
// payment methods on file for it. Its stream is "client-<uuid>".
//
// # Events
//
//   - ClientCreated: name, kind, contacts, primary billing contact, address,
//     tax number, currency and the optional payment-terms override.
//   - ClientDetailsChanged: the details above except the contacts, replaced whole.
//   - ClientContactAdded, ClientContactChanged, ClientContactRemoved.
//   - ClientPrimaryContactChanged: another contact becomes the primary billing
//     contact (also emitted before ClientContactRemoved when the primary is removed).
//   - ClientArchived, ClientRestored.
//   - PaymentMethodAdded: a card or a bank debit account, stored as the gateway's
//     token plus brand/last 4/expiry or a masked account and mandate reference.
//   - PaymentMethodSetAsDefault: emitted on request, after the first method is
//     added, and after the default is removed while other methods remain.
//   - PaymentMethodReplaced: a new method takes a stored one's place (as the
//     default, and for the services that used it); methods are never edited.
//   - PaymentMethodRemoved, PaymentMethodExpired, PaymentMethodFailed.
//   - ClientPaymentDetailsRequested: the primary billing contact was emailed a
//     signed link to put a payment method on file; the next
//     PaymentMethodAdded or PaymentMethodReplaced answers it.
//
// # Commands
//
// CreateClient, ChangeClientDetails, AddContact, ChangeContact, RemoveContact,
// SetPrimaryContact, ArchiveClient, RestoreClient, AddPaymentMethod,
// SetDefaultPaymentMethod, ReplacePaymentMethod, RemovePaymentMethod,
// MarkPaymentMethodExpired, MarkPaymentMethodFailed and RequestPaymentDetails
// (refused for an archived client or one without a billing email; a
// request id already recorded changes nothing). Each carries the time
// (Now) and any new id; facts from other aggregates (the automatic services
// paid by a method, the client's active services) are gathered by the caller.
//
// # State
//
// State is the client as of its last event: details, contacts in the order
// they were added, the primary contact's id, payment methods in the order they
// were added (a replacement takes the replaced method's place), the default
// method's id, whether the client is archived, and the requests for payment
// details sent to it (each answered or not). State.ExpiringMethods lists
// the cards about to expire, for the reminder email.
//
// # Rules worth knowing
//
//   - An archived client is read-only until restored: every change a person
//     makes (details, contacts, payment methods) is refused with ECONFLICT. Facts
//     reported by the gateway or the clock (a method expired or failed) are still
//     recorded, so no information is lost. A client with active services cannot
//     be archived; end the services first.
//   - Only the last 4 digits of a card are ever stored: any field that looks like
//     a full card number (13 to 19 digits passing the Luhn check) is refused.
//   - A payment method that automatic services depend on can be removed only
//     while another active method remains on file (those services then fall back
//     to the client's default, which the caller applies).
//   - Expired or failed methods stay on file (and stay the default, if they were)
//     until replaced or removed; they cannot be made the default.
package client
