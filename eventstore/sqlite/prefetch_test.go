package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// TestManyStreamsInOneCommit: a block of appends to hundreds of streams the
// writer has not written since it opened (so their revisions are read in
// one statement, not one look-up each) is answered as if each were one
// Append: the right expected revision writes, a stale or too-high one is
// refused with the stream's actual revision, StreamExists and Exact on a
// stream that does not exist are refused, Any appends to a stream that
// exists and to one that does not. Nothing refused is written.
func TestManyStreamsInOneCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := MustOpen(t, dir, sqlite.Options{})
	const n = 300
	for i := range n {
		events := make([]eventstore.EventData, 1+i%3) // revisions 0, 1 or 2
		for k := range events {
			events[k] = benchEvent()
		}
		if _, err := s.Append(ctx, fmt.Sprintf("service-%d", i), eventstore.NoStream, events...); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = MustOpen(t, dir, sqlite.Options{})
	h0, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}

	type want struct {
		ok      bool
		rev     uint64 // the revision written, or the actual one refused
		exists  bool   // when refused
		comment string
	}
	var appends []eventstore.StreamAppend
	var wants []want
	add := func(stream string, exp eventstore.ExpectedRevision, w want) {
		appends = append(appends, eventstore.StreamAppend{Stream: stream, Expected: exp, Events: []eventstore.EventData{benchEvent()}})
		wants = append(wants, w)
	}
	written := 0
	for i := range n {
		stream, last := fmt.Sprintf("service-%d", i), uint64(i%3)
		switch i % 6 {
		case 0, 1:
			add(stream, eventstore.Exact(last), want{ok: true, rev: last + 1, comment: "right revision"})
			written++
		case 2:
			if last == 0 {
				add(stream, eventstore.Exact(last+1), want{rev: last, exists: true, comment: "revision beyond the stream's"})
			} else {
				add(stream, eventstore.Exact(last-1), want{rev: last, exists: true, comment: "stale revision"})
			}
		case 3:
			add(stream, eventstore.StreamExists, want{ok: true, rev: last + 1, comment: "stream exists"})
			written++
		case 4:
			add(stream, eventstore.Any, want{ok: true, rev: last + 1, comment: "any"})
			add(fmt.Sprintf("service-new-%d", i), eventstore.Any, want{ok: true, rev: 0, comment: "any on no stream"})
			written += 2
		case 5:
			add(fmt.Sprintf("service-new-%d", i), eventstore.Exact(0), want{comment: "exact on no stream"})
			add(fmt.Sprintf("service-none-%d", i), eventstore.StreamExists, want{comment: "exists on no stream"})
		}
	}
	outs, err := s.AppendMany(ctx, appends)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		w, a := wants[i], appends[i]
		var wev *eventstore.WrongExpectedVersionError
		switch {
		case w.ok && (o.Err != nil || o.Result.Revision != w.rev):
			t.Errorf("%s (%s, %v): %+v, %v; want revision %d", w.comment, a.Stream, a.Expected, o.Result, o.Err, w.rev)
		case !w.ok && !errors.As(o.Err, &wev):
			t.Errorf("%s (%s, %v): %+v, %v; want a wrong expected version", w.comment, a.Stream, a.Expected, o.Result, o.Err)
		case !w.ok && (wev.Exists != w.exists || w.exists && wev.Actual != w.rev):
			t.Errorf("%s (%s, %v): refused with %+v; want exists %v, actual %d", w.comment, a.Stream, a.Expected, wev, w.exists, w.rev)
		}
	}
	if h, err := s.Head(ctx); err != nil || h != h0+uint64(written) {
		t.Errorf("head %d (%v) after the block, want %d: %d appends written", h, err, h0+uint64(written), written)
	}
}
