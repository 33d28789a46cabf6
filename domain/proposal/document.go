package proposal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
)

// DocumentFacts are what the document needs from outside the proposal: the
// firm's and the client's names, the firm's tax mode (prices are shown tax
// included as the firm states them) and today's date in the firm's time zone.
type DocumentFacts struct {
	FirmName   string
	ClientName string
	TaxMode    domain.TaxMode
	Today      domain.Date
}

// Placeholders are the names a letter may use, each written {{name}}.
func Placeholders() []string {
	return []string{"client_name", "firm_name", "proposal_title", "services_table", "fees", "start_date", "expiry_date", "signatories", "today"}
}

// DefaultLetter is the letter of a proposal drafted without one.
const DefaultLetter = `Dear {{client_name}},

Thank you for the opportunity to work with you. This letter sets out the services {{firm_name}} will provide under "{{proposal_title}}", our fees and the terms of our engagement.

Our fees: {{fees}}.

The services start on {{start_date}}. This proposal is open until {{expiry_date}}.

To be signed by {{signatories}}.

{{firm_name}}, {{today}}
`

// unknownPlaceholders returns the placeholders in letter that are not
// Placeholders, in order of appearance, each once.
func unknownPlaceholders(letter string) []string {
	var out []string
	rest := letter
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return out
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return append(out, "{{"+firstLine(rest))
		}
		name := strings.TrimSpace(rest[:j])
		if !slices.Contains(Placeholders(), name) && !slices.Contains(out, "{{"+name+"}}") {
			out = append(out, "{{"+name+"}}")
		}
		rest = rest[j+2:]
	}
}

// usesPlaceholder reports whether letter has the placeholder name, read as
// fillLetter reads placeholders.
func usesPlaceholder(letter, name string) bool {
	rest := letter
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return false
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return false
		}
		if strings.TrimSpace(rest[i+2:i+2+j]) == name {
			return true
		}
		rest = rest[i+4+j:]
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 30 {
		s = s[:30] + "…"
	}
	return s
}

// Document renders the document the client reads and signs, in Markdown:
// the letter (DefaultLetter when the proposal has none) with its
// placeholders replaced as plain text (user text is never executed as a
// template), then the services (core lines, each package, the add-ons, with
// prices per billing) unless the letter placed them with
// {{services_table}}, each service's own terms, and the client's choice once
// a first signature fixed it. An accepted proposal's document is the one
// recorded on acceptance, when there is one.
func Document(s State, f DocumentFacts) string {
	if s.Status == StatusAccepted && s.Document != "" {
		return s.Document
	}
	var b strings.Builder
	letter := s.Letter
	if strings.TrimSpace(letter) == "" {
		letter = DefaultLetter
	}
	b.WriteString("# " + s.Title + "\n\n")
	b.WriteString(strings.TrimRight(fillLetter(letter, s, f), "\n") + "\n\n")
	// A letter that places the services table itself ({{services_table}})
	// shows it there only. Accepted documents are kept as recorded, so
	// those accepted when the table was repeated keep their hashes.
	if !usesPlaceholder(letter, "services_table") {
		b.WriteString("## Services\n\n")
		b.WriteString(servicesTable(s, f, "###"))
	}
	writeTerms(&b, s)
	if s.ChoiceFixed {
		b.WriteString("\n## Choice\n\n" + choiceText(s) + "\n")
	}
	return b.String()
}

// DocumentHash is the lowercase hex SHA-256 of the document's UTF-8 bytes.
func DocumentHash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

func fillLetter(letter string, s State, f DocumentFacts) string {
	start := "acceptance"
	if !s.StartDate.IsZero() {
		start = s.StartDate.String()
	}
	expiry := "it is accepted or withdrawn"
	if !s.OpenUntil.IsZero() {
		expiry = s.OpenUntil.String()
	}
	signatories := "the client"
	if len(s.Signatories) > 0 {
		names := make([]string, len(s.Signatories))
		for i, g := range s.Signatories {
			names[i] = g.Name
		}
		signatories = strings.Join(names, ", ")
	}
	values := map[string]string{
		"client_name":    f.ClientName,
		"firm_name":      f.FirmName,
		"proposal_title": s.Title,
		// In the letter the table follows the title (#): its headings are
		// one level down, so the document's headings never skip a level.
		"services_table": strings.TrimRight(servicesTable(s, f, "##"), "\n"),
		"fees":           fees(s, f),
		"start_date":     start,
		"expiry_date":    expiry,
		"signatories":    signatories,
		"today":          f.Today.String(),
	}
	// One pass over the letter, so a value that itself reads like a
	// placeholder (a client named "{{fees}}") is never replaced again.
	var b strings.Builder
	rest := letter
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			b.WriteString(rest)
			return b.String()
		}
		name := strings.TrimSpace(rest[i+2 : i+2+j])
		b.WriteString(rest[:i])
		if v, ok := values[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(rest[i : i+4+j])
		}
		rest = rest[i+4+j:]
	}
}

