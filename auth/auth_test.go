package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/auth"
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

func TestContainsCardNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`"4111111111111111"`, true},
		{`"4111 1111 1111 1111"`, true},
		{`"4242-4242-4242-4242"`, true},
		{`{"n":5555555555554444}`, true},
		{`"amex 378282246310005 exp"`, true},
		{`"4111111111111112"`, false},                     // fails Luhn
		{`"tok_4111111111111111"`, false},                 // part of a gateway token
		{`"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"`, false}, // an id
		{`"+61 2 9000 0000"`, false},                      // a phone number
		{`"51 824 753 556"`, false},                       // an ABN
		{`"4111111111111111.50"`, false},                  // an amount
		{`"1111111111111111"`, false},                     // no network starts with 1
		{`"2026-03-02T09:00:00Z"`, false},
	} {
		if got := auth.ContainsCardNumber([]byte(tc.in)); got != tc.want {
			t.Errorf("ContainsCardNumber(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
