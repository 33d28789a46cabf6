package kurrenttest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"remit/eventstore"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
)

// System event types the server writes itself.
const (
	typeStreamDeleted = "$streamDeleted"
	typeMetadata      = "$metadata"
)

// metaPrefix names, in the backing store, the "$$<stream>" metadata streams
// (the embedded store accepts no "$" in stream names).
const metaPrefix = "kurrenttest.meta."

// storeName maps a client's stream name to the backing store's; ok is false
// for system streams the server does not keep.
func storeName(name string) (string, bool) {
	if rest, found := strings.CutPrefix(name, "$$"); found {
		return metaPrefix + rest, true
	}
	if strings.HasPrefix(name, "$") {
		return "", false
	}
	return name, true
}

// clientName maps a backing-store stream name back to what clients see.
func clientName(name string) string {
	if rest, found := strings.CutPrefix(name, metaPrefix); found {
		return "$$" + rest
	}
	return name
}

func userStreamOfMeta(name string) (string, bool) { return strings.CutPrefix(name, metaPrefix) }

// payload is what a client sent with an event besides its id and type. It
// is stored as one JSON document: data and custom metadata as JSON when
// they are JSON, else base64.
type payload struct {
	contentType string
	data        []byte
	meta        []byte
}

type payloadJSON struct {
	ContentType string          `json:"content_type"`
	Data        json.RawMessage `json:"data,omitempty"`
	DataB64     []byte          `json:"data_b64,omitempty"`
	Meta        json.RawMessage `json:"meta,omitempty"`
	MetaB64     []byte          `json:"meta_b64,omitempty"`
}

func encodePayload(p payload) []byte {
	j := payloadJSON{ContentType: p.contentType}
	switch {
	case len(p.data) == 0:
	case json.Valid(p.data):
		j.Data = p.data
	default:
		j.DataB64 = p.data
	}
	switch {
	case len(p.meta) == 0:
	case json.Valid(p.meta):
		j.Meta = p.meta
	default:
		j.MetaB64 = p.meta
	}
	b, err := json.Marshal(j)
	if err != nil { // cannot happen: every part is valid JSON or bytes
		panic(err)
	}
	return b
}

func decodePayload(b []byte) (payload, error) {
	var j payloadJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return payload{}, fmt.Errorf("kurrenttest: stored payload: %w", err)
	}
	p := payload{contentType: j.ContentType, data: j.Data, meta: j.Meta}
	if j.DataB64 != nil {
		p.data = j.DataB64
	}
	if j.MetaB64 != nil {
		p.meta = j.MetaB64
	}
	return p, nil
}

func truncateBeforeOf(data []byte) (uint64, error) {
	var m struct {
		TB uint64 `json:"$tb"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return 0, fmt.Errorf("kurrenttest: stream metadata: %w", err)
	}
	return m.TB, nil
}

func uuidFromProto(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(st.MostSignificantBits))
		binary.BigEndian.PutUint64(id[8:], uint64(st.LeastSignificantBits))
		return id, nil
	}
	return uuid.Parse(u.GetString_())
}

func uuidToProto(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// commitOf is the $all position of the event at store position n (>= 1):
// Offset + (n-1)*Stride, plus with IrregularGaps a jitter below Stride/2
// that depends on n only, so that the position still maps back to n.
func (s *Server) commitOf(n uint64) uint64 {
	return s.opts.Offset + (n-1)*s.opts.Stride + s.jitter(n)
}

func (s *Server) jitter(n uint64) uint64 {
	half := s.opts.Stride / 2
	if !s.opts.IrregularGaps || half == 0 {
		return 0
	}
	// splitmix64's finaliser: a fixed, well-spread value per n.
	z := n * 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return (z ^ (z >> 31)) % half
}

// storePosOf maps a $all position to the store position of the event there
// (or, for the end of the log, head+1); ok is false when no event starts at
// that position.
func (s *Server) storePosOf(commit, prepare, head uint64) (uint64, bool) {
	if commit != prepare || commit < s.opts.Offset {
		return 0, false
	}
	n := (commit-s.opts.Offset)/s.opts.Stride + 1
	return n, n <= head+1 && s.commitOf(n) == commit
}

// eventResp turns a stored event into the read message clients expect.
func (s *Server) eventResp(e *eventstore.RecordedEvent, idAsString bool) (*streams.ReadResp, error) {
	p, err := decodePayload(e.Data)
	if err != nil {
		return nil, err
	}
	c := s.commitOf(e.Position)
	rec := &streams.ReadResp_ReadEvent_RecordedEvent{
		Id:               uuidToProto(e.ID, idAsString),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(clientName(e.Stream))},
		StreamRevision:   e.Revision,
		PreparePosition:  c,
		CommitPosition:   c,
		Metadata: map[string]string{
			"type":         e.Type,
			"content-type": p.contentType,
			// .NET ticks (100 ns) since the Unix epoch, as KurrentDB sends it.
			"created": strconv.FormatInt(e.Metadata.RecordedAt.UnixNano()/100, 10),
		},
		CustomMetadata: p.meta,
		Data:           p.data,
	}
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
		Event:    rec,
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: c},
	}}}, nil
}
