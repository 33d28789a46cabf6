package xerotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/test/peers"
)

// apiPrefix is the Accounting API's path, as on api.xero.com.
const apiPrefix = "/api.xro/2.0"

// specServer is the server the spec's router matches requests against.
const specServer = "https://api.xero.com"

// obj is one Xero document as JSON: the test server keeps documents in the
// shape it answers them, so where filters read any field.
type obj = map[string]any

// Fault is an answer the server gives instead of handling a request.
type Fault struct {
	// Method and Path select requests; "" matches any. Path matches the end
	// of the path under the API's base: "/Invoices" is PUT or GET
	// /Invoices, "/Allocations" any credit note's allocations.
	Method, Path string
	Status       int
	Header       http.Header
	Body         string
}

// Request is one request the API part of the server answered.
type Request struct {
	Method, Path   string
	Query          url.Values
	IdempotencyKey string
	Status         int
	// Replayed is true when the answer came from an earlier request with
	// the same Idempotency-Key.
	Replayed bool
}

// Server is a Xero test server. Its exported fields are set by New.
type Server struct {
	// URL is the Accounting API's base (like https://api.xero.com/api.xro/2.0).
	URL string
	// TokenURL is the OAuth 2.0 token endpoint.
	TokenURL string
	// AuthURL is the authorisation endpoint (a consenting user: it
	// redirects to redirect_uri with a code); ConnectionsURL lists the
	// organisations an access token may use.
	AuthURL, ConnectionsURL string
	// TenantID, ClientID and ClientSecret are what the server accepts.
	TenantID, ClientID, ClientSecret string

	tb     testing.TB
	srv    *httptest.Server
	doc    *openapi3.T
	router routers.Router

	mu               sync.Mutex
	accounts         []obj
	taxRates         map[string]decimal.Decimal // TaxType → percent
	contacts         []obj
	invoices         []obj
	payments         []obj
	creditNotes      []obj
	bankTransfers    []obj
	bankTransactions []obj
	access           map[string]bool
	refresh          map[string]bool
	idem             map[string]answer
	faults           []Fault
	requests         []Request
	tokenRequests    int
	violations       []string
	expectViolated   bool
	codes            map[string]authCode
	tenants          []Tenant
	deny             bool
	issued           []string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// New starts a server for the test, closed at its end. When the spec is
// absent it skips the test, or fails it where REMIT_REQUIRE_PEERS=1 (see
// package peers). At the end of the test it fails the test if any
// request broke the spec, unless ExpectSpecViolations was called.
func New(tb testing.TB) *Server {
	tb.Helper()
	doc, router, err := Spec()
	switch {
	case errors.Is(err, peers.ErrMissing):
		peers.Missing(tb, "the Xero test server validates against Xero's published spec, which is not here: %v", err)
	case err != nil:
		tb.Fatal(err)
	}
	s := &Server{
		TenantID:     uuid.NewString(),
		ClientID:     "remit-test-client",
		ClientSecret: "remit-test-secret",
		tb:           tb,
		doc:          doc,
		router:       router,
		taxRates:     map[string]decimal.Decimal{},
		access:       map[string]bool{},
		refresh:      map[string]bool{},
		idem:         map[string]answer{},
		codes:        map[string]authCode{},
	}
	if err := s.seed(); err != nil {
		tb.Fatal(err)
	}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL + apiPrefix
	s.TokenURL = s.srv.URL + "/connect/token"
	s.AuthURL = s.srv.URL + authorizePath
	s.ConnectionsURL = s.srv.URL + connectionsPath
	tb.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.expectViolated {
			for _, v := range s.violations {
				tb.Errorf("a request broke Xero's OpenAPI spec: %s", v)
			}
		}
	})
	return s
}

