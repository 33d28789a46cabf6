package ui

import (
	"bytes"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"remit/web/api"
)

// asOfBar is what the header's date-time picker and the as-of banner show.
type asOfBar struct {
	// Value is the picker's value: the moment asked for in the firm's zone
	// (a datetime-local value), "" when looking at now.
	Value string
	// Active is set when the page is as of a past moment; then Label says
	// when, Position is the last event's position and NowURL the same page
	// now.
	Active   bool
	Label    string
	Position uint64
	NowURL   string
	// Path is where the picker leads when it is not the page itself: for a
	// form shown again after a refused post, the page it was posted from.
	Path string
}

// asOfBarOf is the picker and banner of a request.
func asOfBarOf(r *http.Request, loc *time.Location) *asOfBar {
	// On a page shown by GET the picker's form has no action: it leads to
	// the page itself (and a page's own forms stay the only ones carrying
	// their path as action).
	b := &asOfBar{}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A form shown again after a refused post: its path only takes
		// posts, so the picker leads to the page the form came from.
		b.Path = "/clients"
		if back := backTo(r); back != "" {
			b.Path, _, _ = strings.Cut(back, "?")
		}
	}
	a, ok := api.AsOfFrom(r.Context())
	if !ok {
		return b
	}
	b.Active, b.Position = true, a.Moment.Position
	q := r.URL.Query()
	q.Del(api.AsOfParam)
	b.NowURL = r.URL.Path
	if len(q) > 0 {
		b.NowURL += "?" + q.Encode()
	}
	at := a.Time
	if at.IsZero() {
		at = a.Moment.At
	}
	if !at.IsZero() {
		b.Value = at.In(loc).Format("2006-01-02T15:04:05")
		b.Label = at.In(loc).Format("2 Jan 2006 15:04 MST")
	}
	switch {
	case a.Moment.Position == 0:
		b.Label += " (before anything was recorded)"
	case !a.Time.IsZero():
		b.Label += " (log position " + strconv.FormatUint(a.Moment.Position, 10) + ", recorded " + a.Moment.At.In(loc).Format("2 Jan 2006 15:04:05") + ")"
	default:
		b.Label = "log position " + strconv.FormatUint(a.Moment.Position, 10) + ", recorded " + a.Moment.At.In(loc).Format("2 Jan 2006 15:04:05 MST")
	}
	return b
}

var (
	// asOfHref is a tag's href attribute.
	asOfHref = regexp.MustCompile(`\bhref="[^"]*"`)
	// asOfTag finds the tags whose links a page as of a moment rewrites.
	asOfTag = regexp.MustCompile(`(?is)<(a|form)\b[^>]*>`)
	// asOfLink is an internal link in a tag: href or action starting with
	// one slash (not //, not a static file).
	asOfLink = regexp.MustCompile(`(?i)\b(href|action)="(/[^/"][^"]*|/)"`)
)

// asOfPage rewrites a page shown as of a moment: every internal link keeps
// as_of (a GET form gets it as a hidden field, since submitting replaces
// its action's query), and every form that changes something (method post,
// but signing out) is wrapped in a disabled fieldset, so its fields and
// buttons show disabled; the server refuses such a post anyway. A link to
// a form (toForm: Edit client, a button-styled action) is shown disabled,
// leading nowhere. Tags marked data-asof-now (the banner's way back to
// now, the picker) are left alone.
func asOfPage(page []byte, raw string, toForm func(link string) bool) []byte {
	param := url.QueryEscape(raw)
	var out bytes.Buffer
	out.Grow(len(page) + len(page)/20)
	last := 0
	for _, loc := range asOfTag.FindAllIndex(page, -1) {
		tag := string(page[loc[0]:loc[1]])
		out.Write(page[last:loc[0]])
		last = loc[1]
		if strings.Contains(tag, "data-asof-now") {
			out.WriteString(tag)
			continue
		}
		isForm := strings.HasPrefix(strings.ToLower(tag), "<form")
		lower := strings.ToLower(tag)
		if actionLink(lower, toForm) {
			// A link to a form that changes something: shown disabled,
			// leading nowhere.
			out.WriteString(asOfHref.ReplaceAllString(tag, `aria-disabled="true"`))
			continue
		}
		post := isForm && strings.Contains(lower, `method="post"`) && !strings.Contains(lower, `action="/logout"`)
		tag = asOfLink.ReplaceAllStringFunc(tag, func(attr string) string {
			m := asOfLink.FindStringSubmatch(attr)
			target := m[2]
			if strings.HasPrefix(target, "/static/") || strings.Contains(target, "as_of=") || (isForm && !post) {
				return attr
			}
			frag := ""
			if i := strings.IndexByte(target, '#'); i >= 0 {
				target, frag = target[:i], target[i:]
			}
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&amp;"
			}
			return m[1] + `="` + target + sep + "as_of=" + param + frag + `"`
		})
		out.WriteString(tag)
		switch {
		case post:
			out.WriteString(`<fieldset class="asof-off" disabled>`)
		case isForm && strings.Contains(lower, `method="get"`):
			out.WriteString(`<input type="hidden" name="as_of" value="` + html.EscapeString(raw) + `">`)
		}
	}
	out.Write(page[last:])
	if !bytes.Contains(out.Bytes(), []byte(`class="asof-off"`)) {
		return out.Bytes()
	}
	return closePostForms(out.Bytes())
}

// closePostForms closes each disabled fieldset asOfPage opened before the
// end of its form.
func closePostForms(page []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(page) + 256)
	open := []byte(`<fieldset class="asof-off" disabled>`)
	end := []byte(`</form>`)
	for {
		i := bytes.Index(page, open)
		if i < 0 {
			out.Write(page)
			return out.Bytes()
		}
		j := bytes.Index(page[i:], end)
		if j < 0 {
			out.Write(page)
			return out.Bytes()
		}
		j += i
		out.Write(page[:j])
		out.WriteString(`</fieldset>`)
		out.Write(end)
		page = page[j+len(end):]
	}
}

// actionLink reports whether a (lower-cased) tag is a link that leads to
// an action's form (not a download): one styled as a button, or one whose
// path is a form's (isForm).
func actionLink(tag string, isForm func(string) bool) bool {
	if !strings.HasPrefix(tag, "<a") || strings.Contains(tag, " download") {
		return false // a download (Download CSV) reads, and reads as of the moment too
	}
	m := asOfLink.FindStringSubmatch(tag)
	if m == nil {
		return false
	}
	if isForm != nil && isForm(html.UnescapeString(m[2])) {
		return true
	}
	return strings.Contains(tag, `class="button`) && !strings.HasSuffix(m[2], "/pdf") && !strings.HasSuffix(m[2], "/ubl")
}
