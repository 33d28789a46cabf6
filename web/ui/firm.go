package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/firm"
	"remit/internal/atomicfile"
	"remit/internal/fsperm"
	"remit/web/auth"
)

// The firm's settings page (/settings/firm, owners only): the firm's details,
// regional settings, invoice settings, payment collection and retries (one
// form, each group recorded only when it changed), its tax rates, its card
// and bank debit surcharges (surcharge.go), its proposal reminders, expiry
// and staff notices (proposal_settings.go), and its logo. A firm not yet set up gets the set-up form instead.
//
// An uploaded logo is kept in Config.LogoDir under its SHA-256 (the firm's
// setting records only "sha256:<hex>", never the image) and served at
// /firm/logo/<hex> to signed-in people.

const firmPath = "/settings/firm"

// maxLogoBytes bounds an uploaded logo.
const maxLogoBytes = 512 << 10

// logoTypes are the image types a logo may be: no SVG, which can carry
// script.
var logoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

func (h *handler) registerFirmRoutes(rt routes) {
	rt.get(firmPath, h.handleFirmPage)
	rt.post(firmPath+"/setup", h.handleFirmSetUp)
	rt.post(firmPath, h.handleFirmSave)
	rt.post(firmPath+"/logo", h.handleFirmLogo)
	rt.post(firmPath+"/logo/remove", h.handleFirmLogoRemove)
	rt.post(firmPath+"/tax-rates", h.handleTaxRateAdd)
	rt.post(firmPath+"/tax-rates/{rid}", h.handleTaxRateChange)
	rt.post(firmPath+"/tax-rates/{rid}/default", h.handleTaxRateDefault)
	rt.post(firmPath+"/tax-rates/{rid}/remove", h.handleTaxRateRemove)
	rt.post(firmPath+"/surcharges", h.handleFirmSurcharges)
	rt.post(firmPath+"/proposals", h.handleFirmProposals)
	rt.post(firmPath+"/dunning", h.handleFirmDunning)
	rt.get("/firm/logo/{hash}", h.handleFirmLogoImage)
}

// firmPage is the settings page's data.
type firmPage struct {
	Firm firm.State
	// Logo is the logo's URL for an <img>, "" without one.
	Logo string
	// Uploads says whether logos can be uploaded (Config.LogoDir set).
	Uploads bool
	// SurchargeTax is the select of the surcharge line's tax rate
	// (surcharge.go).
	SurchargeTax input
}

// ownersOnly refuses anyone signed in who is not an owner (without sign-in,
// in development, everyone may).
func (h *handler) ownersOnly(w http.ResponseWriter, r *http.Request) bool {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		if err := auth.Allow(p, auth.OwnerOnly); err != nil {
			message(h, w, r, http.StatusForbidden, "Owners only", "Only an owner can change the firm's settings.")
			return false
		}
	}
	return true
}

// logoURL is where a logo reference is shown from: an uploaded logo at
// /firm/logo/<hex>, a URL as it is.
func logoURL(ref string) string {
	if hash, ok := strings.CutPrefix(ref, "sha256:"); ok {
		return "/firm/logo/" + hash
	}
	return ref
}

// firmForm is the settings form filled with the firm's settings.
func firmForm(f firm.State) *form {
	fm := newForm()
	fm.set("name", f.Name)
	fm.set("tax_number", f.TaxNumber)
	fm.set("address.line1", f.Address.Line1)
	fm.set("address.line2", f.Address.Line2)
	fm.set("address.city", f.Address.City)
	fm.set("address.region", f.Address.Region)
	fm.set("address.postcode", f.Address.Postcode)
	fm.set("address.country", f.Address.Country)
	fm.set("base_currency", f.BaseCurrency.Code)
	fm.set("time_zone", f.TimeZone)
	fm.set("invoice_prefix", f.InvoicePrefix)
	fm.set("payment_terms_days", strconv.Itoa(f.PaymentTermsDays))
	fm.set("tax_mode", string(f.TaxMode))
	if f.GroupItems {
		fm.set("group_items", "on")
	}
	fm.set("collection_days_once_off", strconv.Itoa(f.CollectionDaysOnceOff))
	fm.set("collection_days_recurring", strconv.Itoa(f.CollectionDaysRecurring))
	days := make([]string, len(f.RetryAfterDays))
	for i, d := range f.RetryAfterDays {
		days[i] = strconv.Itoa(d)
	}
	fm.set("retry_after_days", strings.Join(days, ", "))
	missed := f.MissedBillings
	if missed == "" {
		missed = firm.MissedCatchUp
	}
	fm.set("missed_billings", string(missed))
	fm.set("bank_account.name", f.BankAccount.Name)
	fm.set("bank_account.branch_code", f.BankAccount.BranchCode)
	fm.set("bank_account.number", f.BankAccount.Number)
	fm.set("bank_account.bic", f.BankAccount.BIC)
	setSurchargeFields(fm, f)
	setProposalFields(fm, f)
	setDunningFields(fm, f)
	return fm
}

