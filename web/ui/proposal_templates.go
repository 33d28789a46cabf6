package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
	"remit/projections"
)

// The template form's fixed rows (it works without JavaScript): core
// lines, packages (each with its lines) and add-ons. Blank rows are left
// out; a package row without a name and lines is left out.
const (
	templateCoreLines    = 2
	templatePackages     = 3
	templatePackageLines = 2
	templateAddOns       = 2
)

// templateRows are those rows.
var templateRows = offerRows{Core: templateCoreLines, Packages: templatePackages, PackageLines: templatePackageLines, AddOns: templateAddOns}

const templatesPath = "/settings/proposal-templates"

func (h *handler) registerProposalTemplateRoutes(rt routes) {
	rt.get(templatesPath, h.handleTemplateList)
	rt.get(templatesPath+"/new", h.handleTemplateNew)
	rt.post(templatesPath+"/new", h.handleTemplateSave)
	rt.get(templatesPath+"/{tid}", h.handleTemplateEdit)
	rt.post(templatesPath+"/{tid}", h.handleTemplateSave)
	rt.post(templatesPath+"/{tid}/archive", h.handleTemplateArchive)
	rt.get(templatesPath+"/{tid}/proposals", h.handleTemplateBulk)
	rt.post(templatesPath+"/{tid}/proposals", h.handleTemplateBulkDraft)
	rt.post(templatesPath+"/{tid}/send-all", h.handleTemplateSendAll)
	rt.post("/clients/{id}/proposals/from-template", h.handleProposalFromTemplate)
}

// templateForm is the template form's data: its fixed rows, the template
// being edited (zero: a new one) and the letter's placeholders.
type templateForm struct {
	Template     proposaltemplate.State
	Core         []int
	Packages     []int
	PackageLines []int
	AddOns       []int
	Placeholders []string
	// Library is the services library a line can start from.
	Library []projections.LibraryServiceView
	// Preview is the document a client would read of a proposal drafted
	// from the template as the form stands ("Preview the letter").
	Preview template.HTML
}

// sampleClient stands for the client's name in a template's preview.
const sampleClient = "‹client name›"

// templatePreview renders the document of a proposal drafted today from
// content, for a sample client, and records what saving would refuse.
func (h *handler) templatePreview(r *http.Request, f *form, d *templateForm, c proposaltemplate.Content, parseErr error, rename func(string) string) {
	fm, loc, err := h.firmNow(r.Context())
	if err != nil {
		f.General = append(f.General, h.userMessage(r, err))
		return
	}
	today := domain.DateOf(h.cfg.Now(), loc)
	var probs domain.Problems
	lines, o := proposal.CheckTemplate(&probs, c.Title, c.Lines, proposal.Offer{Letter: c.Letter, Packages: c.Packages, AddOns: c.AddOns})
	if err := errors.Join(parseErr, probs.Err()); err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, rename)
	}
	ids := func(ls []proposal.Line) []proposal.Line {
		out := make([]proposal.Line, len(ls))
		for i, l := range ls {
			l.ID = uuid.New()
			out[i] = l
		}
		return out
	}
	st := proposal.State{Title: c.Title, Currency: fm.BaseCurrency, Letter: o.Letter, Lines: ids(lines), AddOns: ids(o.AddOns)}
	for _, pk := range o.Packages {
		pk.ID, pk.Lines = uuid.New(), ids(pk.Lines)
		st.Packages = append(st.Packages, pk)
	}
	if c.ExpiryDays > 0 {
		st.OpenUntil = today.AddDays(c.ExpiryDays)
	}
	if d.Preview, err = h.preview(r.Context(), st, sampleClient, today); err != nil {
		f.General = append(f.General, h.userMessage(r, err))
	}
}

func newTemplateForm(t proposaltemplate.State) templateForm {
	return templateForm{Template: t, Core: indexes(templateCoreLines), Packages: indexes(templatePackages),
		PackageLines: indexes(templatePackageLines), AddOns: indexes(templateAddOns), Placeholders: proposal.Placeholders()}
}

// templateFormData is newTemplateForm with the services library.
func (h *handler) templateFormData(r *http.Request, t proposaltemplate.State) (templateForm, error) {
	d := newTemplateForm(t)
	lib, err := h.models(r.Context()).LibraryServices(r.Context(), projections.LibraryFilter{})
	d.Library = lib
	return d, err
}

