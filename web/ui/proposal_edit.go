package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/eventstore"
	"remit/projections"
)

// The draft editor: staff personalise one client's draft proposal — the
// letter (with a preview of exactly the document the client will read,
// placeholders filled), the lines (from the services library, overridden
// per line), packages and add-ons, the signatories (the client's contacts
// ticked, or people typed in), the start and expiry dates. Saving runs
// billing.EditProposal, the command behind PUT /api/proposals/{id}, on the
// revision the form was opened at (billing.Precondition, as If-Match), so
// two people editing one draft cannot overwrite each other: the second save
// is refused and says so.

func (h *handler) registerProposalEditRoutes(rt routes) {
	rt.get("/proposals/{pid}/edit", h.handleProposalEdit)
	rt.post("/proposals/{pid}/edit", h.handleProposalEditSave)
}

// proposalEdit is the editor's data.
type proposalEdit struct {
	Proposal     proposal.State
	Rows         offerRows
	TypedRows    int // how many typed signatory rows
	Placeholders []string
	Library      []projections.LibraryServiceView
	// Preview is the document the client will read, as the form stands
	// (or as saved).
	Preview template.HTML
	// Conflict is set when someone else saved the draft since the form was
	// opened: nothing was saved.
	Conflict bool
}

// Core, Packages, PackageLines and AddOns are the form's row indexes.
func (d proposalEdit) Core() []int { return indexes(d.Rows.Core) }

// Packages are the package rows' indexes.
func (d proposalEdit) Packages() []int { return indexes(d.Rows.Packages) }

// PackageLines are the line rows' indexes within each package.
func (d proposalEdit) PackageLines() []int { return indexes(d.Rows.PackageLines) }

// AddOns are the add-on rows' indexes.
func (d proposalEdit) AddOns() []int { return indexes(d.Rows.AddOns) }

// Signatories are the typed signatory rows' indexes.
func (d proposalEdit) Signatories() []int { return indexes(d.TypedRows) }

// maxPackages is how many packages a proposal may offer.
const maxPackages = 3

// editRows is the editor's rows for a draft: its own, plus a blank one of
// each kind to add (two at least).
func editRows(p proposal.State) (offerRows, int) {
	n := offerRows{Core: max(len(p.Lines)+1, 2), Packages: maxPackages, PackageLines: 2, AddOns: max(len(p.AddOns)+1, 2)}
	for _, pk := range p.Packages {
		n.PackageLines = max(n.PackageLines, len(pk.Lines)+1)
	}
	typed := 1
	for _, g := range p.Signatories {
		if g.ContactID == uuid.Nil {
			typed++
		}
	}
	return n, max(typed, 2)
}

// rowPattern finds the rows a submitted form has: "lines[3].name" and
// "packages[1].lines[2].name" both count.
var rowPattern = regexp.MustCompile(`^(lines|add_ons|packages|signatories)\[(\d+)\](?:\.lines\[(\d+)\])?`)

// submittedRows is how many rows of each kind a submitted form has, so a
// form re-rendered after an error keeps every row typed.
func submittedRows(v url.Values) (offerRows, int) {
	n := offerRows{Packages: maxPackages}
	typed := 0
	for k := range v {
		m := rowPattern.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if i > 200 {
			continue // more rows than any form offers
		}
		switch m[1] {
		case "lines":
			n.Core = max(n.Core, i+1)
		case "add_ons":
			n.AddOns = max(n.AddOns, i+1)
		case "signatories":
			typed = max(typed, i+1)
		case "packages":
			if j, err := strconv.Atoi(m[3]); err == nil && j <= 200 {
				n.PackageLines = max(n.PackageLines, j+1)
			}
		}
	}
	return n, typed
}

