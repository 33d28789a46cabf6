package client_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

// sample is one event of each type with every field set, and the events that
// come before it so that evolving it changes the state.
type sample struct {
	Given []domain.Event
	Event domain.Event
}

func samples() []sample {
	bobAdded := client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now}
	return []sample{
		{nil, created()},
		{events(created()), client.ClientDetailsChanged{
			ClientID: clientID, Name: "Acme Holdings", Kind: client.KindBusiness, Address: acmeAddress(),
			TaxNumber: "51 824 753 556", Currency: domain.MustCurrency("NZD"), PaymentTermsDays: intPtr(30), At: later,
		}},
		{events(created()), bobAdded},
		{events(created(), bobAdded), client.ClientContactChanged{ClientID: clientID, Contact: client.Contact{ID: bobID, Name: "Robert Li", Email: "rob@acme.example", Phone: "0400 000 000", Role: "CEO"}, At: later}},
		{events(created(), bobAdded), client.ClientContactRemoved{ClientID: clientID, ContactID: bobID, At: later}},
		{events(created(), bobAdded), client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: bobID, PreviousContactID: aliceID, At: later}},
		{events(created()), client.ClientArchived{ClientID: clientID, Reason: "closed", At: later}},
		{events(created(), archived()), client.ClientRestored{ClientID: clientID, At: later}},
		{events(created()), added(cardID, visa("tok_1"))},
		{withTwoMethods(), client.PaymentMethodSetAsDefault{ClientID: clientID, PaymentMethodID: bankID, PreviousPaymentMethodID: cardID, At: later}},
		{withTwoMethods(), client.PaymentMethodReplaced{ClientID: clientID, ReplacedPaymentMethodID: bankID, PaymentMethodID: card2ID, Method: becs("ba_2"), At: later}},
		{withTwoMethods(), client.PaymentMethodRemoved{ClientID: clientID, PaymentMethodID: bankID, At: later}},
		{withTwoMethods(), client.PaymentMethodExpired{ClientID: clientID, PaymentMethodID: cardID, At: later}},
		{withTwoMethods(), client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: bankID, Reason: "mandate cancelled", At: later}},
		{events(created()), client.ClientErased{ClientID: clientID, At: later}},
		{events(created()), client.ClientLinksRevoked{ClientID: clientID, Generation: 1, At: later}},
		{events(created()), requested(requestID, later)},
		{events(created()), client.ClientTagsChanged{ClientID: clientID, Tags: []string{"payroll", "retainer"}, At: later}},
	}
}

// TestSamplesCoverEveryEventType fails when an event type is added without a
// sample here (and so without evolve and round-trip coverage).
func TestSamplesCoverEveryEventType(t *testing.T) {
	var got []string
	for _, s := range samples() {
		got = append(got, s.Event.EventType())
	}
	want := client.EventTypes()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("samples cover %v,\nEventTypes() is %v", got, want)
	}
	if len(slices.Compact(slices.Clone(want))) != len(want) {
		t.Errorf("EventTypes() lists a type twice: %v", want)
	}
}

func TestEventTypesAreUniqueAndNamed(t *testing.T) {
	for _, name := range client.EventTypes() {
		if !strings.HasPrefix(name, "Client") && !strings.HasPrefix(name, "PaymentMethod") {
			t.Errorf("event type %q is not prefixed with its aggregate", name)
		}
	}
}

func TestEvolveEveryEventType(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Event.EventType(), func(t *testing.T) {
			before := client.Fold(s.Given)
			snapshot := client.Fold(s.Given)
			after := client.Evolve(before, s.Event)
			if reflect.DeepEqual(before, after) {
				t.Errorf("Evolve(%s) did not change the state", s.Event.EventType())
			}
			if !reflect.DeepEqual(before, snapshot) {
				t.Errorf("Evolve(%s) changed the state it was given", s.Event.EventType())
			}
		})
	}
}

func TestEvolveIgnoresUnknownEvents(t *testing.T) {
	s := client.Fold(withTwoMethods())
	if got := client.Evolve(s, otherEvent{}); !reflect.DeepEqual(got, s) {
		t.Errorf("an unknown event changed the state")
	}
}

type otherEvent struct{}

func (otherEvent) EventType() string { return "SomethingElseHappened" }

func TestEventJSONRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Event.EventType(), func(t *testing.T) {
			data, got := decidertest.MustRoundTrip(t, s.Event, client.DecodeEvent)
			if !reflect.DeepEqual(got, s.Event) {
				t.Errorf("round trip:\n got  %#v\n want %#v", got, s.Event)
			}
			decidertest.MustSnakeCaseKeys(t, data)
		})
	}
}

