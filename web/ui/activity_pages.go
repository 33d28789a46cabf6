package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"remit/domain"
	"remit/projections"
)

// activityLines is the page of a history a page shows: the newest
// projections.DefaultLimit lines before ?before= (a position in the log; the
// newest of all when absent or unreadable), oldest first, and the link to
// the older ones when there are.
type activityLines struct {
	Lines []projections.ActivityLine
	// Older is the URL of the page of older lines ("" when none); Newest
	// the URL of the newest page when this one is older.
	Older, Newest string
}

// beforeParam reads ?before= (0 when absent or not a position).
func beforeParam(r *http.Request) uint64 {
	n, err := strconv.ParseUint(r.URL.Query().Get("before"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// activityOf reads one page of a subject's history for a page at path
// (extra: other query parameters its links keep). A subject with no
// history yet has no lines.
func (h *handler) activityOf(ctx context.Context, subject projections.Subject, id uuid.UUID, before uint64, path string, extra url.Values) (activityLines, error) {
	p, err := h.models(ctx).ActivityPage(ctx, subject, id, projections.ActivityQuery{Newest: true, Cursor: before})
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return activityLines{}, nil
	}
	if err != nil {
		return activityLines{}, err
	}
	out := activityLines{Lines: p.Lines}
	link := func(before uint64) string {
		q := url.Values{}
		for k, v := range extra {
			q[k] = v
		}
		if before != 0 {
			q.Set("before", strconv.FormatUint(before, 10))
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	if p.More {
		out.Older = link(p.Cursor)
	}
	if before != 0 {
		out.Newest = link(0)
	}
	return out, nil
}
