package ui

import (
	"bytes"
	"context"
	"html/template"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/web/auth"
)

// The signing part of the proposal link: a proposal with signatories is
// read whole (the letter rendered from Markdown, raw HTML never passed
// through, so text typed by staff cannot add markup) and signed by each
// signatory through their own link (the signatory is signed into the
// token), choosing a package and add-ons; the total is recomputed on the
// server when the client presses "Update total", so the page needs no
// script. Each signature records the typed name, the IP address of the
// connection (RemoteAddr: forwarded headers can be set by anyone), the
// User-Agent and the hash of exactly the document shown; the last one
// accepts the proposal and starts the chosen services.

// markdown renders the document: tables as the services table needs, and
// raw HTML left out (goldmark's default, without html.WithUnsafe).
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table))

// renderMarkdown renders a proposal document to HTML.
func renderMarkdown(doc string) (template.HTML, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(doc), &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // goldmark escapes text and omits raw HTML
}

// signing is what the acceptance page shows of the document and signing.
type signing struct {
	// Signing: the proposal has signatories, each signs on this page.
	Signing      bool
	Document     template.HTML
	DocumentHash string
	// Signatory is the one the link is for (zero: a link without one).
	Signatory proposal.Signatory
	// SignedAs is the name the link's signatory signed with ("" : not yet).
	SignedAs string
	// Waiting names the signatories yet to sign.
	Waiting []string
	// ChosenTotal is what the choice on the form costs per cadence.
	ChosenTotal string
}

// Packages and AddOns of the proposal, for the form.
func (p acceptPage) Packages() []proposal.Package { return p.Proposal.Packages }

// AddOns are the optional lines the client may tick.
func (p acceptPage) AddOns() []proposal.Line { return p.Proposal.AddOns }

// ChoiceFixed reports whether a first signature fixed the choice.
func (p acceptPage) ChoiceFixed() bool { return p.Proposal.ChoiceFixed }

// loadSigning fills in the document and, for a link bound to a signatory,
// whether they signed and who is still to sign.
func (h *handler) loadSigning(ctx context.Context, l auth.Link, pg *acceptPage) error {
	doc, hash, err := h.cfg.Billing.ProposalDocument(ctx, pg.Proposal.ID)
	if err != nil {
		return err
	}
	pg.Document, err = renderMarkdown(doc)
	if err != nil {
		return err
	}
	pg.DocumentHash = hash
	p := pg.Proposal
	pg.Signing = len(p.Signatories) > 0
	if g, ok := p.Signatory(l.Signatory); ok {
		pg.Signatory = g
		for _, s := range p.Signatures {
			if s.SignatoryID == g.ID {
				pg.SignedAs = s.SignedName
			}
		}
	}
	for _, g := range p.Unsigned() {
		if g.ID != l.Signatory {
			pg.Waiting = append(pg.Waiting, g.Name)
		}
	}
	pkg, addOns := p.PackageID, p.AddOnIDs
	if !p.ChoiceFixed && len(p.Packages) > 0 {
		pkg = p.Packages[0].ID
	}
	pg.choose(pkg, addOns)
	return nil
}

// choose computes the total of a choice for the page.
func (pg *acceptPage) choose(pkg uuid.UUID, addOns []uuid.UUID) {
	s := pg.Proposal
	s.Lines = s.ChosenLines(pkg, addOns)
	if v, err := proposal.ValueOf(s, pg.TaxMode, domain.Date{}); err == nil {
		pg.ChosenTotal = proposal.FormatCadences(v.Cadences)
	}
}

// WaitingText says who is still to sign: "Bob Ng and Carol Wu".
func (s signing) WaitingText() string {
	switch n := len(s.Waiting); n {
	case 0:
		return ""
	case 1:
		return s.Waiting[0]
	default:
		return strings.Join(s.Waiting[:n-1], ", ") + " and " + s.Waiting[n-1]
	}
}

// recordView records the first view of the sent proposal by the link's
// signatory (or visitor); a failure is logged, never shown.
func (h *handler) recordView(r *http.Request, l auth.Link, pg *acceptPage) {
	if !pg.Open() {
		return
	}
	ip, ua := requestEvidence(r)
	_, err := h.cfg.Billing.RecordProposalView(r.Context(), billing.ProposalViewRequest{
		ProposalID: pg.Proposal.ID, SignatoryID: l.Signatory, IP: ip, UserAgent: ua,
	}, billing.Meta{Actor: "client-link:" + l.ClientID.String(), CommandID: "link-view:" + uuid.NewString()})
	if err != nil {
		h.log.Warn("ui: record proposal view", "proposal", pg.Proposal.ID, "err", err)
	}
}

// requestEvidence is the connection's IP address and the User-Agent.
func requestEvidence(r *http.Request) (ip, userAgent string) {
	ip = r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = host
	}
	return ip, r.UserAgent()
}

// linkSign handles the signing form: "Update total" re-renders with the
// choice's total; "Sign" records the signature.
func (h *handler) linkSign(w http.ResponseWriter, r *http.Request, l auth.Link, pg *acceptPage, v *view, token string) {
	fs := readForm(r)
	f := formFrom(r)
	f.Token = token
	var pkg uuid.UUID
	if s := fs.str("package_id"); s != "" {
		pkg, _ = uuid.Parse(s)
	}
	var addOns []uuid.UUID
	for _, s := range r.PostForm["add_on_ids"] {
		if id, err := uuid.Parse(s); err == nil && !slices.Contains(addOns, id) {
			addOns = append(addOns, id)
		}
	}
	if pg.Proposal.ChoiceFixed {
		pkg, addOns = pg.Proposal.PackageID, pg.Proposal.AddOnIDs
	}
	pg.choose(pkg, addOns)
	v.Form = f
	if r.PostFormValue("do") == "update" {
		h.renderLink(w, r, http.StatusOK, "accept", v)
		return
	}
	if pg.Signatory.ID == uuid.Nil {
		f.General = append(f.General, "This link is not a signatory's: ask "+v.FirmName+" for your own link to sign.")
		h.renderLink(w, r, http.StatusForbidden, "accept", v)
		return
	}
	if fs.str("agree") != "on" {
		fs.p.Add("agree", "tick the box to confirm you have read and agree")
	}
	err := fs.err()
	var res billing.Result
	if err == nil {
		ip, ua := requestEvidence(r)
		res, err = h.cfg.Billing.SignProposal(r.Context(), billing.SignProposalRequest{
			ProposalID: pg.Proposal.ID, SignatoryID: pg.Signatory.ID, SignedName: fs.str("signed_name"),
			DocumentHash: fs.str("document_hash"), PackageID: pkg, AddOnIDs: addOns, IP: ip, UserAgent: ua,
		}, linkMeta(l, token, ""))
	}
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, func(field string) string {
			if strings.HasPrefix(field, "add_on_ids") {
				return "add_on_ids"
			}
			return field
		})
		h.renderLink(w, r, linkStatus(err), "accept", v)
		return
	}
	h.waitFor(r.Context(), res.Position)
	redirect(w, r, r.URL.Path, "Thank you, "+fs.str("signed_name")+": your signature is recorded.")
}
