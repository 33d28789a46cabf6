package charts_test

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/web/ui/charts"
)

func dec(s ...string) []decimal.Decimal {
	out := make([]decimal.Decimal, len(s))
	for i, v := range s {
		out[i] = decimal.RequireFromString(v)
	}
	return out
}

// svgDoc is what the test reads back from a chart.
type svgDoc struct {
	Role  string `xml:"role,attr"`
	Label string `xml:"aria-labelledby,attr"`
	Title struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"title"`
	Desc struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"desc"`
	Rects []struct {
		Class  string `xml:"class,attr"`
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
		Title  string `xml:"title"`
	} `xml:"rect"`
	Texts []string `xml:"text"`
}

func parse(t *testing.T, c charts.Chart) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(strings.NewReader(string(c.SVG())))
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("chart is not XML: %v\n%s", err, c.SVG())
	}
	if _, err := d.Token(); err != io.EOF {
		t.Fatalf("chart has content after the svg element: %v", err)
	}
	return doc
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

// TestColumnsAreProportionalAndNamed: a column chart parses as XML, is an
// image named by its title and described, and its bars' heights are in
// the proportion of their values, each with its value as text.
func TestColumnsAreProportionalAndNamed(t *testing.T) {
	c := charts.Chart{ID: "mrr", Title: "Monthly recurring revenue <AUD>", Desc: "MRR at each month end",
		Categories: []string{"2025-01", "2025-02", "2025-03"},
		Series:     []charts.Series{{Name: "MRR", Values: dec("100", "200", "50"), Labels: []string{"A$100.00", "A$200.00", "A$50.00"}}}}
	doc := parse(t, c)
	if doc.Role != "img" || doc.Label != "mrr-title mrr-desc" || doc.Title.ID != "mrr-title" || doc.Desc.ID != "mrr-desc" {
		t.Fatalf("svg role %q, labelled by %q, title id %q, desc id %q", doc.Role, doc.Label, doc.Title.ID, doc.Desc.ID)
	}
	if doc.Title.Text != "Monthly recurring revenue <AUD>" || doc.Desc.Text != "MRR at each month end" {
		t.Fatalf("title %q desc %q", doc.Title.Text, doc.Desc.Text)
	}
	var heights []float64
	for _, r := range doc.Rects {
		if r.Class == "bar" {
			heights = append(heights, num(t, r.Height))
		}
	}
	if len(heights) != 3 {
		t.Fatalf("%d bars, want 3", len(heights))
	}
	if heights[1] != 2*heights[0] || heights[0] != 2*heights[2] || heights[1] <= 0 {
		t.Fatalf("bar heights %v, want in proportion 2:4:1", heights)
	}
	if !strings.Contains(strings.Join(doc.Texts, "|"), "A$200.00") || doc.Rects[len(doc.Rects)-2].Title != "2025-02, MRR: A$200.00" {
		t.Fatalf("values not written: texts %v", doc.Texts)
	}
}

// TestHorizontalSeriesByPattern: two series are told apart by a hatch
// pattern and a text legend, not colour alone; bar widths are
// proportional; zero and negative values draw no bar.
func TestHorizontalSeriesByPattern(t *testing.T) {
	c := charts.Chart{ID: "col", Title: "Collections", Desc: "Succeeded and rejected", Horizontal: true,
		Categories: []string{"Jan", "Feb"},
		Series:     []charts.Series{{Name: "Succeeded", Values: dec("3", "0")}, {Name: "Rejected", Values: dec("1", "-2")}}}
	doc := parse(t, c)
	var widths []float64
	var fills []string
	for _, r := range doc.Rects {
		if r.Class == "bar" {
			widths = append(widths, num(t, r.Width))
			fills = append(fills, r.Fill)
		}
	}
	if len(widths) != 4 || math.Abs(widths[0]-3*widths[1]) > 0.02 || widths[2] != 0 || widths[3] != 0 {
		t.Fatalf("bar widths %v, want 3:1 then none", widths)
	}
	if fills[1] != "url(#col-hatch)" || fills[0] == fills[1] {
		t.Fatalf("fills %v: the second series must be hatched", fills)
	}
	legend := strings.Join(doc.Texts, "|")
	if !strings.Contains(legend, "Succeeded") || !strings.Contains(legend, "Rejected") {
		t.Fatalf("no legend in %v", doc.Texts)
	}
}

// TestAllZeroDrawsNoBars: a chart of nothing still parses and draws empty bars.
func TestAllZeroDrawsNoBars(t *testing.T) {
	doc := parse(t, charts.Chart{ID: "z", Title: "Nothing", Categories: []string{"a"}, Series: []charts.Series{{Name: "x", Values: dec("0")}}})
	for _, r := range doc.Rects {
		if r.Class == "bar" && num(t, r.Height) != 0 {
			t.Fatalf("zero value drew a bar of height %s", r.Height)
		}
	}
}
