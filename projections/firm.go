package projections

import (
	"context"
	"fmt"
	"sync"
	"time"

	"remit/domain/catalog"
	"remit/domain/firm"
	"remit/eventstore"
)

// FirmView is the firm's settings for the pages and the API. The read models
// have no firm projection, so the firm stream is folded here, incrementally
// (each read starts after the last event seen), and read again only once
// the read models have moved (every event, the firm's included, moves their
// checkpoints), so the hot path of every page and query costs no store read.
// It is safe for concurrent use.
type FirmView struct {
	store eventstore.Store
	cat   *catalog.Catalog

	mu     sync.Mutex
	state  firm.State
	rev    uint64
	exists bool
	loc    *time.Location // the firm's time zone (UTC before set-up)
	seen   uint64         // the read models' position at the last read
	loaded bool
}

// NewFirmView returns a FirmView over store, decoding with cat.
func NewFirmView(store eventstore.Store, cat *catalog.Catalog) *FirmView {
	return &FirmView{store: store, cat: cat, loc: time.UTC}
}

// At returns the firm's state, its stream's revision and time zone, with
// the read models at position pos (Models.Position; 0, as before any event,
// always reads). The stream is read only when pos moved since the last call.
func (v *FirmView) At(ctx context.Context, pos uint64) (firm.State, uint64, *time.Location, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.loaded && pos != 0 && v.seen == pos {
		return v.state, v.rev, v.loc, nil
	}
	from := uint64(0)
	if v.exists {
		from = v.rev + 1
	}
	recs, err := v.store.ReadStream(ctx, firm.StreamName(), from, eventstore.Forward, 0)
	if err != nil {
		return firm.State{}, 0, nil, fmt.Errorf("read firm: %w", err)
	}
	for _, rec := range recs {
		e, err := v.cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return firm.State{}, 0, nil, fmt.Errorf("decode firm@%d: %w", rec.Revision, err)
		}
		v.state = firm.Evolve(v.state, e)
		v.rev, v.exists = rec.Revision, true
	}
	if len(recs) > 0 {
		v.loc = time.UTC
		if tz := v.state.TimeZone; tz != "" {
			if l, err := time.LoadLocation(tz); err == nil {
				v.loc = l
			}
		}
	}
	v.seen, v.loaded = pos, true
	return v.state, v.rev, v.loc, nil
}
