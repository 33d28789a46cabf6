package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
	"unsafe"

	"github.com/google/uuid"
)

// The envelope codec: one event's envelope (everything but its global
// position and hash) packed into one byte string. The embedded store keeps it
// in a single column so that reading the log costs two column reads per event
// instead of ten, and the chain hash is computed over exactly these bytes, so
// every backend that keeps a chain (and a migration between them) agrees on
// it.
//
//	version   byte (1)
//	id        16 bytes
//	revision  uvarint
//	schema    uvarint
//	recorded  8 bytes, big-endian Unix nanoseconds
//	stream, type, actor, command id, correlation id, causation id: uvarint length + bytes each
//	data      the rest
const envelopeVersion = 1

// EncodeEnvelope packs e (its Position and Hash are not part of the envelope).
func EncodeEnvelope(e *RecordedEvent) []byte {
	m := &e.Metadata
	n := 1 + 16 + 2*binary.MaxVarintLen64 + 8 + 6*binary.MaxVarintLen32 +
		len(e.Stream) + len(e.Type) + len(m.Actor) + len(m.CommandID) + len(m.CorrelationID) + len(m.CausationID) + len(e.Data)
	b := make([]byte, 0, n)
	b = append(b, envelopeVersion)
	b = append(b, e.ID[:]...)
	b = binary.AppendUvarint(b, e.Revision)
	b = binary.AppendUvarint(b, uint64(e.SchemaVersion))
	b = binary.BigEndian.AppendUint64(b, uint64(m.RecordedAt.UnixNano()))
	for _, s := range [...]string{e.Stream, e.Type, m.Actor, m.CommandID, m.CorrelationID, m.CausationID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, e.Data...)
}

// DecodeEnvelope unpacks an envelope into e, setting every field but Position
// and Hash. buf must not be modified afterwards: e's strings point into it
// (one allocation per event is what lets the log be read at over a million
// events a second). e.Data is a sub-slice of buf with its capacity capped,
// so appending to it never writes over the strings.
func DecodeEnvelope(buf []byte, e *RecordedEvent) error {
	if len(buf) < 1+16+1+1+8 || buf[0] != envelopeVersion {
		return fmt.Errorf("envelope: unknown version or too short (%d bytes)", len(buf))
	}
	copy(e.ID[:], buf[1:17])
	p := 17
	rev, k := binary.Uvarint(buf[p:])
	if k <= 0 {
		return fmt.Errorf("envelope: bad revision")
	}
	p += k
	sv, k := binary.Uvarint(buf[p:])
	if k <= 0 {
		return fmt.Errorf("envelope: bad schema version")
	}
	p += k
	if len(buf) < p+8 {
		return fmt.Errorf("envelope: truncated")
	}
	at := int64(binary.BigEndian.Uint64(buf[p:]))
	p += 8
	var strs [6]string
	for i := range strs {
		l, k := binary.Uvarint(buf[p:])
		if k <= 0 || uint64(len(buf)-p-k) < l {
			return fmt.Errorf("envelope: truncated string %d", i)
		}
		p += k
		if l > 0 {
			strs[i] = unsafe.String(&buf[p], int(l))
		}
		p += int(l)
	}
	e.Revision = rev
	e.SchemaVersion = int(sv)
	e.Stream, e.Type = strs[0], strs[1]
	e.Metadata = Metadata{Actor: strs[2], CommandID: strs[3], CorrelationID: strs[4], CausationID: strs[5],
		RecordedAt: time.Unix(0, at).UTC()}
	e.Data = buf[p:len(buf):len(buf)]
	return nil
}

// HashSize is the size of a chain hash (SHA-256).
const HashSize = sha256.Size

// ChainHash is an event's link in the hash chain: SHA-256 over the previous
// event's hash (empty for the first event), the event's global position and
// its envelope. Altering, removing or reordering any event breaks the chain
// from that event on.
func ChainHash(prev []byte, position uint64, envelope []byte) [HashSize]byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], position)
	h.Write(n[:])
	h.Write(envelope)
	var out [HashSize]byte
	h.Sum(out[:0])
	return out
}

// NewEventID returns a fresh event id: a UUIDv7, whose leading bits are the
// time, so that a store's unique index on ids grows at its right edge instead
// of touching a random page per event. Remit's own code makes every
// non-deterministic event id with it (domain/ never makes ids itself).
func NewEventID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