// showFirm renders the settings page with form (nil: the firm's settings).
func (h *handler) showFirm(w http.ResponseWriter, r *http.Request, status int, f firm.State, fm *form) {
	if fm == nil {
		fm = firmForm(f)
		if !f.SetUp {
			fm.set("invoice_prefix", firm.DefaultInvoicePrefix)
			fm.set("tax_mode", string(domain.TaxExclusive))
			fm.set("group_items", "on")
			fm.set("payment_terms_days", "14")
			fm.set("retry_after_days", "3, 5, 7")
		}
	}
	d := firmPage{Firm: f, Logo: logoURL(f.Logo), Uploads: h.cfg.LogoDir != "", SurchargeTax: surchargeTaxInput(fm, f)}
	title := "Firm settings"
	if !f.SetUp {
		title = "Set up the firm"
	}
	h.render(w, r, status, "firm", &view{Title: title, Section: "firm", Form: fm, D: d})
}

func (h *handler) handleFirmPage(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	f, _, err := h.firmNow(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showFirm(w, r, http.StatusOK, f, nil)
}

// firmFormError re-renders the settings page with what was typed and the
// errors beside their fields.
func (h *handler) firmFormError(w http.ResponseWriter, r *http.Request, err error, rename func(string) string) {
	f, _, ferr := h.firmNow(r.Context())
	if ferr != nil {
		h.fail(w, r, ferr)
		return
	}
	fm := formFrom(r)
	if f.SetUp {
		keepOtherSections(fm, firmForm(f))
	}
	fm.fail(err, func(e error) string { return h.userMessage(r, e) }, rename)
	h.showFirm(w, r, statusOf(err), f, fm)
}

// firmSections are the input prefixes of the settings page's forms other
// than the firm's details (whose inputs have none of them).
var firmSections = []string{"dunning.", "proposals.", "surcharges.", "tax."}

func firmSection(input string) string {
	for _, p := range firmSections {
		if strings.HasPrefix(input, p) {
			return p
		}
	}
	return ""
}

// keepOtherSections fills the inputs of the settings page's other forms
// from saved, the firm's settings, below the firm's details as posted (fm:
// what was typed, shown with its errors): the page shows them, not empty
// forms a save would wipe them with. (The other forms, refused, start from
// the settings and put back their own inputs.)
func keepOtherSections(fm, saved *form) {
	for k, v := range saved.Values {
		if firmSection(k) != "" {
			fm.Values[k] = v
		}
	}
}

// firmFieldName maps the billing request's field paths to the form's inputs.
func firmFieldName(field string) string {
	switch field {
	case "regional.time_zone":
		return "time_zone"
	case "regional.base_currency":
		return "base_currency"
	}
	return strings.TrimPrefix(field, "details.")
}

// retryDays reads "3, 5, 7" (commas or spaces); empty means no retries.
func retryDays(fs *fields, name string) []int {
	days := []int{}
	for part := range strings.FieldsFuncSeq(fs.str(name), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(part)
		if err != nil {
			fs.p.Add(name, "%q is not a whole number of days (write the days like 3, 5, 7)", part)
			return nil
		}
		days = append(days, n)
	}
	return days
}

// days reads a whole number of days; empty is 0.
func days(fs *fields, name string) int {
	n, _ := fs.integer(name)
	return n
}

func (h *handler) handleFirmSetUp(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	fs := readForm(r)
	group := fs.str("group_items") == "on"
	req := billing.SetUpFirmRequest{
		Name: fs.str("name"), TaxNumber: fs.str("tax_number"), Address: firmAddress(fs),
		BaseCurrency: strings.ToUpper(fs.str("base_currency")), TimeZone: fs.str("time_zone"),
		InvoicePrefix: fs.str("invoice_prefix"), PaymentTermsDays: days(fs, "payment_terms_days"),
		TaxMode:               domain.TaxMode(fs.str("tax_mode")),
		CollectionDaysOnceOff: days(fs, "collection_days_once_off"), CollectionDaysRecurring: days(fs, "collection_days_recurring"),
		RetryAfterDays: retryDays(fs, "retry_after_days"), GroupItems: &group,
		MissedBillings: firm.MissedBillings(fs.str("missed_billings")),
	}
	if err := fs.err(); err != nil {
		h.firmFormError(w, r, err, nil)
		return
	}
	if _, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SetUpFirm(ctx, req, meta)
	}); err != nil {
		h.firmFormError(w, r, err, nil)
		return
	}
	redirect(w, r, firmPath, "The firm is set up. Add its tax rates below.")
}