// TestPaymentMethodWithoutGatewayCustomerReadsTheSame: events recorded
// before gateway_customer existed decode with none, and a method without one
// is written exactly as before (no empty key).
func TestPaymentMethodWithoutGatewayCustomerReadsTheSame(t *testing.T) {
	old := `{"client_id":"` + clientID.String() + `","payment_method_id":"` + cardID.String() + `","method":{"kind":"card","gateway":"sandbox","gateway_token":"tok_1","brand":"visa","last4":"4242","expiry_month":12,"expiry_year":2028},"at":"2026-03-01T00:00:00Z"}`
	e, err := client.DecodeEvent("PaymentMethodAdded", []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	got := e.(client.PaymentMethodAdded)
	if got.Method != visa("tok_1") {
		t.Errorf("decoded %+v, want %+v", got.Method, visa("tok_1"))
	}
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "gateway_customer") {
		t.Errorf("a method without a gateway customer is written with one: %s", data)
	}
	withCustomer := visa("tok_1")
	withCustomer.GatewayCustomer = "cus_123"
	data, _ = json.Marshal(withCustomer)
	if !strings.Contains(string(data), `"gateway_customer":"cus_123"`) {
		t.Errorf("gateway customer not written: %s", data)
	}
}

func TestDecodeEventRefusesUnknownAndMalformed(t *testing.T) {
	if _, err := client.DecodeEvent("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Error("unknown event type decoded")
	}
	if _, err := client.DecodeEvent("ClientCreated", []byte(`{"currency":"ZZZ"}`)); err == nil {
		t.Error("bad currency decoded")
	}
}

func TestStreamName(t *testing.T) {
	if got, want := client.StreamName(clientID), "client-"+clientID.String(); got != want {
		t.Errorf("StreamName = %q, want %q", got, want)
	}
}

func TestFoldBuildsTheClient(t *testing.T) {
	s := client.Fold(append(withTwoMethods(),
		client.ClientContactAdded{ClientID: clientID, Contact: bob(), At: now},
		client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: bobID, PreviousContactID: aliceID, At: now},
		client.ClientContactRemoved{ClientID: clientID, ContactID: aliceID, At: now},
		client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: bankID, Reason: "closed", At: now},
	))
	if !s.Created() || s.ID != clientID || s.Name != "Acme Pty Ltd" || s.Currency != aud || *s.PaymentTermsDays != 14 {
		t.Errorf("details = %+v", s)
	}
	if p, ok := s.PrimaryContact(); !ok || p.ID != bobID || len(s.Contacts) != 1 {
		t.Errorf("primary = %+v (%v), contacts = %+v", p, ok, s.Contacts)
	}
	if d, ok := s.DefaultPaymentMethod(); !ok || d.ID != cardID || d.Status != client.MethodActive {
		t.Errorf("default = %+v (%v)", d, ok)
	}
	if b, _ := s.PaymentMethod(bankID); b.Status != client.MethodFailed || b.FailureReason != "closed" {
		t.Errorf("bank = %+v", b)
	}
	if (client.State{}).Created() {
		t.Error("the zero State is created")
	}
}

func TestExpiringMethods(t *testing.T) {
	card := func(id uuid.UUID, token string, month, year int) client.PaymentMethodAdded {
		m := visa(token)
		m.ExpiryMonth, m.ExpiryYear = month, year
		return added(id, m)
	}
	lapsedID, soonID, laterID, failedID := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	s := client.Fold(events(created(),
		card(lapsedID, "t1", 2, 2026),
		card(soonID, "t2", 3, 2026),
		card(laterID, "t3", 5, 2026),
		card(failedID, "t4", 3, 2026),
		client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: failedID, Reason: "lost", At: now},
		added(bankID, becs("ba_1")),
	))
	ids := func(ms []client.PaymentMethod) []uuid.UUID {
		var out []uuid.UUID
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	today := domain.MustDate(2026, 3, 10)
	for _, tc := range []struct {
		Name   string
		Within int
		Want   []uuid.UUID
	}{
		{"OKWithinTheMonth", 30, []uuid.UUID{soonID}},
		{"OKOnTheLastDay", 21, []uuid.UUID{soonID}},
		{"OKNotYet", 20, nil},
		{"OKFurtherAhead", 90, []uuid.UUID{soonID, laterID}},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			if got := ids(s.ExpiringMethods(today, tc.Within)); !slices.Equal(got, tc.Want) {
				t.Errorf("ExpiringMethods(%s, %d) = %v, want %v", today, tc.Within, got, tc.Want)
			}
		})
	}
	if got := ids(s.LapsedMethods(today)); !slices.Equal(got, []uuid.UUID{lapsedID}) {
		t.Errorf("LapsedMethods = %v, want %v", got, []uuid.UUID{lapsedID})
	}
	m, _ := s.PaymentMethod(soonID)
	if got := m.ExpiresOn(); got != domain.MustDate(2026, 3, 31) {
		t.Errorf("ExpiresOn = %s", got)
	}
	if got := ids(s.ExpiringMethods(domain.MustDate(2026, 2, 28), 1)); !slices.Equal(got, []uuid.UUID{lapsedID}) {
		t.Errorf("on the day a card expires it is still expiring, got %v", got)
	}
}
