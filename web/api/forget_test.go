package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	remitapp "remit/app"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/user"
	"remit/eventstore"
	"remit/eventstore/pii"
	"remit/eventstore/storeurl"
	"remit/projections/rmdb"
	"remit/web/auth"
)

// TestForgetReachesARunningServer erases a client through the API of the
// running program and checks that no read model — the client's summary,
// the invoices list, the activity — and no row of any read-model table
// (every generation, serving or not) holds their personal data any more,
// while amounts stay.
func TestForgetReachesARunningServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	a, err := remitapp.Open(ctx, remitapp.Config{DataDir: dir, Addr: "127.0.0.1:0", NoOutbox: true, NoBillingRun: true,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, u := range []auth.NewUser{
		{Email: "owner@firm.example", Name: "Olive Owner", Role: user.RoleOwner, Password: password},
		{Email: "staff@firm.example", Name: "Sam Staff", Role: user.RoleStaff, Password: password},
		{Email: "auditor@firm.example", Name: "Avery Auditor", Role: user.RoleAuditor, Password: password},
	} {
		if _, err := a.Auth.AddUser(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	meta := func(id string) billing.Meta { return billing.Meta{Actor: "test", CommandID: id} }
	must := func(r billing.Result, err error) billing.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	svc := a.Billing
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney"}, meta("firm")))
	personal := []string{"Quokka Bakery", "Zelda Quist", "zelda@quokka.example", "+61 400 123 987", "17 Wombat Lane", "Marsupial Flats", "51 999 888 777"}
	c := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Quokka Bakery", Kind: client.KindBusiness, TaxNumber: "51 999 888 777",
		Address:  domain.Address{Line1: "17 Wombat Lane", City: "Marsupial Flats", Country: "AU"},
		Contacts: []client.Contact{{Name: "Zelda Quist", Email: "zelda@quokka.example", Phone: "+61 400 123 987"}}}, meta("client"))).ID
	inv := must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10)}},
	}, meta("invoice")))
	if err := a.Runner.WaitFor(ctx, inv.Position); err != nil {
		t.Fatal(err)
	}

	s := &secured{tb: t, server: a.Web, hc: &http.Client{Timeout: 30 * time.Second},
		users: map[user.Role]string{user.RoleOwner: "owner@firm.example", user.RoleStaff: "staff@firm.example", user.RoleAuditor: "auditor@firm.example"}}
	owner := s.login(user.RoleOwner)
	reads := []string{"/api/clients/" + c.String(), "/api/invoices", "/api/clients/" + c.String() + "/activity", "/api/clients"}
	before := ""
	for _, path := range reads {
		r := s.send(owner, http.MethodGet, path, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		before += string(r.body)
	}
	for _, p := range personal {
		if !strings.Contains(before, p) {
			t.Fatalf("before the erasure the read models do not show %q: the test proves nothing", p)
		}
	}

	forget := "/api/clients/" + c.String() + "/forget"
	for _, role := range []user.Role{user.RoleStaff, user.RoleAuditor} {
		if r := s.send(s.login(role), http.MethodPost, forget, `{"confirm":"`+c.String()+`"}`); r.status != http.StatusForbidden {
			t.Errorf("forget as %s: %d, want 403", role, r.status)
		}
	}
	for _, body := range []string{`{}`, `{"confirm":"yes"}`, `{"confirm":"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}`} {
		if r := s.send(owner, http.MethodPost, forget, body); r.status != http.StatusUnprocessableEntity {
			t.Errorf("forget with %s: %d, want 422: %s", body, r.status, r.body)
		}
	}
	if key := mustKey(t, dir, c); key == nil {
		t.Fatal("a refused erasure destroyed the key")
	}
	r := s.send(owner, http.MethodPost, forget, `{"confirm":"`+c.String()+`"}`)
	if r.status != http.StatusOK {
		t.Fatalf("forget: %d %s", r.status, r.body)
	}

	after := string(r.body)
	for _, path := range reads {
		r := s.send(owner, http.MethodGet, path, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s after the erasure: %d %s", path, r.status, r.body)
		}
		after += string(r.body)
	}
	for _, p := range personal {
		if strings.Contains(after, p) {
			t.Errorf("after the erasure the API still shows %q", p)
		}
	}
	if !strings.Contains(after, "550.00") || !strings.Contains(after, pii.Erased) {
		t.Errorf("after the erasure the amounts or the erased marker are gone: %s", after)
	}
	var acts struct {
		Items []struct {
			Text string `json:"text"`
		} `json:"items"`
	}
	ar := s.send(owner, http.MethodGet, "/api/clients/"+c.String()+"/activity", "")
	if err := json.Unmarshal(ar.body, &acts); err != nil {
		t.Fatal(err)
	}
	ownerID := user.IDForEmail("owner@firm.example")
	want := "Client's personal data erased by user:" + ownerID.String()
	found := false
	for _, l := range acts.Items {
		found = found || l.Text == want
	}
	if !found {
		t.Errorf("the activity has no line %q: %s", want, ar.body)
	}

	// Every table of the read-model database, read row by row: a rebuild
	// that left an old generation behind would show here.
	rows := readModelRows(t, a.ReadModels)
	if len(rows) == 0 {
		t.Fatal("the read-model database has no rows")
	}
	for _, row := range rows {
		for _, p := range personal {
			if strings.Contains(row, p) {
				t.Errorf("a read-model row still holds %q: %.200s", p, row)
			}
		}
	}
	// The erasure is recorded once: a second one changes nothing.
	if r := s.send(owner, http.MethodPost, forget, `{"confirm":"`+c.String()+`"}`); r.status != http.StatusOK {
		t.Errorf("forgetting again: %d %s", r.status, r.body)
	}
}

