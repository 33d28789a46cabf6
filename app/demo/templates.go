package demo

import (
	"fmt"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
)

// templateNamespace names the demo's proposal templates: fixed ids that
// draw nothing from the demo's random source, so adding them changed no
// other demo data.
var templateNamespace = uuid.MustParse("5d1f0c2e-8b7a-5e34-9c61-2f4b8d0e7a13")

// addTemplates gives the demo firm its two proposal templates.
func (l *loader) addTemplates() error {
	monthly := every(domain.FrequencyMonths, 1)
	once := domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnProposalStart, End: domain.EndNever}
	letter := "Dear {{client_name}},\n\nThank you for the chance to work with you. This letter sets out the services " +
		"{{firm_name}} will provide from {{start_date}} and what they cost.\n\n{{services_table}}\n\n" +
		"Please choose a package and sign below by {{expiry_date}}.\n\n{{signatories}}"
	templates := []proposaltemplate.Content{{
		Name: "Monthly bookkeeping & compliance", Title: "Bookkeeping and compliance", Letter: letter, ExpiryDays: 14,
		Lines: []proposal.Line{line("BAS lodgement", "quarterly activity statements prepared and lodged", "330", "1", "quarter", every(domain.FrequencyMonths, 3), true)},
		Packages: []proposal.Package{
			{Name: "Bronze", Description: "Bank reconciliations each month", Lines: []proposal.Line{line("Bookkeeping (Bronze)", "monthly bank reconciliations", "220", "1", "month", monthly, true)}},
			{Name: "Silver", Description: "Bronze, plus payables and receivables", Lines: []proposal.Line{line("Bookkeeping (Silver)", "reconciliations, payables and receivables", "440", "1", "month", monthly, true)}},
			{Name: "Gold", Description: "Silver, plus monthly management reports", Lines: []proposal.Line{line("Bookkeeping (Gold)", "everything in Silver and a monthly report", "750", "1", "month", monthly, true)}},
		},
		AddOns: []proposal.Line{
			line("Payroll", "pay runs and single touch payroll for up to 10 staff", "180", "1", "month", monthly, true),
			line("Year-end tax planning", "a planning meeting before 30 June", "600", "1", "meeting", once, false),
		},
	}, {
		Name: "Annual accounts & tax return", Title: "Annual accounts and tax return", Letter: letter, ExpiryDays: 30,
		Lines: []proposal.Line{
			line("Annual financial statements", "prepared from your records", "1800", "1", "year", once, false),
			line("Income tax return", "prepared and lodged", "950", "1", "return", once, false),
		},
	}}
	for i, c := range templates {
		id := uuid.NewSHA1(templateNamespace, []byte(c.Name))
		m := meta(actorPartner)
		m.CommandID = fmt.Sprintf("demo-template-%d", i)
		if _, err := l.svc.CreateProposalTemplate(l.ctx, billing.ProposalTemplateRequest{TemplateID: id, Content: c}, m); err != nil {
			return fmt.Errorf("demo: template %q: %w", c.Name, err)
		}
	}
	return nil
}
