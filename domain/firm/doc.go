// Package firm decides the firm's settings. The firm is a singleton aggregate
// (stream "firm"): it is set up once, then each group of its settings changes
// by its own command, recorded as its own event.
//
// Commands (Decide) and the events they record:
//
//   - SetUp: FirmSetUp, carrying every setting, defaults included (collect on
//     the day of issue, retry rejected payments 3, 5 and 7 days after the first
//     rejection, group a client's items into one invoice, catch missed
//     billings up), so history does not depend on what the defaults are
//     today.
//   - ChangeDetails (name, address, tax number): FirmDetailsChanged.
//   - ChangeLogo (a URL or a content hash, never the image): FirmLogoChanged.
//   - ChangeRegionalSettings (base currency, time zone): FirmRegionalSettingsChanged.
//   - ChangeInvoiceSettings (number prefix, payment terms): FirmInvoiceSettingsChanged.
//   - ChangeInvoiceGrouping: FirmInvoiceGroupingChanged.
//   - ChangeMissedBillings (catch missed billings up, the default, or skip
//     them): FirmMissedBillingsChanged.
//   - ChangeTaxMode (prices exclusive or inclusive of tax): FirmTaxModeChanged.
//   - AddTaxRate: FirmTaxRateAdded, and FirmDefaultTaxRateSet when it is the
//     first rate or asked to be the default.
//   - ChangeTaxRate: FirmTaxRateChanged. RemoveTaxRate: FirmTaxRateRemoved.
//   - SetDefaultTaxRate: FirmDefaultTaxRateSet.
//   - ChangeCollectionSchedule: FirmCollectionScheduleChanged.
//   - ChangeRetryPolicy: FirmRetryPolicyChanged.
//   - ChangeSurcharges (the percentage added to a card charge and to a bank
//     debit, 0 to MaxSurchargePercent with 2 decimals, bank debits 0 unless
//     the firm says otherwise, and the tax rate of the surcharge line):
//     FirmSurchargesChanged (surcharge.go).
//   - ChangeBankAccount: FirmBankAccountChanged (bankaccount.go).
//   - ChangeProposalSettings (the reminder days after sending, ascending,
//     1 to 90, at most 5, default 3, 7, 14; the default expiry in days after
//     sending, or none; whether staff are emailed of a client's first view,
//     acceptance or decline, and the address): FirmProposalSettingsChanged
//     (proposals.go).
//   - ChangeDunningPolicy (the retry schedule, the client's emails on a
//     rejection and when retries run out, staff notices of each failure and
//     a daily digest and their addresses, the final action when retries
//     run out and a write-off after N days, the reminders of invoices not
//     collected automatically before, on and after their due date; the
//     defaults are what Remit did before): FirmDunningPolicyChanged
//     (dunning.go).
//   - SendDunningDigest (the daily job's digest of a date, when the policy
//     asks for one and something is failed or overdue; a date sent already
//     records nothing): FirmDunningDigestSent (dunning.go).
//
// A change that leaves the settings as they are records nothing.
//
// State is the firm's current settings, with helpers the rest of Remit uses to
// apply them: DueDate, CollectionDate, RetryDates, NextRetryDate, TaxRate and
// DefaultTaxRate, and Surcharge (the terms of the surcharge on a card or a
// bank debit charge), Proposals (the proposal settings, defaults included), Dunning (the dunning
// policy, defaults included) and DunningPolicy.ReminderSteps.
// The time zone is kept as an IANA name whose form only is
// checked here: loading it (time.LoadLocation) reads files, so the caller does
// that, and refuses a zone that does not load, before issuing the command.
package firm
