package service_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

// codecThrough is the far date the codec tests derive schedules through:
// after every fixture's items, so every generated item is compared.
var codecThrough = date(2028, 12, 31)

// billedThrough is codecThrough for the daily service of billedStream:
// months after its last billed item, years of daily items fewer.
var billedThrough = date(2017, 4, 30)

// codecSequences returns the event sequences of the package's fold tests
// and decider fixtures, each as the test (or its Given) has it, plus a few
// that reach the odd corners of State: items of other services, keys
// spelled otherwise, events before the activation.
func codecSequences(t *testing.T) map[string][]domain.Event {
	t.Helper()
	act := MustActivated(t)
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 3, 1), End: domain.EndNever}
	seqs := map[string][]domain.Event{
		"Nothing":    nil,
		"Activated":  {act},
		"AllEvents":  allEvents(t),
		"Billed":     billedStream(t, 40),
		"OnComplete": {MustOnCompletion(t), service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(1), IssueOn: today}, service.ServiceSwitchedToAutomatic{ServiceID: serviceID}},
		"LaterChangeWins": {act,
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(4), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("90")}}},
			service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 4, 1), Changes: service.Changes{UnitPrice: decp("120")}},
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(4), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("95")}}},
		},
		"MovedItems": {act,
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(6), ItemChanges: service.ItemChanges{Date: datep(date(2026, 4, 1))}},
			service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 7, 1))}},
		},
		"ManualItems": {act,
			service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(3)},
			service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(4)},
			service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(6)},
			service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(4), IssueOn: date(2026, 4, 30)},
			service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(6), IssueOn: today},
			service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(6)},
		},
		"PauseAndResume": {act, service.ServiceSwitchedToManual{ServiceID: serviceID}, service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(5)}, service.ServiceSwitchedToAutomatic{ServiceID: serviceID}},
		"Skipped":        {act, service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2), MissedAsOf: today}},
		"RuleEnds": func() []domain.Event {
			e := act
			e.BillingRule.End, e.BillingRule.EndAfter = domain.EndAfterN, 3
			return []domain.Event{e}
		}(),
		"ReplacedByRuleChange": {act, service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 3, 1), FirstDate: date(2026, 3, 1), FirstSeq: 3,
			BillingRule: &domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 3, 1), End: domain.EndAfterN, EndAfter: 1}}},
		"Released": {act, billed(3, date(2026, 3, 15), invoiceID),
			service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(3), InvoiceID: invoiceID, Reason: "invoice voided", SwitchedToManual: true, At: now},
			billed(3, date(2026, 3, 15), invoice2ID),
			service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(3), InvoiceID: invoice2ID, Reason: "invoice not issued", At: now},
		},
		// Odd corners: another service's item (kept by key), a key spelled
		// in capitals (kept by sequence number, billed under its own
		// spelling), a billing naming another service, an unparsable key,
		// and events before the activation and without one.
		"OddKeys": {act,
			func() domain.Event {
				e := billed(2, date(2026, 2, 15), invoice2ID)
				e.ItemKey = service.ItemKey(otherSvcID, 2)
				return e
			}(),
			func() domain.Event {
				e := billed(5, date(2026, 5, 15), invoiceID)
				e.ItemKey = strings.ToUpper(key(5))
				return e
			}(),
			func() domain.Event { e := billed(6, date(2026, 6, 15), invoiceID); e.ServiceID = otherSvcID; return e }(),
			service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: "march"},
			service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: service.ItemKey(otherSvcID, 3)},
			service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: service.ItemKey(otherSvcID, 2), InvoiceID: invoice2ID},
		},
		"BeforeActivation": {billed(2, date(2026, 2, 15), invoiceID), act, billed(1, date(2026, 1, 15), invoiceID)},
		"NeverActivated": {service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2)},
			service.ScheduleItemSkipped{ServiceID: uuid.Nil, ItemKey: service.ItemKey(uuid.Nil, 3)}},
		"Ended": {act, billed(1, date(2026, 1, 15), invoiceID), ended(date(2026, 3, 20))},
		"RuleChange": func() []domain.Event {
			given := []domain.Event{act, billed(4, date(2026, 4, 15), invoiceID)}
			given = append(given, MustDecide(t, given, service.Edit{EffectiveFrom: date(2026, 3, 1), BillingRule: &quarterly, Changes: service.Changes{UnitPrice: decp("300")}, Now: now})...)
			return append(given, MustDecide(t, given, service.SwitchToManual{Now: now})...)
		}(),
	}
	for seed := range int64(16) {
		seqs[fmt.Sprintf("Random%02d", seed)] = randomStream(t, rand.New(rand.NewSource(seed)), 32)
	}
	return seqs
}

