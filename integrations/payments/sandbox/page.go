package sandbox

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"remit/domain"
	"remit/integrations/payments"
)

// field is one input of a method's form.
type field struct {
	Name, Label, Hint, Autocomplete, InputMode string
}

// methodForm is what the hosted page asks for one method type.
type methodForm struct {
	Title   string // the section's heading
	Fields  []field
	Mandate string // the mandate the client agrees to (bank debits)
}

var holder = []field{
	{Name: "name", Label: "Account holder's name", Autocomplete: "name"},
	{Name: "email", Label: "Email for debit notices", Autocomplete: "email", InputMode: "email"},
}

var methodForms = map[payments.MethodType]methodForm{
	payments.TypeCard: {Title: "Card", Fields: []field{
		{Name: "number", Label: "Card number", Autocomplete: "cc-number", InputMode: "numeric", Hint: "e.g. 4242 4242 4242 4242"},
		{Name: "expiry", Label: "Expiry (MM / YY)", Autocomplete: "cc-exp", InputMode: "numeric", Hint: "MM / YY"},
		{Name: "cvc", Label: "Security code (CVC)", Autocomplete: "cc-csc", InputMode: "numeric"},
	}},
	payments.TypeAUBECS: {Title: "Bank account (BECS Direct Debit, Australia)", Fields: append([]field{
		{Name: "bsb", Label: "BSB", InputMode: "numeric", Hint: "e.g. 000-000"},
		{Name: "account_number", Label: "Account number", InputMode: "numeric"},
	}, holder...), Mandate: "I request and authorise the merchant, through the sandbox gateway (user ID 000000), to debit amounts from the account above through the Bulk Electronic Clearing System (BECS) under the Direct Debit Request Service Agreement."},
	payments.TypeUSACH: {Title: "Bank account (ACH Direct Debit, US)", Fields: append([]field{
		{Name: "routing_number", Label: "Routing number", InputMode: "numeric", Hint: "9 digits"},
		{Name: "account_number", Label: "Account number", InputMode: "numeric"},
	}, holder...), Mandate: "I authorise the merchant to debit the account above by ACH for the amounts due, and, if needed, to credit it to correct an erroneous debit, until I revoke this authorisation."},
	payments.TypeBacs: {Title: "Bank account (Bacs Direct Debit, UK)", Fields: append([]field{
		{Name: "sort_code", Label: "Sort code", InputMode: "numeric", Hint: "e.g. 10-88-00"},
		{Name: "account_number", Label: "Account number", InputMode: "numeric", Hint: "8 digits"},
	}, holder...), Mandate: "I confirm I am the account holder and the only person needed to authorise debits from this account, and I instruct my bank to pay Direct Debits from it, subject to the safeguards of the Direct Debit Guarantee."},
	payments.TypeSEPA: {Title: "Bank account (SEPA Direct Debit)", Fields: append([]field{
		{Name: "iban", Label: "IBAN", Hint: "e.g. DE89 3704 0044 0532 0130 00"},
	}, holder...), Mandate: "By agreeing, I authorise the merchant and the sandbox gateway to send instructions to my bank to debit my account, and my bank to debit it in accordance with those instructions. I am entitled to a refund from my bank within eight weeks of a debit."},
	payments.TypeACSS: {Title: "Bank account (pre-authorized debit, Canada)", Fields: append([]field{
		{Name: "transit_number", Label: "Transit number", InputMode: "numeric", Hint: "5 digits"},
		{Name: "institution_number", Label: "Institution number", InputMode: "numeric", Hint: "3 digits"},
		{Name: "account_number", Label: "Account number", InputMode: "numeric"},
	}, holder...), Mandate: "I authorise the merchant to debit the account above for the amounts due under this pre-authorized debit agreement, and waive pre-notification of variable amounts as the Payments Canada rules allow."},
	payments.TypeNZBECS: {Title: "Bank account (direct debit, New Zealand)", Fields: append([]field{
		{Name: "account_number", Label: "Bank account number", InputMode: "numeric", Hint: "e.g. 11-0000-0000000-010"},
	}, holder...), Mandate: "I authorise the merchant to debit my account above under the direct debit authority, in accordance with the Payments NZ specifications."},
}

// Handler is the sandbox's hosted page, for Remit to mount at CheckoutPath
// outside sign-in: GET CheckoutPath+"checkout/{id}" shows the session's
// form, one section per method type it offers; POST takes a test card or
// account (declined ones are shown as declined, beside the field, and keep
// nothing), completes the session and redirects to its SuccessURL.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CheckoutPath+"checkout/{id}", g.showPage)
	mux.HandleFunc("POST "+CheckoutPath+"checkout/{id}", g.submitPage)
	mux.HandleFunc("GET "+CheckoutPath+"page.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write([]byte(pageCSS))
	})
	return mux
}

// pageView is what the page template shows.
type pageView struct {
	CSS      string
	S        session
	Amount   string
	Sections []sectionView
	Closed   string // why the session cannot be used (complete, expired)
	Decline  string // a page-level decline, announced
	Cards    []TestCard
	Accounts []TestAccount
}

