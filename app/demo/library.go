package demo

import (
	"fmt"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

// libraryEntry is one service of the demo firm's services library: a
// proposal line's defaults, its revenue account and its terms.
type libraryEntry struct {
	line    proposal.Line
	account string
	terms   string
}

// library is what the demo firm sells, as its services library holds it:
// the services its proposals offer (offers.go), at their usual prices.
func library() []libraryEntry {
	return []libraryEntry{
		{libLine("Monthly bookkeeping", "Bank reconciliations, payables and receivables, monthly close in Xero", "450.00", "1", "month", monthly().br(), true), "200",
			"We reconcile your bank accounts and keep payables and receivables up to date each month, and close the month by the 10th of the next.\n\nYou give us read access to your bank feeds and send us receipts and invoices **by the 5th** of each month."},
		{libLine("BAS preparation and lodgement", "Quarterly business activity statement, prepared and lodged with the ATO", "690.00", "1", "quarter", quarterly().br(), true), "200",
			"We prepare your quarterly BAS from your books and lodge it with the ATO by its due date, once you have approved it.\n\nPenalties for late lodgement caused by missing records are yours."},
		{libLine("Annual financial statements and company tax return", "Special-purpose financial statements, company tax return and ASIC review", "3200.00", "1", "year", yearly().br(), true), "200",
			"We prepare special-purpose financial statements and the company tax return for each financial year, and the ASIC annual review.\n\nThe directors remain responsible for the financial statements."},
		{libLine("Individual tax return", "Personal income tax return, prepared and lodged", "350.00", "1", "return", once().br(), true), "200",
			"We prepare and lodge your individual tax return from the information you give us. You keep the records that support it for five years."},
		{libLine("Payroll processing", "Pay runs, payslips, Single Touch Payroll reporting and super", "25.00", "1", "employee", fortnightly().br(), true), "200",
			"We process each pay run from the timesheets you approve, report it through Single Touch Payroll and pay super by the quarterly due dates."},
		{libLine("Xero Standard subscription", "Xero subscription, billed through the practice", "70.00", "1", "month", monthly().br(), true), "260", ""},
		{libLine("Cash-flow forecast review", "Rolling 13-week cash-flow forecast, reviewed every four weeks", "220.00", "1", "review", everyDays(28).br(), true), "200", ""},
		{libLine("Xero set-up and data migration", "Chart of accounts, bank feeds and opening balances", "1200.00", "1", "", once().br(), true), "200",
			"A one-off project: chart of accounts, bank feeds, opening balances and one training session."},
		{libLine("Advisory hour", "Business advice, by the hour", "220.00", "1", "hour", onCompletion().br(), false), "200",
			"Advice is billed by the hour when the work is done, in six-minute units."},
		{libLine("Business plan and financial model", "Three-year plan and model for the bank", "3500.00", "1", "", onCompletion().br(), false), "200", ""},
		{libLine("Year-end tax planning", "Estimate: three hours of planning before 30 June", "280.00", "3", "hour", estimate().br(), false), "200", ""},
	}
}

// libLine is a library service's line at 10 % GST.
func libLine(name, desc, price, qty, unit string, rule domain.BillingRule, automatic bool) proposal.Line {
	return proposal.Line{Name: name, Description: desc, UnitPrice: amount(price), Quantity: amount(qty), Unit: unit, TaxRate: gst, BillingRule: rule, Automatic: automatic}
}

// addLibrary fills the firm's services library, right after set-up.
func (l *loader) addLibrary() error {
	for _, e := range library() {
		_, err := l.svc.AddLibraryService(l.ctx, billing.LibraryServiceRequest{
			LibraryServiceID: l.newID(), Name: e.line.Name, Description: e.line.Description, UnitPrice: e.line.UnitPrice,
			Quantity: e.line.Quantity, Unit: e.line.Unit, BillingRule: e.line.BillingRule, Automatic: e.line.Automatic,
			TaxRate: e.line.TaxRate, RevenueAccount: e.account, Terms: e.terms,
		}, meta(actorPartner))
		if err != nil {
			return fmt.Errorf("demo: add %s to the library: %w", e.line.Name, err)
		}
	}
	return nil
}
