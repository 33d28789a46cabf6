package projections

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain/client"
)

// TestPaymentDetailsRequestsList: the clients asked for payment details and
// not answered are listed longest-waiting first and selected by the
// clients list's filter; a method added answers the request, and the
// clients without an active method are their own filter.
func TestPaymentDetailsRequestsList(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	mk := func(id, contact string, name string) client.ClientCreated {
		return client.ClientCreated{ClientID: id2(id), Name: name, Kind: client.KindBusiness, Currency: clientsAUD, At: at,
			Contacts: []client.Contact{{ID: id2(contact), Name: name + " Contact", Email: contact + "@example.com"}}, PrimaryContactID: id2(contact)}
	}
	ask := func(clientName, request string, at time.Time) client.ClientPaymentDetailsRequested {
		return client.ClientPaymentDetailsRequested{ClientID: id2(clientName), RequestID: id2(request), ContactID: id2(clientName + "-c"),
			Name: clientName, Email: clientName + "@example.com", At: at}
	}
	card := client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "tok", Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030}
	e.MustAppend(client.StreamName(id2("a")), "staff", mk("a", "a-c", "Alpha"), ask("a", "r1", at.Add(2*time.Hour)))
	e.MustAppend(client.StreamName(id2("b")), "staff", mk("b", "b-c", "Beta"), ask("b", "r2", at.Add(time.Hour)), ask("b", "r3", at.Add(3*time.Hour)))
	e.MustAppend(client.StreamName(id2("c")), "staff", mk("c", "c-c", "Gamma"), ask("c", "r4", at),
		client.PaymentMethodAdded{ClientID: id2("c"), PaymentMethodID: id2("pm"), Method: card, At: at.Add(4 * time.Hour)})
	e.MustAppend(client.StreamName(id2("d")), "staff", mk("d", "d-c", "Delta"))
	m := e.MustModels()

	open := ok(m.PaymentDetailsRequests(ctx, PaymentDetailsRequestQuery{Status: RequestsUnanswered}))
	if open.Total != 2 || len(open.Items) != 2 || open.Items[0].ClientName != "Beta" || open.Items[1].ClientName != "Alpha" {
		t.Fatalf("unanswered = %+v; want Beta (waiting longest) then Alpha", open)
	}
	beta := open.Items[0]
	if !beta.WaitingSince.Equal(at.Add(time.Hour)) || !beta.RequestedAt.Equal(at.Add(3*time.Hour)) || beta.Requests != 2 || beta.Email != "b@example.com" {
		t.Errorf("Beta's row = %+v; want waiting since the first request, asked twice, last at the reminder", beta)
	}
	answered := ok(m.PaymentDetailsRequests(ctx, PaymentDetailsRequestQuery{Status: RequestsAnswered}))
	if answered.Total != 1 || answered.Items[0].ClientName != "Gamma" || answered.Items[0].AnsweredBy != id2("pm") {
		t.Errorf("answered = %+v; want Gamma, answered by its card", answered)
	}
	if all := ok(m.PaymentDetailsRequests(ctx, PaymentDetailsRequestQuery{Status: RequestsAll})); all.Total != 3 {
		t.Errorf("all = %d rows, want the 3 clients ever asked", all.Total)
	}
	if _, err := m.PaymentDetailsRequests(ctx, PaymentDetailsRequestQuery{Status: "maybe"}); err == nil {
		t.Error("an unknown status must be refused")
	}

	names := func(f ClientFilter) []string {
		var out []string
		for _, it := range ok(m.ListClients(ctx, ClientQuery{Filter: f, Today: today})).Items {
			out = append(out, it.Name)
		}
		return out
	}
	if got := names(ClientsRequestUnanswered); len(got) != 2 || got[0] != "Alpha" || got[1] != "Beta" {
		t.Errorf("request_unanswered filter = %v, want Alpha and Beta", got)
	}
	if got := names(ClientsNoActiveMethod); len(got) != 3 || got[2] != "Delta" {
		t.Errorf("no_active_method filter = %v, want Alpha, Beta and Delta", got)
	}
	sum := ok(m.Summary(ctx, id2("b"), today))
	if len(sum.PaymentDetailsRequests) != 2 || sum.PaymentDetailsRequests[1].Answered() {
		t.Errorf("Beta's summary requests = %+v, want two, unanswered", sum.PaymentDetailsRequests)
	}
	list := ok(m.ListClients(ctx, ClientQuery{Search: "gamma", Today: today}))
	if len(list.Items) != 1 || !list.Items[0].HasActiveMethod || list.Items[0].LastRequest == nil || !list.Items[0].LastRequest.Answered() {
		t.Errorf("Gamma's list row = %+v, want an active method and its request answered", list.Items)
	}
}

func id2(name string) uuid.UUID { return id("requests/" + name) }