type sectionView struct {
	Type    payments.MethodType
	Title   string
	Fields  []fieldView
	Mandate string
	Agreed  bool
	Error   map[string]string // by field name ("mandate" for the checkbox)
	Submit  string
}

type fieldView struct {
	field
	ID, Value, Error string
}

func (g *Gateway) showPage(w http.ResponseWriter, r *http.Request) {
	s, err := g.session(r.Context(), g.db, r.PathValue("id"))
	if err != nil {
		g.notFound(w, err)
		return
	}
	g.render(w, http.StatusOK, g.view(s, "", nil, nil))
}

func (g *Gateway) notFound(w http.ResponseWriter, err error) {
	if errors.Is(err, payments.ErrUnknownSession) {
		http.Error(w, "No such checkout session on the sandbox gateway.", http.StatusNotFound)
		return
	}
	http.Error(w, "The sandbox gateway could not read this session.", http.StatusInternalServerError)
}

// view builds the page of a session; typ, values and errs are a submitted
// section's (re-shown with its errors).
func (g *Gateway) view(s session, typ payments.MethodType, values url.Values, errs map[string]string) pageView {
	v := pageView{CSS: CheckoutPath + "page.css", S: s, Cards: TestCards}
	if s.Mode == payments.ModePayment {
		v.Amount = domain.NewMoney(s.Amount, s.currency()).String()
	}
	switch {
	case s.Status == payments.SessionComplete:
		v.Closed = "This checkout is complete."
	case g.opts.Now().Sub(s.CreatedAt) >= SessionTTL:
		v.Closed = "This checkout has expired. Go back and start again."
	}
	for _, a := range TestAccounts {
		for _, t := range s.MethodTypes {
			if a.Type == t {
				v.Accounts = append(v.Accounts, a)
			}
		}
	}
	for _, t := range s.MethodTypes {
		f := methodForms[t]
		sec := sectionView{Type: t, Title: f.Title, Mandate: f.Mandate, Submit: "Save"}
		if s.Mode == payments.ModePayment {
			sec.Submit = "Pay " + v.Amount
		} else if t == payments.TypeCard {
			sec.Submit = "Save card"
		} else {
			sec.Submit = "Save bank account"
		}
		if t == typ {
			sec.Error, sec.Agreed = errs, values.Get("mandate") != ""
		}
		for _, fd := range f.Fields {
			fv := fieldView{field: fd, ID: string(t) + "-" + fd.Name}
			if t == typ {
				fv.Value, fv.Error = values.Get(fd.Name), errs[fd.Name]
				if fd.Name == "number" || fd.Name == "cvc" {
					fv.Value = "" // never echoed back
				}
			} else if fd.Name == "email" {
				fv.Value = s.CustomerEmail
			} else if fd.Name == "name" {
				fv.Value = s.CustomerName
			}
			sec.Fields = append(sec.Fields, fv)
		}
		v.Sections = append(v.Sections, sec)
	}
	return v
}

