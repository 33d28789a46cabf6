package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/projections"
	"remit/web/api"
	"remit/web/ui/charts"
)

// registerDashboardRoutes adds the Dashboard: the firm's figures (the
// reports of the JSON API's /api/reports/), each drawn as an SVG chart on
// the server with its table beside it.
func (h *handler) registerDashboardRoutes(rt routes) {
	rt.get("/dashboard", h.handleDashboard)
}

// panel is one figure of the dashboard: a heading, what the figure means,
// its headline numbers, and charts each with its table.
type panel struct {
	ID, Title, Definition string
	Headline              []headline
	Figures               []chartFigure
	// Empty says there is nothing to show yet ("No invoices yet."),
	// instead of charts and tables of zeros.
	Empty string
}

// emptyUnless clears p's figures and says msg when nothing is there yet.
func (p panel) emptyUnless(any bool, msg string) panel {
	if !any {
		p.Headline, p.Figures, p.Empty = nil, nil, msg
	}
	return p
}

type headline struct{ Label, Value string }

// chartFigure is a chart and the table of its figures, with the table's
// CSV download (the API's report as CSV).
type chartFigure struct {
	Chart template.HTML
	Table projections.Table
	CSV   string
}

// Headers are the table's columns as a person reads them ("dso_days":
// "DSO days").
func (f chartFigure) Headers() []string {
	out := make([]string, len(f.Table.Columns))
	for i, c := range f.Table.Columns {
		words := strings.Split(c, "_")
		for j, w := range words {
			switch w {
			case "mrr", "dso":
				words[j] = strings.ToUpper(w)
			case "percent":
				words[j] = "%"
			}
		}
		h := strings.Join(words, " ")
		out[i] = strings.ToUpper(h[:1]) + h[1:]
	}
	return out
}

type dashboard struct {
	// GettingStarted is the new firm's checklist; nil once done or dismissed.
	GettingStarted *checklist
	Panels         []panel
	// Revenue's period and the form asking for another.
	From, To domain.Date

	proposalsSent int
}

