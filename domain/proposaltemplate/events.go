package proposaltemplate

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/proposal"
)

// StreamName returns the name of a template's stream:
// "proposaltemplate-<uuid>".
func StreamName(id uuid.UUID) string { return "proposaltemplate-" + id.String() }

// Content is what a template holds, saved whole.
type Content struct {
	Name     string             `json:"name"`  // what staff choose it by
	Title    string             `json:"title"` // the proposal's title
	Letter   string             `json:"letter,omitempty"`
	Lines    []proposal.Line    `json:"lines,omitempty"`
	Packages []proposal.Package `json:"packages,omitempty"`
	AddOns   []proposal.Line    `json:"add_ons,omitempty"`
	// ExpiryDays is how many days after drafting a proposal from the
	// template stays open (0: no expiry date).
	ExpiryDays int `json:"expiry_days,omitempty"`
}

// ProposalTemplateCreated records a new template.
type ProposalTemplateCreated struct {
	TemplateID uuid.UUID `json:"template_id"`
	Content
	At time.Time `json:"at"`
}

// ProposalTemplateEdited records a template's new content, replacing the
// old whole.
type ProposalTemplateEdited struct {
	TemplateID uuid.UUID `json:"template_id"`
	Content
	At time.Time `json:"at"`
}

// ProposalTemplateArchived records that a template is no longer offered.
type ProposalTemplateArchived struct {
	TemplateID uuid.UUID `json:"template_id"`
	At         time.Time `json:"at"`
}

// EventType returns "ProposalTemplateCreated".
func (ProposalTemplateCreated) EventType() string { return "ProposalTemplateCreated" }

// EventType returns "ProposalTemplateEdited".
func (ProposalTemplateEdited) EventType() string { return "ProposalTemplateEdited" }

// EventType returns "ProposalTemplateArchived".
func (ProposalTemplateArchived) EventType() string { return "ProposalTemplateArchived" }

// EventTypes lists every event type of the template aggregate.
func EventTypes() []string {
	return []string{"ProposalTemplateCreated", "ProposalTemplateEdited", "ProposalTemplateArchived"}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "ProposalTemplateCreated":
		return domain.DecodeAs[ProposalTemplateCreated](eventType, data)
	case "ProposalTemplateEdited":
		return domain.DecodeAs[ProposalTemplateEdited](eventType, data)
	case "ProposalTemplateArchived":
		return domain.DecodeAs[ProposalTemplateArchived](eventType, data)
	}
	return nil, fmt.Errorf("proposaltemplate: unknown event type %q", eventType)
}
