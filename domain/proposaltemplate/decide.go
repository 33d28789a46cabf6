package proposaltemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/proposal"
)

// Limits of a template's own fields.
const (
	maxName       = 200
	MaxExpiryDays = 366
)

// Command is a request about one template; Decide handles each kind.
type Command interface{ isTemplateCommand() }

// CreateTemplate creates a template with its whole content.
type CreateTemplate struct {
	TemplateID uuid.UUID
	Content
	Now time.Time
}

// EditTemplate replaces a template's content whole.
type EditTemplate struct {
	TemplateID uuid.UUID
	Content
	Now time.Time
}

// ArchiveTemplate stops offering a template.
type ArchiveTemplate struct {
	TemplateID uuid.UUID
	Now        time.Time
}

func (CreateTemplate) isTemplateCommand()  {}
func (EditTemplate) isTemplateCommand()    {}
func (ArchiveTemplate) isTemplateCommand() {}

// Decide returns the events that c records against s, or why it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case CreateTemplate:
		return create(s, c)
	case EditTemplate:
		return edit(s, c)
	case ArchiveTemplate:
		return archive(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "proposaltemplate: unknown command %T", c)
}

func create(s State, c CreateTemplate) ([]domain.Event, error) {
	if s.Created() {
		return nil, domain.Conflict("a proposal template with this id already exists")
	}
	var p domain.Problems
	if c.TemplateID == uuid.Nil {
		p.Add("template_id", "a new template needs an id")
	}
	content := check(&p, c.Content)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{ProposalTemplateCreated{TemplateID: c.TemplateID, Content: content, At: c.Now}}, nil
}

func edit(s State, c EditTemplate) ([]domain.Event, error) {
	if !s.Created() {
		return nil, domain.NotFound("There is no such proposal template.")
	}
	if s.Archived {
		return nil, domain.Conflict("this template is archived: it can no longer be edited")
	}
	var p domain.Problems
	content := check(&p, c.Content)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if same(content, s.Content) {
		return nil, nil
	}
	return []domain.Event{ProposalTemplateEdited{TemplateID: s.ID, Content: content, At: c.Now}}, nil
}

func archive(s State, c ArchiveTemplate) ([]domain.Event, error) {
	if !s.Created() {
		return nil, domain.NotFound("There is no such proposal template.")
	}
	if s.Archived {
		return nil, nil
	}
	return []domain.Event{ProposalTemplateArchived{TemplateID: s.ID, At: c.Now}}, nil
}

// check normalizes and checks a template's content.
func check(p *domain.Problems, c Content) Content {
	c.Name = strings.TrimSpace(c.Name)
	c.Title = strings.TrimSpace(c.Title)
	switch {
	case c.Name == "":
		p.Add("name", "name the template")
	case len(c.Name) > maxName:
		p.Add("name", "the name is too long (at most %d characters)", maxName)
	}
	if c.ExpiryDays < 0 || c.ExpiryDays > MaxExpiryDays {
		p.Add("expiry_days", "a proposal stays open between 0 (no expiry) and %d days", MaxExpiryDays)
	}
	lines, o := proposal.CheckTemplate(p, c.Title, c.Lines, proposal.Offer{Letter: c.Letter, Packages: c.Packages, AddOns: c.AddOns})
	c.Lines, c.Letter, c.Packages, c.AddOns = nilIfEmpty(lines), o.Letter, o.Packages, o.AddOns
	return c
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// same compares contents by their encoding: an edit that changes nothing
// records nothing.
func same(a, b Content) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// Draft is the content of a new proposal drafted from a template for one
// client: the template's title, letter, lines, packages and add-ons with
// ids derived from the proposal's id (ProposalLineID), and the expiry date
// ExpiryDays after today (zero when the template sets none).
type Draft struct {
	Title     string
	Letter    string
	Lines     []proposal.Line
	Packages  []proposal.Package
	AddOns    []proposal.Line
	ExpiresOn domain.Date
}

// DraftFrom returns the draft of proposal proposalID from template s,
// today being the firm's date.
func DraftFrom(s State, proposalID uuid.UUID, today domain.Date) Draft {
	d := Draft{Title: s.Title, Letter: s.Letter}
	relabel := func(lines []proposal.Line, kind string) []proposal.Line {
		out := make([]proposal.Line, len(lines))
		for i, l := range lines {
			l.ID = ProposalLineID(proposalID, fmt.Sprintf("%s/%d", kind, i))
			out[i] = l
		}
		return nilIfEmpty(out)
	}
	d.Lines = relabel(s.Lines, "line")
	for i, pk := range s.Packages {
		pk.ID = ProposalLineID(proposalID, fmt.Sprintf("package/%d", i))
		pk.Lines = relabel(pk.Lines, fmt.Sprintf("package/%d/line", i))
		d.Packages = append(d.Packages, pk)
	}
	d.AddOns = relabel(s.AddOns, "add-on")
	if s.ExpiryDays > 0 && !today.IsZero() {
		d.ExpiresOn = today.AddDays(s.ExpiryDays)
	}
	return d
}

// ProposalLineID is the id of a line or package (named by kind, e.g.
// "package/1/line/0") of the proposal proposalID drafted from a template.
func ProposalLineID(proposalID uuid.UUID, kind string) uuid.UUID {
	return uuid.NewSHA1(proposalID, []byte("template/"+kind))
}

// ProposalID is the id of the proposal drafted for a client by the bulk
// drafting batch: the same batch and client always name the same proposal,
// so a retried batch drafts nothing twice.
func ProposalID(batch, clientID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(batch, clientID[:])
}
