package pii_test

import (
	"reflect"
	"testing"

	"remit/domain/catalog"
	"remit/eventstore/pii"
)

// FuzzEventDecoding feeds arbitrary event data to the catalogue's decoder
// and to the sealer: neither panics, and sealing then opening an event
// gives back the event the plain data decodes to. The seeds under
// testdata/fuzz run in every go test.
func FuzzEventDecoding(f *testing.F) {
	f.Add("ClientCreated", []byte(`{"client_id":"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","name":"Harbour Cafe","contacts":[{"name":"Ana","email":"ana@example.com"}],"address":{"line1":"1 Quay St","country":"AU"},"currency":"AUD"}`))
	f.Add("ClientContactChanged", []byte(`{"client_id":"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","contact":{"name":"pii:v1:AAAA"}}`))
	f.Add("InvoiceIssued", []byte(`{"lines":[{"quantity":"1","unit_price":{"amount":"250","currency":"AUD"}}]}`))
	f.Add("UserAdded", []byte(`{"user_id":1}`))
	f.Add("NoSuchEvent", []byte(`{}`))
	cat := catalog.New()
	keys, err := pii.OpenKeyStore(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { keys.Close() })
	s := pii.NewSealer(keys)
	f.Fuzz(func(t *testing.T, eventType string, data []byte) {
		plain, plainErr := cat.Decode(eventType, cat.SchemaVersion(eventType), data)
		if _, err := s.Open(eventType, data); err != nil {
			return // damaged sealed values are refused, not panicked on
		}
		// Whatever a person typed, sealed and opened, reads back as typed.
		sealed, err := s.Seal(eventType, data)
		if err != nil || plainErr != nil {
			return
		}
		opened, err := s.Open(eventType, sealed)
		if err != nil {
			t.Fatalf("open what was just sealed: %v", err)
		}
		back, err := cat.Decode(eventType, cat.SchemaVersion(eventType), opened)
		if err != nil {
			t.Fatalf("decode after seal and open: %v\nsealed %s", err, sealed)
		}
		if !reflect.DeepEqual(plain, back) {
			t.Errorf("seal and open changed the event:\n%+v\n%+v", plain, back)
		}
	})
}