func (g *Gateway) submitPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, err := g.session(ctx, g.db, r.PathValue("id"))
	if err != nil {
		g.notFound(w, err)
		return
	}
	if s.Status == payments.SessionComplete {
		http.Redirect(w, r, successURL(s), http.StatusSeeOther) // a second tab: already done
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	typ := payments.MethodType(r.PostForm.Get("type"))
	offered := false
	for _, t := range s.MethodTypes {
		offered = offered || t == typ
	}
	if !offered {
		http.Error(w, "This checkout does not offer that kind of payment method.", http.StatusBadRequest)
		return
	}
	m, errs, decline := g.capture(s, typ, r.PostForm)
	if len(errs) > 0 {
		v := g.view(s, typ, r.PostForm, errs)
		v.Decline = decline
		g.render(w, http.StatusUnprocessableEntity, v)
		return
	}
	done, err := g.complete(ctx, s.ID, m)
	if errors.Is(err, errSessionClosed) {
		if done.Status == payments.SessionComplete {
			http.Redirect(w, r, successURL(done), http.StatusSeeOther)
			return
		}
		g.render(w, http.StatusConflict, g.view(done, "", nil, nil))
		return
	}
	if err != nil {
		http.Error(w, "The sandbox gateway could not record this: "+err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, successURL(done), http.StatusSeeOther)
}

func successURL(s session) string {
	return strings.ReplaceAll(s.SuccessURL, payments.SessionIDPlaceholder, s.ID)
}

// capture checks a submitted section and answers the method it makes, or
// the errors by field and, for a declined card or account, the decline.
func (g *Gateway) capture(s session, typ payments.MethodType, f url.Values) (payments.Method, map[string]string, string) {
	if typ == payments.TypeCard {
		return g.captureCard(s, f)
	}
	errs := map[string]string{}
	fields := map[string]string{}
	for _, fd := range methodForms[typ].Fields {
		v := strings.TrimSpace(f.Get(fd.Name))
		fields[fd.Name] = v
		if v == "" && fd.Name != "email" {
			errs[fd.Name] = "Enter the " + lowerFirst(fd.Label) + "."
		}
	}
	if f.Get("mandate") == "" {
		errs["mandate"] = "Agree to the debit mandate to use this account."
	}
	if len(errs) > 0 {
		return payments.Method{}, errs, ""
	}
	acct, ok := findAccount(typ, fields)
	if !ok {
		key := "account_number"
		if typ == payments.TypeSEPA {
			key = "iban"
		}
		errs[key] = "This is a test gateway: use one of the test accounts listed below. No real account is accepted."
		return payments.Method{}, errs, ""
	}
	// A returned debit is only known days later: in payment mode too the
	// payment starts pending like any other debit.
	token := TokenDebitSettles
	if acct.Returned {
		token = TokenDebitReturned
	}
	return payments.Method{
		Token: token + "__" + hash(16, "method", s.ID), Type: typ, MaskedAccount: maskAccount(typ, fields),
		MandateReference: "SBX" + strings.ToUpper(hash(13, "mandate", s.ID)), MandateStatus: "active",
	}, nil, ""
}

func (g *Gateway) captureCard(s session, f url.Values) (payments.Method, map[string]string, string) {
	errs := map[string]string{}
	number := digits(f.Get("number"))
	switch {
	case number == "":
		errs["number"] = "Enter the card number."
	case !luhn(number):
		errs["number"] = "Your card number is invalid."
	}
	month, year, ok := parseExpiry(f.Get("expiry"))
	now := g.opts.Now()
	switch {
	case strings.TrimSpace(f.Get("expiry")) == "":
		errs["expiry"] = "Enter the expiry date, MM / YY."
	case !ok:
		errs["expiry"] = "Your card's expiry date is incomplete: MM / YY."
	case year < now.Year() || (year == now.Year() && month < int(now.Month())):
		errs["expiry"] = "Your card's expiry date is in the past."
	}
	cvc := digits(f.Get("cvc"))
	if len(cvc) < 3 || len(cvc) > 4 {
		errs["cvc"] = "Your card's security code is incomplete."
	}
	if len(errs) > 0 {
		return payments.Method{}, errs, ""
	}
	card, ok := findCard(number)
	if !ok {
		errs["number"] = "Your card was declined: this is a test gateway, and it takes only the test cards listed below. No real card is accepted."
		return payments.Method{}, errs, errs["number"]
	}
	decline := card.PageDecline
	if decline == "" && s.Mode == payments.ModePayment && card.Token != TokenCardSucceeds {
		// Charged while the client is here: declined on the page.
		decline = g.result(Charge{PaymentMethod: card.Token, CreatedAt: now}).DeclineCode
	}
	if decline != "" {
		msg := declineMessages[decline]
		if msg == "" {
			msg = "Your card was declined."
		}
		field := "number"
		if decline == "incorrect_cvc" {
			field = "cvc"
		}
		errs[field] = msg
		return payments.Method{}, errs, msg
	}
	return payments.Method{
		Token: card.Token + "__" + hash(16, "method", s.ID), Type: payments.TypeCard, Brand: card.Brand,
		Last4: last4(number), ExpiryMonth: month, ExpiryYear: year,
	}, nil, ""
}

// parseExpiry reads "MM / YY", "MM/YYYY", "MMYY".
func parseExpiry(s string) (month, year int, ok bool) {
	d := digits(s)
	if len(d) != 4 && len(d) != 6 {
		return 0, 0, false
	}
	m, err1 := strconv.Atoi(d[:2])
	y, err2 := strconv.Atoi(d[2:])
	if err1 != nil || err2 != nil || m < 1 || m > 12 {
		return 0, 0, false
	}
	if y < 100 {
		y += 2000
	}
	return m, y, true
}

func (g *Gateway) render(w http.ResponseWriter, status int, v pageView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, v)
}

// CompleteForTest completes an open session as if the client had entered
// card (a TestCards number) or a bank account on the page, without a
// browser: for tests and the demo. A declined card answers an error naming
// the decline.
func (g *Gateway) CompleteForTest(ctx context.Context, id string, typ payments.MethodType, form url.Values) (payments.Session, error) {
	s, err := g.session(ctx, g.db, id)
	if err != nil {
		return payments.Session{}, err
	}
	if form == nil {
		form = url.Values{}
	}
	m, errs, decline := g.capture(s, typ, form)
	if len(errs) > 0 {
		if decline != "" {
			return payments.Session{}, errors.New("sandbox gateway: declined: " + decline)
		}
		for k, v := range errs {
			return payments.Session{}, errors.New("sandbox gateway: " + k + ": " + v)
		}
	}
	if _, err := g.complete(ctx, id, m); err != nil && !errors.Is(err, errSessionClosed) {
		return payments.Session{}, err
	}
	return g.Session(ctx, id)
}

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// lowerFirst lower-cases a label's first letter unless it starts an
// abbreviation ("Account number" → "account number", "BSB" stays).
func lowerFirst(s string) string {
	if len(s) > 1 && strings.ToUpper(s[1:2]) == s[1:2] {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