func firmAddress(fs *fields) domain.Address {
	return domain.Address{Line1: fs.str("address.line1"), Line2: fs.str("address.line2"), City: fs.str("address.city"),
		Region: fs.str("address.region"), Postcode: fs.str("address.postcode"), Country: fs.str("address.country")}
}

// handleFirmSave records every group of settings that changed.
func (h *handler) handleFirmSave(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	fs := readForm(r)
	group := fs.str("group_items") == "on"
	mode := domain.TaxMode(fs.str("tax_mode"))
	// The retry days are Payment chasing's (its own form): left as they are.
	req := billing.FirmSettingsRequest{
		Details:    &billing.FirmDetails{Name: fs.str("name"), Address: firmAddress(fs), TaxNumber: fs.str("tax_number")},
		Regional:   &billing.FirmRegional{BaseCurrency: strings.ToUpper(fs.str("base_currency")), TimeZone: fs.str("time_zone")},
		Invoice:    &billing.FirmInvoiceSettings{InvoicePrefix: fs.str("invoice_prefix"), PaymentTermsDays: days(fs, "payment_terms_days")},
		GroupItems: &group,
		TaxMode:    &mode,
		CollectionSchedule: &billing.FirmCollectionSchedule{
			CollectionDaysOnceOff: days(fs, "collection_days_once_off"), CollectionDaysRecurring: days(fs, "collection_days_recurring"),
		},
		BankAccount: &firm.BankAccount{Name: fs.str("bank_account.name"), BranchCode: fs.str("bank_account.branch_code"),
			Number: fs.str("bank_account.number"), BIC: fs.str("bank_account.bic")},
	}
	if m := firm.MissedBillings(fs.str("missed_billings")); m != "" {
		req.MissedBillings = &m
	}
	if err := fs.err(); err != nil {
		h.firmFormError(w, r, err, nil)
		return
	}
	if _, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.ChangeFirmSettings(ctx, req, meta)
	}); err != nil {
		h.firmFormError(w, r, err, firmFieldName)
		return
	}
	redirect(w, r, firmPath, "Firm settings saved.")
}

// handleFirmLogo stores an uploaded image under its SHA-256 and makes it the
// firm's logo.
func (h *handler) handleFirmLogo(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	hash, err := h.storeLogo(r)
	if err == nil {
		ref := "sha256:" + hash
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Logo: &ref}, meta)
		})
	}
	if err != nil {
		f, _, ferr := h.firmNow(r.Context())
		if ferr != nil {
			h.fail(w, r, ferr)
			return
		}
		fm := firmForm(f)
		fm.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.showFirm(w, r, statusOf(err), f, fm)
		return
	}
	redirect(w, r, firmPath, "Logo saved.")
}

// storeLogo checks the uploaded file and writes it to Config.LogoDir; its
// errors are on the logo field.
func (h *handler) storeLogo(r *http.Request) (string, error) {
	if h.cfg.LogoDir == "" {
		return "", domain.Invalid("logo", "logos cannot be uploaded on this server")
	}
	file, hdr, err := r.FormFile("logo")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", domain.Invalid("logo", "the image is too large (at most %d KB)", maxLogoBytes>>10)
		}
		return "", domain.Invalid("logo", "choose an image file")
	}
	defer file.Close()
	if hdr.Size > maxLogoBytes {
		return "", domain.Invalid("logo", "the image is too large (at most %d KB)", maxLogoBytes>>10)
	}
	data, err := io.ReadAll(io.LimitReader(file, maxLogoBytes+1))
	if err != nil {
		return "", fmt.Errorf("read uploaded logo: %w", err)
	}
	if len(data) > maxLogoBytes {
		return "", domain.Invalid("logo", "the image is too large (at most %d KB)", maxLogoBytes>>10)
	}
	if !logoTypes[http.DetectContentType(data)] {
		return "", domain.Invalid("logo", "the logo must be a PNG, JPEG, GIF or WebP image")
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if err := fsperm.Dir(h.cfg.LogoDir); err != nil {
		return "", fmt.Errorf("logo folder: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(h.cfg.LogoDir, hash), data, 0o600); err != nil {
		return "", fmt.Errorf("store logo: %w", err)
	}
	return hash, nil
}

func (h *handler) handleFirmLogoRemove(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	none := ""
	h.button(w, r, firmPath, "Logo removed.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.ChangeFirmSettings(ctx, billing.FirmSettingsRequest{Logo: &none}, meta)
	})
}

