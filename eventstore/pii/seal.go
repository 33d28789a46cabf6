package pii

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Erased is what a forgotten client's name fields read as; their other
// personal fields read as "".
const Erased = "[erased]"

// sealedPrefix starts every sealed value.
const sealedPrefix = "pii:v1:"

// Field is one personal field of an event: its path in the event's JSON
// ("contacts[].email": the email of every element of contacts) and whether
// it is a name (read as Erased once forgotten, rather than "").
type Field struct {
	Path string
	Name bool
}

var addressFields = []Field{{Path: "address.line1"}, {Path: "address.line2"}, {Path: "address.city"}, {Path: "address.region"}, {Path: "address.postcode"}}

// Fields lists the personal fields of each event type that has any. The
// country of an address, amounts, dates and ids are not personal data here.
func Fields() map[string][]Field {
	contact := func(prefix string) []Field {
		return []Field{{Path: prefix + ".name", Name: true}, {Path: prefix + ".email"}, {Path: prefix + ".phone"}}
	}
	signatories := []Field{{Path: "signatories[].name", Name: true}, {Path: "signatories[].email"}}
	details := append([]Field{{Path: "name", Name: true}, {Path: "tax_number"}}, addressFields...)
	return map[string][]Field{
		"ClientCreated":        append(append([]Field(nil), details...), contact("contacts[]")...),
		"ClientDetailsChanged": details,
		"ClientContactAdded":   contact("contact"),
		"ClientContactChanged": contact("contact"),
		"ProposalAccepted": {{Path: "accepted_by_name", Name: true}, {Path: "accepted_by_email"}, {Path: "signature_name", Name: true},
			{Path: "signatures[].signed_name", Name: true}, {Path: "signatures[].email"}, {Path: "signatures[].ip"}, {Path: "signatures[].user_agent"}, {Path: "document"}},
		"ProposalDrafted":               signatories,
		"ProposalDraftEdited":           signatories,
		"ProposalViewed":                {{Path: "ip"}, {Path: "user_agent"}},
		"ProposalSigned":                {{Path: "signed_name", Name: true}, {Path: "email"}, {Path: "ip"}, {Path: "user_agent"}},
		"ProposalReminderSent":          {{Path: "recipients[].name", Name: true}, {Path: "recipients[].email"}},
		"ProposalSent":                  {{Path: "recipient_email"}, {Path: "recipients[].name", Name: true}, {Path: "recipients[].email"}},
		"InvoiceSent":                   {{Path: "recipient"}},
		"ClientPaymentDetailsRequested": {{Path: "name", Name: true}, {Path: "email"}, {Path: "note"}},
		"EmailQueued":                   {{Path: "to"}, {Path: "to_name", Name: true}},
	}
}

// Sealer seals and opens the personal fields of events with the keys of a
// KeyStore. It is safe for concurrent use.
type Sealer struct {
	keys   Keys
	fields map[string][]Field
}

// erasedEventType is client.ClientErased, appended after a Forget.
const erasedEventType = "ClientErased"

// evict drops the client's key from the key store's cache, if it keeps one.
func (s *Sealer) evict(id uuid.UUID) {
	if c, ok := s.keys.(interface{ Evict(uuid.UUID) }); ok {
		c.Evict(id)
	}
}

// NewSealer returns a Sealer over keys.
func NewSealer(keys Keys) *Sealer { return &Sealer{keys: keys, fields: Fields()} }

// Seal returns data (the JSON of an event of eventType) with its personal
// fields sealed under the key of the event's client (made on first use).
// Events without personal fields are returned as they are. A forgotten
// client's personal data is refused with ErrForgotten; fields left empty
// are accepted.
func (s *Sealer) Seal(eventType string, data []byte) ([]byte, error) {
	return s.transform(eventType, data, true)
}

// Open returns data with its sealed fields opened; a forgotten client's
// read as erased. Plain fields (events written before sealing was switched
// on) are returned as they are. A sealed value that fails authentication
// (tampered, or moved from another client or field) is an error. Events of
// types without personal fields are returned as they are: among them the
// idempotency records of old logs ("request-" streams, sealed whole under
// day keys that are now destroyed: see OpenKeyStore).
func (s *Sealer) Open(eventType string, data []byte) ([]byte, error) {
	if !bytes.Contains(data, []byte(sealedPrefix)) {
		return data, nil
	}
	return s.transform(eventType, data, false)
}