// randomStream returns the events of a service with about n commands
// given at random, each decided against the state folded so far (refused
// ones dropped), with an event Decide never makes now and then.
func randomStream(tb testing.TB, rng *rand.Rand, n int) []domain.Event {
	tb.Helper()
	act := MustActivate(tb)
	switch rng.Intn(5) {
	case 0:
		act.BillingRule = domain.BillingRule{Frequency: domain.FrequencyWeeks, Interval: 2, Start: domain.StartOnDate, StartDate: date(2026, 1, 5), End: domain.EndNever}
		act.FirstDate = date(2026, 1, 5)
	case 1:
		act.BillingRule = domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: date(2026, 1, 31), End: domain.EndAfterN, EndAfter: 14}
		act.FirstDate = date(2026, 1, 31)
	case 2:
		act.BillingRule = domain.BillingRule{Frequency: domain.FrequencyOnCompletion}
		act.FirstDate, act.Mode = domain.Date{}, service.Manual
	}
	var (
		s      service.State
		events []domain.Event
	)
	add := func(es ...domain.Event) {
		for _, e := range es {
			s = service.Evolve(s, e)
		}
		events = append(events, es...)
	}
	do := func(c service.Command) {
		if got, err := service.Decide(s, c); err == nil {
			add(got...)
		}
	}
	do(act)
	someKey := func() string { return key(1 + rng.Intn(16)) }
	someDate := func() domain.Date { return date(2026, 1, 1).AddDays(rng.Intn(500)) }
	invoice := func() uuid.UUID { return uuid.NewSHA1(invoiceID, []byte(fmt.Sprint(rng.Intn(1000)))) }
	for range n {
		switch rng.Intn(16) {
		case 0, 1:
			do(service.MarkItemBilled{ItemKey: someKey(), InvoiceID: invoice(), Now: now})
		case 2:
			k := someKey()
			if it, ok := s.Item(k); ok && it.Status == service.ItemBilled {
				do(service.ReleaseBilledItem{ItemKey: k, InvoiceID: it.InvoiceID, Reason: "void", SwitchToManual: rng.Intn(2) == 0, Now: now})
			}
		case 3:
			ch := service.ItemChanges{Changes: service.Changes{UnitPrice: decp(fmt.Sprint(50 + rng.Intn(100)))}}
			if rng.Intn(2) == 0 {
				ch.Date = datep(someDate())
			}
			do(service.EditItem{ItemKey: someKey(), ItemChanges: ch, Client: act.Client, Now: now})
		case 4:
			do(service.SwitchItemToManual{ItemKey: someKey(), Now: now})
		case 5:
			do(service.SwitchItemToAutomatic{ItemKey: someKey(), Now: now})
		case 6:
			do(service.SkipItem{ItemKey: someKey(), Now: now})
		case 7:
			do(service.ScheduleItemIssue{ItemKey: someKey(), IssueOn: someDate(), Now: now})
		case 8:
			ch := service.Changes{Quantity: decp(fmt.Sprint(1 + rng.Intn(3))), PaymentMethodID: &method2ID}
			if rng.Intn(2) == 0 {
				ch.Discount = &domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec(fmt.Sprint(rng.Intn(20)))}
			}
			do(service.Edit{EffectiveFrom: someDate(), Changes: ch, Client: act.Client, Now: now})
		case 9:
			from := someDate()
			rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1 + rng.Intn(3), Start: domain.StartOnDate, StartDate: from, End: domain.EndNever}
			do(service.Edit{EffectiveFrom: from, BillingRule: &rule, Changes: service.Changes{Description: strp(fmt.Sprint("Rule ", rng.Intn(9)))}, Now: now})
		case 10:
			do(service.SwitchToManual{Now: now})
		case 11:
			do(service.SwitchToAutomatic{Now: now})
		case 12:
			do(service.SkipMissedItems{ItemKeys: []string{someKey(), someKey()}, RunDate: someDate(), Now: now})
		case 13:
			if rng.Intn(4) == 0 {
				do(service.End{On: someDate(), Reason: "random", Now: now})
			}
		case 14: // an item of another service, which Decide never makes
			add(service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: service.ItemKey(otherSvcID, 1+rng.Intn(4))})
		case 15: // released without a switch, or a billing under another spelling
			if rng.Intn(2) == 0 {
				add(service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: someKey(), Reason: "not issued"})
			} else {
				e := billed(1+rng.Intn(16), someDate(), invoice())
				e.ItemKey = strings.ToUpper(e.ItemKey)
				add(e)
			}
		}
	}
	return events
}

