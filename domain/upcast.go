package domain

// Upcaster turns the stored data of one event type from schema version From
// into the shape of version From+1. Stored events are never rewritten: an
// event whose shape changed is read through its type's upcasters, chained
// from the version it was written at up to the current one, before it is
// decoded (domain/catalog's Decode does this). Up is pure: it sees only the
// event's data and must not fail on any data its version could hold.
type Upcaster struct {
	Type string
	From int
	Up   func(data []byte) ([]byte, error)
}