// seed loads the organisation from the spec's examples.
func (s *Server) seed() error {
	for _, src := range []struct {
		path, key string
		into      *[]obj
	}{
		{"/Accounts", "Accounts", &s.accounts},
		{"/Contacts", "Contacts", &s.contacts},
	} {
		ex, err := example(s.doc, src.path, http.MethodGet)
		if err != nil {
			return err
		}
		list, err := listOf(ex, src.key)
		if err != nil {
			return err
		}
		*src.into = list
	}
	ex, err := example(s.doc, "/TaxRates", http.MethodGet)
	if err != nil {
		return err
	}
	rates, err := listOf(ex, "TaxRates")
	if err != nil {
		return err
	}
	for _, r := range rates {
		t, _ := r["TaxType"].(string)
		rate, err := decimal.NewFromString(str(r["EffectiveRate"]))
		if t == "" || err != nil {
			continue
		}
		s.taxRates[t] = rate
	}
	return nil
}

// listOf copies ex[key] (a YAML-decoded example) into JSON documents.
func listOf(ex any, key string) ([]obj, error) {
	b, err := json.Marshal(ex)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("xerotest: example %s: %w", key, err)
	}
	var list []obj
	dec := json.NewDecoder(bytes.NewReader(m[key]))
	dec.UseNumber()
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("xerotest: example %s: %w", key, err)
	}
	return list, nil
}

// RefreshToken issues a refresh token, as Xero does at the end of the
// authorisation: the connection's starting point.
func (s *Server) RefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := "rt-" + uuid.NewString()
	s.refresh[t] = true
	return t
}

// ValidRefreshToken reports whether t would be accepted now (Xero rotates
// them: a used one is not).
func (s *Server) ValidRefreshToken(t string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[t]
}

// ExpireAccessTokens makes every access token issued so far answer 401.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
}

// TokenRequests counts calls to the token endpoint.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Fail queues a fault: the next request it matches gets it (once).
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ExpectSpecViolations stops the end-of-test check: the test sends bad
// requests on purpose.
func (s *Server) ExpectSpecViolations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expectViolated = true
}

// SpecViolations lists the requests (and answers) the spec refused.
func (s *Server) SpecViolations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// Requests lists the API requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count counts answered requests with this method and path.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// Contacts, Invoices, Payments and CreditNotes return copies of the
// organisation's documents.
func (s *Server) Contacts() []obj    { return s.copyOf(&s.contacts) }
func (s *Server) Invoices() []obj    { return s.copyOf(&s.invoices) }
func (s *Server) Payments() []obj    { return s.copyOf(&s.payments) }
func (s *Server) CreditNotes() []obj { return s.copyOf(&s.creditNotes) }

// Invoice returns the invoice with this id, or nil.
func (s *Server) Invoice(id string) obj {
	for _, in := range s.Invoices() {
		if in["InvoiceID"] == id {
			return in
		}
	}
	return nil
}

func (s *Server) copyOf(list *[]obj) []obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(*list)
	var out []obj
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

// ServeHTTP answers the token endpoint and the Accounting API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/connect/token":
		s.serveToken(w, r, body)
		return
	case authorizePath:
		s.serveAuthorize(w, r)
		return
	case connectionsPath:
		s.serveConnections(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, apiPrefix+"/") {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := Request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, apiPrefix), Query: r.URL.Query(), IdempotencyKey: r.Header.Get("Idempotency-Key")}
	a, replayed := s.api(r, rec.Path, body)
	rec.Status, rec.Replayed = a.status, replayed
	s.requests = append(s.requests, rec)
	for k, v := range a.header {
		w.Header()[k] = v
	}
	if len(a.body) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return answer{status: status, body: b}
}