func (h *handler) handleDashboard(w http.ResponseWriter, r *http.Request) {
	f, loc, err := h.firmNow(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := projections.ReportQuery{Today: domain.DateOf(api.AsOfNow(r.Context(), h.cfg.Now), loc), Zone: loc, Currency: f.BaseCurrency}
	fm := newForm()
	for _, name := range []string{"from", "to"} {
		v := r.URL.Query().Get(name)
		fm.Values.Set(name, v)
		if v == "" {
			continue
		}
		d, err := domain.ParseDate(v)
		if err != nil {
			fm.Errors[name] = "Enter a date, like 2026-01-31."
			continue
		}
		if name == "from" {
			q.From = d
		} else {
			q.To = d
		}
	}
	if len(fm.Errors) == 0 && (q.From.IsZero() != q.To.IsZero()) {
		fm.Errors["to"] = "Give both dates, or neither."
	}
	if len(fm.Errors) == 0 && !q.From.IsZero() && q.To.Before(q.From) {
		fm.Errors["to"] = "Must be on or after the first day."
	}
	if len(fm.Errors) > 0 {
		q.From, q.To = domain.Date{}, domain.Date{}
	}
	d, err := h.dashboard(r, q)
	if err == nil {
		d.GettingStarted, err = h.gettingStarted(r.Context(), r, f, d.proposalsSent)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(fm.Errors) > 0 {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "dashboard", &view{Title: "Dashboard", Section: "dashboard", D: d, Form: fm})
}

// dashboard reads every report and lays it out.
func (h *handler) dashboard(r *http.Request, q projections.ReportQuery) (dashboard, error) {
	ctx := r.Context()
	m := h.models(ctx)
	mrr, err := m.RecurringRevenue(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	proj, err := m.ProjectedBillings(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	rev, err := m.Revenue(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	ar, err := m.Receivables(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	col, err := m.CollectionRate(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	props, err := m.Proposals(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	dso, err := m.DSO(ctx, q)
	if err != nil {
		return dashboard{}, err
	}
	d := dashboard{From: rev.From, To: rev.To, proposalsSent: props.Sent}
	d.Panels = append(d.Panels, recurringPanel(mrr), projectedPanel(proj), revenuePanel(rev), receivablesPanel(ar),
		collectionsPanel(col), proposalsPanel(props), dsoPanel(dso))
	for i, p := range d.Panels {
		for j, f := range p.Figures {
			if f.Table.Name == "" {
				continue
			}
			v := url.Values{"table": {f.Table.Name}}
			if p.ID == "revenue" && !q.From.IsZero() {
				v.Set("from", q.From.String())
				v.Set("to", q.To.String())
			}
			d.Panels[i].Figures[j].CSV = csvURL("/api/reports/"+reportPaths[p.ID], v)
		}
	}
	return d, nil
}

// reportPaths are the API's reports (/api/reports/…) behind each panel.
var reportPaths = map[string]string{"recurring": "recurring-revenue", "projected": "projected-billings", "revenue": "revenue",
	"receivables": "receivables", "collections": "collections", "proposals": "proposals", "dso": "dso"}

// moneySeries is one series of amounts, labelled in the currency.
func moneySeries(name string, ms []domain.Money) charts.Series {
	s := charts.Series{Name: name}
	for _, m := range ms {
		s.Values = append(s.Values, m.Amount)
		s.Labels = append(s.Labels, fmtMoney(m))
	}
	return s
}

func countSeries(name string, ns []int) charts.Series {
	s := charts.Series{Name: name}
	for _, n := range ns {
		s.Values = append(s.Values, decimal.NewFromInt(int64(n)))
		s.Labels = append(s.Labels, fmt.Sprint(n))
	}
	return s
}

// suffix tells apart the charts of several currencies.
func suffix(c domain.Currency, several bool) string {
	if several {
		return " (" + c.Code + ")"
	}
	return ""
}

func recurringPanel(rep projections.RecurringRevenue) panel {
	p := panel{ID: "recurring", Title: "Recurring revenue",
		Definition: "Monthly recurring revenue (MRR) is every repeating service's current billing made monthly: every N months ÷ N, every N weeks × 30.4375 ÷ 7N, every N days × 30.4375 ÷ N (30.4375 days is an average month). The annual run rate is 12 × MRR. The chart shows the MRR on the last day of each month."}
	tables := rep.Tables()
	for i, c := range rep.Currencies {
		sfx := suffix(c.Currency, len(rep.Currencies) > 1)
		p.Headline = append(p.Headline, headline{"MRR" + sfx, fmtMoney(c.Monthly)}, headline{"Annual run rate" + sfx, fmtMoney(c.Annual)},
			headline{"Recurring services" + sfx, fmt.Sprint(c.Services)})
		var cats []string
		var ms []domain.Money
		for _, h := range c.History {
			cats = append(cats, h.Month.String())
			ms = append(ms, h.Monthly)
		}
		p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-mrr-" + c.Currency.Code, Title: "Monthly recurring revenue, last 12 months" + sfx,
			Desc: "MRR at each month end from " + cats[0] + " to " + cats[len(cats)-1] + "; now " + fmtMoney(c.Monthly) + ".", Categories: cats,
			Series: []charts.Series{moneySeries("MRR", ms)}}.SVG(), Table: tables[i]})
	}
	n := 0
	for _, c := range rep.Currencies {
		n += c.Services
		for _, h := range c.History {
			if !h.Monthly.Amount.IsZero() {
				n++
			}
		}
	}
	return p.emptyUnless(n > 0, "No recurring services yet.")
}

func projectedPanel(rep projections.ProjectedBillings) panel {
	p := panel{ID: "projected", Title: "Projected billings",
		Definition: "What the billing schedules will bill, before tax, from today to " + fmtDate(rep.Through) + ": every scheduled item (automatic or manual) not yet billed, skipped or archived."}
	tables := rep.Tables()
	for i, c := range rep.Currencies {
		sfx := suffix(c.Currency, len(rep.Currencies) > 1)
		p.Headline = append(p.Headline, headline{"Next 12 months" + sfx, fmtMoney(c.Total)})
		var cats []string
		var ms []domain.Money
		for _, m := range c.Months {
			cats = append(cats, m.Month.String())
			ms = append(ms, m.Amount)
		}
		p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-projected-" + c.Currency.Code, Title: "Projected billings by month" + sfx,
			Desc: "Scheduled billings per month, " + cats[0] + " to " + cats[len(cats)-1] + ", total " + fmtMoney(c.Total) + ".", Categories: cats,
			Series: []charts.Series{moneySeries("Billings", ms)}}.SVG(), Table: tables[2*i]})
		p.Figures = append(p.Figures, namedFigure("chart-projected-services-"+c.Currency.Code, "Projected billings by service"+sfx, c.ByService, true, tables[2*i+1]))
	}
	some := false
	for _, c := range rep.Currencies {
		some = some || !c.Total.Amount.IsZero() || len(c.ByService) > 0
	}
	return p.emptyUnless(some, "Nothing is scheduled to bill yet.")
}

// topNamed is how many services or clients a chart draws (its table lists all).
const topNamed = 10

func namedFigure(id, title string, xs []projections.NamedAmount, withClient bool, t projections.Table) chartFigure {
	var cats []string
	var ms []domain.Money
	for i, x := range xs {
		if i == topNamed {
			break
		}
		name := x.Name
		if withClient && x.Client != "" {
			name += " · " + x.Client
		}
		cats = append(cats, name)
		ms = append(ms, x.Amount)
	}
	desc := "None yet."
	if len(xs) > 0 {
		desc = fmt.Sprintf("The %d largest of %d, largest first: %s, %s.", len(cats), len(xs), cats[0], fmtMoney(ms[0]))
	}
	return chartFigure{Chart: charts.Chart{ID: id, Title: title, Desc: desc, Categories: cats, Horizontal: true,
		Series: []charts.Series{moneySeries("Amount", ms)}}.SVG(), Table: t}
}

func revenuePanel(rep projections.Revenue) panel {
	p := panel{ID: "revenue", Title: "Revenue",
		Definition: "Invoices issued from " + fmtDate(rep.From) + " to " + fmtDate(rep.To) + ", before tax, void ones left out, less their credit notes and refunds (before tax, in the period of their invoice). Write-offs are not deducted."}
	tables := rep.Tables()
	for i, c := range rep.Currencies {
		sfx := suffix(c.Currency, len(rep.Currencies) > 1)
		p.Headline = append(p.Headline, headline{"Revenue" + sfx, fmtMoney(c.Net)}, headline{"Invoiced" + sfx, fmtMoney(c.Invoiced)},
			headline{"Credited" + sfx, fmtMoney(c.Credited)}, headline{"Invoices" + sfx, fmt.Sprint(c.Invoices)})
		p.Figures = append(p.Figures,
			namedFigure("chart-revenue-services-"+c.Currency.Code, "Revenue by service"+sfx, c.ByService, true, tables[2*i]),
			namedFigure("chart-revenue-clients-"+c.Currency.Code, "Revenue by client"+sfx, c.ByClient, false, tables[2*i+1]))
	}
	n := 0
	for _, c := range rep.Currencies {
		n += c.Invoices + len(c.ByClient)
	}
	return p.emptyUnless(n > 0, "No invoices in this period.")
}

// ageNames are the ageing buckets as the dashboard says them.
var ageNames = map[string]string{"current": "Current", "1-30": "1–30 days", "31-60": "31–60 days", "61-90": "61–90 days", "over_90": "Over 90 days"}

func receivablesPanel(rep projections.Receivables) panel {
	p := panel{ID: "receivables", Title: "Accounts receivable by age",
		Definition: "Every unpaid balance (tax included) by how many days past its due date it is today: current (not yet due), 1–30, 31–60, 61–90 and over 90 days."}
	tables := rep.Tables()
	for i, c := range rep.Currencies {
		sfx := suffix(c.Currency, len(rep.Currencies) > 1)
		p.Headline = append(p.Headline, headline{"Owed" + sfx, fmtMoney(c.Total)}, headline{"Open invoices" + sfx, fmt.Sprint(c.Invoices)})
		var cats []string
		var ms []domain.Money
		for _, b := range c.Buckets {
			cats = append(cats, ageNames[b.Name])
			ms = append(ms, b.Amount)
		}
		p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-ageing-" + c.Currency.Code, Title: "Accounts receivable by age" + sfx,
			Desc: "Owed " + fmtMoney(c.Total) + "; over 90 days past due " + fmtMoney(ms[4]) + ".", Categories: cats,
			Series: []charts.Series{moneySeries("Owed", ms)}}.SVG(), Table: tables[i]})
	}
	some := false
	for _, c := range rep.Currencies {
		some = some || c.Invoices > 0 || !c.Total.Amount.IsZero()
	}
	return p.emptyUnless(some, "Nothing is owed: no unpaid invoices.")
}

