package proposal_test

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/proposal"
)

// sample is one event of each type with its fields set, and the events that
// come before it so that evolving it changes the state.
type sample struct {
	Given []domain.Event
	Event domain.Event
}

func samples() []sample {
	return []sample{
		{nil, drafted()},
		{events(drafted()), proposal.ProposalDraftEdited{ProposalID: proposalID, Title: "Bookkeeping FY27", StartDate: domain.MustDate(2026, time.August, 1),
			Lines: lines(onceLine(), completionLine()), At: later}},
		{events(drafted()), sent()},
		{events(drafted(), sent()), accepted()},
		{events(drafted(), sent()), declined()},
		{events(drafted(), sent()), proposal.ProposalWithdrawn{ProposalID: proposalID, Reason: "scope changed", At: later}},
		{events(drafted(), sent()), expired()},
		{events(draftedOffer(), sent()), proposal.ProposalViewed{ProposalID: proposalID, ClientID: clientID, SignatoryID: aliceID, IP: "203.0.113.9", UserAgent: "Firefox", At: later}},
		{events(draftedOffer(), sent()), signedBy(nil, aliceID, "Alice Ng", "alice@acme.example")},
		{events(draftedOffer(), sent()), proposal.ProposalReminderSent{ProposalID: proposalID, ClientID: clientID, Reminder: 1,
			Recipients: []proposal.Recipient{{Name: "Bob Ng", Email: "bob@acme.example"}}, At: later}},
		{events(draftedOffer(), sent(), accepted()), proposal.ProposalSignedDocumentFiled{ProposalID: proposalID, PDFSHA256: strings.Repeat("ab", 32), Bytes: 5120, At: later}},
	}
}

// TestSamplesCoverEveryEventType fails when an event type is added without a
// sample here (and so without evolve and round-trip coverage).
func TestSamplesCoverEveryEventType(t *testing.T) {
	var got []string
	for _, s := range samples() {
		got = append(got, s.Event.EventType())
	}
	want := proposal.EventTypes()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("samples cover %v,\nEventTypes() is %v", got, want)
	}
	for _, name := range want {
		if !strings.HasPrefix(name, "Proposal") {
			t.Errorf("event type %q is not prefixed with its aggregate", name)
		}
	}
}

func TestEvolveEveryEventType(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Event.EventType(), func(t *testing.T) {
			before := proposal.Fold(s.Given)
			snapshot := proposal.Fold(s.Given)
			after := proposal.Evolve(before, s.Event)
			if reflect.DeepEqual(before, after) {
				t.Errorf("Evolve(%s) did not change the state", s.Event.EventType())
			}
			if !reflect.DeepEqual(before, snapshot) {
				t.Errorf("Evolve(%s) changed the state it was given", s.Event.EventType())
			}
		})
	}
}

type otherEvent struct{}

func (otherEvent) EventType() string { return "SomethingElseHappened" }

func TestEvolveIgnoresUnknownEvents(t *testing.T) {
	s := proposal.Fold(events(drafted(), sent()))
	if got := proposal.Evolve(s, otherEvent{}); !reflect.DeepEqual(got, s) {
		t.Error("an unknown event changed the state")
	}
}

func TestFoldFollowsTheLifecycle(t *testing.T) {
	for _, tc := range []struct {
		Name  string
		Given []domain.Event
		Want  proposal.Status
	}{
		{"Draft", events(drafted()), proposal.StatusDraft},
		{"Sent", events(drafted(), sent()), proposal.StatusSent},
		{"Accepted", events(drafted(), sent(), accepted()), proposal.StatusAccepted},
		{"Declined", events(drafted(), sent(), declined()), proposal.StatusDeclined},
		{"Withdrawn", events(drafted(), withdrawn()), proposal.StatusWithdrawn},
		{"Expired", events(drafted(), sent(), expired()), proposal.StatusExpired},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			s := proposal.Fold(tc.Given)
			if s.Status != tc.Want {
				t.Errorf("status = %q, want %q", s.Status, tc.Want)
			}
			if s.Status.Final() != (tc.Want != proposal.StatusDraft && tc.Want != proposal.StatusSent) {
				t.Errorf("Final() = %v for %q", s.Status.Final(), s.Status)
			}
		})
	}
	s := proposal.Fold(events(drafted(), sent(), accepted()))
	if !s.Created() || s.ClientID != clientID || s.AcceptedOn != acceptedOn || s.PaymentMethodID != methodID || s.SignatureName != "Alice Ng" {
		t.Errorf("accepted state = %+v", s)
	}
	if l, ok := s.Line(onceID); !ok || l.Name != "Tax return" {
		t.Errorf("Line(onceID) = %+v, %v", l, ok)
	}
	if (proposal.State{}).Created() {
		t.Error("the zero State is created")
	}
}

// TestEventJSONRoundTrip encodes every event type and decodes it back. Decimals
// are compared through their JSON form, since a decoded decimal may differ
// from the original in representation only.
func TestEventJSONRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Event.EventType(), func(t *testing.T) {
			data, _ := decidertest.MustRoundTrip(t, s.Event, proposal.DecodeEvent)
			decidertest.MustSnakeCaseKeys(t, data)
		})
	}
}

func TestDecodeEventRefusesUnknownAndMalformed(t *testing.T) {
	if _, err := proposal.DecodeEvent("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Error("unknown event type decoded")
	}
	if _, err := proposal.DecodeEvent("ProposalAccepted", []byte(`{"accepted_on":"2026-02-30"}`)); err == nil {
		t.Error("impossible date decoded")
	}
}

func TestStreamName(t *testing.T) {
	if got, want := proposal.StreamName(proposalID), "proposal-"+proposalID.String(); got != want {
		t.Errorf("StreamName = %q, want %q", got, want)
	}
}