// handleFirmLogoImage serves an uploaded logo by its hash.
func (h *handler) handleFirmLogoImage(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" || h.cfg.LogoDir == "" {
		h.notFound(w, r, "There is no such logo.")
		return
	}
	data, err := os.ReadFile(filepath.Join(h.cfg.LogoDir, hash))
	if err != nil {
		h.notFound(w, r, "There is no such logo.")
		return
	}
	ct := http.DetectContentType(data)
	if !logoTypes[ct] {
		h.notFound(w, r, "There is no such logo.")
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable") // the URL names the content
	_, _ = w.Write(data)
}

// taxFieldName puts a tax rate's errors on the add-rate inputs.
func taxFieldName(field string) string {
	switch field {
	case "name", "rate":
		return "tax." + field
	}
	return field
}

func (h *handler) handleTaxRateAdd(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	fs := readForm(r)
	req := billing.TaxRateRequest{Name: fs.str("tax.name"), Rate: fs.dec("tax.rate", true), MakeDefault: fs.str("tax.default") == "on"}
	if err := fs.err(); err != nil {
		h.taxFormError(w, r, err)
		return
	}
	if _, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.AddTaxRate(ctx, req, meta)
	}); err != nil {
		h.taxFormError(w, r, err)
		return
	}
	redirect(w, r, firmPath+"#tax-rates", fmt.Sprintf("Tax rate %s added.", req.Name))
}

// taxFormError re-renders the page with the firm's settings and the add-rate
// form as typed, with its errors.
func (h *handler) taxFormError(w http.ResponseWriter, r *http.Request, err error) {
	f, _, ferr := h.firmNow(r.Context())
	if ferr != nil {
		h.fail(w, r, ferr)
		return
	}
	fm := firmForm(f)
	for _, k := range []string{"tax.name", "tax.rate", "tax.default"} {
		fm.set(k, r.PostFormValue(k))
	}
	if t := r.PostFormValue(tokenField); t != "" {
		if _, perr := uuid.Parse(t); perr == nil {
			fm.Token = t
		}
	}
	fm.fail(err, func(e error) string { return h.userMessage(r, e) }, taxFieldName)
	h.showFirm(w, r, statusOf(err), f, fm)
}

func (h *handler) handleTaxRateChange(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	id, ok := h.idParam(w, r, "rid")
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.TaxRateRequest{TaxRateID: id, Name: fs.str("name"), Rate: fs.dec("rate", true)}
	if err := fs.err(); err != nil {
		redirectError(w, r, firmPath+"#tax-rates", h.userMessage(r, err))
		return
	}
	h.button(w, r, firmPath+"#tax-rates", fmt.Sprintf("Tax rate %s saved.", req.Name), func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.ChangeTaxRate(ctx, req, meta)
	})
}

func (h *handler) handleTaxRateDefault(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	id, ok := h.idParam(w, r, "rid")
	if !ok {
		return
	}
	h.button(w, r, firmPath+"#tax-rates", "Default tax rate changed.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SetDefaultTaxRate(ctx, billing.TaxRateRef{TaxRateID: id}, meta)
	})
}

func (h *handler) handleTaxRateRemove(w http.ResponseWriter, r *http.Request) {
	if !h.ownersOnly(w, r) {
		return
	}
	id, ok := h.idParam(w, r, "rid")
	if !ok {
		return
	}
	h.button(w, r, firmPath+"#tax-rates", "Tax rate removed.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.RemoveTaxRate(ctx, billing.TaxRateRef{TaxRateID: id}, meta)
	})
}
