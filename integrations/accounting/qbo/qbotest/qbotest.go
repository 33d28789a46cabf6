// Package qbotest is an in-memory QuickBooks Online Accounting API v3 server
// for tests, with Intuit's OAuth 2.0 token endpoint beside it.
//
// No official machine-readable specification of the QBO API can be had here
// (Intuit publishes reference pages, not an OpenAPI document), so this server
// checks every request against the fields and types Intuit's reference pages
// DOCUMENT as required, and no more:
//
//   - every request: Authorization "Bearer <the current access token>" (else
//     401), a numeric minorversion query parameter, Accept application/json,
//     the server's realm id in the path; POSTs with Content-Type
//     application/json;
//   - bodies decode into the documented entity shapes with unknown fields
//     refused (QBO's "Request has invalid or unsupported property", 2010) and
//     wrong JSON types refused;
//   - Customer: DisplayName required and unique (6240 Duplicate Name Exists);
//   - Invoice and CreditMemo: CustomerRef.value naming a customer, at least
//     one Line, each with Amount and DetailType, a SalesItemLineDetail with
//     an ItemRef naming an item, Amount = Qty × UnitPrice when both are given,
//     a known TaxCodeRef, TaxInclusiveAmt on taxed lines of a TaxInclusive
//     document, DocNumber at most 21 characters, dates as YYYY-MM-DD;
//   - Payment: CustomerRef and TotalAmt required, linked invoices, credit
//     memos and checks (TxnType Check or Expense: a Purchase to the
//     customer's Accounts Receivable, a refund) must exist and belong to the
//     customer, DepositToAccountRef must name an account;
//   - Purchase: a line to Accounts Receivable (Options.ReceivableAccount)
//     needs the purchase's EntityRef to be a Customer;
//   - void (POST /invoice?operation=void): Id and SyncToken required, the
//     SyncToken must be the invoice's current one (5010 Stale Object Error);
//   - requestid: a POST repeating a requestid gets the first response again
//     and changes nothing, as QBO documents.
//
// Anything else is answered 400 with QBO's Fault JSON
// ({"Fault":{"Error":[{"Message","Detail","code"}],"type"},"time"}). State
// (customers, invoices, payments, credit memos, balances) is kept in memory,
// so queries, reads and idempotency behave as they would against a company.
// QBO computes tax from its tax codes; this server does too, rounding per
// tax code like QBO, from the rates given in Options.TaxCodes.
package qbotest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// Options configure a Server. Zero values take the defaults shown.
type Options struct {
	RealmID                string // "9341452138532910"
	ClientID, ClientSecret string // "qbo-client", "qbo-secret"
	RefreshToken           string // the valid refresh token at start: "rt-0"
	// Items are the ids of the company's Items (default "1", "2").
	Items []string
	// TaxCodes are the company's tax codes and their rates (default
	// "TAX" 0.10, "NON" 0).
	TaxCodes map[string]decimal.Decimal
	// Accounts are the ids of the company's accounts a payment may be
	// deposited to (default "4" Undeposited Funds, "35" clearing).
	Accounts []string
	// ExpenseAccounts are the ids of the company's expense accounts a
	// Purchase line may spend to (default "8" Bank Charges).
	ExpenseAccounts []string
	// ReceivableAccount is the id of the company's Accounts Receivable
	// account (default "84"): a check to a customer (a refund) may spend to
	// it.
	ReceivableAccount string
}

// Ref is a QBO reference to another entity.
type Ref struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
	// Type is the kind of entity an EntityRef names ("Customer", "Vendor").
	Type string `json:"type,omitempty"`
}

// EmailAddress is QBO's e-mail address type.
type EmailAddress struct {
	Address string `json:"Address,omitempty"`
}

// MemoRef is a message to the customer.
type MemoRef struct {
	Value string `json:"value"`
}

// MetaData is QBO's creation and update times.
type MetaData struct {
	CreateTime      string `json:"CreateTime,omitempty"`
	LastUpdatedTime string `json:"LastUpdatedTime,omitempty"`
}

// Customer is QBO's Customer (the documented fields used by integrations).
type Customer struct {
	ID                      string        `json:"Id,omitempty"`
	SyncToken               string        `json:"SyncToken,omitempty"`
	DisplayName             string        `json:"DisplayName,omitempty"`
	Title                   string        `json:"Title,omitempty"`
	GivenName               string        `json:"GivenName,omitempty"`
	MiddleName              string        `json:"MiddleName,omitempty"`
	FamilyName              string        `json:"FamilyName,omitempty"`
	Suffix                  string        `json:"Suffix,omitempty"`
	CompanyName             string        `json:"CompanyName,omitempty"`
	PrimaryEmailAddr        *EmailAddress `json:"PrimaryEmailAddr,omitempty"`
	CurrencyRef             *Ref          `json:"CurrencyRef,omitempty"`
	Notes                   string        `json:"Notes,omitempty"`
	Active                  *bool         `json:"Active,omitempty"`
	PrimaryTaxIdentifier    string        `json:"PrimaryTaxIdentifier,omitempty"`
	ResaleNum               string        `json:"ResaleNum,omitempty"`
	Balance                 *json.Number  `json:"Balance,omitempty"`
	MetaData                *MetaData     `json:"MetaData,omitempty"`
	FullyQualifiedName      string        `json:"FullyQualifiedName,omitempty"`
	PreferredDeliveryMethod string        `json:"PreferredDeliveryMethod,omitempty"`
}

