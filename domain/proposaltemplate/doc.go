// Package proposaltemplate is the ProposalTemplate aggregate as a pure
// decider: a firm's reusable starting point for proposals, saved whole with
// its name, the proposal's title, the engagement letter, core service
// lines, packages and add-ons, and how many days a proposal drafted from it
// stays open (ExpiryDays). Its stream is "proposaltemplate-<uuid>".
//
// # Events
//
//   - ProposalTemplateCreated: the template's whole content.
//   - ProposalTemplateEdited: the whole content again, replacing it.
//   - ProposalTemplateArchived: it is no longer offered (its proposals
//     keep their TemplateID).
//
// # Commands
//
// CreateTemplate, EditTemplate and ArchiveTemplate, each with the time
// (Now); CreateTemplate carries the new id. The content is checked as a
// proposal draft's is (proposal.CheckTemplate: the same field paths,
// "lines[0].unit_price", "packages[1].lines[0].name"…), without a currency,
// start date or signatories, which belong to each proposal. Editing with
// the same content, or archiving twice, records nothing; an archived
// template cannot be edited (ECONFLICT).
//
// # Drafting from a template
//
// Draft turns a template into the content of a new proposal for one
// client: fresh line, package and add-on ids derived from the proposal id
// (so drafting the same proposal twice gives the same draft), and the
// expiry date ExpiryDays after the date given.
package proposaltemplate
