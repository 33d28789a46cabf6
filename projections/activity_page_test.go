package projections

import (
	"slices"
	"testing"

	"remit/domain"
	"remit/projections/rmdb"
)

// pageAll reads a subject's whole history page by page and returns the
// pages' lines in the order read.
func pageAll(t *testing.T, m *Models, subject Subject, q ActivityQuery) ([][]ActivityLine, error) {
	t.Helper()
	var pages [][]ActivityLine
	for range 1000 {
		p, err := m.ActivityPage(t.Context(), subject, acme, q)
		if err != nil {
			return pages, err
		}
		if len(p.Lines) > q.activityLimit() {
			t.Fatalf("a page of %d lines, limit %d", len(p.Lines), q.activityLimit())
		}
		pages = append(pages, p.Lines)
		if !p.More {
			if p.Cursor != 0 {
				t.Errorf("the last page has cursor %d", p.Cursor)
			}
			return pages, nil
		}
		q.Cursor = p.Cursor
	}
	t.Fatal("paging does not end")
	return nil, nil
}

// TestActivityPages: paging forward (oldest first) or back from the newest,
// at every page size, gives every line of the history once, each page in log
// order; the last page says there is no more; a page of the whole history
// has no more; a cursor past the end is an empty page; Count gives the
// whole history's size; an unknown subject is ENOTFOUND.
func TestActivityPages(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	all, err := m.ActivityOf(t.Context(), SubjectClient, acme)
	if err != nil || len(all) < 10 {
		t.Fatalf("acme's history: %d lines, %v", len(all), err)
	}
	for _, limit := range []int{1, 2, 3, 7, len(all) - 1, len(all), len(all) + 1} {
		pages, err := pageAll(t, m, SubjectClient, ActivityQuery{Limit: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if got := slices.Concat(pages...); !slices.Equal(texts(got), texts(all)) {
			t.Errorf("limit %d, oldest first: the pages hold\n%q\nwant\n%q", limit, texts(got), texts(all))
		}
		if want := (len(all) + limit - 1) / limit; len(pages) != want {
			t.Errorf("limit %d, oldest first: %d pages, want %d", limit, len(pages), want)
		}
		back, err := pageAll(t, m, SubjectClient, ActivityQuery{Limit: limit, Newest: true})
		if err != nil {
			t.Fatalf("limit %d, newest: %v", limit, err)
		}
		if len(back[0]) != min(limit, len(all)) || back[0][len(back[0])-1].Position != all[len(all)-1].Position {
			t.Errorf("limit %d: the newest page does not end with the newest line", limit)
		}
		slices.Reverse(back)
		if got := slices.Concat(back...); !slices.Equal(texts(got), texts(all)) {
			t.Errorf("limit %d, newest first: the pages hold\n%q\nwant\n%q", limit, texts(got), texts(all))
		}
	}

	whole, err := m.ActivityPage(t.Context(), SubjectClient, acme, ActivityQuery{Limit: len(all), Newest: true, Count: true})
	if err != nil || whole.More || whole.Cursor != 0 || whole.Total != len(all) || len(whole.Lines) != len(all) {
		t.Errorf("the whole history in one page: more %v cursor %d total %d lines %d (want %d), %v", whole.More, whole.Cursor, whole.Total, len(whole.Lines), len(all), err)
	}
	if p, err := m.ActivityPage(t.Context(), SubjectClient, acme, ActivityQuery{}); err != nil || len(p.Lines) != min(len(all), DefaultLimit) || p.Total != 0 {
		t.Errorf("the default page: %d lines, total %d, %v", len(p.Lines), p.Total, err)
	}
	last := all[len(all)-1].Position
	if p, err := m.ActivityPage(t.Context(), SubjectClient, acme, ActivityQuery{Cursor: last, Count: true}); err != nil || len(p.Lines) != 0 || p.More || p.Total != len(all) {
		t.Errorf("a page after the newest line: %d lines, more %v, total %d, %v", len(p.Lines), p.More, p.Total, err)
	}
	if p, err := m.ActivityPage(t.Context(), SubjectClient, acme, ActivityQuery{Cursor: all[0].Position, Newest: true}); err != nil || len(p.Lines) != 0 || p.More {
		t.Errorf("a page before the oldest line: %d lines, more %v, %v", len(p.Lines), p.More, err)
	}
	// A page from the middle back holds the lines just before the cursor.
	mid := len(all) / 2
	if p, err := m.ActivityPage(t.Context(), SubjectClient, acme, ActivityQuery{Cursor: all[mid].Position, Newest: true, Limit: 2}); err != nil ||
		!slices.Equal(texts(p.Lines), texts(all[mid-2:mid])) || p.More != (mid > 2) {
		t.Errorf("two lines before line %d: %q more %v, want %q, %v", mid, texts(p.Lines), p.More, texts(all[mid-2:mid]), err)
	}
	if _, err := m.ActivityPage(t.Context(), SubjectService, id("service/none"), ActivityQuery{}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown subject: %v", err)
	}
}

// TestActivityPageOnEachDatabase: on SQLite and PostgreSQL, pages back
// from the newest and forward from the oldest are the history's slices.
func TestActivityPageOnEachDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		l := newActivityLog(t, db)
		activityFixture(t, l)
		all, err := l.of(SubjectClient, activityFx.acme)
		if err != nil || len(all) < 7 {
			t.Fatalf("%d lines, %v", len(all), err)
		}
		q := newActivity(db, 0)
		page := func(aq ActivityQuery) ActivityPage {
			t.Helper()
			p, err := q.page(t.Context(), SubjectClient, activityFx.acme, aq)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		n := len(all)
		p1 := page(ActivityQuery{Limit: 3, Newest: true, Count: true})
		p2 := page(ActivityQuery{Limit: 3, Newest: true, Cursor: p1.Cursor})
		f1 := page(ActivityQuery{Limit: 3})
		f2 := page(ActivityQuery{Limit: 3, Cursor: f1.Cursor})
		for _, c := range []struct {
			name string
			got  ActivityPage
			want []ActivityLine
		}{{"newest", p1, all[n-3:]}, {"before the newest", p2, all[n-6 : n-3]}, {"oldest", f1, all[:3]}, {"after the oldest", f2, all[3:6]}} {
			if !slices.Equal(texts(c.got.Lines), texts(c.want)) || !c.got.More {
				t.Errorf("%s: %q (more %v), want %q", c.name, texts(c.got.Lines), c.got.More, texts(c.want))
			}
		}
		if p1.Total != n {
			t.Errorf("total %d, want %d", p1.Total, n)
		}
	})
}