func (s *Sealer) transform(eventType string, data []byte, seal bool) ([]byte, error) {
	fields, ok := s.fields[eventType]
	if !ok {
		return data, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("pii: %s: %w", eventType, err)
	}
	cid, _ := doc["client_id"].(string)
	clientID, err := uuid.Parse(cid)
	if err != nil {
		return nil, fmt.Errorf("pii: %s has personal fields but no client_id", eventType)
	}
	// The key and its cipher are looked up and made once per event, at its
	// first personal field.
	var key []byte
	var aead cipher.AEAD
	keyFor := func(create bool) ([]byte, error) {
		if key == nil {
			k, err := s.keys.Key(clientID, create)
			if err != nil || k == nil {
				return nil, err
			}
			if aead, err = newGCM(k); err != nil {
				return nil, err
			}
			key = k
		}
		return key, nil
	}
	changed := false
	for _, f := range fields {
		err := visit(doc, strings.Split(f.Path, "."), func(v string) (string, bool, error) {
			aad := []byte(clientID.String() + "\x00" + eventType + "\x00" + f.Path)
			if seal {
				// A value that merely looks sealed (a name typed as
				// "pii:v1:…") is sealed too, so it cannot break reading.
				if v == "" {
					return v, false, nil
				}
				k, err := keyFor(true)
				if err == nil && k == nil {
					err = errors.New("the key store made no key")
				}
				if err != nil {
					return "", false, err
				}
				out, err := sealValue(k, aead, aad, v)
				return out, true, err
			}
			if !strings.HasPrefix(v, sealedPrefix) {
				return v, false, nil
			}
			k, err := keyFor(false)
			if errors.Is(err, ErrForgotten) || (err == nil && k == nil) {
				if f.Name {
					return Erased, true, nil
				}
				return "", true, nil
			}
			if err != nil {
				return "", false, err
			}
			out, err := openValue(aead, aad, v)
			return out, true, err
		}, &changed)
		if err != nil {
			return nil, fmt.Errorf("pii: %s %s: %w", eventType, f.Path, err)
		}
	}
	if !changed {
		return data, nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("pii: %s: %w", eventType, err)
	}
	return out, nil
}

// visit calls fn on the string at path in v (a "[]" suffix on a segment
// walks every element of that array) and stores what fn returns, setting
// *changed when it stores anything.
func visit(v any, path []string, fn func(string) (string, bool, error), changed *bool) error {
	obj, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return nil
	}
	seg, each := strings.CutSuffix(path[0], "[]")
	child, ok := obj[seg]
	if !ok || child == nil {
		return nil
	}
	if each {
		arr, ok := child.([]any)
		if !ok {
			return nil
		}
		for _, el := range arr {
			if err := visit(el, path[1:], fn, changed); err != nil {
				return err
			}
		}
		return nil
	}
	if len(path) > 1 {
		return visit(child, path[1:], fn, changed)
	}
	str, ok := child.(string)
	if !ok {
		return nil
	}
	out, set, err := fn(str)
	if err != nil {
		return err
	}
	if set {
		obj[seg] = out
		*changed = true
	}
	return nil
}

func sealValue(key []byte, gcm cipher.AEAD, aad []byte, plain string) (string, error) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("pii-nonce-v1\x00"))
	m.Write(aad)
	m.Write([]byte{0})
	m.Write([]byte(plain))
	nonce := m.Sum(nil)[:gcm.NonceSize()]
	ct := gcm.Seal(append([]byte(nil), nonce...), nonce, []byte(plain), aad)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(ct), nil
}

func openValue(gcm cipher.AEAD, aad []byte, sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil {
		return "", errors.New("a sealed value is damaged")
	}
	if len(raw) < gcm.NonceSize() {
		return "", errors.New("a sealed value is damaged")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], aad)
	if err != nil {
		return "", errors.New("a sealed value fails authentication (tampered, or moved from another client or field)")
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
