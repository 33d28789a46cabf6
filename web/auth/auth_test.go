package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/web/auth"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestClientLinks(t *testing.T) {
	s, err := auth.LoadLinkSigner(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	client, invoice := uuid.New(), uuid.New()
	tok := s.Sign(auth.Link{ClientID: client, Purpose: auth.PurposePayInvoice, Resource: invoice, Expires: now.Add(72 * time.Hour)})
	if l, err := s.VerifyFor(tok, auth.PurposePayInvoice, client, invoice, now); err != nil || l.ClientID != client {
		t.Fatalf("a good link: %+v, %v", l, err)
	}
	other, _ := auth.LoadLinkSigner(t.TempDir())
	p, sig, _ := strings.Cut(tok, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[5] == 'A' {
			b[5] = 'B'
		} else {
			b[5] = 'A'
		}
		return string(b)
	}
	forged := auth.Link{ClientID: uuid.New(), Purpose: auth.PurposePayInvoice, Resource: invoice, Expires: now.Add(time.Hour)}
	refused := []struct {
		name    string
		tok     string
		purpose auth.Purpose
		client  uuid.UUID
		at      time.Time
	}{
		{"ErrExpired", tok, auth.PurposePayInvoice, client, now.Add(72 * time.Hour)},
		{"ErrTamperedPayload", flip(p) + "." + sig, auth.PurposePayInvoice, client, now},
		{"ErrTamperedSignature", p + "." + flip(sig), auth.PurposePayInvoice, client, now},
		{"ErrOtherKey", other.Sign(forged), auth.PurposePayInvoice, forged.ClientID, now},
		{"ErrOtherPurpose", tok, auth.PurposePaymentMethod, client, now},
		{"ErrOtherClient", tok, auth.PurposePayInvoice, uuid.New(), now},
		{"ErrGarbage", "not-a-link", auth.PurposePayInvoice, client, now},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.VerifyFor(tc.tok, tc.purpose, tc.client, invoice, tc.at); err != auth.ErrLinkInvalid {
				t.Errorf("err = %v, want ErrLinkInvalid", err)
			}
		})
	}
	if a, b := s.Sign(forged), s.Sign(forged); a == b {
		t.Error("two links for the same thing are equal: no nonce")
	}
}

func TestLinkKeyPersists(t *testing.T) {
	dir := t.TempDir()
	a, err := auth.LoadLinkSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.LoadLinkSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := auth.Link{ClientID: uuid.New(), Purpose: auth.PurposeAcceptProposal, Resource: uuid.New(), Expires: now.Add(time.Hour)}
	if _, err := b.Verify(a.Sign(l), auth.PurposeAcceptProposal, now); err != nil {
		t.Errorf("a link signed before a restart is refused after it: %v", err)
	}
}
