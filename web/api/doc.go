// Package api is Remit's HTTP server: the JSON API under /api/, and beside
// it, on the same router, the server-rendered UI (package ui, given as
// Config.UI). Its one job is translation: a request becomes a billing
// command or a projections query, and a result or a domain error becomes a
// response. It holds no business rules.
//
// # Shape
//
// Server wraps one *mux.Router, the only router of the program. Each
// resource file registers its routes in one registerXRoutes method
// (firm.go, client.go, contact.go, payment_method.go, proposal.go,
// service.go, schedule_item.go, invoice.go, payment.go, activity.go,
// reports.go: the firm's reports under /api/reports/, docs/reports.md) and
// names its handlers handleResourceAction (handleInvoiceVoid); the UI
// registers its pages on the same router (UI.RegisterRoutes), each of its
// resource files in its own registerXRoutes. A path no route takes, and a
// method a route does not take, are answered by the server through Error,
// like any other error. The shapes the handlers share live in resource.go:
// root (an aggregate at its own URL: view, command, creation, act), child
// (a part of one found in its parent's view: a client's contacts and
// payment methods, an invoice's attempts, payments, credit notes, refunds
// and disputes; refund.go refunds through processes/refunds),
// answering (a command that answers a resource) and serveList. Open listens
// first and then serves, so a test can bind 127.0.0.1:0 and read the
// address back; Close shuts down gracefully.
// # As of
//
// AsOfResolver (asof.go) is a middleware of the one router, so it serves
// the UI's pages too: a request with as_of is refused unless it is a GET or
// HEAD (409), its value is parsed (ParseAsOf; 400 naming as_of) and
// resolved to a projections.Moment, and the read models of that moment (a
// client's, by per-stream replay, for paths of a client, service or
// invoice; the firm's otherwise: projections.TimeTravel) are put in the
// request's context, where every handler takes its models from
// (ReadModels, Server.models), with the moment in the Remit-As-Of-Position
// and Remit-As-Of-Time headers and a list's as_of. changes.go answers what
// changed between two moments (ChangesReader, which the UI uses too).
//
// openapi.go lists the operations by hand and generates the OpenAPI 3
// document served at /api/openapi.json from their request and wire types;
// a test checks the list against the router both ways.
//
// # Wire types
//
// Every body the API answers is a wire type of this package (wire.go,
// wire_views.go and the XResource/XView types beside their handlers): a
// struct with a JSON tag on every field, built from the read model or
// domain value by one explicit conversion function (clientSummaryOf,
// invoiceDetailOf…) and encoded by encoding/json. The read models carry no
// JSON names, so renaming one of their fields changes nothing on the wire.
// The conventions live in the wire scalars: ID and Time are null when
// there is none; Decimal and Money are strings ("12.50", every minor unit
// of the currency); domain.Date is "YYYY-MM-DD" or null; lists are [] and
// maps {}, never null. Request bodies are tagged types too, read by the
// strict decoder in json.go (field-level problems, 400 against 422).
//
// Tests hold the wire to the document: every field has a JSON tag and every
// answer is built of wire types only (TestWireTypesAreTagged); each answer's
// schema has exactly the fields, required fields and types encoding/json
// writes (TestOpenAPISchemasMatchWireTypes); and testdata/wire.txt lists
// every field of every schema, so a change to the API shows in review
// (TestWireIsUnchanged; rewrite it with -update-wire).
//
// # Reads and writes
//
// GETs answer from the projections (projections.Models). Two things the
// read models do not have are folded from their streams here instead: the
// firm's settings (stream "firm") and a single proposal with its lines.
// Commands go to billing.Service; after one succeeds the handler waits (at
// most Config.WaitTimeout) for the projections runner to reach the append's
// global position, then answers with the created or changed resource as the
// read models show it: read-your-writes. Creations answer 201 with Location.
// If the read models do not catch up in time the answer is 202 with the
// command's result (stream, revision, position) and Location.
//
// Every list also answers as CSV (?format=csv or Accept: text/csv): the
// whole list, streamed page by page, from the same handler and query
// (csv.go; columns in docs/exports.md).
//
// # Concurrency control and idempotency
//
// The ETag of a single resource is its aggregate stream's revision, quoted
// ("7"); contacts and payment methods carry their client's, schedule items
// their service's. A command sent with If-Match is refused with 412, and
// nothing appended, when the stream's revision differs. The server holds no
// lock around commands: it checks the ETag against the stream, then hands
// the revision to billing with the command (billing.Meta.IfMatch), where it
// is the expected revision of the command's append. A writer that slips in
// between, in this process or another, makes the append fail, and the
// command answers 412 instead of being decided again on top of a change
// its sender did not see. Without If-Match, commands racing on one stream
// are decided again on conflict (billing.Handle), so none is lost.
//
// If-Match on a request that creates its aggregate (POST /api/clients…) is
// ignored. GETs of single resources honour If-None-Match with 304.
//
// A write (POST, PUT, PATCH, DELETE) with an Idempotency-Key header runs
// its command with the key as the command id (billing.Meta.CommandID,
// namespaced by actor as "actor:key"), so billing never appends it twice;
// the first successful response (status, Location, ETag and body) is kept
// in Config.Idempotency (package eventstore/idempotency: beside the event
// log, not in it) under sha256(actor, key) with a fingerprint of method,
// path and body, and returned verbatim (with Idempotent-Replayed: true) to
// every retry for 24 hours (app.Config.IdempotencyTTL), also after a
// restart. A key reused with another method, path or body is refused with
// 422. Failed requests are not stored, so they append nothing and may be
// retried. Past the expiry a retry is a new request, whose command still
// appends nothing twice.
//
// # Errors
//
// Every error of the API is application/problem+json (RFC 9457): type,
// title, status, detail, and errors [{field, message}] for field-level
// problems. Server.Error is the one renderer: it builds the problem
// (ProblemOf) and answers it as JSON under /api/, and as the UI's HTML
// error page (UI.RenderProblem) on every other path. The status is chosen in
// one function, StatusOf, which the UI's pages use too:
//
//   - 400: the request cannot be read as the request it should be:
//     malformed JSON, an unknown field (at any depth; names are matched
//     exactly), a wrong JSON type, a missing or null required field, a
//     value that does not parse as its type (a date that does not exist, an
//     id in the body that is not a UUID), a bad query parameter.
//   - 422: the request is well formed but breaks a rule: a negative
//     quantity, an unknown currency, an empty name (domain EINVALID), a
//     number in exponent form ("1e5", as a string or a JSON number) or
//     past the limits of package domain (limits.go), a field given as 0
//     that must be at least 1 (a struct tag min:"1", e.g. a billing rule's
//     interval), a card number or control character in any text field
//     (domain.CheckText, on the decoded values, in billing.Handle), or an
//     Idempotency-Key reused for another request.
//   - 404 ENOTFOUND: unknown ids, in the body or the path (a path id that
//     is not a UUID names nothing, so it is 404 too), and unknown routes.
//   - 409 ECONFLICT, 403 EFORBIDDEN, 405 a method the route does not take,
//     412 If-Match mismatch, 413 a body over MaxBodyBytes, 415 a body that
//     is not JSON.
//   - 401 without valid credentials (auth.ErrUnauthenticated, with
//     WWW-Authenticate), 429 too many sign-in attempts (auth.ErrRateLimited,
//     with Retry-After).
//   - 500 anything else, with a generic message; the details go to
//     Config.Logger only.
//
// A problem lists at most 20 field errors, then one more "and N more
// problems"; the decoder stops decoding once it has 20, so a body full of
// mistakes costs no more than a small one. POST /api/login reads at most
// MaxLoginBodyBytes (4 KB; more is 413), and a body it cannot read counts
// toward the address's sign-in limit like a wrong password.
//
// Field names in errors are those of the request body: where billing's
// command nests them differently ("contact.email" for a contact sent as
// the whole body) the prefix is removed.
//
// # Caches
//
// The firm's settings and time zone (needed for "today" on every query) are
// kept until the read models apply any event (their lowest checkpoint
// moves). The client page's tabs, the lists and activity pages are kept by
// the read models themselves (projections' query cache), until any of
// their tables changes.
//
// # Lists
//
// Every list answers {"items", "total", "limit", "next"} and takes
// ?limit= (1..500, default 50) and ?cursor= (opaque, from "next"); "next"
// (also sent as a Link rel="next" header) is absent on the last page.
//
// # Who is asking
//
// With Config.Auth set (as `remit serve` runs), every API request is
// authenticated by remit/web/auth (the UI's paths sign people in through
// the UI's own pages, route by route): a session cookie (with its CSRF token on
// unsafe methods) or a bearer token, checked against the role's rights
// (routeAccess); the actor recorded on every event is that user or token.
// Without it (`remit serve --no-auth`, development only; and tests) the
// actor is the X-Remit-Actor header, or "api" when it is absent.
package api