// fees says what the chosen lines (or, before a choice, the core lines)
// cost per cadence, and what each package adds.
func fees(s State, f DocumentFacts) string {
	lines := s.Lines
	if s.ChoiceFixed {
		lines = s.ChosenLines(s.PackageID, s.AddOnIDs)
	}
	text := cadenceText(s, f, lines)
	if !s.ChoiceFixed {
		for _, p := range s.Packages {
			text += "; with " + p.Name + ": " + cadenceText(s, f, s.ChosenLines(p.ID, nil))
		}
	}
	return text
}

func cadenceText(s State, f DocumentFacts, lines []Line) string {
	t := s
	t.Lines = lines
	v, err := ValueOf(t, f.TaxMode, f.Today)
	if err != nil || len(v.Cadences) == 0 {
		return "nothing"
	}
	return FormatCadences(v.Cadences)
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func table(b *strings.Builder, s State, f DocumentFacts, lines []Line) {
	b.WriteString("| Service | Quantity | Price | Billed |\n|---|---:|---:|---|\n")
	for _, l := range lines {
		name := cell(l.Name)
		if l.Description != "" {
			name += " — " + cell(l.Description)
		}
		price := "—"
		if a, err := domain.ComputeLine(s.Currency, f.TaxMode, domain.LineInput{Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount, TaxRate: l.TaxRate}); err == nil {
			price = domain.FormatMoney(a.Gross)
		}
		qty := l.Quantity.String()
		if l.Unit != "" {
			qty += " " + cell(l.Unit)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, qty, price, CadenceOf(l.BillingRule).Label)
	}
}

// servicesTable lists the core lines, each package and the add-ons, each
// under a heading of level h ("##", "###").
func servicesTable(s State, f DocumentFacts, h string) string {
	var b strings.Builder
	if len(s.Lines) > 0 {
		b.WriteString(h + " Included\n\n")
		table(&b, s, f, s.Lines)
		b.WriteString("\n")
	}
	for i, p := range s.Packages {
		fmt.Fprintf(&b, "%s Option %d: %s\n\n", h, i+1, p.Name)
		if p.Description != "" {
			b.WriteString(p.Description + "\n\n")
		}
		table(&b, s, f, p.Lines)
		b.WriteString("\n")
	}
	if len(s.AddOns) > 0 {
		b.WriteString(h + " Optional add-ons\n\n")
		table(&b, s, f, s.AddOns)
		b.WriteString("\n")
	}
	return b.String()
}

func writeTerms(b *strings.Builder, s State) {
	first := true
	for _, l := range s.OfferedLines() {
		if strings.TrimSpace(l.Terms) == "" {
			continue
		}
		if first {
			b.WriteString("## Terms for each service\n\n")
			first = false
		}
		b.WriteString("### " + l.Name + "\n\n" + strings.TrimSpace(l.Terms) + "\n\n")
	}
}

func choiceText(s State) string {
	pkg := "no package"
	if p, ok := s.Package(s.PackageID); ok {
		pkg = p.Name
	}
	var names []string
	for _, id := range s.AddOnIDs {
		if a, ok := s.AddOn(id); ok {
			names = append(names, a.Name)
		}
	}
	addOns := "none"
	if len(names) > 0 {
		addOns = strings.Join(names, ", ")
	}
	if len(s.Packages) == 0 {
		return "Chosen: add-ons: " + addOns
	}
	return "Chosen: " + pkg + ", add-ons: " + addOns
}

// checkChoice records a problem for a package not offered (or none chosen
// when there are packages) and for an add-on not offered.
func checkChoice(p *domain.Problems, s State, packageID uuid.UUID, addOnIDs []uuid.UUID) {
	switch {
	case len(s.Packages) > 0 && packageID == uuid.Nil:
		p.Add("package_id", "choose one of the packages")
	case packageID != uuid.Nil:
		if _, ok := s.Package(packageID); !ok {
			p.Add("package_id", "this proposal offers no such package")
		}
	}
	for i, id := range addOnIDs {
		if _, ok := s.AddOn(id); !ok {
			p.Add(fmt.Sprintf("add_on_ids[%d]", i), "this proposal offers no such add-on")
		}
	}
}

// uniqueIDs returns ids without repeats, in order.
func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