// LinkedTxn links a transaction to another.
type LinkedTxn struct {
	TxnID     string `json:"TxnId"`
	TxnType   string `json:"TxnType"`
	TxnLineID string `json:"TxnLineId,omitempty"`
}

// SalesItemLineDetail is the detail of an item line.
type SalesItemLineDetail struct {
	ItemRef         *Ref         `json:"ItemRef,omitempty"`
	ClassRef        *Ref         `json:"ClassRef,omitempty"`
	Qty             *json.Number `json:"Qty,omitempty"`
	UnitPrice       *json.Number `json:"UnitPrice,omitempty"`
	TaxCodeRef      *Ref         `json:"TaxCodeRef,omitempty"`
	TaxInclusiveAmt *json.Number `json:"TaxInclusiveAmt,omitempty"`
	ServiceDate     string       `json:"ServiceDate,omitempty"`
	DiscountRate    *json.Number `json:"DiscountRate,omitempty"`
	DiscountAmt     *json.Number `json:"DiscountAmt,omitempty"`
}

// Line is a transaction line (invoice, credit memo, payment).
type Line struct {
	ID                  string               `json:"Id,omitempty"`
	LineNum             int                  `json:"LineNum,omitempty"`
	Description         string               `json:"Description,omitempty"`
	Amount              *json.Number         `json:"Amount,omitempty"`
	DetailType          string               `json:"DetailType,omitempty"`
	SalesItemLineDetail *SalesItemLineDetail `json:"SalesItemLineDetail,omitempty"`
	LinkedTxn           []LinkedTxn          `json:"LinkedTxn,omitempty"`
}

// TxnTaxDetail is a transaction's tax summary.
type TxnTaxDetail struct {
	TotalTax json.Number `json:"TotalTax"`
}

// Txn is an Invoice or a CreditMemo (they share the fields used here).
type Txn struct {
	ID                    string        `json:"Id,omitempty"`
	SyncToken             string        `json:"SyncToken,omitempty"`
	DocNumber             string        `json:"DocNumber,omitempty"`
	TxnDate               string        `json:"TxnDate,omitempty"`
	DueDate               string        `json:"DueDate,omitempty"`
	CustomerRef           *Ref          `json:"CustomerRef,omitempty"`
	CurrencyRef           *Ref          `json:"CurrencyRef,omitempty"`
	SalesTermRef          *Ref          `json:"SalesTermRef,omitempty"`
	DepartmentRef         *Ref          `json:"DepartmentRef,omitempty"`
	GlobalTaxCalculation  string        `json:"GlobalTaxCalculation,omitempty"`
	ApplyTaxAfterDiscount *bool         `json:"ApplyTaxAfterDiscount,omitempty"`
	PrivateNote           string        `json:"PrivateNote,omitempty"`
	CustomerMemo          *MemoRef      `json:"CustomerMemo,omitempty"`
	BillEmail             *EmailAddress `json:"BillEmail,omitempty"`
	EmailStatus           string        `json:"EmailStatus,omitempty"`
	Line                  []Line        `json:"Line,omitempty"`
	TxnTaxDetail          *TxnTaxDetail `json:"TxnTaxDetail,omitempty"`
	TotalAmt              *json.Number  `json:"TotalAmt,omitempty"`
	Balance               *json.Number  `json:"Balance,omitempty"`
	RemainingCredit       *json.Number  `json:"RemainingCredit,omitempty"`
	LinkedTxn             []LinkedTxn   `json:"LinkedTxn,omitempty"`
	Sparse                *bool         `json:"sparse,omitempty"`
	MetaData              *MetaData     `json:"MetaData,omitempty"`
}

// Payment is QBO's Payment (a receipt against invoices, or an application of
// credit memos to invoices).
type Payment struct {
	ID                  string       `json:"Id,omitempty"`
	SyncToken           string       `json:"SyncToken,omitempty"`
	CustomerRef         *Ref         `json:"CustomerRef,omitempty"`
	CurrencyRef         *Ref         `json:"CurrencyRef,omitempty"`
	TotalAmt            *json.Number `json:"TotalAmt,omitempty"`
	UnappliedAmt        *json.Number `json:"UnappliedAmt,omitempty"`
	TxnDate             string       `json:"TxnDate,omitempty"`
	DepositToAccountRef *Ref         `json:"DepositToAccountRef,omitempty"`
	PaymentMethodRef    *Ref         `json:"PaymentMethodRef,omitempty"`
	PaymentRefNum       string       `json:"PaymentRefNum,omitempty"`
	PrivateNote         string       `json:"PrivateNote,omitempty"`
	Line                []Line       `json:"Line,omitempty"`
	MetaData            *MetaData    `json:"MetaData,omitempty"`
}

// Fault is an answer the test wants instead of the next matching request's
// real one (a rate limit, an outage, a stale SyncToken).
type Fault struct {
	Status     int
	RetryAfter string // the Retry-After header, if any
	Code       string // QBO error code in the Fault body, if any
	Message    string
	// AfterCommit processes the request first (it takes effect, and its
	// requestid is remembered) and only then answers the fault: a response
	// lost on its way back.
	AfterCommit bool
}

// Request is one request the server received.
type Request struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Body         []byte
	Status       int
}

type stored struct {
	status int
	body   []byte
}

type injected struct {
	method, path string
	f            Fault
}