// fillEditForm puts a draft into the editor's inputs.
func fillEditForm(f *form, p proposal.State) {
	f.set("title", p.Title)
	if !p.StartDate.IsZero() {
		f.set("start_date", p.StartDate.String())
	}
	if !p.OpenUntil.IsZero() {
		f.set("expires_on", p.OpenUntil.String())
	}
	f.set("letter", p.Letter)
	line := func(prefix string, l proposal.Line) {
		fillLine(f, prefix, l)
		f.set(prefix+"id", l.ID.String())
	}
	for i, l := range p.Lines {
		line(fmt.Sprintf("lines[%d].", i), l)
	}
	for i, pk := range p.Packages {
		f.set(fmt.Sprintf("packages[%d].id", i), pk.ID.String())
		f.set(fmt.Sprintf("packages[%d].name", i), pk.Name)
		f.set(fmt.Sprintf("packages[%d].description", i), pk.Description)
		for j, l := range pk.Lines {
			line(fmt.Sprintf("packages[%d].lines[%d].", i, j), l)
		}
	}
	for i, l := range p.AddOns {
		line(fmt.Sprintf("add_ons[%d].", i), l)
	}
	typed := 0
	for _, g := range p.Signatories {
		if g.ContactID != uuid.Nil {
			f.Values.Add("signatory_contacts", g.ContactID.String())
			continue
		}
		f.set(fmt.Sprintf("signatories[%d].name", typed), g.Name)
		f.set(fmt.Sprintf("signatories[%d].email", typed), g.Email)
		typed++
	}
}

// proposalStateRev is proposalState with the stream's revision, the one
// the editor's save must build on.
func (h *handler) proposalStateRev(ctx context.Context, id uuid.UUID) (proposal.State, uint64, error) {
	p, err := h.proposalState(ctx, id)
	if err != nil {
		return p, 0, err
	}
	recs, err := h.cfg.Store.ReadStream(ctx, proposal.StreamName(id), eventstore.End, eventstore.Backward, 1)
	if err != nil || len(recs) == 0 {
		return p, 0, fmt.Errorf("read the revision of proposal %s: %w", id, err)
	}
	return p, recs[0].Revision, nil
}

// loadDraft loads the proposal, its client and the editor's data; a
// proposal that is no longer a draft is sent back to its page.
func (h *handler) loadDraft(w http.ResponseWriter, r *http.Request) (proposal.State, uint64, *projections.ClientSummary, domain.Date, proposalEdit, bool) {
	pid, ok := h.idParam(w, r, "pid")
	if !ok {
		return proposal.State{}, 0, nil, domain.Date{}, proposalEdit{}, false
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return proposal.State{}, 0, nil, today, proposalEdit{}, false
	}
	p, rev, err := h.proposalStateRev(r.Context(), pid)
	if err != nil {
		h.fail(w, r, err)
		return p, 0, nil, today, proposalEdit{}, false
	}
	if p.Status != proposal.StatusDraft {
		redirectError(w, r, "/proposals/"+p.ID.String(), "Only a draft can be edited: this proposal is "+string(p.Status)+".")
		return p, 0, nil, today, proposalEdit{}, false
	}
	c, err := h.models(r.Context()).Summary(r.Context(), p.ClientID, today)
	if err != nil {
		h.fail(w, r, err)
		return p, 0, nil, today, proposalEdit{}, false
	}
	lib, err := h.models(r.Context()).LibraryServices(r.Context(), projections.LibraryFilter{})
	if err != nil {
		h.fail(w, r, err)
		return p, 0, nil, today, proposalEdit{}, false
	}
	return p, rev, &c, today, proposalEdit{Proposal: p, Placeholders: proposal.Placeholders(), Library: lib}, true
}

// preview renders the document the client would read were p sent.
func (h *handler) preview(ctx context.Context, p proposal.State, clientName string, today domain.Date) (template.HTML, error) {
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return "", err
	}
	return renderMarkdown(proposal.Document(p, proposal.DocumentFacts{FirmName: f.Name, ClientName: clientName, TaxMode: f.TaxMode, Today: today}))
}

func (h *handler) handleProposalEdit(w http.ResponseWriter, r *http.Request) {
	p, rev, c, today, d, ok := h.loadDraft(w, r)
	if !ok {
		return
	}
	f := newForm()
	fillEditForm(f, p)
	f.set("revision", strconv.FormatUint(rev, 10))
	d.Rows, d.TypedRows = editRows(p)
	startTaxRates(f, h.defaultTaxRate(r.Context()), d.Rows.prefixes()...) // the blank rows; the draft's own have theirs
	var err error
	if d.Preview, err = h.preview(r.Context(), p, c.Name, today); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal_edit", &view{Title: "Edit proposal " + p.Title, Section: "clients", Tab: "summary", Client: c, Today: today, Form: f, D: d})
}

