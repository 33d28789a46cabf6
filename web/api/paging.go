package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"remit/domain"
	"remit/projections"
)

// List is the body of every list response: one page of items, how many
// items the whole list has, the page size and the URL of the next page
// (absent on the last page).
type List[T any] struct {
	Items []T    `json:"items"`
	Total int    `json:"total"`
	Limit int    `json:"limit"`
	Next  string `json:"next,omitempty"`
	// AsOf is the moment a list read with as_of is as of.
	AsOf *AsOfMoment `json:"as_of,omitempty"`
}

// paging reads ?limit= and ?cursor= (400 when either is bad).
func paging(r *http.Request) (projections.Paging, error) {
	q := r.URL.Query()
	p := projections.Paging{Limit: projections.DefaultLimit}
	var probs domain.Problems
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > projections.MaxLimit {
			probs.Add("limit", "must be a whole number from 1 to %d", projections.MaxLimit)
		} else {
			p.Limit = n
		}
	}
	if v := q.Get("cursor"); v != "" {
		off, ok := decodeCursor(v)
		if !ok {
			probs.Add("cursor", "is not a cursor this API gave out; use the next link of a list")
		} else {
			p.Offset = off
		}
	}
	if err := probs.Err(); err != nil {
		return p, malformed(err)
	}
	return p, nil
}

// Cursors are opaque to clients; today they carry an offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "o:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// listOf turns a page of read-model values into a List of their wire
// forms (conv converts one), with its next link.
func listOf[T, W any](r *http.Request, p projections.Page[T], conv func(T) W) List[W] {
	l := List[W]{Items: wireList(p.Items, conv), Total: p.Total, Limit: p.Limit, AsOf: asOfMomentOf(r.Context())}
	if next := p.Offset + len(p.Items); next < p.Total && len(p.Items) > 0 {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("cursor", encodeCursor(next))
		q.Set("limit", strconv.Itoa(p.Limit))
		l.Next = r.URL.Path + "?" + q.Encode()
	}
	return l
}

// pageOf cuts one page out of a whole list.
func pageOf[T any](items []T, p projections.Paging) projections.Page[T] {
	limit := p.Limit
	if limit <= 0 {
		limit = projections.DefaultLimit
	}
	out := projections.Page[T]{Total: len(items), Offset: p.Offset, Limit: limit, Items: []T{}}
	if p.Offset < len(items) {
		out.Items = items[p.Offset:min(len(items), p.Offset+limit)]
	}
	return out
}

// writeList writes one page of a list, each item converted by conv to its
// wire form, with a Link header to the next.
func writeList[T, W any](s *Server, w http.ResponseWriter, r *http.Request, p projections.Page[T], conv func(T) W) {
	l := listOf(r, p, conv)
	if l.Next != "" {
		w.Header().Set("Link", "<"+l.Next+`>; rel="next"`)
	}
	s.writeJSON(w, r, http.StatusOK, l)
}