// Server is the fake QBO company. Its methods are safe for concurrent use.
type Server struct {
	URL      string // the API origin: pass as qbo.Config.BaseURL
	TokenURL string // the OAuth 2.0 token endpoint
	AuthURL  string // the authorisation endpoint (a consenting user)
	RealmID  string
	opts     Options
	srv      *httptest.Server

	// postMu makes a POST with a requestid atomic (look up, process,
	// remember), so concurrent twins get one answer as from QBO.
	postMu      sync.Mutex
	mu          sync.Mutex
	access      string
	refresh     string
	grants      int
	nextID      int
	customers   []*Customer
	invoices    []*Txn
	creditMemos []*Txn
	payments    []*Payment
	transfers   []*Transfer
	purchases   []*Purchase
	// checkApplied is how much of each check to a customer payments have
	// applied (against credit memos).
	checkApplied map[string]decimal.Decimal
	byRequestID  map[string]stored
	faults       []injected
	log          []Request
	codes        map[string]authCode
	nextCode     int
	deny         bool
}

// New starts a Server, stopped when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.RealmID == "" {
		opts.RealmID = "9341452138532910"
	}
	if opts.ClientID == "" {
		opts.ClientID = "qbo-client"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "qbo-secret"
	}
	if opts.RefreshToken == "" {
		opts.RefreshToken = "rt-0"
	}
	if opts.Items == nil {
		opts.Items = []string{"1", "2"}
	}
	if opts.TaxCodes == nil {
		opts.TaxCodes = map[string]decimal.Decimal{"TAX": decimal.RequireFromString("0.10"), "NON": decimal.Zero}
	}
	if opts.Accounts == nil {
		opts.Accounts = []string{"4", "35"}
	}
	if opts.ExpenseAccounts == nil {
		opts.ExpenseAccounts = []string{"8"}
	}
	if opts.ReceivableAccount == "" {
		opts.ReceivableAccount = "84"
	}
	s := &Server{RealmID: opts.RealmID, opts: opts, refresh: opts.RefreshToken, nextID: 100, byRequestID: map[string]stored{}, codes: map[string]authCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/v1/tokens/bearer", s.handleToken)
	mux.HandleFunc("GET "+AuthPath, s.serveAuthorize)
	mux.HandleFunc("GET /v3/company/{realm}/query", s.api(s.handleQuery))
	mux.HandleFunc("GET /v3/company/{realm}/{entity}/{id}", s.api(s.handleRead))
	mux.HandleFunc("POST /v3/company/{realm}/{entity}", s.api(s.handleCreate))
	s.srv = httptest.NewServer(mux)
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.TokenURL = s.srv.URL + "/oauth2/v1/tokens/bearer"
	s.AuthURL = s.srv.URL + AuthPath
	return s
}

// ClientID and ClientSecret are the credentials the token endpoint accepts.
func (s *Server) ClientID() string     { return s.opts.ClientID }
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// RefreshToken is the refresh token currently valid (each refresh rotates it).
func (s *Server) RefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh
}

// Grants counts the successful refreshes.
func (s *Server) Grants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

// ExpireAccessToken makes the current access token invalid: the next API call
// gets 401 until the client refreshes.
func (s *Server) ExpireAccessToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = ""
}

// FailNext makes the next request with this method and path (below the
// realm, e.g. "/invoice"; "" matches any) answer f instead.
func (s *Server) FailNext(method, path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, injected{method, path, f})
}

// AddCustomer creates a customer directly (as the firm would in QBO) and
// returns its id.
func (s *Server) AddCustomer(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Customer{ID: s.newID(), SyncToken: "0", DisplayName: name}
	s.customers = append(s.customers, c)
	return c.ID
}

// Customers, Invoices, CreditMemos and Payments return copies of the state.
func (s *Server) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAll(s.customers)
}

// Invoices returns the invoices.
func (s *Server) Invoices() []Txn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAll(s.invoices)
}

// CreditMemos returns the credit memos.
func (s *Server) CreditMemos() []Txn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAll(s.creditMemos)
}

// Payments returns the payments.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAll(s.payments)
}

// Invoice returns one invoice by id.
func (s *Server) Invoice(id string) (Txn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.invoices {
		if t.ID == id {
			return deepCopy(*t), true
		}
	}
	return Txn{}, false
}

// TouchInvoice stands for someone editing the invoice in QBO: its SyncToken
// moves on.
func (s *Server) TouchInvoice(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.invoices {
		if t.ID == id {
			t.SyncToken = bump(t.SyncToken)
		}
	}
}

// Requests returns the API requests received so far (not the token endpoint's).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

func copyAll[T any](xs []*T) []T {
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		out = append(out, deepCopy(*x))
	}
	return out
}

func deepCopy[T any](v T) T {
	b, _ := json.Marshal(v)
	var out T
	_ = json.Unmarshal(b, &out)
	return out
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}

func bump(tok string) string {
	n, _ := strconv.Atoi(tok)
	return strconv.Itoa(n + 1)
}

