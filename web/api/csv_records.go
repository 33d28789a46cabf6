package api

import "strconv"

// The CSV forms of the lists (csvRecord). Each column is documented in
// docs/exports.md; a test parses every export back and checks it against
// the JSON list.

func (ClientListItem) csvHeader() []string {
	return []string{"id", "name", "primary_email", "archived", "outstanding", "overdue", "overdue_invoices", "has_active_method"}
}

func (c ClientListItem) csvRow() []string {
	return row(idCell(c.ID), cell(c.Name), cell(c.PrimaryEmail), boolCell(c.Archived), moneyListCells(c.Outstanding), moneyListCells(c.Overdue),
		strconv.Itoa(c.OverdueInvoices), boolCell(c.HasActiveMethod))
}

func (ServiceView) csvHeader() []string {
	return []string{"id", "client_id", "name", "description", "unit", "mode", "frequency", "interval", "unit_price", "currency", "quantity",
		"tax_rate", "payment_method_id", "activated_at", "ended", "end_date", "next_billing_date"}
}

func (v ServiceView) csvRow() []string {
	next := ""
	if v.NextBilling != nil {
		next = dateCell(v.NextBilling.Date)
	}
	return row(idCell(v.ID), idCell(v.ClientID), cell(v.Name), cell(v.Description), cell(v.Unit), v.Mode, v.BillingRule.Frequency,
		strconv.Itoa(v.BillingRule.Interval), moneyCells(v.UnitPrice), string(v.Quantity), string(v.TaxRate), idCell(v.PaymentMethodID),
		timeCell(v.ActivatedAt), boolCell(v.Ended), dateCell(v.EndDate), next)
}

func (ScheduleItem) csvHeader() []string {
	return []string{"key", "service_id", "service_name", "date", "issue_date", "description", "quantity", "unit_price", "tax_rate", "amount",
		"currency", "mode", "status", "payment_method_id", "invoice_id", "overdue", "catch_up"}
}

func (v ScheduleItem) csvRow() []string {
	return row(v.Key, idCell(v.ServiceID), cell(v.ServiceName), dateCell(v.Date), dateCell(v.IssueDate), cell(v.LineDescription), string(v.Quantity),
		string(v.UnitPrice.Amount), string(v.TaxRate), moneyCells(v.Amount), v.Mode, v.Status, idCell(v.PaymentMethodID), idCell(v.InvoiceID),
		boolCell(v.Overdue), boolCell(v.CatchUp))
}

func (InvoiceListItem) csvHeader() []string {
	return []string{"id", "number", "client_id", "client_name", "issue_date", "due_date", "status", "total", "balance", "currency", "recurring"}
}

func (v InvoiceListItem) csvRow() []string {
	return row(idCell(v.ID), cell(v.Number), idCell(v.ClientID), cell(v.ClientName), dateCell(v.IssueDate), dateCell(v.DueDate), v.Status,
		string(v.Total.Amount), moneyCells(v.Balance), boolCell(v.Recurring))
}

func (PaymentView) csvHeader() []string {
	return []string{"id", "date", "amount", "currency", "method", "method_id", "gateway", "reference", "at", "through", "paid_with"}
}

func (v PaymentView) csvRow() []string {
	paidWith := ""
	if v.PaidWith != nil {
		paidWith = v.PaidWith.Label
	}
	return row(idCell(v.ID), dateCell(v.Date), moneyCells(v.Amount), cell(v.Method), idCell(v.MethodID), boolCell(v.Gateway), cell(v.Reference), timeCell(v.At),
		v.Through, cell(paidWith))
}

func (PayoutListItem) csvHeader() []string {
	return []string{"id", "gateway", "reference", "arrival_date", "status", "amount", "gross", "fees", "currency", "charges", "refunds"}
}

func (v PayoutListItem) csvRow() []string {
	return row(idCell(v.ID), v.Gateway, cell(v.Reference), dateCell(v.ArrivalDate), v.Status, string(v.Amount.Amount), string(v.Gross.Amount),
		moneyCells(v.Fees), strconv.Itoa(v.Charges), strconv.Itoa(v.Refunds))
}

func (ActivityLine) csvHeader() []string {
	return []string{"position", "at", "actor", "event_type", "stream", "text", "invoice_id"}
}

func (v ActivityLine) csvRow() []string {
	return row(strconv.FormatUint(v.Position, 10), timeCell(v.At), cell(v.Actor), v.EventType, v.Stream, cell(v.Text), idCell(v.InvoiceID))
}

// BillingPreviewLine is one line of an invoice a billing dry run would
// issue: the CSV form of a preview, one row per line, the invoice's fields
// repeated on each.
type BillingPreviewLine struct {
	Invoice PlannedInvoice
	Line    InvoiceLine
}

func (BillingPreviewLine) csvHeader() []string {
	return []string{"invoice_id", "client_id", "client_name", "issue_date", "due_date", "payment_method", "collection_date", "description",
		"quantity", "unit_price", "tax_rate", "net", "tax", "gross", "currency", "invoice_total"}
}

func (v BillingPreviewLine) csvRow() []string {
	i, l := v.Invoice, v.Line
	return row(idCell(i.InvoiceID), idCell(i.ClientID), cell(i.ClientName), dateCell(i.IssueDate), dateCell(i.DueDate), cell(i.PaymentMethod),
		dateCell(i.CollectionDate), cell(l.Description), string(l.Quantity), string(l.UnitPrice.Amount), string(l.TaxRate),
		string(l.Amounts.Net.Amount), string(l.Amounts.Tax.Amount), moneyCells(l.Amounts.Gross), string(i.Totals.Gross.Amount))
}

func (LibraryService) csvHeader() []string {
	return []string{"id", "name", "description", "unit_price", "quantity", "unit", "frequency", "interval", "automatic", "tax_rate",
		"revenue_account", "archived", "added_at", "changed_at"}
}

func (v LibraryService) csvRow() []string {
	return row(idCell(v.ID), cell(v.Name), cell(v.Description), string(v.UnitPrice), string(v.Quantity), cell(v.Unit), v.BillingRule.Frequency,
		strconv.Itoa(v.BillingRule.Interval), boolCell(v.Automatic), string(v.TaxRate), cell(v.RevenueAccount), boolCell(v.Archived),
		timeCell(v.AddedAt), timeCell(v.ChangedAt))
}

func (ContactView) csvHeader() []string {
	return []string{"id", "name", "email", "phone", "role", "primary"}
}

func (v ContactView) csvRow() []string {
	return row(idCell(v.ID), cell(v.Name), cell(v.Email), cell(v.Phone), cell(v.Role), boolCell(v.Primary))
}

func (TokenView) csvHeader() []string {
	return []string{"id", "name", "scope", "created_at", "expires_at", "revoked"}
}

func (v TokenView) csvRow() []string {
	exp := ""
	if v.ExpiresAt != nil {
		exp = timeCell(*v.ExpiresAt)
	}
	return row(idCell(v.ID), cell(v.Name), v.Scope, timeCell(v.CreatedAt), exp, boolCell(v.Revoked))
}
