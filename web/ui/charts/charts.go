// Package charts draws small bar charts as inline SVG on the server, for
// pages that must read without JavaScript. A chart is an accessible image
// (role="img", named by its <title> and described by its <desc>); every
// bar carries its value as text and as a <title> tooltip, and series are
// told apart by pattern (solid, hatched, dotted) and a text legend as well as by
// shade, so nothing depends on colour alone. The page shows the figures
// as a table beside the chart too. Values are decimals; only the drawing
// turns them into pixels.
package charts

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/shopspring/decimal"
)

// Series is one set of bars, one value per category.
type Series struct {
	Name   string
	Values []decimal.Decimal
	// Labels are the values as the chart writes them ("A$1,200.00");
	// empty: the decimal as it is.
	Labels []string
}

// Chart is a bar chart: categories along the bottom (months) or, with
// Horizontal, down the left side (services, clients), with one bar per
// series in each.
type Chart struct {
	ID         string // unique on the page: prefixes the title and desc ids
	Title      string
	Desc       string
	Categories []string
	Series     []Series
	Horizontal bool
}

// Sizes of the drawing, in user units.
const (
	Width      = 640
	plotTop    = 24
	plotBottom = 40 // room for category labels
	columnH    = 220
	rowH       = 22
	labelW     = 280 // horizontal bars' category labels
	legendH    = 20
)

var fills = []string{"#1f5f8b", "#b35c1e", "#4b7d3a"}

// SVG renders the chart.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	h := c.height()
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="%s-title %s-desc">`, Width, h, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Desc))
	fmt.Fprintf(&b, `<defs><pattern id="%s-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="%s"/></pattern><pattern id="%s-dots" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff"/><circle cx="3" cy="3" r="1.6" fill="%s"/></pattern></defs>`, esc(c.ID), fills[1], esc(c.ID), fills[2])
	c.legend(&b)
	if c.Horizontal {
		c.rows(&b)
	} else {
		c.columns(&b)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text in it went through esc
}

func (c Chart) height() int {
	top := plotTop + c.legendSpace()
	if c.Horizontal {
		return top + len(c.Categories)*rowH*max(len(c.Series), 1) + 8
	}
	return top + columnH + plotBottom
}

func (c Chart) legendSpace() int {
	if len(c.Series) > 1 {
		return legendH
	}
	return 0
}

// fill is series i's fill: the first solid, the second hatched, the
// third dotted (further ones solid in other shades).
func (c Chart) fill(i int) string {
	switch i {
	case 1:
		return "url(#" + esc(c.ID) + "-hatch)"
	case 2:
		return "url(#" + esc(c.ID) + "-dots)"
	}
	return fills[i%len(fills)]
}

func (c Chart) legend(b *strings.Builder) {
	if len(c.Series) < 2 {
		return
	}
	x := 8
	for i, s := range c.Series {
		fmt.Fprintf(b, `<rect x="%d" y="6" width="14" height="14" fill="%s" stroke="#333"/><text x="%d" y="18" font-size="13">%s</text>`, x, c.fill(i), x+20, esc(s.Name))
		x += 40 + 8*len(s.Name)
	}
}

// maxValue is the largest value drawn (at least 1, so all-zero charts draw).
func (c Chart) maxValue() decimal.Decimal {
	m := decimal.NewFromInt(0)
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v.GreaterThan(m) {
				m = v
			}
		}
	}
	if m.IsZero() {
		return decimal.NewFromInt(1)
	}
	return m
}

// Length is a value's bar length when the largest value is full long:
// proportional, never negative.
func Length(v, largest decimal.Decimal, full int) float64 {
	if !v.IsPositive() || !largest.IsPositive() {
		return 0
	}
	return v.Div(largest).Mul(decimal.NewFromInt(int64(full))).Round(2).InexactFloat64()
}

func (s Series) label(i int) string {
	if i < len(s.Labels) && s.Labels[i] != "" {
		return s.Labels[i]
	}
	if i < len(s.Values) {
		return s.Values[i].String()
	}
	return ""
}

func (s Series) value(i int) decimal.Decimal {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return decimal.Zero
}

func (c Chart) columns(b *strings.Builder) {
	top := plotTop + c.legendSpace()
	base := top + columnH
	n := max(len(c.Categories), 1)
	slot := float64(Width-16) / float64(n)
	bar := (slot - 6) / float64(max(len(c.Series), 1))
	largest := c.maxValue()
	fmt.Fprintf(b, `<line x1="8" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, base, Width-8, base)
	for i, cat := range c.Categories {
		x0 := 8 + slot*float64(i) + 3
		for j, s := range c.Series {
			l := Length(s.value(i), largest, columnH-16)
			x := x0 + bar*float64(j)
			fmt.Fprintf(b, `<rect class="bar" x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s" stroke="#333" stroke-width="0.5"><title>%s, %s: %s</title></rect>`,
				x, float64(base)-l, bar-1, l, c.fill(j), esc(cat), esc(s.Name), esc(s.label(i)))
			if n <= 12 && len(c.Series) == 1 {
				fmt.Fprintf(b, `<text x="%.2f" y="%.2f" font-size="10" text-anchor="middle">%s</text>`, x+bar/2, float64(base)-l-3, esc(short(s.label(i))))
			}
		}
		fmt.Fprintf(b, `<text x="%.2f" y="%d" font-size="11" text-anchor="middle">%s</text>`, x0+slot/2-3, base+16, esc(cat))
	}
}

func (c Chart) rows(b *strings.Builder) {
	top := plotTop + c.legendSpace()
	per := max(len(c.Series), 1)
	largest := c.maxValue()
	full := Width - labelW - 120
	for i, cat := range c.Categories {
		y0 := top + i*rowH*per
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`, labelW-6, y0+15, esc(truncate(cat, 34)))
		for j, s := range c.Series {
			l := Length(s.value(i), largest, full)
			y := y0 + j*rowH
			fmt.Fprintf(b, `<rect class="bar" x="%d" y="%d" width="%.2f" height="%d" fill="%s" stroke="#333" stroke-width="0.5"><title>%s, %s: %s</title></rect>`,
				labelW, y+3, l, rowH-6, c.fill(j), esc(cat), esc(s.Name), esc(s.label(i)))
			fmt.Fprintf(b, `<text x="%.2f" y="%d" font-size="11">%s</text>`, float64(labelW)+l+4, y+15, esc(s.label(i)))
		}
	}
}

// short keeps a column's value label narrow: without cents over 1,000.
func short(s string) string {
	if len(s) > 8 {
		if i := strings.LastIndexByte(s, '.'); i > 0 {
			return s[:i]
		}
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func esc(s string) string { return template.HTMLEscapeString(s) }