// ---- OAuth 2.0 token endpoint ----

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	tokenErr := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q}`, code)
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != s.opts.ClientID || secret != s.opts.ClientSecret {
		tokenErr(http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") == "authorization_code" {
		s.exchangeCode(w, r.PostForm)
		return
	}
	if r.PostForm.Get("grant_type") != "refresh_token" {
		tokenErr(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	s.mu.Lock()
	if r.PostForm.Get("refresh_token") != s.refresh {
		s.mu.Unlock()
		tokenErr(http.StatusBadRequest, "invalid_grant")
		return
	}
	s.grants++
	s.access = fmt.Sprintf("at-%d", s.grants)
	s.refresh = fmt.Sprintf("rt-%d", s.grants)
	body := map[string]any{"token_type": "bearer", "access_token": s.access, "refresh_token": s.refresh,
		"expires_in": 3600, "x_refresh_token_expires_in": 8726400}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// ---- the API ----

type apiFault struct {
	status int
	typ    string
	errs   []faultError
}

type faultError struct {
	Message string `json:"Message"`
	Detail  string `json:"Detail,omitempty"`
	Code    string `json:"code"`
	Element string `json:"element,omitempty"`
}

func validation(code, message, detail string) *apiFault {
	return &apiFault{status: http.StatusBadRequest, typ: "ValidationFault", errs: []faultError{{Message: message, Detail: detail, Code: code}}}
}

func required(field string) *apiFault {
	return validation("2020", "Required param missing, need to supply the required value for the API",
		"Required parameter "+field+" is missing in the request")
}

func invalidRef(what, id string) *apiFault {
	return validation("2500", "Invalid Reference Id", "Invalid Reference Id : "+what+" assigned is not found: "+id)
}

func (f *apiFault) body() []byte {
	b, _ := json.Marshal(map[string]any{
		"Fault": map[string]any{"Error": f.errs, "type": f.typ},
		"time":  time.Now().UTC().Format("2006-01-02T15:04:05.000-07:00"),
	})
	return b
}

// handler answers one API request; it runs with s.mu held.
type handler func(r *http.Request, body []byte) (any, *apiFault)

// api wraps a handler with the checks every request gets, the requestid
// replay, fault injection and the request log.
func (s *Server) api(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status, resp, hdr := s.serve(r, body, h)
		s.mu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/v3/company/"+s.RealmID),
			Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, Status: status})
		s.mu.Unlock()
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(resp)
	}
}

func (s *Server) serve(r *http.Request, body []byte, h handler) (int, []byte, map[string]string) {
	sub := strings.TrimPrefix(r.URL.Path, "/v3/company/"+r.PathValue("realm"))
	s.mu.Lock()
	for i, in := range s.faults {
		if in.method == r.Method && (in.path == "" || in.path == sub) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			s.mu.Unlock()
			f := in.f
			if f.AfterCommit {
				s.serveChecked(r, body, h)
			}
			hdr := map[string]string{}
			if f.RetryAfter != "" {
				hdr["Retry-After"] = f.RetryAfter
			}
			af := &apiFault{status: f.Status, typ: "SystemFault", errs: []faultError{{Message: f.Message, Code: f.Code}}}
			if f.Status == http.StatusBadRequest {
				af.typ = "ValidationFault"
			}
			return f.Status, af.body(), hdr
		}
	}
	s.mu.Unlock()
	return s.serveChecked(r, body, h)
}

func (s *Server) serveChecked(r *http.Request, body []byte, h handler) (int, []byte, map[string]string) {
	s.mu.Lock()
	access := s.access
	s.mu.Unlock()

	if auth := r.Header.Get("Authorization"); access == "" || auth != "Bearer "+access {
		f := &apiFault{status: http.StatusUnauthorized, typ: "AUTHENTICATION", errs: []faultError{{
			Message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", Code: "3200",
			Detail: "Token expired or invalid: send Authorization: Bearer <access token>"}}}
		return f.status, f.body(), nil
	}
	if r.PathValue("realm") != s.RealmID {
		f := &apiFault{status: http.StatusForbidden, typ: "AuthorizationFault", errs: []faultError{{
			Message: "ApplicationAuthorizationFailed", Code: "003100", Detail: "realm " + r.PathValue("realm") + " is not the connected company"}}}
		return f.status, f.body(), nil
	}
	if mv := r.URL.Query().Get("minorversion"); mv == "" {
		return 400, validation("2020", "Required param missing", "the minorversion query parameter is required").body(), nil
	} else if _, err := strconv.Atoi(mv); err != nil {
		return 400, validation("2010", "Invalid minorversion", "minorversion "+mv+" is not a number").body(), nil
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		return 400, validation("2010", "Unsupported Accept header", "this server answers application/json only; send Accept: application/json").body(), nil
	}
	if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return 400, validation("2010", "Unsupported Content-Type", "send Content-Type: application/json").body(), nil
	}

	rid := r.URL.Query().Get("requestid")
	if r.Method == http.MethodPost && rid != "" {
		if len(rid) > 50 {
			return 400, validation("2050", "String length is either shorter or longer than supported by specification", "requestid is longer than 50 characters").body(), nil
		}
		s.postMu.Lock()
		defer s.postMu.Unlock()
		s.mu.Lock()
		st, ok := s.byRequestID[rid]
		s.mu.Unlock()
		if ok {
			return st.status, st.body, nil
		}
	}
	// Handlers run, and their answers are encoded, under the state lock.
	s.mu.Lock()
	out, f := h(r, body)
	var status int
	var resp []byte
	if f != nil {
		status, resp = f.status, f.body()
	} else {
		status = http.StatusOK
		resp, _ = json.Marshal(out)
	}
	s.mu.Unlock()
	if r.Method == http.MethodPost && rid != "" {
		s.mu.Lock()
		s.byRequestID[rid] = stored{status, resp}
		s.mu.Unlock()
	}
	return status, resp, nil
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05-07:00") }

// decode reads a body strictly: unknown properties and wrong types are QBO's
// 2010 "Request has invalid or unsupported property".
func decode(body []byte, v any) *apiFault {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return validation("2010", "Request has invalid or unsupported property", "Property Name:"+err.Error()+" specified is unsupported or invalid")
	}
	return nil
}

func (s *Server) handleCreate(r *http.Request, body []byte) (any, *apiFault) {
	switch r.PathValue("entity") {
	case "customer":
		var c Customer
		if f := decode(body, &c); f != nil {
			return nil, f
		}
		return s.createCustomer(c)
	case "invoice":
		var t Txn
		if f := decode(body, &t); f != nil {
			return nil, f
		}
		switch op := r.URL.Query().Get("operation"); op {
		case "":
			return s.createTxn(t, "Invoice")
		case "void":
			return s.voidInvoice(t)
		default:
			return nil, validation("2010", "Unsupported operation", "operation "+op+" is not supported on Invoice here")
		}
	case "creditmemo":
		var t Txn
		if f := decode(body, &t); f != nil {
			return nil, f
		}
		return s.createTxn(t, "CreditMemo")
	case "payment":
		var p Payment
		if f := decode(body, &p); f != nil {
			return nil, f
		}
		return s.createPayment(p)
	case "transfer":
		var t Transfer
		if f := decode(body, &t); f != nil {
			return nil, f
		}
		return s.createTransfer(t)
	case "purchase":
		var p Purchase
		if f := decode(body, &p); f != nil {
			return nil, f
		}
		return s.createPurchase(p)
	}
	return nil, validation("4001", "Unsupported entity", "POST /"+r.PathValue("entity")+" is not an entity this server knows")
}

func (s *Server) createCustomer(c Customer) (any, *apiFault) {
	if strings.TrimSpace(c.DisplayName) == "" {
		return nil, required("DisplayName")
	}
	if c.ID != "" {
		return nil, validation("2010", "Request has invalid or unsupported property", "Id is read-only on create")
	}
	for _, o := range s.customers {
		if strings.EqualFold(o.DisplayName, c.DisplayName) {
			return nil, validation("6240", "Duplicate Name Exists Error",
				"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.")
		}
	}
	if c.PrimaryEmailAddr != nil && !strings.Contains(c.PrimaryEmailAddr.Address, "@") {
		return nil, validation("2010", "Invalid email address", "PrimaryEmailAddr.Address is not an e-mail address")
	}
	c.ID, c.SyncToken = s.newID(), "0"
	c.FullyQualifiedName = c.DisplayName
	active := true
	c.Active = &active
	c.MetaData = &MetaData{CreateTime: now(), LastUpdatedTime: now()}
	s.customers = append(s.customers, &c)
	return map[string]any{"Customer": c, "time": now()}, nil
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func checkDate(field, v string) *apiFault {
	if v == "" {
		return nil
	}
	if !dateRE.MatchString(v) {
		return validation("2010", "Request has invalid or unsupported property", field+" "+v+" is not a date (YYYY-MM-DD)")
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return validation("2010", "Request has invalid or unsupported property", field+" "+v+" is not a date")
	}
	return nil
}

func number(field string, n *json.Number) (decimal.Decimal, *apiFault) {
	d, err := decimal.NewFromString(string(*n))
	if err != nil {
		return d, validation("2010", "Request has invalid or unsupported property", field+" is not a number")
	}
	return d, nil
}

func numOf(d decimal.Decimal) *json.Number {
	n := json.Number(d.StringFixed(2))
	return &n
}

func (s *Server) customer(r *Ref) (*Customer, *apiFault) {
	if r == nil || r.Value == "" {
		return nil, required("CustomerRef")
	}
	for _, c := range s.customers {
		if c.ID == r.Value {
			return c, nil
		}
	}
	return nil, invalidRef("Customer", r.Value)
}

func has(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// createTxn creates an Invoice or a CreditMemo, computing tax and totals as
// QBO does: tax per tax code on the sum of its lines' amounts.
func (s *Server) createTxn(t Txn, kind string) (any, *apiFault) {
	if f := s.checkTxnHeader(t); f != nil {
		return nil, f
	}
	sum := txnSum{taxable: map[string]decimal.Decimal{}}
	for i := range t.Line {
		if f := s.addTxnLine(&sum, t.GlobalTaxCalculation, i, &t.Line[i]); f != nil {
			return nil, f
		}
	}
	codes := make([]string, 0, len(sum.taxable))
	for c := range sum.taxable {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		tax := sum.taxable[c].Mul(s.opts.TaxCodes[c]).Round(2)
		sum.tax = sum.tax.Add(tax)
		sum.total = sum.total.Add(tax)
	}
	t.ID, t.SyncToken = s.newID(), "0"
	if t.CurrencyRef == nil {
		t.CurrencyRef = &Ref{Value: "USD"}
	}
	t.TxnTaxDetail = &TxnTaxDetail{TotalTax: json.Number(sum.tax.StringFixed(2))}
	t.TotalAmt = numOf(sum.total)
	t.MetaData = &MetaData{CreateTime: now(), LastUpdatedTime: now()}
	if kind == "Invoice" {
		t.Balance = numOf(sum.total)
		s.invoices = append(s.invoices, &t)
	} else {
		t.RemainingCredit = numOf(sum.total)
		s.creditMemos = append(s.creditMemos, &t)
	}
	return map[string]any{kind: t, "time": now()}, nil
}

// checkTxnHeader refuses a transaction whose fields other than its lines
// QBO would refuse.
func (s *Server) checkTxnHeader(t Txn) *apiFault {
	if t.ID != "" {
		return validation("2010", "Request has invalid or unsupported property", "Id is read-only on create")
	}
	cust, f := s.customer(t.CustomerRef)
	if f != nil {
		return f
	}
	if len(t.Line) == 0 {
		return required("Line")
	}
	if len([]rune(t.DocNumber)) > 21 {
		return validation("6000", "A business validation error has occurred while processing your request", "DocNumber is longer than 21 characters")
	}
	for field, v := range map[string]string{"TxnDate": t.TxnDate, "DueDate": t.DueDate} {
		if f := checkDate(field, v); f != nil {
			return f
		}
	}
	if len(t.PrivateNote) > 4000 {
		return validation("2050", "String length is either shorter or longer than supported by specification", "PrivateNote is longer than 4000 characters")
	}
	if t.CurrencyRef != nil && len(t.CurrencyRef.Value) != 3 {
		return validation("2500", "Invalid Reference Id", "CurrencyRef "+t.CurrencyRef.Value+" is not a currency code")
	}
	if t.CurrencyRef != nil && cust.CurrencyRef != nil && cust.CurrencyRef.Value != t.CurrencyRef.Value {
		return validation("6000", "A business validation error has occurred while processing your request",
			"the transaction's currency "+t.CurrencyRef.Value+" is not the customer's currency "+cust.CurrencyRef.Value)
	}
	switch calc := t.GlobalTaxCalculation; calc {
	case "", "TaxExcluded", "TaxInclusive", "NotApplicable":
	default:
		return validation("2010", "Request has invalid or unsupported property", "GlobalTaxCalculation "+calc+" is not TaxExcluded, TaxInclusive or NotApplicable")
	}
	return nil
}

// txnSum is a transaction's total and tax so far, and the net amounts
// taxed exclusively per tax code, whose tax is computed on their sum.
type txnSum struct {
	total, tax decimal.Decimal
	taxable    map[string]decimal.Decimal
}

// addTxnLine checks line i, numbers it and adds it to sum.
func (s *Server) addTxnLine(sum *txnSum, calc string, i int, l *Line) *apiFault {
	where := fmt.Sprintf("Line[%d].", i)
	amt, rate, f := s.checkTxnLine(where, l)
	if f != nil {
		return f
	}
	d := l.SalesItemLineDetail
	l.ID, l.LineNum = strconv.Itoa(i+1), i+1
	switch {
	case calc == "TaxInclusive" && d.TaxCodeRef != nil:
		if d.TaxInclusiveAmt == nil {
			return required(where + "SalesItemLineDetail.TaxInclusiveAmt")
		}
		gross, f := number(where+"TaxInclusiveAmt", d.TaxInclusiveAmt)
		if f != nil {
			return f
		}
		tax := gross.Mul(rate).Div(rate.Add(decimal.NewFromInt(1))).Round(2)
		if !gross.Sub(tax).Equal(amt) {
			return validation("6000", "A business validation error has occurred while processing your request",
				fmt.Sprintf("%sAmount %s is not TaxInclusiveAmt %s less its tax %s", where, amt, gross, tax))
		}
		sum.tax = sum.tax.Add(tax)
		sum.total = sum.total.Add(gross)
	case calc != "NotApplicable" && d.TaxCodeRef != nil:
		sum.taxable[d.TaxCodeRef.Value] = sum.taxable[d.TaxCodeRef.Value].Add(amt)
		sum.total = sum.total.Add(amt)
	default:
		sum.total = sum.total.Add(amt)
	}
	return nil
}

// checkTxnLine refuses a line QBO would refuse, and returns its amount and
// its tax code's rate (zero without one).
func (s *Server) checkTxnLine(where string, l *Line) (amt, rate decimal.Decimal, f *apiFault) {
	if l.DetailType == "" {
		return amt, rate, required(where + "DetailType")
	}
	if l.DetailType != "SalesItemLineDetail" {
		return amt, rate, validation("2010", "Request has invalid or unsupported property", where+"DetailType "+l.DetailType+" is not supported by this server (SalesItemLineDetail only)")
	}
	if l.Amount == nil {
		return amt, rate, required(where + "Amount")
	}
	if amt, f = number(where+"Amount", l.Amount); f != nil {
		return amt, rate, f
	}
	d := l.SalesItemLineDetail
	if d == nil {
		return amt, rate, required(where + "SalesItemLineDetail")
	}
	if d.ItemRef == nil || d.ItemRef.Value == "" {
		return amt, rate, required(where + "SalesItemLineDetail.ItemRef")
	}
	if !has(s.opts.Items, d.ItemRef.Value) {
		return amt, rate, invalidRef("Item", d.ItemRef.Value)
	}
	if d.Qty != nil && d.UnitPrice != nil {
		q, f := number(where+"Qty", d.Qty)
		if f != nil {
			return amt, rate, f
		}
		p, f := number(where+"UnitPrice", d.UnitPrice)
		if f != nil {
			return amt, rate, f
		}
		if !q.Mul(p).Round(2).Equal(amt.Round(2)) {
			return amt, rate, validation("6070", "Amount is not equal to UnitPrice * Qty",
				fmt.Sprintf("%sAmount %s is not UnitPrice %s × Qty %s", where, amt, p, q))
		}
	}
	if d.TaxCodeRef != nil {
		r, ok := s.opts.TaxCodes[d.TaxCodeRef.Value]
		if !ok {
			return amt, rate, invalidRef("TaxCode", d.TaxCodeRef.Value)
		}
		rate = r
	}
	return amt, rate, nil
}

func (s *Server) voidInvoice(t Txn) (any, *apiFault) {
	if t.ID == "" {
		return nil, required("Id")
	}
	if t.SyncToken == "" {
		return nil, required("SyncToken")
	}
	var inv *Txn
	for _, x := range s.invoices {
		if x.ID == t.ID {
			inv = x
		}
	}
	if inv == nil {
		return nil, validation("610", "Object Not Found", "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.")
	}
	if inv.SyncToken != t.SyncToken {
		return nil, validation("5010", "Stale Object Error",
			"Stale Object Error : You and "+"another user"+" were working on this at the same time. "+"another user"+" finished before you did, so your work was not saved.")
	}
	inv.SyncToken = bump(inv.SyncToken)
	inv.PrivateNote = "Voided"
	zero := decimal.Zero
	for i := range inv.Line {
		inv.Line[i].Amount = numOf(zero)
		if d := inv.Line[i].SalesItemLineDetail; d != nil {
			if d.Qty != nil {
				d.Qty = numOf(zero)
			}
			if d.TaxInclusiveAmt != nil {
				d.TaxInclusiveAmt = numOf(zero)
			}
		}
	}
	inv.TotalAmt, inv.Balance = numOf(zero), numOf(zero)
	inv.TxnTaxDetail = &TxnTaxDetail{TotalTax: "0.00"}
	inv.MetaData.LastUpdatedTime = now()
	return map[string]any{"Invoice": *inv, "time": now()}, nil
}

func (s *Server) createPayment(p Payment) (any, *apiFault) {
	if p.ID != "" {
		return nil, validation("2010", "Request has invalid or unsupported property", "Id is read-only on create")
	}
	cust, f := s.customer(p.CustomerRef)
	if f != nil {
		return nil, f
	}
	if p.TotalAmt == nil {
		return nil, required("TotalAmt")
	}
	total, f := number("TotalAmt", p.TotalAmt)
	if f != nil {
		return nil, f
	}
	if total.IsNegative() {
		return nil, validation("6000", "A business validation error has occurred while processing your request", "TotalAmt may not be negative")
	}
	if f := checkDate("TxnDate", p.TxnDate); f != nil {
		return nil, f
	}
	if p.DepositToAccountRef != nil && !has(s.opts.Accounts, p.DepositToAccountRef.Value) {
		return nil, invalidRef("Account", p.DepositToAccountRef.Value)
	}
	type apply struct {
		t   *Txn
		amt decimal.Decimal
	}
	var invs, credits []apply
	var checks []appliedCheck
	owed, credited := decimal.Zero, decimal.Zero
	for i, l := range p.Line {
		where := fmt.Sprintf("Line[%d].", i)
		if l.Amount == nil {
			return nil, required(where + "Amount")
		}
		amt, f := number(where+"Amount", l.Amount)
		if f != nil {
			return nil, f
		}
		if len(l.LinkedTxn) != 1 {
			return nil, required(where + "LinkedTxn")
		}
		lt := l.LinkedTxn[0]
		if lt.TxnType == "Check" || lt.TxnType == "Expense" {
			pu, f := s.refundCheck(where, lt, cust.ID, amt)
			if f != nil {
				return nil, f
			}
			checks = append(checks, appliedCheck{pu, amt})
			owed = owed.Add(amt)
			continue
		}
		var list []*Txn
		switch lt.TxnType {
		case "Invoice":
			list = s.invoices
		case "CreditMemo":
			list = s.creditMemos
		default:
			return nil, validation("2010", "Request has invalid or unsupported property", where+"LinkedTxn.TxnType "+lt.TxnType+" is not Invoice, CreditMemo, Check or Expense")
		}
		var t *Txn
		for _, x := range list {
			if x.ID == lt.TxnID {
				t = x
			}
		}
		if t == nil {
			return nil, invalidRef(lt.TxnType, lt.TxnID)
		}
		if t.CustomerRef.Value != cust.ID {
			return nil, validation("6000", "A business validation error has occurred while processing your request",
				where+lt.TxnType+" "+t.ID+" belongs to another customer")
		}
		if lt.TxnType == "Invoice" {
			bal, _ := number("Balance", t.Balance)
			if amt.GreaterThan(bal) {
				return nil, validation("6000", "A business validation error has occurred while processing your request",
					fmt.Sprintf("%sAmount %s is more than invoice %s's balance %s", where, amt, t.ID, bal))
			}
			invs = append(invs, apply{t, amt})
			owed = owed.Add(amt)
		} else {
			rem, _ := number("RemainingCredit", t.RemainingCredit)
			if amt.GreaterThan(rem) {
				return nil, validation("6000", "A business validation error has occurred while processing your request",
					fmt.Sprintf("%sAmount %s is more than credit memo %s's remaining credit %s", where, amt, t.ID, rem))
			}
			credits = append(credits, apply{t, amt})
			credited = credited.Add(amt)
		}
	}
	if owed.Sub(credited).GreaterThan(total) {
		return nil, validation("6000", "A business validation error has occurred while processing your request",
			fmt.Sprintf("the lines apply %s but TotalAmt is %s", owed.Sub(credited), total))
	}
	p.ID, p.SyncToken = s.newID(), "0"
	p.UnappliedAmt = numOf(total.Sub(owed.Sub(credited)))
	p.MetaData = &MetaData{CreateTime: now(), LastUpdatedTime: now()}
	if p.CurrencyRef == nil {
		p.CurrencyRef = &Ref{Value: "USD"}
	}
	for _, a := range invs {
		bal, _ := number("Balance", a.t.Balance)
		a.t.Balance = numOf(bal.Sub(a.amt))
		a.t.LinkedTxn = append(a.t.LinkedTxn, LinkedTxn{TxnID: p.ID, TxnType: "Payment"})
	}
	s.applyChecks(checks)
	for _, a := range credits {
		rem, _ := number("RemainingCredit", a.t.RemainingCredit)
		a.t.RemainingCredit = numOf(rem.Sub(a.amt))
	}
	s.payments = append(s.payments, &p)
	return map[string]any{"Payment": p, "time": now()}, nil
}

func (s *Server) handleRead(r *http.Request, _ []byte) (any, *apiFault) {
	id := r.PathValue("id")
	switch e := r.PathValue("entity"); e {
	case "customer":
		for _, c := range s.customers {
			if c.ID == id {
				return map[string]any{"Customer": c, "time": now()}, nil
			}
		}
	case "invoice", "creditmemo":
		list, kind := s.invoices, "Invoice"
		if e == "creditmemo" {
			list, kind = s.creditMemos, "CreditMemo"
		}
		for _, t := range list {
			if t.ID == id {
				return map[string]any{kind: t, "time": now()}, nil
			}
		}
	case "payment":
		for _, p := range s.payments {
			if p.ID == id {
				return map[string]any{"Payment": p, "time": now()}, nil
			}
		}
	default:
		return nil, validation("4001", "Unsupported entity", "GET /"+e+" is not an entity this server knows")
	}
	return nil, validation("610", "Object Not Found", "Object Not Found : "+r.PathValue("entity")+" "+id)
}

// The query language subset integrations use:
// select * from Entity [where Field = 'value' [and Field = 'value']…] [startposition N] [maxresults N]
var (
	queryRE = regexp.MustCompile(`(?is)^\s*select\s+\*\s+from\s+(\w+)(?:\s+where\s+(.*?))?((?:\s+(?:startposition|maxresults)\s+\d+)*)\s*$`)
	condRE  = regexp.MustCompile(`(?s)^\s*(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:(?i:and)\s+|$)`)
)

var queryable = map[string][]string{
	"Customer":   {"Id", "DisplayName"},
	"Invoice":    {"Id", "DocNumber", "TxnDate"},
	"CreditMemo": {"Id", "DocNumber", "TxnDate"},
	"Payment":    {"Id", "TxnDate"},
	"Transfer":   {"Id", "TxnDate"},
	"Purchase":   {"Id", "TxnDate"},
}

func (s *Server) handleQuery(r *http.Request, _ []byte) (any, *apiFault) {
	q := r.URL.Query().Get("query")
	parseErr := func(detail string) *apiFault {
		return validation("4000", "Error parsing query", "QueryParserError: "+detail)
	}
	m := queryRE.FindStringSubmatch(q)
	if m == nil {
		return nil, parseErr("cannot parse " + q)
	}
	entity := m[1]
	fields, ok := queryable[entity]
	if !ok {
		return nil, parseErr("entity " + entity + " is not queryable here")
	}
	conds := map[string]string{}
	for rest := m[2]; strings.TrimSpace(rest) != ""; {
		c := condRE.FindStringSubmatch(rest)
		if c == nil {
			return nil, parseErr("cannot parse condition " + rest)
		}
		if !has(fields, c[1]) {
			return nil, validation("4001", "Invalid query", "QueryValidationError: property '"+c[1]+"' is not queryable")
		}
		conds[c[1]] = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(c[2])
		rest = rest[len(c[0]):]
	}
	var found []any
	match := func(get func(string) string) bool {
		for f, v := range conds {
			if get(f) != v {
				return false
			}
		}
		return true
	}
	switch entity {
	case "Customer":
		for _, c := range s.customers {
			if match(func(f string) string {
				if f == "Id" {
					return c.ID
				}
				return c.DisplayName
			}) {
				found = append(found, c)
			}
		}
	case "Invoice", "CreditMemo":
		list := s.invoices
		if entity == "CreditMemo" {
			list = s.creditMemos
		}
		for _, t := range list {
			if match(func(f string) string {
				return map[string]string{"Id": t.ID, "DocNumber": t.DocNumber, "TxnDate": t.TxnDate}[f]
			}) {
				found = append(found, t)
			}
		}
	case "Payment":
		for _, p := range s.payments {
			if match(func(f string) string { return map[string]string{"Id": p.ID, "TxnDate": p.TxnDate}[f] }) {
				found = append(found, p)
			}
		}
	default:
		found = s.queryBanking(entity, match)
	}
	qr := map[string]any{}
	if len(found) > 0 {
		qr[entity] = found
		qr["startPosition"] = 1
		qr["maxResults"] = len(found)
	}
	return map[string]any{"QueryResponse": qr, "time": now()}, nil
}

// BasicAuth is the Authorization header value of the app's credentials, for
// tests that call the token endpoint themselves.
func (s *Server) BasicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(s.opts.ClientID+":"+s.opts.ClientSecret))
}
