package auth_test

import (
	"net/http/httptest"
	"testing"

	"remit/web/auth"
)

// TestSameOrigin: a form from Remit's own page passes whatever its referrer
// policy; one from another site, a sandboxed frame or a lookalike host does
// not.
func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		name, origin, site string
		want               bool
	}{
		{"OwnPage", "http://remit.example:8080", "same-origin", true},
		{"OwnPageOldBrowser", "http://remit.example:8080", "", true},
		{"NoReferrerPolicy", "null", "same-origin", true},
		{"Program", "", "", true},
		{"OtherSite", "http://evil.example", "cross-site", false},
		{"OtherSiteOldBrowser", "http://evil.example", "", false},
		{"OtherPort", "http://remit.example:9090", "same-site", false},
		{"SandboxedFrame", "null", "cross-site", false},
		{"NullOldBrowser", "null", "", false},
		{"LookalikeHost", "http://remit.example:8080.evil.example", "cross-site", false},
		{"CrossSiteWithoutOrigin", "", "cross-site", false},
		{"Garbage", "::", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://remit.example:8080/login", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if got := auth.SameOrigin(r); got != tc.want {
				t.Errorf("SameOrigin = %v, want %v", got, tc.want)
			}
		})
	}
}