// editRequest reads the editor into the request billing.EditProposal
// takes, and a rename of billing's field paths to the form's inputs.
// Rows keep their line's id; what the form does not show of a line (its
// discount, revenue account, and the details of its billing rule while
// its frequency is unchanged) is kept from the draft.
func editRequest(fs *fields, p proposal.State, c *projections.ClientSummary, n offerRows, typedRows int) (billing.ProposalRequest, func(string) string) {
	o := readOfferRows(fs, n)
	keep := func(lines []proposal.Line) []proposal.Line {
		for i, l := range lines {
			if old, ok := draftLine(p, l.ID); ok {
				l.Discount, l.RevenueAccount = old.Discount, old.RevenueAccount
				if rulePreset(old.BillingRule) == rulePreset(l.BillingRule) {
					l.BillingRule = old.BillingRule
				}
				lines[i] = l
			}
		}
		return lines
	}
	o.Lines, o.AddOns = keep(o.Lines), keep(o.AddOns)
	for i := range o.Packages {
		o.Packages[i].Lines = keep(o.Packages[i].Lines)
	}
	req := billing.ProposalRequest{ProposalID: p.ID, Title: fs.str("title"), StartDate: fs.date("start_date", false), Lines: o.Lines,
		ProposalOffer: billing.ProposalOffer{Letter: strings.TrimSpace(fs.r.PostFormValue("letter")), Packages: o.Packages, AddOns: o.AddOns,
			ExpiresOn: fs.date("expires_on", false), TemplateID: p.TemplateID, RenewalOf: p.RenewalOf}}
	existing := func(match func(proposal.Signatory) bool) uuid.UUID {
		for _, g := range p.Signatories {
			if match(g) {
				return g.ID
			}
		}
		return uuid.Nil
	}
	sigRows := map[int]string{}
	for _, ct := range c.Contacts {
		if !slices.Contains(fs.r.PostForm["signatory_contacts"], ct.ID.String()) {
			continue
		}
		sigRows[len(req.Signatories)] = "signatory_contacts"
		req.Signatories = append(req.Signatories, proposal.Signatory{ID: existing(func(g proposal.Signatory) bool { return g.ContactID == ct.ID }), ContactID: ct.ID})
	}
	for i := range typedRows {
		pre := fmt.Sprintf("signatories[%d].", i)
		name, email := fs.str(pre+"name"), fs.str(pre+"email")
		if name == "" && email == "" {
			continue
		}
		sigRows[len(req.Signatories)] = fmt.Sprintf("signatories[%d]", i)
		req.Signatories = append(req.Signatories, proposal.Signatory{Name: name, Email: email,
			ID: existing(func(g proposal.Signatory) bool { return g.ContactID == uuid.Nil && strings.EqualFold(g.Email, email) })})
	}
	return req, func(field string) string {
		var k int
		var rest string
		if _, err := fmt.Sscanf(field, "signatories[%d]", &k); err == nil {
			if row, ok := sigRows[k]; ok {
				rest = strings.TrimPrefix(field, fmt.Sprintf("signatories[%d]", k))
				if row == "signatory_contacts" {
					return row
				}
				return row + rest
			}
		}
		if field == "signatories" {
			return "signatory_contacts"
		}
		return o.rename(field)
	}
}

// draftLine finds a line of a draft by id, wherever it is offered.
func draftLine(p proposal.State, id uuid.UUID) (proposal.Line, bool) {
	if id == uuid.Nil {
		return proposal.Line{}, false
	}
	for _, l := range p.OfferedLines() {
		if l.ID == id {
			return l, true
		}
	}
	return proposal.Line{}, false
}

