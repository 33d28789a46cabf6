package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
	"remit/eventstore"
	"remit/projections"
	"remit/web/api"
	"remit/web/auth"
)

// proposalLines is how many lines the new proposal form offers.
const proposalLines = 3

func (h *handler) registerProposalRoutes(rt routes) {
	rt.get("/clients/{id}/proposals/new", h.handleProposalNew)
	rt.post("/clients/{id}/proposals/new", h.handleProposalDraft)
	rt.get("/proposals/{pid}", h.handleProposal)
	rt.get("/proposals/{pid}/signed.pdf", h.handleSignedPDF)
	rt.get("/proposals/{pid}/send", h.handleProposalForm("send"))
	rt.post("/proposals/{pid}/send", h.handleProposalSend)
	rt.get("/proposals/{pid}/accept", h.handleProposalForm("accept"))
	rt.post("/proposals/{pid}/accept", h.handleProposalAccept)
	rt.post("/proposals/{pid}/withdraw", h.handleProposalWithdraw)
	rt.post("/proposals/{pid}/save-as-template", h.handleProposalSaveAsTemplate)
}

// proposalPage is a proposal with its lines, and which form is open.
type proposalPage struct {
	Proposal proposal.State
	Form     string // "", "send", "accept"
	Lines    []int  // the new proposal form's line indexes
	// ClientLink is the signed acceptance link for the client, shown once
	// the proposal is sent (empty when client links are off).
	ClientLink string
	// Value is the proposal's amounts, totals per cadence and first-year
	// value.
	Value proposal.Value
	// Emails are the emails the proposal went out in (the outbox's
	// events), oldest first.
	Emails []projections.EmailView
	// Signers are the signatories (or, without any, whoever signed through
	// the link) with their evidence, views and signing links.
	Signers []signer
	// Templates are the templates a new proposal can start from.
	Templates []proposaltemplate.State
}

// proposalPage returns what the proposal's page shows with form which open.
func (h *handler) proposalPage(ctx context.Context, p proposal.State, which string, today domain.Date) (proposalPage, error) {
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return proposalPage{}, err
	}
	v, err := proposal.ValueOf(p, f.TaxMode, today)
	if err != nil {
		return proposalPage{}, fmt.Errorf("value of proposal %s: %w", p.ID, err)
	}
	emails, err := h.models(ctx).EmailsAbout(ctx, p.ID)
	if err != nil {
		return proposalPage{}, err
	}
	return proposalPage{Proposal: p, Form: which, Value: v, Emails: emails, Signers: signersOf(p)}, nil
}

// signer is one signatory on the staff's proposal page: whether and how
// they signed (the evidence), their views, and their own signing link.
type signer struct {
	Signatory proposal.Signatory
	Signed    bool
	Signature proposal.Signature
	Views     []proposal.View
	Link      string
}

// signersOf lists a proposal's signatories, or, without any, the
// signatures made through the link.
func signersOf(p proposal.State) []signer {
	var out []signer
	for _, g := range p.Signatories {
		sg := signer{Signatory: g}
		for _, s := range p.Signatures {
			if s.SignatoryID == g.ID {
				sg.Signed, sg.Signature = true, s
			}
		}
		for _, v := range p.Views {
			if v.SignatoryID == g.ID {
				sg.Views = append(sg.Views, v)
			}
		}
		out = append(out, sg)
	}
	if len(p.Signatories) == 0 {
		for _, s := range p.Signatures {
			out = append(out, signer{Signatory: proposal.Signatory{Name: s.SignedName, Email: s.Email}, Signed: true, Signature: s})
		}
	}
	return out
}

// proposalState folds one proposal's stream: the read models keep only a
// summary of each proposal (no lines), so its page is folded here, as the
// JSON API does.
func (h *handler) proposalState(ctx context.Context, id uuid.UUID) (proposal.State, error) {
	stream := proposal.StreamName(id)
	recs, err := h.cfg.Store.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
	if err != nil {
		return proposal.State{}, fmt.Errorf("read %s: %w", stream, err)
	}
	recs = api.CutAsOf(ctx, recs)
	if len(recs) == 0 {
		return proposal.State{}, domain.NotFound("There is no such proposal.")
	}
	var st proposal.State
	for _, rec := range recs {
		e, err := h.cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return proposal.State{}, fmt.Errorf("decode %s@%d: %w", stream, rec.Revision, err)
		}
		st = proposal.Evolve(st, e)
	}
	return st, nil
}