// fillFromLibrary prefills each line row whose library service was chosen
// and whose name is still empty with that service's fields (staff can
// then change any of them).
func fillFromLibrary(f *form, lib []projections.LibraryServiceView) {
	byID := map[string]projections.LibraryServiceView{}
	for _, v := range lib {
		byID[v.ServiceID.String()] = v
	}
	for name, vals := range f.Values {
		prefix, ok := strings.CutSuffix(name, "library_service_id")
		if !ok || len(vals) == 0 || f.Value(prefix+"name") != "" {
			continue
		}
		v, ok := byID[vals[0]]
		if !ok {
			continue
		}
		fillLine(f, prefix, proposal.Line{Name: v.Name, Description: v.Description, UnitPrice: v.UnitPrice, Quantity: v.Quantity,
			Unit: v.Unit, TaxRate: v.TaxRate, BillingRule: v.BillingRule, Automatic: v.Automatic, Terms: v.Terms})
	}
}

func (h *handler) handleTemplateList(w http.ResponseWriter, r *http.Request) {
	ts, err := h.models(r.Context()).ProposalTemplates(r.Context(), true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal_templates", &view{Title: "Proposal templates", Section: "templates", D: ts, Form: newForm()})
}

func (h *handler) handleTemplateNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.set("expiry_days", "14")
	startTaxRates(f, h.defaultTaxRate(r.Context()), templateRows.prefixes()...)
	d, err := h.templateFormData(r, proposaltemplate.State{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal_template", &view{Title: "New proposal template", Section: "templates", Form: f, D: d})
}

func (h *handler) templateParam(w http.ResponseWriter, r *http.Request) (proposaltemplate.State, bool) {
	tid, ok := h.idParam(w, r, "tid")
	if !ok {
		return proposaltemplate.State{}, false
	}
	t, _, err := h.cfg.Billing.ProposalTemplate(r.Context(), tid)
	if err != nil {
		h.fail(w, r, err)
		return t, false
	}
	return t, true
}

func (h *handler) handleTemplateEdit(w http.ResponseWriter, r *http.Request) {
	t, ok := h.templateParam(w, r)
	if !ok {
		return
	}
	f := newForm()
	fillTemplateForm(f, t.Content)
	startTaxRates(f, h.defaultTaxRate(r.Context()), templateRows.prefixes()...) // the blank rows
	d, err := h.templateFormData(r, t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal_template", &view{Title: "Template " + t.Name, Section: "templates", Form: f, D: d})
}

// fillTemplateForm puts a template's content into the form's inputs.
func fillTemplateForm(f *form, c proposaltemplate.Content) {
	f.set("name", c.Name)
	f.set("title", c.Title)
	f.set("letter", c.Letter)
	f.set("expiry_days", fmt.Sprint(c.ExpiryDays))
	for i, l := range c.Lines {
		fillLine(f, fmt.Sprintf("lines[%d].", i), l)
	}
	for i, p := range c.Packages {
		f.set(fmt.Sprintf("packages[%d].name", i), p.Name)
		f.set(fmt.Sprintf("packages[%d].description", i), p.Description)
		for j, l := range p.Lines {
			fillLine(f, fmt.Sprintf("packages[%d].lines[%d].", i, j), l)
		}
	}
	for i, l := range c.AddOns {
		fillLine(f, fmt.Sprintf("add_ons[%d].", i), l)
	}
}

func fillLine(f *form, p string, l proposal.Line) {
	f.set(p+"name", l.Name)
	f.set(p+"description", l.Description)
	f.set(p+"unit_price", l.UnitPrice.String())
	f.set(p+"quantity", l.Quantity.String())
	f.set(p+"unit", l.Unit)
	f.set(p+"tax_rate", l.TaxRate.String())
	f.set(p+"terms", l.Terms)
	f.set(p+"billing_rule.frequency", rulePreset(l.BillingRule))
	if l.LibraryServiceID != uuid.Nil {
		f.set(p+"library_service_id", l.LibraryServiceID.String())
	}
	if l.Automatic {
		f.set(p+"automatic", "on")
	}
}

// templateFields reads the template form. Rows left blank are skipped;
// rename maps the field paths billing reports (counting kept rows only)
// back to the form's inputs.
func templateFields(fs *fields) (proposaltemplate.Content, func(string) string) {
	c := proposaltemplate.Content{Name: fs.str("name"), Title: fs.str("title"), Letter: strings.TrimSpace(fs.r.PostFormValue("letter"))}
	if fs.has("expiry_days") {
		c.ExpiryDays, _ = fs.integer("expiry_days")
	}
	o := readOfferRows(fs, templateRows)
	c.Lines, c.Packages, c.AddOns = o.Lines, o.Packages, o.AddOns
	return c, o.rename
}

// offerRows is how many rows of each kind a proposal or template form has.
type offerRows struct{ Core, Packages, PackageLines, AddOns int }

// offerForm is what readOfferRows read: the kept rows, and the renames of
// billing's field paths (which count kept rows only) to the form's inputs.
type offerForm struct {
	Lines    []proposal.Line
	Packages []proposal.Package
	AddOns   []proposal.Line
	renames  map[string]string
}

// rename maps a field path billing reports to the form's input: the
// longest kept prefix wins (packages[0].lines[1] before packages[0]).
func (o offerForm) rename(field string) string {
	best := ""
	for k := range o.renames {
		if (field == k || strings.HasPrefix(field, k+".")) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return field
	}
	return o.renames[best] + strings.TrimPrefix(field, best)
}

// readOfferRows reads the line rows (lines[i]., packages[k].lines[j].,
// add_ons[i].) and package rows of a form with n rows. Blank rows are
// skipped; a package row without a name and lines is left out.
func readOfferRows(fs *fields, n offerRows) offerForm {
	o := offerForm{renames: map[string]string{}}
	rows := func(prefix, formPrefix string, count int) []proposal.Line {
		var out []proposal.Line
		for i := range count {
			p := fmt.Sprintf("%s[%d].", formPrefix, i)
			if !fs.has(p+"name") && !fs.has(p+"unit_price") {
				continue
			}
			o.renames[fmt.Sprintf("%s[%d]", prefix, len(out))] = fmt.Sprintf("%s[%d]", formPrefix, i)
			out = append(out, lineFrom(fs, p))
		}
		return out
	}
	o.Lines = rows("lines", "lines", n.Core)
	for i := range n.Packages {
		p := fmt.Sprintf("packages[%d]", i)
		k := fmt.Sprintf("packages[%d]", len(o.Packages))
		lines := rows(k+".lines", p+".lines", n.PackageLines)
		if !fs.has(p+".name") && len(lines) == 0 {
			continue
		}
		o.renames[k] = p
		o.Packages = append(o.Packages, proposal.Package{ID: fs.id(p + ".id"), Name: fs.str(p + ".name"), Description: fs.str(p + ".description"), Lines: lines})
	}
	o.AddOns = rows("add_ons", "add_ons", n.AddOns)
	return o
}

// lineFrom reads one line's inputs under prefix p.
func lineFrom(fs *fields, p string) proposal.Line {
	return proposal.Line{
		Name: fs.str(p + "name"), Description: fs.str(p + "description"), UnitPrice: fs.dec(p+"unit_price", true),
		Quantity: fs.dec(p+"quantity", true), Unit: fs.str(p + "unit"), TaxRate: fs.dec(p+"tax_rate", false),
		BillingRule: fs.rule(p+"billing_rule", domain.StartOnAcceptance), Automatic: fs.str(p+"automatic") == "on",
		Terms: strings.TrimSpace(fs.r.PostFormValue(p + "terms")), LibraryServiceID: fs.id(p + "library_service_id"),
		ID: fs.id(p + "id"), // the proposal editor's rows keep their line's id
	}
}

func (h *handler) handleTemplateSave(w http.ResponseWriter, r *http.Request) {
	var t proposaltemplate.State
	if r.PathValue("tid") != "" {
		var ok bool
		if t, ok = h.templateParam(w, r); !ok {
			return
		}
	}
	d, err := h.templateFormData(r, t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fs := readForm(r)
	if r.PostFormValue("action") == "fill" {
		f := formFrom(r)
		fillFromLibrary(f, d.Library)
		h.render(w, r, http.StatusOK, "proposal_template", &view{Title: "Proposal template", Section: "templates", Form: f, D: d})
		return
	}
	c, rename := templateFields(fs)
	err = fs.err()
	if r.PostFormValue("action") == "preview" {
		f := formFrom(r)
		h.templatePreview(r, f, &d, c, err, rename)
		h.render(w, r, http.StatusOK, "proposal_template", &view{Title: "Proposal template", Section: "templates", Form: f, D: d})
		return
	}
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			if t.Created() {
				return h.cfg.Billing.EditProposalTemplate(ctx, billing.ProposalTemplateRequest{TemplateID: t.ID, Content: c}, meta)
			}
			return h.cfg.Billing.CreateProposalTemplate(ctx, billing.ProposalTemplateRequest{Content: c}, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, rename)
		h.render(w, r, statusOf(err), "proposal_template", &view{Title: "Proposal template", Section: "templates", Form: f, D: d})
		return
	}
	redirect(w, r, templatesPath, fmt.Sprintf("Template %q saved.", c.Name))
}

func (h *handler) handleTemplateArchive(w http.ResponseWriter, r *http.Request) {
	tid, ok := h.idParam(w, r, "tid")
	if !ok {
		return
	}
	h.button(w, r, templatesPath, "Template archived.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.ArchiveProposalTemplate(ctx, tid, meta)
	})
}

// templateBulk is the bulk drafting page: the template, the clients to
// choose from (the clients list's search), and the preview or outcome.
type templateBulk struct {
	Template proposaltemplate.State
	Search   string
	Clients  []projections.ClientListItem
	Chosen   map[uuid.UUID]bool
	Rows     []bulkRow
	Preview  bool
	// Unsent is how many of the batch's drafts (DraftIDs) are still
	// unsent: the confirmation of "Send them all" names it.
	Unsent   int
	DraftIDs []uuid.UUID
	Confirm  bool
	// Sent is the outcome of "Send them all", one row per proposal.
	Sent []sentRow
}

// sentRow is one proposal sent by "Send them all", with the problem, if
// any, said for people.
type sentRow struct {
	billing.DraftSent
	ClientName string
	Problem    string
}

// UnsentIDs are the drafts just created or found, for "Send them all".
func (d templateBulk) UnsentIDs() []uuid.UUID {
	var out []uuid.UUID
	for _, r := range d.Rows {
		if r.Err == nil {
			out = append(out, r.ProposalID)
		}
	}
	return out
}

// bulkRow is one client's draft with the problem, if any, said for people.
type bulkRow struct {
	billing.TemplateDraft
	Problem string
}

func (h *handler) handleTemplateBulk(w http.ResponseWriter, r *http.Request) {
	t, ok := h.templateParam(w, r)
	if !ok {
		return
	}
	d, err := h.bulkPage(r, t, r.URL.Query().Get("search"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "proposal_template_bulk", &view{Title: "Proposals from " + t.Name, Section: "templates", Form: newForm(), D: d})
}

func (h *handler) bulkPage(r *http.Request, t proposaltemplate.State, search string) (templateBulk, error) {
	today, _, err := h.today(r.Context())
	if err != nil {
		return templateBulk{}, err
	}
	cs, err := h.models(r.Context()).SelectClients(r.Context(), projections.ClientQuery{Filter: projections.ClientsActive, Search: search, Today: today})
	return templateBulk{Template: t, Search: search, Clients: cs, Chosen: map[uuid.UUID]bool{}}, err
}

// handleTemplateBulkDraft previews ("preview") or drafts ("create") one
// proposal per ticked client. The batch id is the form's token, so a
// resubmitted form drafts nothing twice.
func (h *handler) handleTemplateBulkDraft(w http.ResponseWriter, r *http.Request) {
	t, ok := h.templateParam(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	var ids []uuid.UUID
	for _, v := range r.PostForm["client_ids"] {
		if id, err := uuid.Parse(v); err == nil {
			ids = append(ids, id)
		}
	}
	preview := r.PostFormValue("action") != "create"
	d, err := h.bulkPage(r, t, r.PostFormValue("search"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, id := range ids {
		d.Chosen[id] = true
	}
	f := formFrom(r)
	batch := uuid.NewSHA1(t.ID, []byte(f.Token))
	meta := h.meta(r)
	rows, err := h.cfg.Billing.DraftFromTemplate(context.WithoutCancel(r.Context()), billing.DraftFromTemplateRequest{TemplateID: t.ID, ClientIDs: ids, BatchID: batch, DryRun: preview}, meta)
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, func(field string) string {
			if strings.HasPrefix(field, "client_ids") {
				return "client_ids"
			}
			return field
		})
		h.render(w, r, statusOf(err), "proposal_template_bulk", &view{Title: "Proposals from " + t.Name, Section: "templates", Form: f, D: d})
		return
	}
	if !preview {
		if head, herr := h.cfg.Store.Head(r.Context()); herr == nil {
			_ = h.cfg.Runner.WaitFor(r.Context(), head)
		}
	}
	for _, row := range rows {
		br := bulkRow{TemplateDraft: row}
		if row.Err != nil {
			br.Problem = h.userMessage(r, row.Err)
		}
		d.Rows = append(d.Rows, br)
	}
	d.Preview = preview
	h.render(w, r, http.StatusOK, "proposal_template_bulk", &view{Title: "Proposals from " + t.Name, Section: "templates", Form: f, D: d})
}

// handleTemplateSendAll sends the drafts of a bulk drafting: first it asks
// (naming how many of them are still unsent), then, confirmed, sends each
// still a draft (billing.SendDrafts: to its signatories, or the client's
// primary contact) and lists the outcome. The command id is the
// confirmation form's token, so a resubmitted form sends nothing twice.
func (h *handler) handleTemplateSendAll(w http.ResponseWriter, r *http.Request) {
	t, ok := h.templateParam(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	d := templateBulk{Template: t, Chosen: map[uuid.UUID]bool{}}
	for _, v := range r.PostForm["proposal_ids"] {
		if id, err := uuid.Parse(v); err == nil {
			d.DraftIDs = append(d.DraftIDs, id)
		}
	}
	f := formFrom(r)
	title := "Send proposals from " + t.Name
	if r.PostFormValue("confirm") != "yes" {
		n, err := h.cfg.Billing.Unsent(r.Context(), d.DraftIDs)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Confirm, d.Unsent = true, n
		h.render(w, r, http.StatusOK, "proposal_template_bulk", &view{Title: title, Section: "templates", Form: f, D: d})
		return
	}
	var rows []billing.DraftSent
	_, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		var err error
		rows, err = h.cfg.Billing.SendDrafts(ctx, billing.SendDraftsRequest{ProposalIDs: d.DraftIDs}, meta)
		if err != nil {
			return billing.Result{}, err
		}
		head, err := h.cfg.Store.Head(ctx)
		return billing.Result{Position: head}, err
	})
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		d.Confirm = true
		h.render(w, r, statusOf(err), "proposal_template_bulk", &view{Title: title, Section: "templates", Form: f, D: d})
		return
	}
	today, _, _ := h.today(r.Context())
	for _, row := range rows {
		sr := sentRow{DraftSent: row}
		if c, err := h.models(r.Context()).Summary(r.Context(), row.ClientID, today); err == nil {
			sr.ClientName = c.Name
		}
		if row.Err != nil {
			sr.Problem = h.userMessage(r, row.Err)
		}
		d.Sent = append(d.Sent, sr)
	}
	h.render(w, r, http.StatusOK, "proposal_template_bulk", &view{Title: title, Section: "templates", Form: newForm(), D: d})
}

// handleProposalFromTemplate drafts one proposal for the client from the
// template chosen on the New proposal page, then opens it.
func (h *handler) handleProposalFromTemplate(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	tid, err := uuid.Parse(r.PostFormValue("template_id"))
	if err != nil {
		redirectError(w, r, "/clients/"+c.ID.String()+"/proposals/new", "Choose a template.")
		return
	}
	meta := h.meta(r)
	batch := uuid.NewSHA1(tid, []byte(r.PostFormValue(tokenField)))
	rows, err := h.cfg.Billing.DraftFromTemplate(r.Context(), billing.DraftFromTemplateRequest{TemplateID: tid, ClientIDs: []uuid.UUID{c.ID}, BatchID: batch}, meta)
	if err == nil && rows[0].Err != nil {
		err = rows[0].Err
	}
	if err != nil {
		redirectError(w, r, "/clients/"+c.ID.String()+"/proposals/new", h.userMessage(r, err))
		return
	}
	if head, herr := h.cfg.Store.Head(r.Context()); herr == nil {
		_ = h.cfg.Runner.WaitFor(r.Context(), head)
	}
	redirect(w, r, "/proposals/"+rows[0].ProposalID.String(), fmt.Sprintf("Proposal %q drafted from the template.", rows[0].Title))
}