// asStored returns events as the log gives them back: encoded and decoded,
// so states folded from them hold what a state decoded from JSON holds.
func asStored(tb testing.TB, events []domain.Event) []domain.Event {
	tb.Helper()
	out := make([]domain.Event, len(events))
	for i, e := range events {
		_, out[i] = decidertest.MustRoundTrip(tb, e, service.DecodeEvent)
	}
	return out
}

// mustCodec encodes s, decodes it, and fails unless the decoded state
// encodes to the same bytes. It returns the encoding and the decoded state.
func mustCodec(tb testing.TB, s service.State) ([]byte, service.State) {
	tb.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	var back service.State
	if err := json.Unmarshal(data, &back); err != nil {
		tb.Fatalf("decode %s: %v", data, err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		tb.Fatalf("encode the decoded state: %v", err)
	}
	if string(again) != string(data) {
		tb.Fatalf("the decoded state encodes differently:\n%s\n%s", data, again)
	}
	return data, back
}

// ordered returns items in Schedule's order with ties (another service's
// item of the same date and sequence number, which Decide never makes)
// broken by key: Schedule leaves their order to a map's.
func ordered(items []service.Item) []service.Item {
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b service.Item) int { return strings.Compare(a.Key, b.Key) })
	slices.SortStableFunc(items, func(a, b service.Item) int {
		switch {
		case a.Date.IsZero() && !b.Date.IsZero():
			return 1
		case !a.Date.IsZero() && b.Date.IsZero():
			return -1
		case a.Date != b.Date:
			return a.Date.Compare(b.Date)
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return items
}

// behaviour is what a state answers: its schedule through a date, due
// items on several days up to it, every item by key (found or not) with
// its releases, line description and billing plan, and what it decides for
// a set of commands. Two states that behave the same give the same string.
func behaviour(tb testing.TB, s service.State, through domain.Date) string {
	tb.Helper()
	var b strings.Builder
	put := func(label string, v any) {
		b.WriteString(label)
		b.WriteString(": ")
		b.WriteString(decidertest.MustJSON(tb, v))
		b.WriteByte('\n')
	}
	put("exported", struct {
		ID, ClientID       uuid.UUID
		Source             service.Source
		Name, Unit         string
		Currency           domain.Currency
		Terms              service.Terms
		BillingRule        domain.BillingRule
		FirstDate, EndDate domain.Date
		ActivatedAt        string
		Ended, Activated   bool
		EndReason          string
	}{s.ID, s.ClientID, s.Source, s.Name, s.Unit, s.Currency, s.Terms, s.BillingRule, s.FirstDate, s.EndDate, s.ActivatedAt.String(), s.Ended, s.Activated(), s.EndReason})
	schedule := ordered(s.Schedule(through))
	put("schedule", schedule)
	for _, d := range []domain.Date{date(2026, 1, 1), today, date(2026, 12, 31), through.AddDays(-30), through} {
		if !d.After(through) {
			put("due "+d.String(), ordered(s.DueItems(d)))
		}
	}
	keys := []string{"march", service.ItemKey(otherSvcID, 1), service.ItemKey(otherSvcID, 2), service.ItemKey(otherSvcID, 3), strings.ToUpper(key(5)), service.ItemKey(uuid.Nil, 3)}
	for seq := range 40 {
		keys = append(keys, key(seq))
	}
	for _, it := range schedule[:min(len(schedule), 60)] {
		keys = append(keys, it.Key)
	}
	g := service.Grouping{Today: today}
	for _, k := range keys {
		it, ok := s.Item(k)
		put("item "+k, struct {
			Item         service.Item
			Found        bool
			Releases     int
			Line, Period string
			Plan         service.Billing
		}{it, ok, s.Releases(k), s.LineDescription(it), s.Period(it), g.Plan(s.ClientID, it, method2ID)})
	}
	decide := func(c service.Command) {
		events, err := service.Decide(s, c)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		put(fmt.Sprintf("decide %T", c), struct {
			Events []domain.Event
			Err    string
		}{events, msg})
	}
	client := domain.ClientFacts{Currency: s.Currency, PaymentMethods: []uuid.UUID{methodID, method2ID}}
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 6, 1), End: domain.EndNever}
	decide(service.Edit{EffectiveFrom: date(2026, 6, 1), BillingRule: &quarterly, Now: now})
	decide(service.Edit{EffectiveFrom: date(2026, 2, 1), Changes: service.Changes{UnitPrice: decp("1")}, Client: client, Now: now})
	decide(service.SwitchToManual{Now: now})
	decide(service.SwitchToAutomatic{Now: now})
	decide(service.End{On: today, Now: now})
	decide(service.SkipMissedItems{ItemKeys: keys, RunDate: today, Now: now})
	for seq := 1; seq <= 12; seq++ {
		k := key(seq)
		it, _ := s.Item(k)
		decide(service.MarkItemBilled{ItemKey: k, InvoiceID: invoice2ID, Now: now})
		decide(service.ReleaseBilledItem{ItemKey: k, InvoiceID: it.InvoiceID, SwitchToManual: true, Now: now})
		decide(service.EditItem{ItemKey: k, ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: decp("3")}}, Client: client, Now: now})
		decide(service.SwitchItemToManual{ItemKey: k, Now: now})
		decide(service.SwitchItemToAutomatic{ItemKey: k, Now: now})
		decide(service.SkipItem{ItemKey: k, Now: now})
		decide(service.ScheduleItemIssue{ItemKey: k, IssueOn: today, Now: now})
	}
	return b.String()
}

