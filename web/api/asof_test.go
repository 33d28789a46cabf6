package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// asOfFirm is a client with a monthly service whose second billing's
// quantity is edited from 1 to 3; it returns the client, the service, the
// item's key and the log position just before the edit.
func asOfFirm(t *testing.T, a *app) (clientID, serviceID, key string, before uint64) {
	t.Helper()
	a.mustSetUpFirm()
	clientID = a.mustCreateClient("Acme")
	svc := a.must(http.StatusCreated, "POST", "/api/clients/"+clientID+"/services", map[string]any{
		"name": "Payroll", "unit_price": "300", "quantity": "1", "tax_rate": "10", "automatic": true,
		"billing_rule": map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-04-01", "end": "never"},
	})
	serviceID = str(t, svc, "id")
	sched := items(t, a.must(http.StatusOK, "GET", "/api/services/"+serviceID+"/schedule?through=2025-06-30", nil))
	key = str(t, sched[1], "key")
	before = a.head()
	a.must(http.StatusOK, "PATCH", "/api/schedule-items/"+key, map[string]any{"quantity": "3"})
	return clientID, serviceID, key, before
}

// quantityOf finds the quantity of the item key in a schedule.
func quantityOf(t *testing.T, sched any, key string) string {
	t.Helper()
	for _, it := range items(t, sched) {
		if str(t, it, "key") == key {
			return str(t, it, "quantity")
		}
	}
	t.Fatalf("no item %s in %v", key, sched)
	return ""
}

// Read as of a moment before an edit, every read answers what it was then,
// with the moment in the headers and in a list's body; now answers the edit.
func TestAsOfReadsThePast(t *testing.T) {
	a := newApp(t)
	clientID, serviceID, key, before := asOfFirm(t, a)
	pos := "p:" + strconv.FormatUint(before, 10)

	if q := quantityOf(t, a.must(http.StatusOK, "GET", "/api/clients/"+clientID+"/schedule", nil), key); q != "3" {
		t.Fatalf("now the item's quantity is %s, want 3", q)
	}
	r := a.do("GET", "/api/clients/"+clientID+"/schedule?as_of="+pos, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("schedule as of %s: %d %s", pos, r.Status, r.Body)
	}
	if q := quantityOf(t, r.JSON(t), key); q != "1" {
		t.Errorf("as of before the edit the quantity is %s, want 1", q)
	}
	if got := r.Header.Get("Remit-As-Of-Position"); got != strconv.FormatUint(before, 10) {
		t.Errorf("Remit-As-Of-Position %q, want %d", got, before)
	}
	at := r.Header.Get("Remit-As-Of-Time")
	if at == "" {
		t.Fatal("no Remit-As-Of-Time")
	}
	// The same moment by its time (RFC 3339), through the service's own
	// schedule and the item itself.
	r = a.do("GET", "/api/services/"+serviceID+"/schedule?through=2025-06-30&as_of="+url.QueryEscape(at), nil)
	if r.Status != http.StatusOK || quantityOf(t, r.JSON(t), key) != "1" {
		t.Errorf("service schedule as of %s: %d %s", at, r.Status, r.Body)
	}
	if q := str(t, a.must(http.StatusOK, "GET", "/api/schedule-items/"+key+"?as_of="+pos, nil), "quantity"); q != "1" {
		t.Errorf("item as of before the edit: quantity %s, want 1", q)
	}
	// A firm-wide list says its moment in the body.
	l := a.must(http.StatusOK, "GET", "/api/clients?as_of="+pos, nil)
	if p := get(t, l, "as_of", "position"); p != float64(before) {
		t.Errorf("list as_of.position %v, want %d", p, before)
	}
	// Before the client existed: not found.
	if r := a.do("GET", "/api/clients/"+clientID+"?as_of=p:1", nil); r.Status != http.StatusNotFound {
		t.Errorf("client as of the firm's first event: %d, want 404", r.Status)
	}
}

func TestAsOfBadValueIs400NamingAsOf(t *testing.T) {
	a := newApp(t)
	clientID, _, _, _ := asOfFirm(t, a)
	for _, bad := range []string{"yesterday", "p:", "p:-3", "2025-13-01", ""} {
		r := a.do("GET", "/api/clients/"+clientID+"?as_of="+url.QueryEscape(bad), nil)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"field":"as_of"`) {
			t.Errorf("as_of=%q: %d %s, want 400 naming as_of", bad, r.Status, r.Body)
		}
	}
}

// A write sent with as_of is refused and appends nothing.
func TestAsOfRefusesWrites(t *testing.T) {
	a := newApp(t)
	clientID, _, key, before := asOfFirm(t, a)
	head := a.head()
	pos := "p:" + strconv.FormatUint(before, 10)
	for _, w := range []struct{ method, path string }{
		{"PATCH", "/api/schedule-items/" + key + "?as_of=" + pos},
		{"POST", "/api/clients/" + clientID + "/archive?as_of=" + pos},
	} {
		r := a.do(w.method, w.path, map[string]any{"quantity": "5"})
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "past") {
			t.Errorf("%s %s: %d %s, want 409 saying it is the past", w.method, w.path, r.Status, r.Body)
		}
	}
	if h := a.head(); h != head {
		t.Errorf("head moved from %d to %d", head, h)
	}
}

// What changed between before the edit and now: the edit's activity line,
// and the item's quantity from 1 to 3 field by field.
func TestChangesOfClientAndService(t *testing.T) {
	a := newApp(t)
	clientID, serviceID, key, before := asOfFirm(t, a)
	from := "from=p:" + strconv.FormatUint(before, 10)
	for _, path := range []string{"/api/clients/" + clientID + "/changes?" + from, "/api/services/" + serviceID + "/changes?" + from} {
		ch := a.must(http.StatusOK, "GET", path, nil)
		lines := items(t, map[string]any{"items": get(t, ch, "activity")})
		if len(lines) != 1 || !strings.Contains(str(t, lines[0], "text"), "quantity") {
			t.Errorf("%s: activity %v, want the one edit", path, lines)
		}
		found := false
		for _, f := range items(t, map[string]any{"items": get(t, ch, "fields")}) {
			fm := f.(map[string]any)
			if strings.HasPrefix(fm["field"].(string), "schedule[") && strings.HasSuffix(fm["field"].(string), "].quantity") {
				found = fm["from"] == "1" && fm["to"] == "3" && fm["change"] == "changed"
			}
		}
		if !found {
			t.Errorf("%s: fields %v, want the item's quantity changed from 1 to 3", path, ch["fields"])
		}
	}
	_ = key
	// Nothing changed between a moment and itself.
	ch := a.must(http.StatusOK, "GET", "/api/clients/"+clientID+"/changes?"+from+"&to=p:"+strconv.FormatUint(before, 10), nil)
	if n := len(get(t, ch, "fields").([]any)); n != 0 {
		t.Errorf("%d fields changed between a moment and itself", n)
	}
	// from is required, and not after to.
	for _, q := range []string{"", "?from=nonsense", "?from=p:" + strconv.FormatUint(before, 10) + "&to=p:1"} {
		if r := a.do("GET", "/api/clients/"+clientID+"/changes"+q, nil); r.Status != http.StatusBadRequest {
			t.Errorf("changes%s: %d %s, want 400", q, r.Status, r.Body)
		}
	}
	// The whole firm's.
	firm := a.must(http.StatusOK, "GET", "/api/changes?"+from, nil)
	if len(get(t, firm, "activity").([]any)) != 1 || str(t, firm, "subject") != "firm" {
		t.Errorf("firm changes: %v", firm)
	}
}