func (h *handler) loadProposal(w http.ResponseWriter, r *http.Request) (proposal.State, *projections.ClientSummary, domain.Date, bool) {
	pid, ok := h.idParam(w, r, "pid")
	if !ok {
		return proposal.State{}, nil, domain.Date{}, false
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return proposal.State{}, nil, today, false
	}
	p, err := h.proposalState(r.Context(), pid)
	if err != nil {
		h.fail(w, r, err)
		return p, nil, today, false
	}
	c, err := h.models(r.Context()).Summary(r.Context(), p.ClientID, today)
	if err != nil {
		h.fail(w, r, err)
		return p, nil, today, false
	}
	return p, &c, today, true
}

func (h *handler) handleProposalNew(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	f := newForm()
	f.set("lines[0].quantity", "1")
	f.set("lines[0].billing_rule.frequency", "monthly")
	f.set("lines[0].automatic", "on")
	startTaxRates(f, h.defaultTaxRate(r.Context()), linePrefixes("lines", proposalLines)...)
	ts, err := h.models(r.Context()).ProposalTemplates(r.Context(), false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal_new", &view{Title: "New proposal", Section: "clients", Tab: "summary", Client: c, Today: today, Form: f, D: proposalPage{Lines: indexes(proposalLines), Templates: ts}})
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (h *handler) handleProposalDraft(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.ProposalRequest{ClientID: c.ID, Title: fs.str("title"), StartDate: fs.date("start_date", false)}
	var formIndex []int
	for i := range proposalLines {
		p := fmt.Sprintf("lines[%d].", i)
		if i > 0 && !fs.has(p+"name") && !fs.has(p+"unit_price") {
			continue
		}
		formIndex = append(formIndex, i)
		req.Lines = append(req.Lines, proposal.Line{
			Name: fs.str(p + "name"), Description: fs.str(p + "description"), UnitPrice: fs.dec(p+"unit_price", true),
			Quantity: fs.dec(p+"quantity", true), Unit: fs.str(p + "unit"), Discount: fs.discount(p + "discount"),
			TaxRate: fs.dec(p+"tax_rate", false), BillingRule: fs.rule(p+"billing_rule", domain.StartOnAcceptance),
			Automatic: fs.str(p+"automatic") == "on",
		})
	}
	err := fs.err()
	var res billing.Result
	if err == nil {
		res, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.DraftProposal(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, lineFields(formIndex))
		h.render(w, r, statusOf(err), "proposal_new", &view{Title: "New proposal", Section: "clients", Tab: "summary", Client: c, Today: today, Form: f, D: proposalPage{Lines: indexes(proposalLines)}})
		return
	}
	redirect(w, r, "/proposals/"+res.ID.String(), fmt.Sprintf("Proposal %q drafted.", req.Title))
}

func (h *handler) handleProposal(w http.ResponseWriter, r *http.Request) {
	p, c, today, ok := h.loadProposal(w, r)
	if !ok {
		return
	}
	d, err := h.proposalPage(r.Context(), p, "", today)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Status == proposal.StatusSent {
		d.ClientLink = h.clientLink(r, auth.PurposeAcceptProposal, p.ClientID, p.ID)
		for i, g := range d.Signers {
			if g.Signatory.ID != uuid.Nil && !g.Signed {
				d.Signers[i].Link = h.signatoryLink(r, p.ClientID, p.ID, g.Signatory.ID)
			}
		}
	}
	h.render(w, r, http.StatusOK, "proposal", &view{Title: "Proposal " + p.Title, Section: "clients", Tab: "summary", Client: c, Today: today, D: d, Form: newForm()})
}

func (h *handler) handleProposalForm(which string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, c, today, ok := h.loadProposal(w, r)
		if !ok {
			return
		}
		f := newForm()
		for _, ct := range c.Contacts {
			if ct.Primary {
				f.set("contact_ids", ct.ID.String())
				f.set("accepted_by_name", ct.Name)
				f.set("accepted_by_email", ct.Email)
			}
		}
		if c.DefaultMethod != uuid.Nil {
			f.set("payment_method_id", c.DefaultMethod.String())
		}
		d, err := h.proposalPage(r.Context(), p, which, today)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, "proposal", &view{Title: "Proposal " + p.Title, Section: "clients", Tab: "summary", Client: c, Today: today, D: d, Form: f})
	}
}

