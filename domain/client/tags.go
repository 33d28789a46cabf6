package client

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Tag limits: a client has at most MaxTags tags of at most MaxTagLength
// characters each.
const (
	MaxTags      = 20
	MaxTagLength = 40
)

// ChangeTags replaces the client's tags with Tags (the whole set; empty
// removes them all). Tags are labels the firm filters clients by ("retainer",
// "payroll"): compared case-insensitively, kept as first written.
type ChangeTags struct {
	ClientID uuid.UUID
	Tags     []string
	Now      time.Time
}

func (ChangeTags) isClientCommand() {}

// ClientTagsChanged records the client's whole set of tags, sorted.
type ClientTagsChanged struct {
	ClientID uuid.UUID `json:"client_id"`
	Tags     []string  `json:"tags"`
	At       time.Time `json:"at"`
}

// EventType returns "ClientTagsChanged".
func (ClientTagsChanged) EventType() string { return "ClientTagsChanged" }

// NormalizeTags trims tags, drops empty ones and repeats (case-insensitively,
// keeping the first spelling) and sorts them case-insensitively.
func NormalizeTags(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		t = strings.Join(strings.Fields(t), " ")
		if t != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, t) }) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// HasTag reports whether the client has tag, case-insensitively.
func (s State) HasTag(tag string) bool {
	return slices.ContainsFunc(s.Tags, func(t string) bool { return strings.EqualFold(t, strings.TrimSpace(tag)) })
}

func changeTags(s State, c ChangeTags) ([]domain.Event, error) {
	if err := requireEditable(s); err != nil {
		return nil, err
	}
	tags := NormalizeTags(c.Tags)
	var p domain.Problems
	if len(tags) > MaxTags {
		p.Add("tags", "a client has at most %d tags", MaxTags)
	}
	for _, t := range tags {
		switch {
		case len([]rune(t)) > MaxTagLength:
			p.Add("tags", "the tag %q is too long (at most %d characters)", t, MaxTagLength)
		case strings.Contains(t, ","):
			p.Add("tags", "a tag has no comma: commas separate tags")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if slices.Equal(tags, s.Tags) || (len(tags) == 0 && len(s.Tags) == 0) {
		return nil, nil
	}
	return []domain.Event{ClientTagsChanged{ClientID: s.ID, Tags: tags, At: c.Now}}, nil
}