// handleProposalEditSave saves the draft ("save"), or shows the preview of
// the form as it stands ("preview", nothing saved), or fills the rows that
// chose a library service ("fill").
func (h *handler) handleProposalEditSave(w http.ResponseWriter, r *http.Request) {
	p, _, c, today, d, ok := h.loadDraft(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	f := formFrom(r)
	d.Rows, d.TypedRows = submittedRows(r.PostForm)
	base, typed := editRows(p)
	d.Rows.Core, d.Rows.AddOns = max(d.Rows.Core, base.Core), max(d.Rows.AddOns, base.AddOns)
	d.Rows.PackageLines, d.TypedRows = max(d.Rows.PackageLines, base.PackageLines), max(d.TypedRows, typed)
	show := func(status int) {
		h.render(w, r, status, "proposal_edit", &view{Title: "Edit proposal " + p.Title, Section: "clients", Tab: "summary", Client: c, Today: today, Form: f, D: d})
	}
	if r.PostFormValue("action") == "fill" {
		fillFromLibrary(f, d.Library)
		show(http.StatusOK)
		return
	}
	req, rename := editRequest(fs, p, c, d.Rows, d.TypedRows)
	rev, revErr := strconv.ParseUint(fs.str("revision"), 10, 64)
	err := fs.err()
	if r.PostFormValue("action") == "preview" {
		h.showPreview(r, f, &d, p, c, req, today, err, rename)
		show(http.StatusOK)
		return
	}
	if err == nil && revErr != nil {
		err = domain.Invalid("revision", "the form does not say which version of the draft it edits: open the editor again")
	}
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			meta.IfMatch = &billing.Precondition{Stream: proposal.StreamName(p.ID), Revision: rev}
			return h.cfg.Billing.EditProposal(ctx, req, meta)
		})
	}
	if pf := (*billing.PreconditionFailedError)(nil); errors.As(err, &pf) {
		d.Conflict = true
		f.General = append(f.General, "Someone else saved this draft while you were editing it, so your changes were not saved (nothing was overwritten). Open the latest version, then make your changes again.")
		d.Preview, _ = h.preview(r.Context(), p, c.Name, today)
		show(http.StatusConflict)
		return
	}
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, rename)
		d.Preview, _ = h.preview(r.Context(), p, c.Name, today)
		show(statusOf(err))
		return
	}
	redirect(w, r, "/proposals/"+p.ID.String()+"/edit", fmt.Sprintf("Draft %q saved.", req.Title))
}

// showPreview renders the document as the form stands, without saving:
// the draft with the form's content, new rows given ids for the preview
// only. The form's problems (what saving would refuse) are shown beside
// their fields.
func (h *handler) showPreview(r *http.Request, f *form, d *proposalEdit, p proposal.State, c *projections.ClientSummary, req billing.ProposalRequest, today domain.Date, parseErr error, rename func(string) string) {
	q := p
	q.Title, q.StartDate, q.Letter, q.OpenUntil = req.Title, req.StartDate, req.Letter, req.ExpiresOn
	ids := func(lines []proposal.Line) []proposal.Line {
		out := make([]proposal.Line, len(lines))
		for i, l := range lines {
			if l.ID == uuid.Nil {
				l.ID = uuid.New()
			}
			out[i] = l
		}
		return out
	}
	q.Lines, q.AddOns, q.Packages = ids(req.Lines), ids(req.AddOns), nil
	for _, pk := range req.Packages {
		if pk.ID == uuid.Nil {
			pk.ID = uuid.New()
		}
		pk.Lines = ids(pk.Lines)
		q.Packages = append(q.Packages, pk)
	}
	q.Signatories = nil
	for _, g := range req.Signatories {
		if g.ContactID != uuid.Nil {
			for _, ct := range c.Contacts {
				if ct.ID == g.ContactID {
					g.Name, g.Email = ct.Name, ct.Email
				}
			}
		}
		if g.ID == uuid.Nil {
			g.ID = uuid.New()
		}
		q.Signatories = append(q.Signatories, g)
	}
	err := parseErr
	if err == nil {
		_, err = proposal.Decide(p, proposal.EditDraft{ProposalID: p.ID, Title: q.Title, StartDate: q.StartDate, Lines: q.Lines,
			Offer: proposal.Offer{Letter: q.Letter, Packages: q.Packages, AddOns: q.AddOns, Signatories: q.Signatories, ExpiresOn: q.OpenUntil,
				TemplateID: q.TemplateID, RenewalOf: q.RenewalOf, Today: today}, Now: h.cfg.Now()})
	}
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, rename)
	}
	var perr error
	if d.Preview, perr = h.preview(r.Context(), q, c.Name, today); perr != nil {
		f.General = append(f.General, h.userMessage(r, perr))
	}
}