func rate(d *decimal.Decimal) string {
	if d == nil {
		return "—"
	}
	return d.StringFixed(1) + "%"
}

func collectionsPanel(rep projections.CollectionRate) panel {
	p := panel{ID: "collections", Title: "Collection",
		Definition: "Payments taken from a method on file in the last 12 months, by the month of the attempt: the success rate is succeeded ÷ attempts; failures are grouped by the gateway's decline code.",
		Headline:   []headline{{"Success rate", rate(rep.SuccessRate)}, {"Attempts", fmt.Sprint(rep.Attempts)}, {"Succeeded", fmt.Sprint(rep.Succeeded)}, {"Rejected", fmt.Sprint(rep.Rejected)}}}
	var cats []string
	var ok, bad []int
	for _, m := range rep.Months {
		cats = append(cats, m.Month.String())
		ok, bad = append(ok, m.Succeeded), append(bad, m.Rejected)
	}
	tables := rep.Tables()
	p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-collections", Title: "Collection attempts by month",
		Desc: fmt.Sprintf("Succeeded (solid) and rejected (hatched) attempts per month; %d of %d succeeded.", rep.Succeeded, rep.Attempts), Categories: cats,
		Series: []charts.Series{countSeries("Succeeded", ok), countSeries("Rejected", bad)}}.SVG(), Table: tables[0]})
	var codes []string
	var counts []int
	for _, f := range rep.Failures {
		codes = append(codes, f.Code)
		counts = append(counts, f.Count)
	}
	desc := "No rejected attempts."
	if len(codes) > 0 {
		desc = fmt.Sprintf("Most frequent: %s, %d times.", codes[0], counts[0])
	}
	p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-failures", Title: "Collection failures by reason", Desc: desc, Horizontal: true,
		Categories: codes, Series: []charts.Series{countSeries("Rejected", counts)}}.SVG(), Table: tables[1]})
	return p.emptyUnless(rep.Attempts > 0, "No payments collected yet.")
}