// proposalCommand runs a proposal command from its form and re-renders the
// form with its errors, or redirects to the proposal with done.
func (h *handler) proposalCommand(w http.ResponseWriter, r *http.Request, which, done string, do func(fs *fields, p proposal.State) func(ctx context.Context, meta billing.Meta) (billing.Result, error)) {
	p, c, today, ok := h.loadProposal(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	cmd := do(fs, p)
	err := fs.err()
	if err == nil {
		_, err = h.run(r, cmd)
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, sendFields)
		d, derr := h.proposalPage(r.Context(), p, which, today)
		if derr != nil {
			h.fail(w, r, derr)
			return
		}
		h.render(w, r, statusOf(err), "proposal", &view{Title: "Proposal " + p.Title, Section: "clients", Tab: "summary", Client: c, Today: today, D: d, Form: f})
		return
	}
	redirect(w, r, "/proposals/"+p.ID.String(), done)
}

// sendFields puts the problems of the send form's recipients beside the
// contacts it offers.
func sendFields(field string) string {
	if strings.HasPrefix(field, "contact_ids") || strings.HasPrefix(field, "recipients[") {
		return "contact_ids"
	}
	return field
}

func (h *handler) handleProposalSend(w http.ResponseWriter, r *http.Request) {
	h.proposalCommand(w, r, "send", "Proposal sent.", func(fs *fields, p proposal.State) func(context.Context, billing.Meta) (billing.Result, error) {
		req := billing.SendProposalRequest{ProposalID: p.ID, RecipientEmail: fs.str("recipient_email")}
		for _, v := range r.PostForm["contact_ids"] {
			id, _ := uuid.Parse(v) // an unknown id is refused by billing, beside the contacts
			req.ContactIDs = append(req.ContactIDs, id)
		}
		return func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.SendProposal(ctx, req, meta)
		}
	})
}

func (h *handler) handleProposalAccept(w http.ResponseWriter, r *http.Request) {
	h.proposalCommand(w, r, "accept", "Proposal accepted: its services are active.", func(fs *fields, p proposal.State) func(context.Context, billing.Meta) (billing.Result, error) {
		req := billing.AcceptProposalRequest{ProposalID: p.ID, AcceptedByName: fs.str("accepted_by_name"), AcceptedByEmail: fs.str("accepted_by_email"),
			SignatureName: fs.str("signature_name"), PaymentMethodID: fs.id("payment_method_id")}
		return func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.AcceptProposal(ctx, req, meta)
		}
	})
}

func (h *handler) handleProposalWithdraw(w http.ResponseWriter, r *http.Request) {
	pid, ok := h.idParam(w, r, "pid")
	if !ok {
		return
	}
	h.button(w, r, "/proposals/"+pid.String(), "Proposal withdrawn.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.WithdrawProposal(ctx, billing.ProposalRef{ProposalID: pid, Reason: r.PostFormValue("reason")}, meta)
	})
}

// handleProposalSaveAsTemplate saves a proposal's title, letter, lines,
// packages and add-ons as a new template named after its title.
func (h *handler) handleProposalSaveAsTemplate(w http.ResponseWriter, r *http.Request) {
	pid, ok := h.idParam(w, r, "pid")
	if !ok {
		return
	}
	p, err := h.proposalState(r.Context(), pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c := proposaltemplate.Content{Name: p.Title, Title: p.Title, Letter: p.Letter, Lines: withoutIDs(p.Lines), AddOns: withoutIDs(p.AddOns)}
	for _, pk := range p.Packages {
		pk.ID, pk.Lines = uuid.Nil, withoutIDs(pk.Lines)
		c.Packages = append(c.Packages, pk)
	}
	h.button(w, r, templatesPath, fmt.Sprintf("Saved as the template %q.", p.Title), func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.CreateProposalTemplate(ctx, billing.ProposalTemplateRequest{Content: c}, meta)
	})
}

// withoutIDs clears lines' ids: the template gives them its own.
func withoutIDs(lines []proposal.Line) []proposal.Line {
	out := make([]proposal.Line, len(lines))
	for i, l := range lines {
		l.ID = uuid.Nil
		out[i] = l
	}
	return out
}
