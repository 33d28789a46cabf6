package ui_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/web/ui"
)

// TestFirmSettingsPage: an owner sets the firm up (retry policy included)
// and changes every setting from the Settings page: details, region,
// invoice settings, tax mode, collection days, tax rates, and a logo
// (stored in the logo folder, shown on the invoice page). Bad input shows
// beside its field and appends nothing. Once set up, the retry days have
// one input, under Payment chasing: the settings form leaves them alone.
func TestFirmSettingsPage(t *testing.T) {
	logos := t.TempDir()
	a := newBareApp(t, func(c *ui.Config) { c.LogoDir = logos })

	// A new firm: the set-up form.
	mustContain(t, a.get("/clients"), `href="/settings/firm"`)
	mustContain(t, a.get("/settings/firm"), "Set up the firm", `action="/settings/firm/setup"`)
	bad := a.post("/settings/firm/setup", url.Values{"name": {"Ledger & Co"}, "base_currency": {"AUD"}, "time_zone": {"Mars/Olympus_Mons"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "time_zone") == "" {
		t.Fatalf("a bad time zone = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	bad = a.post("/settings/firm/setup", url.Values{"name": {""}, "base_currency": {"AUD"}, "time_zone": {"Australia/Sydney"}, "payment_terms_days": {"soon"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "payment_terms_days") == "" {
		t.Fatalf("bad terms = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	bad = a.post("/settings/firm/setup", url.Values{"name": {""}, "base_currency": {"AUD"}, "time_zone": {"Australia/Sydney"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "name") == "" {
		t.Fatalf("no name = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != 0 {
		t.Fatal("a refused set-up appended events")
	}
	a.mustPost("/settings/firm/setup", url.Values{"name": {"Ledger & Co"}, "base_currency": {"aud"}, "time_zone": {"Australia/Sydney"},
		"invoice_prefix": {"INV-"}, "payment_terms_days": {"14"}, "tax_mode": {"exclusive"}, "retry_after_days": {"3, 5, 7"}}, "The firm is set up.")

	page := a.get("/settings/firm")
	mustContain(t, page, "Firm settings")
	for field, want := range map[string]string{"name": "Ledger &amp; Co", "base_currency": "AUD", "time_zone": "Australia/Sydney", "payment_terms_days": "14", "dunning.retry_after_days": "3, 5, 7"} {
		if got := inputValue(page.Body, field); got != want {
			t.Errorf("%s shows %q, want %q", field, got, want)
		}
	}
	if n := strings.Count(page.Body, `after_days" type="text"`); n != 1 || strings.Contains(page.Body, `name="retry_after_days"`) {
		t.Errorf("the settings page has %d retry-days inputs, want the one under Payment chasing", n)
	}

	settings := url.Values{"name": {"Ledger & Co Pty"}, "tax_number": {"53 004 085 616"}, "address.line1": {"1 George St"}, "address.city": {"Sydney"},
		"address.region": {"NSW"}, "address.postcode": {"2000"}, "address.country": {"AU"}, "base_currency": {"AUD"}, "time_zone": {"Australia/Perth"},
		"invoice_prefix": {"LC-"}, "payment_terms_days": {"30"}, "tax_mode": {"inclusive"}, "group_items": {"on"},
		"collection_days_once_off": {"3"}, "collection_days_recurring": {"0"}, "retry_after_days": {"2, 4"}, "missed_billings": {"skip"}}

	// Bad values: each error beside its field, what was typed kept, nothing appended.
	before := a.head()
	wrong := clone(settings)
	wrong.Set("time_zone", "Mars/Olympus_Mons")
	wrong.Set("payment_terms_days", "400")
	p := a.post("/settings/firm", wrong)
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "time_zone") == "" {
		t.Fatalf("a bad time zone = %d: %s", p.Status, errorsOf(p.Body))
	}
	wrong.Set("time_zone", "Australia/Perth")
	p = a.post("/settings/firm", wrong)
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "payment_terms_days") == "" {
		t.Fatalf("bad terms = %d: %s", p.Status, errorsOf(p.Body))
	}
	wrong.Set("payment_terms_days", "30")
	wrong.Set("collection_days_once_off", "-1")
	p = a.post("/settings/firm", wrong)
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "collection_days_once_off") == "" {
		t.Fatalf("negative collection days = %d: %s", p.Status, errorsOf(p.Body))
	}
	if got := inputValue(p.Body, "invoice_prefix"); got != "LC-" {
		t.Errorf("the refused form lost what was typed: prefix %q", got)
	}
	if a.head() != before {
		t.Fatal("refused settings appended events")
	}

	page = a.mustPost("/settings/firm", settings, "Firm settings saved.")
	for field, want := range map[string]string{"name": "Ledger &amp; Co Pty", "tax_number": "53 004 085 616", "address.city": "Sydney", "time_zone": "Australia/Perth",
		"invoice_prefix": "LC-", "payment_terms_days": "30", "collection_days_once_off": "3", "dunning.retry_after_days": "3, 5, 7"} {
		if got := inputValue(page.Body, field); got != want {
			t.Errorf("after saving, %s shows %q, want %q", field, got, want)
		}
	}
	if !regexp.MustCompile(`<option value="inclusive" selected>`).MatchString(page.Body) {
		t.Error("the tax mode is not inclusive after saving")
	}
	if !regexp.MustCompile(`<option value="skip" selected>`).MatchString(page.Body) {
		t.Error("missed billings are not skipped after saving")
	}
	// Saving again unchanged records nothing.
	before = a.head()
	a.mustPost("/settings/firm", settings, "Firm settings saved.")
	if a.head() != before {
		t.Error("saving unchanged settings appended events")
	}

	// Tax rates.
	p = a.post("/settings/firm/tax-rates", url.Values{"tax.name": {"GST"}, "tax.rate": {"ten"}})
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "tax.rate") == "" {
		t.Fatalf("a bad tax rate = %d: %s", p.Status, errorsOf(p.Body))
	}
	a.mustPost("/settings/firm/tax-rates", url.Values{"tax.name": {"GST"}, "tax.rate": {"10"}}, "Tax rate GST added.")
	page = a.mustPost("/settings/firm/tax-rates", url.Values{"tax.name": {"GST free"}, "tax.rate": {"0"}}, "Tax rate GST free added.")
	ids := regexp.MustCompile(`action="/settings/firm/tax-rates/([0-9a-f-]{36})/default"`).FindStringSubmatch(page.Body)
	if ids == nil {
		t.Fatalf("no Make default for the second rate: %s", page.Body)
	}
	a.mustPost("/settings/firm/tax-rates/"+ids[1]+"/default", nil, "Default tax rate changed.")
	a.mustPost("/settings/firm/tax-rates/"+ids[1], url.Values{"name": {"Exempt"}, "rate": {"0"}}, "Tax rate Exempt saved.")
	other := regexp.MustCompile(`action="/settings/firm/tax-rates/([0-9a-f-]{36})/default"`).FindStringSubmatch(a.get("/settings/firm").Body)
	if other == nil {
		t.Fatal("no Make default for GST")
	}
	page = a.mustPost("/settings/firm/tax-rates/"+other[1]+"/remove", nil, "Tax rate removed.")
	if strings.Contains(page.Body, `value="GST"`) || !strings.Contains(page.Body, `value="Exempt"`) {
		t.Error("the tax rates after removing GST are wrong")
	}

	// A logo: an image is stored by its hash and shown; anything else is
	// refused beside the field.
	before = a.head()
	p = a.upload("/settings/firm/logo", "logo", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "logo") == "" {
		t.Fatalf("an SVG logo = %d: %s", p.Status, errorsOf(p.Body))
	}
	if a.head() != before {
		t.Fatal("a refused logo appended events")
	}
	p = a.upload("/settings/firm/logo", "logo", "huge.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 600<<10)...))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(p.Body, "logo"), "too large") {
		t.Fatalf("a logo too large = %d: %s", p.Status, errorsOf(p.Body))
	}
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	p = a.upload("/settings/firm/logo", "logo", "logo.png", pngBytes.Bytes())
	if p.Status != http.StatusSeeOther {
		t.Fatalf("upload a logo = %d: %s", p.Status, errorsOf(p.Body))
	}
	page = a.get("/settings/firm")
	mustContain(t, page, "Logo saved.")
	src := regexp.MustCompile(`<img class="logo" src="(/firm/logo/[0-9a-f]{64})"`).FindStringSubmatch(page.Body)
	if src == nil {
		t.Fatalf("the settings page shows no logo")
	}
	if _, err := os.Stat(filepath.Join(logos, strings.TrimPrefix(src[1], "/firm/logo/"))); err != nil {
		t.Errorf("the logo is not in the logo folder: %v", err)
	}
	resp, err := a.client.Get(a.server.URL + src[1])
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, pngBytes.Bytes()) {
		t.Errorf("GET %s = %d %s", src[1], resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := a.mustClient("Acme")
	inv := a.mustInvoice(c, "100")
	mustContain(t, a.get("/invoices/"+inv.String()), `<img class="logo" src="`+src[1]+`"`)
	page = a.mustPost("/settings/firm/logo/remove", nil, "Logo removed.")
	if strings.Contains(page.Body, `<img class="logo"`) {
		t.Error("the logo is still shown after removing it")
	}
}

// upload posts a multipart form with one file.
func (a *app) upload(path, field, name string, data []byte) page {
	a.tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_token", uuid.NewString())
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		a.tb.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	resp, err := a.client.Post(a.server.URL+path, mw.FormDataContentType(), &body)
	if err != nil {
		a.tb.Fatalf("POST %s: %v", path, err)
	}
	return read(a.tb, resp)
}

// TestFirmRegionSelects: the base currency and the time zone are select
// lists (currencies named, zones grouped by region) with the firm's own
// value selected, even a zone the list does not hold; a value posted by
// hand that Remit does not know still gets its error beside the field. The
// client forms' currency is a select list too, the firm's currency
// preselected for a new client.
func TestFirmRegionSelects(t *testing.T) {
	a := newBareApp(t, nil)
	setup := a.get("/settings/firm")
	mustContain(t, setup, `<select id="f-base_currency" name="base_currency">`, `<option value="" selected>Choose a currency</option>`,
		`<select id="f-time_zone" name="time_zone">`, `<optgroup label="Australia">`, `<option value="Australia/Sydney">Australia/Sydney</option>`)
	a.mustPost("/settings/firm/setup", url.Values{"name": {"Ledger & Co"}, "base_currency": {"nzd"}, "time_zone": {"Pacific/Auckland"}}, "The firm is set up.")

	page := a.get("/settings/firm")
	mustContain(t, page, `<option value="NZD" selected>NZD — New Zealand dollar</option>`, `<option value="AUD">AUD — Australian dollar</option>`,
		`<option value="Pacific/Auckland" selected>Pacific/Auckland</option>`, `<option value="America/Argentina/Buenos_Aires">America/Argentina/Buenos Aires</option>`)
	if got := selectedOption(page.Body, "time_zone"); got != "Pacific/Auckland" {
		t.Errorf("time zone selected = %q, want Pacific/Auckland", got)
	}

	// A zone the list lacks (a valid IANA name) stays selected, shown first.
	settings := url.Values{"name": {"Ledger & Co"}, "base_currency": {"NZD"}, "time_zone": {"Asia/Yangon"}, "payment_terms_days": {"14"},
		"tax_mode": {"exclusive"}, "missed_billings": {"catch_up"}}
	page = a.mustPost("/settings/firm", settings, "Firm settings saved.")
	mustContain(t, page, `<select id="f-time_zone" name="time_zone">`+"\n    "+`<option value="Asia/Yangon" selected>Asia/Yangon</option>`)

	// Posted by hand: an unknown currency and zone get their errors, and
	// the list shows what was posted.
	bad := clone(settings)
	bad.Set("base_currency", "XXX")
	p := a.post("/settings/firm", bad)
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "base_currency") == "" {
		t.Fatalf("an unknown currency = %d: %s", p.Status, errorsOf(p.Body))
	}
	mustContain(t, p, `<select id="f-base_currency" name="base_currency" aria-invalid="true" aria-describedby="f-base_currency-err">`, `<option value="XXX" selected>XXX</option>`)
	bad = clone(settings)
	bad.Set("time_zone", "Mars/Olympus_Mons")
	p = a.post("/settings/firm", bad)
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "time_zone") == "" {
		t.Fatalf("an unknown zone = %d: %s", p.Status, errorsOf(p.Body))
	}

	// The client forms.
	if got := selectedOption(a.get("/clients/new").Body, "currency"); got != "NZD" {
		t.Errorf("a new client's currency = %q, want the firm's NZD", got)
	}
	ok := a.mustPost("/clients/new", url.Values{"name": {"Acme Pty"}, "kind": {"business"}, "currency": {"AUD"},
		"contacts[0].name": {"Ada Lovelace"}, "contacts[0].email": {"ada@acme.test"}}, "Client Acme Pty created.")
	id := idFrom(t, ok.Location, "/clients/")
	if got := selectedOption(a.get("/clients/"+id.String()+"/edit").Body, "currency"); got != "AUD" {
		t.Errorf("the client edit form's currency = %q, want AUD", got)
	}
}