func proposalsPanel(rep projections.Proposals) panel {
	p := panel{ID: "proposals", Title: "Proposals",
		Definition: "Proposals counted in the month they were (last) sent, accepted and declined, over the last 12 months. Conversion is the share of the proposals sent that were accepted since.",
		Headline:   []headline{{"Conversion", rate(rep.Conversion)}, {"Sent", fmt.Sprint(rep.Sent)}, {"Accepted", fmt.Sprint(rep.Accepted)}, {"Declined", fmt.Sprint(rep.Declined)}}}
	var cats []string
	var sent, acc, dec []int
	for _, m := range rep.Months {
		cats = append(cats, m.Month.String())
		sent, acc, dec = append(sent, m.Sent), append(acc, m.Accepted), append(dec, m.Declined)
	}
	p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-proposals", Title: "Proposals by month",
		Desc:       fmt.Sprintf("Sent (solid), accepted (hatched) and declined (dotted) per month; %d sent, %d accepted, %d declined.", rep.Sent, rep.Accepted, rep.Declined),
		Categories: cats, Series: []charts.Series{countSeries("Sent", sent), countSeries("Accepted", acc), countSeries("Declined", dec)}}.SVG(), Table: rep.Tables()[0]})
	return p.emptyUnless(rep.Sent+rep.Accepted+rep.Declined > 0, "No proposals sent in the last 12 months.")
}

func dsoPanel(rep projections.DSO) panel {
	p := panel{ID: "dso", Title: "Days sales outstanding",
		Definition: fmt.Sprintf("DSO = owed today ÷ invoiced in the last %d days (from %s, tax included, void left out) × %d: about how many days of sales are unpaid.", rep.Days, fmtDate(rep.From), rep.Days)}
	tables := rep.Tables()
	for _, c := range rep.Currencies {
		sfx := suffix(c.Currency, len(rep.Currencies) > 1)
		days := "—"
		if c.DSO != nil {
			days = c.DSO.StringFixed(1) + " days"
		}
		p.Headline = append(p.Headline, headline{"DSO" + sfx, days})
		p.Figures = append(p.Figures, chartFigure{Chart: charts.Chart{ID: "chart-dso-" + c.Currency.Code, Title: "Owed against invoiced" + sfx,
			Desc: "Owed today " + fmtMoney(c.Receivable) + "; invoiced in the window " + fmtMoney(c.Invoiced) + "; DSO " + days + ".", Horizontal: true,
			Categories: []string{"Owed today", fmt.Sprintf("Invoiced, last %d days", rep.Days)},
			Series:     []charts.Series{moneySeries("Amount", []domain.Money{c.Receivable, c.Invoiced})}}.SVG()})
	}
	if len(p.Figures) > 0 {
		p.Figures[len(p.Figures)-1].Table = tables[0]
	}
	some := false
	for _, c := range rep.Currencies {
		some = some || !c.Receivable.Amount.IsZero() || !c.Invoiced.Amount.IsZero()
	}
	return p.emptyUnless(some, "No invoices yet.")
}
