package proposal

import (
	"encoding/json"
	"fmt"

	"remit/domain"
)

// Upcasters lists the proposal events' upcasters (domain.Upcaster); a type's
// current schema version is one more than the number of its upcasters.
func Upcasters() []domain.Upcaster {
	return []domain.Upcaster{{Type: "ProposalSent", From: 1, Up: upcastProposalSentV1}}
}

// upcastProposalSentV1 turns a version 1 ProposalSent into version 2, whose
// recipients list is never empty when there was a recipient: version 1
// events recorded before recipients existed carry only recipient_email, which
// becomes the one recipient (no contact id or name: the event did not say).
// Version 1 events that already list their recipients are left as they are.
func upcastProposalSentV1(data []byte) ([]byte, error) {
	var v1 map[string]json.RawMessage
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, fmt.Errorf("upcast ProposalSent v1: %w", err)
	}
	var recipients []Recipient
	if raw, ok := v1["recipients"]; ok {
		if err := json.Unmarshal(raw, &recipients); err != nil {
			return nil, fmt.Errorf("upcast ProposalSent v1: recipients: %w", err)
		}
	}
	var email string
	if raw, ok := v1["recipient_email"]; ok {
		if err := json.Unmarshal(raw, &email); err != nil {
			return nil, fmt.Errorf("upcast ProposalSent v1: recipient_email: %w", err)
		}
	}
	if len(recipients) > 0 || email == "" {
		return data, nil
	}
	raw, err := json.Marshal([]Recipient{{Email: email}})
	if err != nil {
		return nil, err
	}
	v1["recipients"] = raw
	return json.Marshal(v1)
}
