// Package ui is Remit's web UI for firm staff: server-rendered HTML pages
// for clients and the client page (Summary, Services, Billing schedule,
// Invoices, Payment methods, Edit client), services, schedule items,
// invoices and proposals. Its one job, like the JSON API's, is translation:
// a form becomes a billing command and a read model becomes a page. It holds
// no business rules.
//
// # Shape
//
// New returns the UI, which the one HTTP server (api.Server, given it as
// api.Config.UI) serves beside the JSON API on its one gorilla/mux router:
// RegisterRoutes registers every page and action outside /api/, one
// registerXRoutes method per file (clients.go, clientpage.go, methods.go,
// services.go, schedule.go, invoices.go, proposals.go, proposal_edit.go
// (the draft editor: its save carries the revision it was opened at as a
// billing.Precondition, so a stale form is refused, not applied), renewals.go (the
// Renewals page), dashboard.go (the Dashboard: every report of
// projections as an SVG chart from package charts with its table beside
// it, or a sentence when there is nothing yet), getting_started.go (the
// Dashboard's Getting started checklist for a new firm (not for auditors), each step derived
// from the read models, hidden per browser by a cookie), priceincreases.go (the Price increases page: a bulk price
// increase previewed, applied after an approval tick, its batch page and
// its cancel; the dry run and apply through processes/priceincreases),
// firm.go: the owners'
// Settings page; proposal_templates.go: Settings → Proposal templates, their
// fixed-row editor with a letter preview, drafting from a template for one or many clients
// and "Send them all" for a batch; dunning_settings.go: the Settings page's Payment chasing
// section; login.go, setup.go and users.go: sign-in), with path
// variables ({id}, {token}) read as r.PathValue. Every route passes the
// UI's front door (handler.front, ui.go): security headers, the body
// limit, sign-in and the route's access, the posted form. The UI can also
// serve itself alone (UI.ServeHTTP, on a router of its own with the same
// routes), as its tests do. Pages are
// html/template files embedded in the binary
// (templates/layout.html, templates/partials.html and one file per page
// under templates/pages), parsed once; assets (one stylesheet and one small
// optional script) are embedded under static/ and served at /static/. No
// CDN, no build step.
//
// # Reads and writes
//
// GETs answer from projections.Models. The firm's settings (its name and
// time zone, for "today" and for showing instants) and a proposal's lines
// are not in the read models, so they are folded from their streams, as the
// JSON API does; the store is never written. Every POST builds one
// billing.Service command, waits (at most Config.WaitTimeout) for the
// projections runner to reach the command's position, and answers 303 See
// Other to the page showing the result, with a confirmation in a
// short-lived cookie (post/redirect/get). Everything works without
// JavaScript: actions are plain forms. An action that cannot be undone
// (deactivating a user, removing a payment method) is a link to a GET page
// that asks first (confirm.go) and whose form posts to the action's own
// address, CSRF token and all; ending a service asks on its own form.
//
// Two pages read what the log holds beyond the read models' client page:
// invoices and proposals list their emails (the "emails" projection, fed
// by the outbox's own events: what, to whom, when, queued/sent/failed), and
// activity and audit trails name who acted (actors.go: a user by name with
// the email on hover through Config.Users, the client through their link,
// the billing run) and link the invoices they mention. A service's activity
// and each payment method's show the newest page of lines with an "Older
// activity" link (?before=, a position in the log; activity_pages.go). Proposal amounts are
// shown per cadence, never added across cadences, with a first-year value
// (proposal.ValueOf). The billing-rule fields (the "rulefields" partial of
// the add-a-service, edit-service and proposal-line forms) take a day of
// the month and "Bill the first period pro rata"; a proposal line with that
// option says on the staff page and the client's acceptance page what it
// bills first (prorata.go, proposal.FirstBillingOf). The Ledger page (ledger.go) gives owners what the CLI
// gives operators: map a client to a ledger contact, re-create an invoice
// whose push failed, disconnect; staff are refused with a 403 page. The
// Collections page (collections.go) lists the upcoming collections, failed
// payments and overdue invoices by age with totals per currency
// (projections.Models.Collections), each row linking to the invoice's and
// client's action forms, which return to it (their "back" field). The
// Payouts page (payouts.go) lists the payment gateway's payouts (the
// "payouts" projection) with each one's ledger sync status, and a payout's
// page each charge, refund and fee it settles, linking the invoices, and its
// sync status per connected ledger. The connect form sets the payout bank
// and fees accounts, the disputes account and (QuickBooks) the receivable
// account of refunds with the rest of the mapping. The Services library
// (library.go, /settings/library) lists the firm's library services (the
// "library" projection) with a search and an archived filter, and adds,
// edits, archives and restores them; the instant bill and add-a-service
// forms start from one (?from=<id>: a GET form above them), their fields
// prefilled on the server (billing.InstantLineFrom,
// billing.ServiceRequestFrom) and still editable.
//
// When Config.BillingRun is set, the clients page offers "Run billing now"
// (billingrun.go): it runs billing and collection on demand, waits for the
// read models to reach the store's head and confirms in one line what the
// run did (invoices issued, payments collected and rejected, and what the
// daily jobs did: payment and proposal reminders sent, write-offs, …;
// "nothing was due" only when none of them did anything). When
// Config.BillingDryRun is set it also offers "Preview billing run"
// (/billing-run/preview?date=DATE, a GET form): the invoices the run as of
// that date would issue, with lines and totals, and the payments it would
// collect, writing nothing. List pages link their "Download CSV" to the
// API's CSV form of the same list (csvURL; docs/exports.md).
//
// # As of a past moment
//
// Every staff page takes as_of (api.AsOfResolver, the API server's
// middleware, or with Config.TimeTravel the UI's own when served alone) and
// reads its models from the request (handler.models). The layout's header
// has an "As of" picker; writePage rewrites a page shown as of a moment
// (asof.go): a banner says so with a link back to now, every internal link
// and GET form keeps as_of, and every form that posts sits in a disabled
// fieldset. changes.go is the Changes page of a client, service or invoice
// (api.ChangesReader).
//
// # Errors
//
// A form that breaks a rule is rendered again with status 422 (409 for a
// conflict), with what the user typed and each error beside its input plus
// a summary at the top linking to the inputs. Inputs are named after the
// billing request's field paths ("contacts[0].email",
// "billing_rule.end_date", "lines[1].unit_price"), so a
// *domain.ValidationError's problems land on their inputs; values that do
// not parse (a price that is not a number) are reported the same way before
// any command runs, so bad input appends nothing. One-button actions
// redirect back with the error in place of the confirmation. Internal
// errors are logged and shown as a generic message.
//
// Every status comes from the server's one mapping of errors to statuses
// (api.StatusOf), and every error page, the UI's own and the server's for
// a path or method no route takes (api.Server.Error), is drawn by one
// renderer from the problem the server would send the API
// (api.ProblemOf): RenderProblem, the "error" page of the template set.
//
// # Double submission
//
// Every form carries a one-time token (hidden field _token, a fresh UUID
// per rendering) used as the command id ("ui:<token>"), so billing appends
// a command at most once however often the form is sent; requests with the
// same token are also serialised, so a double-click's second request waits
// for the first and finds it already applied. The optional script also
// disables a form's buttons once it is sent.
//
// # Client links
//
// A firm's client never signs in: the pages under /c/ (client_links.go,
// templates/client) are reached through a link signed by Config.Links
// (auth.LinkSigner), scoped to one client, one purpose and one proposal or
// invoice, with an expiry. /c/p/{token} shows a sent proposal with its
// amounts and accepts it (with a method on file, or a new one added next
// on the gateway's page); /c/m/{token} adds or replaces a payment method
// and, for a link about an invoice whose payment was rejected (a retry
// pending or not), retries it now or on a date within 30 days with the new
// method or one on file, replacing the pending retry; for an invoice
// nothing collects, it has the invoice charged the same way. The proposal
// and rejection emails carry them; staff can also copy them from the
// proposal pages and from invoice pages with a rejected payment or nothing
// to collect. A tampered, expired or other-purpose token, or one whose
// resource is another client's, gets one plain page saying the link is no
// longer valid. Every input is checked by the pure deciders before any
// command runs, so a refusal appends nothing.
//
// # Capturing payment methods
//
// No form asks for a card, an account or a gateway token. "Add a card or
// bank account" (and "Replace"), on the client links and on staff's
// Payment methods tab, opens a hosted session on the gateway
// (Config.Checkout, gateways.Checkout; capture.go) and sends the browser to
// the gateway's own page (the sandbox's, served under /sandbox-gateway/, or
// Stripe Checkout). The gateway sends it back to the page's /captured
// route with the session id, which records the method (once: the gateway's
// webhook may have recorded it already), retries or charges the invoice
// with it when the client asked, and says what was added.
//
// /c/i/{token} (paynow.go) is an invoice's pay-now link: the invoice, its
// PDF and "Pay now" on the gateway's hosted page (Config.PayNow), recorded
// once when the browser comes back; staff copy it from the invoice page,
// and the email of an invoice nothing charges carries it.
//
// Staff ask clients for payment details (payment_details.go) from the
// client page, or every client the clients list's filter and search select
// after a confirm page counting who is emailed and who is skipped.
//
// # Sign-in, roles and refusals
//
// With Config.Auth set, sign-in (login.go) is in front of every page but the
// static files and the client links: a browser not signed in is sent to
// /login, a change needs the session's CSRF token and a role that may
// change things, and the owners' Users page (users.go) needs an owner. The
// API tokens page (tokens.go) is everyone's: making or revoking a token
// needs a signed-in person who may write (never a token itself). The
// pages that need no session are sign-in, the first-run setup link
// (/setup/{token}, setup.go) and set-password links
// (/set-password/{token}, users.go). Every answer,
// theirs and the UI's, is a page in the app's layout: a refusal (an expired
// form, a role that may only look, an owners-only page, a card number typed
// where none belongs) is a message page with a link back. The navigation
// (nav.go: Dashboard, Clients and the Billing, Proposals and Settings
// menus, each a <details> that opens without JavaScript, the entry of the
// page's view.Section marked current) and the pages show each role only
// what it may use: Settings and Users to owners, no action at all to
// auditors. Forms posted without a session are
// accepted only from Remit's own pages (auth.SameOrigin); those pages ask
// for the same-origin referrer policy so that browsers send their origin.
//
// # Security and accessibility
//
// Forms send the session's CSRF token (or Config.CSRFToken's value) in
// csrf_token for sign-in to check; the signed-in person (or Config.Actor)
// is who is recorded on events.
// Responses carry a strict Content-Security-Policy (same-origin only). Every
// input has a label, errors are tied to inputs with aria-describedby, the
// current tab is aria-current, focus is always visible and colours meet
// WCAG AA contrast. The browser tests (browser_test.go here, and the whole
// loop in test/) run axe-core (web/ui/uitest) on every page they visit and fail
// on any serious or critical violation.
package ui