// api runs the checks Xero makes, in its order, then the handler.
func (s *Server) api(r *http.Request, path string, body []byte) (answer, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.access[tok] {
		a := jsonAnswer(http.StatusUnauthorized, obj{"Type": nil, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: token expired or not known"})
		a.header = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return a, false
	}
	if err := s.validateRequest(r, body); err != nil {
		s.violations = append(s.violations, fmt.Sprintf("%s %s: %v", r.Method, path, err))
		return validationError(fmt.Sprintf("The request does not match the Xero Accounting API spec: %v", firstLine(err))), false
	}
	if t := r.Header.Get("xero-tenant-id"); t != s.TenantID {
		return jsonAnswer(http.StatusForbidden, obj{"Type": nil, "Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"}), false
	}
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.HasSuffix(path, f.Path) {
			s.faults = slices.Delete(s.faults, i, i+1)
			return answer{status: f.Status, header: f.Header, body: []byte(f.Body)}, false
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if a, ok := s.idem[r.Method+" "+path+" "+key]; ok {
			return a, true
		}
	}
	a := s.handle(r.Method, path, r.URL.Query(), body)
	if a.status/100 == 2 {
		if err := s.validateResponse(r, body, a); err != nil {
			s.violations = append(s.violations, fmt.Sprintf("answer to %s %s: %v", r.Method, path, err))
		}
	}
	// Xero keeps the answer of a keyed request, except a server fault.
	if key != "" && a.status < 500 {
		s.idem[r.Method+" "+path+" "+key] = a
	}
	return a, false
}

func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// specRequest is r as addressed to api.xero.com, which is the server the
// spec names and its router matches.
func specRequest(r *http.Request, body []byte) (*http.Request, error) {
	u := specServer + r.URL.RequestURI()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	return req, nil
}

func (s *Server) validationInput(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	req, err := specRequest(r, body)
	if err != nil {
		return nil, err
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("no operation in the spec: %w", err)
	}
	return &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			// The spec's defaults are not all of their schema's type
			// (HasAttachments: "false"); Xero does not rewrite bodies.
			SkipSettingDefaults:     true,
			SchemaValidationOptions: s.doc.GetSchemaValidationOptions(),
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if in.SecurityScheme == nil || in.SecurityScheme.Type != "oauth2" {
					return fmt.Errorf("unexpected security scheme")
				}
				if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
					return fmt.Errorf("no bearer token")
				}
				return nil
			},
		},
	}, nil
}

func (s *Server) validateRequest(r *http.Request, body []byte) error {
	in, err := s.validationInput(r, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(r.Context(), in)
}

func (s *Server) validateResponse(r *http.Request, body []byte, a answer) error {
	in, err := s.validationInput(r, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 a.status,
		Header:                 http.Header{"Content-Type": {"application/json"}},
		Body:                   io.NopCloser(bytes.NewReader(a.body)),
		Options:                &openapi3filter.Options{SkipSettingDefaults: true, SchemaValidationOptions: s.doc.GetSchemaValidationOptions()},
	})
}

// validationError is Xero's answer to a refused document.
func validationError(msgs ...string) answer {
	var ves []obj
	for _, m := range msgs {
		ves = append(ves, obj{"Message": m})
	}
	return jsonAnswer(http.StatusBadRequest, obj{
		"ErrorNumber": 10,
		"Type":        "ValidationException",
		"Message":     "A validation exception occurred",
		"Elements":    []obj{{"ValidationErrors": ves}},
	})
}

// serveToken is the identity server's token endpoint: the refresh_token
// grant, with rotation, and the authorization_code grant (exchangeCode).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenRequests++
	form, _ := url.ParseQuery(string(body))
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	if id != s.ClientID || secret != s.ClientSecret {
		reply(http.StatusBadRequest, obj{"error": "invalid_client"})
		return
	}
	if form.Get("grant_type") == "authorization_code" {
		reply(s.exchangeCode(form))
		return
	}
	if form.Get("grant_type") != "refresh_token" {
		reply(http.StatusBadRequest, obj{"error": "unsupported_grant_type"})
		return
	}
	rt := form.Get("refresh_token")
	if !s.refresh[rt] {
		reply(http.StatusBadRequest, obj{"error": "invalid_grant"})
		return
	}
	delete(s.refresh, rt)
	reply(http.StatusOK, s.issueTokens())
}

func msDate(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return fmt.Sprintf("/Date(%d+0000)/", t.UnixMilli())
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}
