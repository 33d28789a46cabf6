package client

import "testing"

func TestLooksLikeCardNumber(t *testing.T) {
	for _, tc := range []struct {
		In   string
		Want bool
	}{
		{"4242424242424242", true},
		{"4242 4242 4242 4242", true},
		{"4242-4242-4242-4242", true},
		{"tok_4111111111111111_x", true},
		{"378282246310005", true},   // American Express, 15 digits
		{"4242424242424241", false}, // fails the Luhn check
		{"4242", false},
		{"062-000 ****1234", false},
		{"MD-0001", false},
		{"pm_1Nv0aB2eZvKYlo2C", false},
		{"", false},
	} {
		if got := looksLikeCardNumber(tc.In); got != tc.Want {
			t.Errorf("looksLikeCardNumber(%q) = %v, want %v", tc.In, got, tc.Want)
		}
	}
}

func TestIsEmail(t *testing.T) {
	for _, tc := range []struct {
		In   string
		Want bool
	}{
		{"alice@acme.example", true},
		{"a.b+billing@mail.acme.com.au", true},
		{"alice@", false},
		{"@acme.example", false},
		{"alice@localhost", false},
		{"Alice <alice@acme.example>", false},
		{"alice acme.example", false},
		{"alice@acme.example.", false},
	} {
		if got := isEmail(tc.In); got != tc.Want {
			t.Errorf("isEmail(%q) = %v, want %v", tc.In, got, tc.Want)
		}
	}
}