// TestStateCodec folds every sequence up to each point, encodes the state
// and decodes it, and checks that the decoded state encodes to the same
// bytes, derives the same schedule (deep-equal) and behaves the same, and
// that the rest of the sequence evolves both into states that encode,
// derive and behave alike.
func TestStateCodec(t *testing.T) {
	for name, events := range codecSequences(t) {
		through := codecThrough
		if name == "Billed" {
			through = billedThrough
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			events := asStored(t, events)
			for split := 0; split <= len(events); split++ {
				s := service.Fold(events[:split])
				data, back := mustCodec(t, s)
				if !reflect.DeepEqual(ordered(back.Schedule(through)), ordered(s.Schedule(through))) {
					t.Fatalf("after %d events: the decoded state's schedule differs\n%s", split, data)
				}
				if got, want := behaviour(t, back, through), behaviour(t, s, through); got != want {
					t.Fatalf("after %d events: the decoded state behaves differently:\n%s\nwant\n%s", split, got, want)
				}
				// Only every fourth split evolves to the end (and the last
				// ones): that is where most of the time goes.
				if split%4 != 0 && split < len(events)-3 {
					continue
				}
				for _, e := range events[split:] {
					s, back = service.Evolve(s, e), service.Evolve(back, e)
				}
				if a, b := decidertest.MustJSON(t, back), decidertest.MustJSON(t, s); a != b {
					t.Fatalf("decoded after %d events and evolved to the end: encodes differently:\n%s\nwant\n%s", split, a, b)
				}
				if !reflect.DeepEqual(ordered(back.Schedule(through)), ordered(s.Schedule(through))) {
					t.Fatalf("decoded after %d events and evolved to the end: the schedule differs", split)
				}
				if got, want := behaviour(t, back, through), behaviour(t, s, through); got != want {
					t.Fatalf("decoded after %d events and evolved to the end: behaves differently:\n%s\nwant\n%s", split, got, want)
				}
			}
		})
	}
}

// TestStateCodecIsSnakeCase: the stored form reads like the events' JSON.
func TestStateCodecIsSnakeCase(t *testing.T) {
	data, _ := mustCodec(t, service.Fold(asStored(t, allEvents(t))))
	decidertest.MustSnakeCaseKeys(t, data)
}

// TestStateCodecCoversEveryField fails when State or Item gains a field:
// codec.go must then encode it (and this list name it).
func TestStateCodecCoversEveryField(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{service.State{}, "ID ClientID Source Name Unit Currency Terms BillingRule FirstDate ActivatedAt Ended EndDate EndReason RevenueAccount initial segments general items odd recorded switched"},
		{service.Item{}, "Key ServiceID Seq Date Description Quantity UnitPrice Discount TaxRate Mode PaymentMethodID Status IssueOn InvoiceID"},
	} {
		typ := reflect.TypeOf(tc.v)
		var names []string
		for i := range typ.NumField() {
			names = append(names, typ.Field(i).Name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%s has fields %s; the codec knows %s", typ, got, tc.want)
		}
	}
}

// TestStateCodecRejectsBadForms: a form no State encodes to is an error,
// not a State that panics later.
func TestStateCodecRejectsBadForms(t *testing.T) {
	for name, data := range map[string]string{
		"NoRule":          `{"id":"` + serviceID.String() + `","terms":{},"initial":{}}`,
		"UnknownChange":   `{"terms":{},"initial":{},"changes":[{"kind":"nonsense","at":1}]}`,
		"ItemsOutOfOrder": `{"terms":{},"initial":{},"items":[{"seq":3,"log":{"touched":true}},{"seq":2,"log":{"touched":true}}]}`,
		"NegativeItem":    `{"terms":{},"initial":{},"items":[{"seq":-1,"log":{"touched":true}}]}`,
		"NotJSON":         `{`,
	} {
		t.Run(name, func(t *testing.T) {
			var s service.State
			if err := json.Unmarshal([]byte(data), &s); err == nil {
				t.Fatal("decoded")
			}
		})
	}
}
