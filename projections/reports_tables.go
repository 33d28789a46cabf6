package projections

import (
	"strconv"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// Table is a report as a plain table of text: what the dashboard shows
// beside each chart, and what a CSV export writes (a header row of
// Columns, then Rows). Amounts are decimal strings in the currency's minor
// units, without symbols; counts are integers; a missing ratio is "".
type Table struct {
	// Name is the table's name in its report, stable for links and
	// exports: "mrr-AUD", "failures" (a table per currency ends with its
	// code).
	Name    string
	Title   string
	Columns []string
	Rows    [][]string
}

func amount(m domain.Money) string { return m.Amount.StringFixed(int32(m.Currency.MinorUnits)) }

func ratio(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.StringFixed(1)
}

func itoa(n int) string { return strconv.Itoa(n) }

// Tables are recurring revenue's tables: one per currency, the MRR at the
// end of each month.
func (r RecurringRevenue) Tables() []Table {
	var out []Table
	for _, c := range r.Currencies {
		t := Table{Name: "mrr-" + c.Currency.Code, Title: "Monthly recurring revenue (" + c.Currency.Code + ")", Columns: []string{"month", "on", "mrr", "change"}}
		for _, h := range c.History {
			t.Rows = append(t.Rows, []string{h.Month.String(), h.On.String(), amount(h.Monthly), amount(h.Change)})
		}
		out = append(out, t)
	}
	return out
}

// Tables are projected billings' tables: per currency, by month and by
// service.
func (p ProjectedBillings) Tables() []Table {
	var out []Table
	for _, c := range p.Currencies {
		months := Table{Name: "months-" + c.Currency.Code, Title: "Projected billings by month (" + c.Currency.Code + ")", Columns: []string{"month", "amount"}}
		for _, m := range c.Months {
			months.Rows = append(months.Rows, []string{m.Month.String(), amount(m.Amount)})
		}
		services := Table{Name: "services-" + c.Currency.Code, Title: "Projected billings by service (" + c.Currency.Code + ")", Columns: []string{"service", "client", "amount"}}
		for _, s := range c.ByService {
			services.Rows = append(services.Rows, []string{s.Name, s.Client, amount(s.Amount)})
		}
		out = append(out, months, services)
	}
	return out
}

// Tables are revenue's tables: per currency, by service and by client.
func (r Revenue) Tables() []Table {
	var out []Table
	for _, c := range r.Currencies {
		services := Table{Name: "services-" + c.Currency.Code, Title: "Revenue by service (" + c.Currency.Code + ")", Columns: []string{"service", "client", "amount"}}
		for _, s := range c.ByService {
			services.Rows = append(services.Rows, []string{s.Name, s.Client, amount(s.Amount)})
		}
		clients := Table{Name: "clients-" + c.Currency.Code, Title: "Revenue by client (" + c.Currency.Code + ")", Columns: []string{"client", "amount"}}
		for _, s := range c.ByClient {
			clients.Rows = append(clients.Rows, []string{s.Name, amount(s.Amount)})
		}
		out = append(out, services, clients)
	}
	return out
}

// Tables are the receivables' tables: per currency, by age.
func (r Receivables) Tables() []Table {
	var out []Table
	for _, c := range r.Currencies {
		t := Table{Name: "ageing-" + c.Currency.Code, Title: "Accounts receivable by age (" + c.Currency.Code + ")", Columns: []string{"age", "invoices", "amount"}}
		for _, b := range c.Buckets {
			t.Rows = append(t.Rows, []string{b.Name, itoa(b.Invoices), amount(b.Amount)})
		}
		out = append(out, t)
	}
	return out
}

// Tables are collection's tables: by month, and failures by reason.
func (c CollectionRate) Tables() []Table {
	months := Table{Name: "months", Title: "Collection attempts by month", Columns: []string{"month", "attempts", "succeeded", "rejected"}}
	for _, m := range c.Months {
		months.Rows = append(months.Rows, []string{m.Month.String(), itoa(m.Attempts), itoa(m.Succeeded), itoa(m.Rejected)})
	}
	failures := Table{Name: "failures", Title: "Collection failures by reason", Columns: []string{"decline_code", "message", "count"}}
	for _, f := range c.Failures {
		failures.Rows = append(failures.Rows, []string{f.Code, f.Message, itoa(f.Count)})
	}
	return []Table{months, failures}
}

// Tables are the proposals' table: by month.
func (p Proposals) Tables() []Table {
	t := Table{Name: "months", Title: "Proposals by month", Columns: []string{"month", "sent", "accepted", "declined", "conversion_percent"}}
	for _, m := range p.Months {
		t.Rows = append(t.Rows, []string{m.Month.String(), itoa(m.Sent), itoa(m.Accepted), itoa(m.Declined), ratio(m.Conversion)})
	}
	return []Table{t}
}

// Tables are days sales outstanding's table: one row per currency.
func (d DSO) Tables() []Table {
	t := Table{Name: "dso", Title: "Days sales outstanding", Columns: []string{"currency", "receivable", "invoiced_last_" + itoa(d.Days) + "_days", "dso_days"}}
	for _, c := range d.Currencies {
		t.Rows = append(t.Rows, []string{c.Currency.Code, amount(c.Receivable), amount(c.Invoiced), ratio(c.DSO)})
	}
	return []Table{t}
}