// readModelRows returns every row of every table of the SQLite read-model
// database db, each as one line of text.
func readModelRows(tb testing.TB, db *rmdb.DB) []string {
	tb.Helper()
	ctx := context.Background()
	trows, err := db.Query(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for trows.Next() {
		var name string
		if err := trows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	trows.Close()
	var out []string
	for _, table := range tables {
		rows, err := db.Query(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			line := table + ":"
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				line += fmt.Sprintf(" %v", v)
			}
			out = append(out, line)
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// TestIdempotencyRecordsAreOutsideTheLog checks that the running program
// keeps its idempotency records beside the log, not in it (no "request-"
// stream, no personal data of an answer in the log), replays them within
// their TTL (24 hours), and past it treats a retry as a new request that
// still creates nothing twice, the expired record deleted.
func TestIdempotencyRecordsAreOutsideTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := &clock{t: time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)}
	a, err := remitapp.Open(ctx, remitapp.Config{DataDir: dir, Addr: "127.0.0.1:0", NoOutbox: true, NoBillingRun: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Auth.AddUser(ctx, auth.NewUser{Email: "owner@firm.example", Name: "Olive Owner", Role: user.RoleOwner, Password: password}, "test"); err != nil {
		t.Fatal(err)
	}
	s := &secured{tb: t, server: a.Web, hc: &http.Client{Timeout: 30 * time.Second}, users: map[user.Role]string{user.RoleOwner: "owner@firm.example"}}
	owner := s.login(user.RoleOwner)
	s.setUpFirm(owner)
	body := `{"name":"Quokka Bakery","kind":"business","contacts":[{"name":"Zelda Quist","email":"zelda@quokka.example"}]}`
	key := []string{"Idempotency-Key", "create-quokka"}
	first := s.send(owner, http.MethodPost, "/api/clients", body, key...)
	if first.status != http.StatusCreated {
		t.Fatalf("create: %d %s", first.status, first.body)
	}
	retry := s.send(owner, http.MethodPost, "/api/clients", body, key...)
	if retry.status != http.StatusCreated || retry.header.Get("Idempotent-Replayed") != "true" || string(retry.body) != string(first.body) {
		t.Fatalf("retry: %d %s (replayed %q)", retry.status, retry.body, retry.header.Get("Idempotent-Replayed"))
	}

	raw := storeurl.Unwrap(a.Store)
	recs, err := raw.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.HasPrefix(r.Stream, "request-") || r.Type == "APIRequestCompleted" {
			t.Errorf("an idempotency record in the log: %s %s", r.Stream, r.Type)
		}
		for _, p := range []string{"Quokka", "Zelda", "zelda@quokka.example"} {
			if strings.Contains(string(r.Data), p) {
				t.Errorf("%s@%d shows %q in clear: %s", r.Stream, r.Revision, p, r.Data)
			}
		}
	}

	// Past the TTL the record is gone: the retry runs again as a new
	// request, and the client is still created once.
	c.Add(24*time.Hour + time.Second)
	if n, err := a.Idempotency.Sweep(ctx); err != nil || n == 0 {
		t.Errorf("sweep past the TTL deleted %d records (%v), want the expired ones", n, err)
	}
	owner = s.login(user.RoleOwner)
	late := s.send(owner, http.MethodPost, "/api/clients", body, key...)
	if late.status != http.StatusCreated || late.header.Get("Idempotent-Replayed") == "true" {
		t.Fatalf("retry after the TTL: %d replayed=%q %s", late.status, late.header.Get("Idempotent-Replayed"), late.body)
	}
	list := s.send(owner, http.MethodGet, "/api/clients?search=quokka", "")
	if n := strings.Count(string(list.body), `"Quokka Bakery"`); n != 1 {
		t.Errorf("%d Quokka clients after a late retry, want 1: %s", n, list.body)
	}
	again := s.send(owner, http.MethodPost, "/api/clients", body, key...)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a retry of the new record is not replayed: %d %s", again.status, again.body)
	}
}

// TestUserManagement: owners invite users (a one-time set-password link),
// change roles and deactivate users, whose sessions and tokens stop at
// once; the last active owner can be neither demoted nor deactivated.
func TestUserManagement(t *testing.T) {
	s := newSecured(t)
	owner := s.login(user.RoleOwner)
	r := s.send(owner, http.MethodPost, "/api/users", `{"email":"New.Person@Firm.example","name":"New Person","role":"staff"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	var inv struct {
		User struct {
			ID     string `json:"id"`
			Email  string `json:"email"`
			Active bool   `json:"active"`
		} `json:"user"`
		Path string `json:"set_password_path"`
		URL  string `json:"set_password_url"`
	}
	if err := json.Unmarshal(r.body, &inv); err != nil {
		t.Fatal(err)
	}
	tok, ok := strings.CutPrefix(inv.Path, "/set-password/")
	if !ok || inv.User.Email != "new.person@firm.example" || !strings.HasSuffix(inv.URL, inv.Path) {
		t.Fatalf("invite answered %s", r.body)
	}
	if r := s.send(owner, http.MethodPost, "/api/users", `{"email":"new.person@firm.example","role":"staff"}`); r.status != http.StatusConflict {
		t.Errorf("inviting the same email again: %d, want 409", r.status)
	}
	if r := s.send(owner, http.MethodPost, "/api/users", `{"email":"x@firm.example","role":"boss"}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad role: %d, want 422", r.status)
	}
	// The invited user sets a password through the link (the UI page does
	// this), once.
	if _, err := s.authn.SetPasswordWithLink(context.Background(), tok, "short"); err == nil {
		t.Error("a short password was taken")
	}
	if _, err := s.authn.SetPasswordWithLink(context.Background(), tok, password); err != nil {
		t.Fatal(err)
	}
	if _, err := s.authn.SetPasswordWithLink(context.Background(), tok, password); err == nil {
		t.Error("a used link worked again")
	}
	s.users["newbie"] = "new.person@firm.example"
	newbie := s.login("newbie")
	if r := s.send(newbie, http.MethodGet, "/api/clients", ""); r.status != http.StatusOK {
		t.Fatalf("the invited user cannot read: %d", r.status)
	}
	if r := s.send(newbie, http.MethodGet, "/api/users", ""); r.status != http.StatusForbidden {
		t.Errorf("staff listing users: %d, want 403", r.status)
	}
	nt, err := s.authn.CreateToken(context.Background(), user.IDForEmail("new.person@firm.example"), "job", user.ScopeRead, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	newbieToken := creds{name: "newbie token", bearer: nt.Token}

	// Role changes apply at the next request.
	id := inv.User.ID
	if r := s.send(owner, http.MethodPost, "/api/users/"+id+"/role", `{"role":"auditor"}`); r.status != http.StatusOK || !strings.Contains(string(r.body), `"role":"auditor"`) {
		t.Fatalf("role change: %d %s", r.status, r.body)
	}
	if r := s.send(newbie, http.MethodPost, "/api/clients", `{"name":"X","kind":"business"}`); r.status != http.StatusForbidden {
		t.Errorf("a demoted user's session still writes: %d", r.status)
	}
	// Deactivation stops the session and the token at once.
	if r := s.send(owner, http.MethodPost, "/api/users/"+id+"/deactivate", `{"reason":"left the firm"}`); r.status != http.StatusOK || !strings.Contains(string(r.body), `"active":false`) {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	if r := s.send(newbie, http.MethodGet, "/api/clients", ""); r.status != http.StatusUnauthorized {
		t.Errorf("a deactivated user's session: %d, want 401", r.status)
	}
	if r := s.send(newbieToken, http.MethodGet, "/api/clients", ""); r.status != http.StatusUnauthorized {
		t.Errorf("a deactivated user's token: %d, want 401", r.status)
	}
	if r := s.send(creds{}, http.MethodPost, "/api/login", `{"email":"new.person@firm.example","password":"`+password+`"}`); r.status != http.StatusUnauthorized {
		t.Errorf("a deactivated user signs in: %d", r.status)
	}

	// The last active owner stays one.
	ownerID := user.IDForEmail(s.users[user.RoleOwner]).String()
	before := s.head()
	if r := s.send(owner, http.MethodPost, "/api/users/"+ownerID+"/role", `{"role":"staff"}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("demoting the last owner: %d, want 422: %s", r.status, r.body)
	}
	if r := s.send(owner, http.MethodPost, "/api/users/"+ownerID+"/deactivate", `{}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("deactivating the last owner: %d, want 422: %s", r.status, r.body)
	}
	if s.head() != before {
		t.Error("refused changes of the last owner appended")
	}
	// With a second owner, the first may step down.
	staffID := user.IDForEmail(s.users[user.RoleStaff]).String()
	if r := s.send(owner, http.MethodPost, "/api/users/"+staffID+"/role", `{"role":"owner"}`); r.status != http.StatusOK {
		t.Fatalf("promote: %d %s", r.status, r.body)
	}
	if r := s.send(owner, http.MethodPost, "/api/users/"+ownerID+"/role", `{"role":"staff"}`); r.status != http.StatusOK {
		t.Errorf("an owner steps down beside another: %d %s", r.status, r.body)
	}
	list := s.send(s.login(user.RoleStaff), http.MethodGet, "/api/users", "") // staff@ is an owner now
	if list.status != http.StatusOK || strings.Count(string(list.body), `"id"`) != 4 {
		t.Errorf("user list: %d %s", list.status, list.body)
	}
}

// TestRevokeClientLinksAPI: staff revoke a client's links; a link issued
// before is refused from then on, one issued after is not.
func TestRevokeClientLinksAPI(t *testing.T) {
	s := newSecured(t)
	owner := s.login(user.RoleOwner)
	s.setUpFirm(owner)
	staff := s.login(user.RoleStaff)
	r := s.send(staff, http.MethodPost, "/api/clients", `{"name":"Acme","kind":"business","contacts":[{"name":"Jo","email":"jo@acme.example"}]}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create client: %d %s", r.status, r.body)
	}
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatal(err)
	}
	id := c.ID
	signer, err := auth.NewLinkSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	old := signer.Sign(auth.Link{ClientID: mustUUID(t, id), Purpose: auth.PurposePaymentMethod, Expires: s.clock.Now().Add(time.Hour), Issued: s.clock.Now().Add(-time.Minute)})
	if r := s.send(s.login(user.RoleAuditor), http.MethodPost, "/api/clients/"+id+"/revoke-links", ""); r.status != http.StatusForbidden {
		t.Errorf("an auditor revokes links: %d, want 403", r.status)
	}
	if r := s.send(staff, http.MethodPost, "/api/clients/"+id+"/revoke-links", ""); r.status != http.StatusOK {
		t.Fatalf("revoke links: %d %s", r.status, r.body)
	}
	check := func(token string) error {
		l, err := signer.Verify(token, auth.PurposePaymentMethod, s.clock.Now())
		if err != nil {
			return err
		}
		return auth.CheckNotRevoked(context.Background(), s.store, l)
	}
	if err := check(old); err == nil {
		t.Error("a link issued before the revocation still works")
	}
	fresh := signer.Sign(auth.Link{ClientID: mustUUID(t, id), Purpose: auth.PurposePaymentMethod, Expires: s.clock.Now().Add(time.Hour), Issued: s.clock.Now().Add(time.Minute)})
	if err := check(fresh); err != nil {
		t.Errorf("a link issued after the revocation: %v", err)
	}
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// mustKey reads a client's key from the data folder dir's key store, as
// another process would (nil when there is none).
func mustKey(t *testing.T, dir string, id uuid.UUID) []byte {
	t.Helper()
	keys, err := pii.OpenKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	key, err := keys.Key(id, false)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
