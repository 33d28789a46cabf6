package api

// The wire forms of the read models and domain values the API answers:
// each with its JSON name on every field, and one function converting the
// read model into it. Renaming a Go field here changes nothing on the wire;
// renaming a tag is a change to the public API, and the OpenAPI document
// (generated from these types) and its test show it.

import (
	"remit/domain"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/processes/ledgersync"
	"remit/projections"
)

// LedgerConnection is the wire form of ledgersync.ConnectionStatus.
type LedgerConnection struct {
	Provider     string            `json:"provider"`
	TenantID     string            `json:"tenant_id"`
	Connected    bool              `json:"connected"`
	Since        Time              `json:"since"`
	FromPosition uint64            `json:"from_position"`
	Mapping      LedgerMapping     `json:"mapping"`
	Contacts     int               `json:"contacts"`
	Invoices     int               `json:"invoices"`
	Synced       int               `json:"synced"`
	Retrying     int               `json:"retrying"`
	Failed       int               `json:"failed"`
	Pending      int               `json:"pending"`
	Waiting      []string          `json:"waiting"`
	Problems     []LedgerProblem   `json:"problems"`
	ContactMap   map[string]string `json:"contact_map"`
	// Payouts counts the payment gateway's payouts in scope, PayoutsSynced
	// those the ledger holds whole; PayoutProblems those whose push is
	// failing.
	Payouts        int                   `json:"payouts"`
	PayoutsSynced  int                   `json:"payouts_synced"`
	PayoutProblems []LedgerPayoutProblem `json:"payout_problems"`
}

// LedgerPayoutProblem is the wire form of ledgersync.PayoutProblem.
type LedgerPayoutProblem struct {
	PayoutID  ID     `json:"payout_id"`
	Reference string `json:"reference"`
	Failed    bool   `json:"failed"`
	Why       string `json:"why"`
}

func ledgerPayoutProblemOf(v ledgersync.PayoutProblem) LedgerPayoutProblem {
	return LedgerPayoutProblem{PayoutID: ID(v.PayoutID), Reference: v.Reference, Failed: v.Failed, Why: v.Why}
}

// ledgerConnectionOf converts a ledgersync.ConnectionStatus.
func ledgerConnectionOf(v ledgersync.ConnectionStatus) LedgerConnection {
	return LedgerConnection{
		Provider:     v.Provider,
		TenantID:     v.TenantID,
		Connected:    v.Connected,
		Since:        Time(v.Since),
		FromPosition: v.FromPosition,
		Mapping:      ledgerMappingOf(v.Mapping, v.Provider),
		Contacts:     v.Contacts,
		Invoices:     v.Invoices,
		Synced:       v.Synced,
		Retrying:     v.Retrying,
		Failed:       v.Failed,
		Pending:      v.Pending,
		Waiting:      nonNil(v.Waiting),
		Problems:     wireList(v.Problems, ledgerProblemOf),
		ContactMap:   stringMap(v.ContactMap),

		Payouts:        v.Payouts,
		PayoutsSynced:  v.PayoutsSynced,
		PayoutProblems: wireList(v.PayoutProblems, ledgerPayoutProblemOf),
	}
}

// LedgerMapping is the wire form of ledger.Mapping.
type LedgerMapping struct {
	RevenueAccount  string            `json:"revenue_account"`
	ServiceAccounts map[string]string `json:"service_accounts,omitempty"`
	TaxRateAccounts map[string]string `json:"tax_rate_accounts,omitempty"`
	TaxTypes        map[string]string `json:"tax_types,omitempty"`
	ClearingAccount string            `json:"clearing_account"`
	WriteOffAccount string            `json:"write_off_account,omitempty"`
	// BankAccount and FeesAccount are the accounts payouts use: the
	// mapping's, else the provider's default.
	BankAccount string `json:"bank_account"`
	FeesAccount string `json:"fees_account"`
	// DisputesAccount is where disputed payments move from the clearing
	// account; omitted: disputes are not pushed.
	DisputesAccount string `json:"disputes_account,omitempty"`
	// ReceivableAccount is the accounts-receivable account a QuickBooks
	// refund's check goes to (the mapping's, else 84); omitted for Xero.
	ReceivableAccount string `json:"receivable_account,omitempty"`
}

// ledgerMappingOf converts a ledger.Mapping.
func ledgerMappingOf(v ledger.Mapping, provider string) LedgerMapping {
	return LedgerMapping{
		RevenueAccount:    v.RevenueAccount,
		ServiceAccounts:   stringMap(v.ServiceAccounts),
		TaxRateAccounts:   stringMap(v.TaxRateAccounts),
		TaxTypes:          stringMap(v.TaxTypes),
		ClearingAccount:   v.ClearingAccount,
		WriteOffAccount:   v.WriteOffAccount,
		BankAccount:       v.BankAccountFor(provider),
		FeesAccount:       v.FeesAccountFor(provider),
		DisputesAccount:   v.DisputesAccount,
		ReceivableAccount: v.ReceivableAccountFor(provider),
	}
}

// LedgerProblem is the wire form of ledgersync.Problem.
type LedgerProblem struct {
	InvoiceID ID     `json:"invoice_id"`
	Number    string `json:"number"`
	Failed    bool   `json:"failed"`
	Why       string `json:"why"`
}

// ledgerProblemOf converts a ledgersync.Problem.
func ledgerProblemOf(v ledgersync.Problem) LedgerProblem {
	return LedgerProblem{
		InvoiceID: ID(v.InvoiceID),
		Number:    v.Number,
		Failed:    v.Failed,
		Why:       v.Why,
	}
}

// LedgerReconciliation is the wire form of ledger.LedgerReconciled.
type LedgerReconciliation struct {
	Invoices    int    `json:"invoices"`
	Pushes      int    `json:"pushes"`
	Differences int    `json:"differences"`
	Summary     string `json:"summary"`
	At          Time   `json:"at"`
}

// ledgerReconciliationOf converts a ledger.LedgerReconciled.
func ledgerReconciliationOf(v ledger.LedgerReconciled) LedgerReconciliation {
	return LedgerReconciliation{
		Invoices:    v.Invoices,
		Pushes:      v.Pushes,
		Differences: v.Differences,
		Summary:     v.Summary,
		At:          Time(v.At),
	}
}

// Address is the wire form of domain.Address.
type Address struct {
	Line1    string `json:"line1,omitempty"`
	Line2    string `json:"line2,omitempty"`
	City     string `json:"city,omitempty"`
	Region   string `json:"region,omitempty"`
	Postcode string `json:"postcode,omitempty"`
	Country  string `json:"country,omitempty"`
}

// addressOf converts a domain.Address.
func addressOf(v domain.Address) Address {
	return Address{
		Line1:    v.Line1,
		Line2:    v.Line2,
		City:     v.City,
		Region:   v.Region,
		Postcode: v.Postcode,
		Country:  v.Country,
	}
}

// TaxRate is the wire form of firm.TaxRate.
type TaxRate struct {
	ID   ID      `json:"id"`
	Name string  `json:"name"`
	Rate Decimal `json:"rate"`
}

// taxRateOf converts a firm.TaxRate.
func taxRateOf(v firm.TaxRate) TaxRate {
	return TaxRate{
		ID:   ID(v.ID),
		Name: v.Name,
		Rate: decimalOf(v.Rate),
	}
}

// ClientListItem is the wire form of projections.ClientListItem.
type ClientListItem struct {
	ID              ID      `json:"id"`
	Name            string  `json:"name"`
	PrimaryEmail    string  `json:"primary_email"`
	Archived        bool    `json:"archived"`
	Outstanding     []Money `json:"outstanding"`
	Overdue         []Money `json:"overdue"`
	OverdueInvoices int     `json:"overdue_invoices"`
	// HasActiveMethod: a payment method on file can be charged.
	HasActiveMethod bool `json:"has_active_method"`
	// LastPaymentDetailsRequest is the latest request for payment details
	// (null: never asked).
	LastPaymentDetailsRequest *PaymentDetailsRequestView `json:"last_payment_details_request"`
	// Tags are the client's tags, sorted.
	Tags []string `json:"tags"`
}

// clientListItemOf converts a projections.ClientListItem.
func clientListItemOf(v projections.ClientListItem) ClientListItem {
	return ClientListItem{
		ID:              ID(v.ID),
		Name:            v.Name,
		PrimaryEmail:    v.PrimaryEmail,
		Archived:        v.Archived,
		Outstanding:     wireList(v.Outstanding, moneyOf),
		Overdue:         wireList(v.Overdue, moneyOf),
		OverdueInvoices: v.OverdueInvoices,
		HasActiveMethod: v.HasActiveMethod,
		LastPaymentDetailsRequest: func() *PaymentDetailsRequestView {
			if v.LastRequest == nil {
				return nil
			}
			r := paymentDetailsRequestViewOf(*v.LastRequest)
			return &r
		}(),
		Tags: tagsOf(v.Tags),
	}
}

// ClientSummary is the wire form of projections.ClientSummary.
type ClientSummary struct {
	ID               ID                  `json:"id"`
	Name             string              `json:"name"`
	Kind             string              `json:"kind"`
	Address          Address             `json:"address"`
	TaxNumber        string              `json:"tax_number"`
	Currency         string              `json:"currency"`
	PaymentTermsDays *int                `json:"payment_terms_days"`
	Archived         bool                `json:"archived"`
	CreatedAt        Time                `json:"created_at"`
	Revision         uint64              `json:"revision"`
	Contacts         []ContactView       `json:"contacts"`
	PrimaryContact   ID                  `json:"primary_contact"`
	PaymentMethods   []PaymentMethodView `json:"payment_methods"`
	DefaultMethod    ID                  `json:"default_method"`
	Proposals        []ProposalView      `json:"proposals"`
	Outstanding      []Money             `json:"outstanding"`
	Overdue          []Money             `json:"overdue"`
	OpenInvoices     int                 `json:"open_invoices"`
	OverdueInvoices  int                 `json:"overdue_invoices"`
	// PaymentDetailsRequests are the requests for payment details sent to
	// the client, oldest first.
	PaymentDetailsRequests []PaymentDetailsRequestView `json:"payment_details_requests"`
	// Tags are the client's tags, sorted (PUT /api/clients/{id}/tags).
	Tags []string `json:"tags"`
}

// tagsOf is a client's tags on the wire: never null.
func tagsOf(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

// clientSummaryOf converts a projections.ClientSummary.
func clientSummaryOf(v projections.ClientSummary) ClientSummary {
	return ClientSummary{
		ID:                     ID(v.ID),
		Name:                   v.Name,
		Kind:                   string(v.Kind),
		Address:                addressOf(v.Address),
		TaxNumber:              v.TaxNumber,
		Currency:               v.Currency.Code,
		PaymentTermsDays:       v.PaymentTermsDays,
		Archived:               v.Archived,
		CreatedAt:              Time(v.CreatedAt),
		Revision:               v.Revision,
		Contacts:               wireList(v.Contacts, contactViewOf),
		PrimaryContact:         ID(v.PrimaryContact),
		PaymentMethods:         wireList(v.PaymentMethods, paymentMethodViewOf),
		DefaultMethod:          ID(v.DefaultMethod),
		Proposals:              wireList(v.Proposals, proposalViewOf),
		Outstanding:            wireList(v.Outstanding, moneyOf),
		Overdue:                wireList(v.Overdue, moneyOf),
		OpenInvoices:           v.OpenInvoices,
		OverdueInvoices:        v.OverdueInvoices,
		PaymentDetailsRequests: wireList(v.PaymentDetailsRequests, paymentDetailsRequestViewOf),
		Tags:                   tagsOf(v.Tags),
	}
}

// ContactView is the wire form of projections.ContactView.
type ContactView struct {
	ID      ID     `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Role    string `json:"role,omitempty"`
	Primary bool   `json:"primary"`
}

// contactViewOf converts a projections.ContactView.
func contactViewOf(v projections.ContactView) ContactView {
	return ContactView{
		ID:      ID(v.Contact.ID),
		Name:    v.Contact.Name,
		Email:   v.Contact.Email,
		Phone:   v.Contact.Phone,
		Role:    v.Contact.Role,
		Primary: v.Primary,
	}
}

// PaymentMethodView is the wire form of projections.PaymentMethodView.
type PaymentMethodView struct {
	ID               ID     `json:"id"`
	Kind             string `json:"kind"`
	Gateway          string `json:"gateway"`
	GatewayToken     string `json:"gateway_token"`
	GatewayCustomer  string `json:"gateway_customer,omitempty"`
	Brand            string `json:"brand,omitempty"`
	Last4            string `json:"last4,omitempty"`
	ExpiryMonth      int    `json:"expiry_month,omitzero"`
	ExpiryYear       int    `json:"expiry_year,omitzero"`
	Scheme           string `json:"scheme,omitempty"`
	MaskedAccount    string `json:"masked_account,omitempty"`
	MandateReference string `json:"mandate_reference,omitempty"`
	Label            string `json:"label"`
	Status           string `json:"status"`
	FailureReason    string `json:"failure_reason"`
	Default          bool   `json:"default"`
	Replaces         ID     `json:"replaces"`
	AddedAt          Time   `json:"added_at"`
}

// paymentMethodViewOf converts a projections.PaymentMethodView.
func paymentMethodViewOf(v projections.PaymentMethodView) PaymentMethodView {
	return PaymentMethodView{
		ID:               ID(v.ID),
		Kind:             string(v.PaymentMethodDetails.Kind),
		Gateway:          v.PaymentMethodDetails.Gateway,
		GatewayToken:     v.PaymentMethodDetails.GatewayToken,
		GatewayCustomer:  v.PaymentMethodDetails.GatewayCustomer,
		Brand:            v.PaymentMethodDetails.Brand,
		Last4:            v.PaymentMethodDetails.Last4,
		ExpiryMonth:      v.PaymentMethodDetails.ExpiryMonth,
		ExpiryYear:       v.PaymentMethodDetails.ExpiryYear,
		Scheme:           string(v.PaymentMethodDetails.Scheme),
		MaskedAccount:    v.PaymentMethodDetails.MaskedAccount,
		MandateReference: v.PaymentMethodDetails.MandateReference,
		Label:            v.Label,
		Status:           string(v.Status),
		FailureReason:    v.FailureReason,
		Default:          v.Default,
		Replaces:         ID(v.Replaces),
		AddedAt:          Time(v.AddedAt),
	}
}

// ProposalView is the wire form of projections.ProposalView.
type ProposalView struct {
	ID         ID             `json:"id"`
	Title      string         `json:"title"`
	Status     string         `json:"status"`
	Currency   string         `json:"currency"`
	StartDate  domain.Date    `json:"start_date"`
	Lines      int            `json:"lines"`
	Items      []ProposalLine `json:"items"`
	Total      Money          `json:"total"`
	DraftedAt  Time           `json:"drafted_at"`
	SentAt     Time           `json:"sent_at"`
	AcceptedOn domain.Date    `json:"accepted_on"`
	ClosedAt   Time           `json:"closed_at"`
	Revision   uint64         `json:"revision"`
}

// proposalViewOf converts a projections.ProposalView.
func proposalViewOf(v projections.ProposalView) ProposalView {
	return ProposalView{
		ID:         ID(v.ID),
		Title:      v.Title,
		Status:     string(v.Status),
		Currency:   v.Currency.Code,
		StartDate:  v.StartDate,
		Lines:      v.Lines,
		Items:      wireList(v.Items, proposalLineOf),
		Total:      moneyOf(v.Total),
		DraftedAt:  Time(v.DraftedAt),
		SentAt:     Time(v.SentAt),
		AcceptedOn: v.AcceptedOn,
		ClosedAt:   Time(v.ClosedAt),
		Revision:   v.Revision,
	}
}

// ProposalLine is the wire form of proposal.Line.
type ProposalLine struct {
	ID          ID          `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	UnitPrice   Decimal     `json:"unit_price"`
	Quantity    Decimal     `json:"quantity"`
	Unit        string      `json:"unit,omitempty"`
	Discount    Discount    `json:"discount"`
	TaxRate     Decimal     `json:"tax_rate"`
	BillingRule BillingRule `json:"billing_rule"`
	Automatic   bool        `json:"automatic"`
	// LibraryServiceID is the library service the line started from.
	LibraryServiceID ID     `json:"library_service_id,omitzero"`
	Terms            string `json:"terms,omitempty"`           // the service's own terms, Markdown
	RevenueAccount   string `json:"revenue_account,omitempty"` // ledger account code
}

// proposalLineOf converts a proposal.Line.
func proposalLineOf(v proposal.Line) ProposalLine {
	return ProposalLine{
		ID:          ID(v.ID),
		Name:        v.Name,
		Description: v.Description,
		UnitPrice:   decimalOf(v.UnitPrice),
		Quantity:    decimalOf(v.Quantity),
		Unit:        v.Unit,
		Discount:    discountOf(v.Discount),
		TaxRate:     decimalOf(v.TaxRate),
		BillingRule: billingRuleOf(v.BillingRule),
		Automatic:   v.Automatic,

		LibraryServiceID: ID(v.LibraryServiceID),
		Terms:            v.Terms,
		RevenueAccount:   v.RevenueAccount,
	}
}

// Discount is the wire form of domain.Discount.
type Discount struct {
	Kind  string  `json:"kind,omitempty"`
	Value Decimal `json:"value"`
}

// discountOf converts a domain.Discount.
func discountOf(v domain.Discount) Discount {
	return Discount{
		Kind:  string(v.Kind),
		Value: decimalOf(v.Value),
	}
}

// BillingRule is the wire form of domain.BillingRule.
type BillingRule struct {
	Frequency      string      `json:"frequency"`
	Interval       int         `json:"interval,omitzero"`
	Start          string      `json:"start"`
	StartDelayDays int         `json:"start_delay_days,omitzero"`
	StartDate      domain.Date `json:"start_date,omitzero"`
	AnchorDay      int         `json:"anchor_day,omitzero"`
	End            string      `json:"end"`
	EndAfter       int         `json:"end_after,omitzero"`
	EndDate        domain.Date `json:"end_date,omitzero"`
	ProRataFirst   bool        `json:"pro_rata_first,omitzero"`
}

// billingRuleOf converts a domain.BillingRule.
func billingRuleOf(v domain.BillingRule) BillingRule {
	return BillingRule{
		Frequency:      string(v.Frequency),
		Interval:       v.Interval,
		Start:          string(v.Start),
		StartDelayDays: v.StartDelayDays,
		StartDate:      v.StartDate,
		AnchorDay:      v.AnchorDay,
		End:            string(v.End),
		EndAfter:       v.EndAfter,
		EndDate:        v.EndDate,
		ProRataFirst:   v.ProRataFirst,
	}
}

// ServiceView is the wire form of projections.ServiceView.
type ServiceView struct {
	ID              ID            `json:"id"`
	ClientID        ID            `json:"client_id"`
	Name            string        `json:"name"`
	Description     string        `json:"description"`
	Unit            string        `json:"unit"`
	Source          ServiceSource `json:"source"`
	Currency        string        `json:"currency"`
	UnitPrice       Money         `json:"unit_price"`
	Quantity        Decimal       `json:"quantity"`
	Discount        Discount      `json:"discount"`
	TaxRate         Decimal       `json:"tax_rate"`
	Mode            string        `json:"mode"`
	BillingRule     BillingRule   `json:"billing_rule"`
	PaymentMethodID ID            `json:"payment_method_id"`
	ActivatedAt     Time          `json:"activated_at"`
	Ended           bool          `json:"ended"`
	EndDate         domain.Date   `json:"end_date"`
	EndReason       string        `json:"end_reason"`
	RevenueAccount  string        `json:"revenue_account"`
	NextBilling     *ServiceItem  `json:"next_billing"`
	Revision        uint64        `json:"revision"`
}

// serviceViewOf converts a projections.ServiceView.
func serviceViewOf(v projections.ServiceView) ServiceView {
	return ServiceView{
		ID:              ID(v.ID),
		ClientID:        ID(v.ClientID),
		Name:            v.Name,
		Description:     v.Description,
		Unit:            v.Unit,
		Source:          serviceSourceOf(v.Source),
		Currency:        v.Currency.Code,
		UnitPrice:       moneyOf(v.UnitPrice),
		Quantity:        decimalOf(v.Quantity),
		Discount:        discountOf(v.Discount),
		TaxRate:         decimalOf(v.TaxRate),
		Mode:            string(v.Mode),
		BillingRule:     billingRuleOf(v.BillingRule),
		PaymentMethodID: ID(v.PaymentMethodID),
		ActivatedAt:     Time(v.ActivatedAt),
		Ended:           v.Ended,
		EndDate:         v.EndDate,
		EndReason:       v.EndReason,
		RevenueAccount:  v.RevenueAccount,
		NextBilling:     wirePtr(v.NextBilling, serviceItemOf),
		Revision:        v.Revision,
	}
}

// ServiceSource is the wire form of service.Source.
type ServiceSource struct {
	ProposalID     ID   `json:"proposal_id,omitzero"`
	ProposalLineID ID   `json:"proposal_line_id,omitzero"`
	InstantBill    bool `json:"instant_bill,omitzero"`
	// LibraryServiceID is the services library's entry it started from.
	LibraryServiceID ID `json:"library_service_id,omitzero"`
}

// serviceSourceOf converts a service.Source.
func serviceSourceOf(v service.Source) ServiceSource {
	return ServiceSource{
		ProposalID:       ID(v.ProposalID),
		ProposalLineID:   ID(v.ProposalLineID),
		InstantBill:      v.InstantBill,
		LibraryServiceID: ID(v.LibraryServiceID),
	}
}

// ServiceItem is the wire form of service.Item.
type ServiceItem struct {
	Key             string      `json:"key"`
	ServiceID       ID          `json:"service_id"`
	Seq             int         `json:"seq"`
	Date            domain.Date `json:"date"`
	Description     string      `json:"description"`
	Quantity        Decimal     `json:"quantity"`
	UnitPrice       Money       `json:"unit_price"`
	Discount        Discount    `json:"discount"`
	TaxRate         Decimal     `json:"tax_rate"`
	Mode            string      `json:"mode"`
	PaymentMethodID ID          `json:"payment_method_id"`
	Status          string      `json:"status"`
	IssueOn         domain.Date `json:"issue_on"`
	InvoiceID       ID          `json:"invoice_id"`
}

// serviceItemOf converts a service.Item.
func serviceItemOf(v service.Item) ServiceItem {
	return ServiceItem{
		Key:             v.Key,
		ServiceID:       ID(v.ServiceID),
		Seq:             v.Seq,
		Date:            v.Date,
		Description:     v.Description,
		Quantity:        decimalOf(v.Quantity),
		UnitPrice:       moneyOf(v.UnitPrice),
		Discount:        discountOf(v.Discount),
		TaxRate:         decimalOf(v.TaxRate),
		Mode:            string(v.Mode),
		PaymentMethodID: ID(v.PaymentMethodID),
		Status:          string(v.Status),
		IssueOn:         v.IssueOn,
		InvoiceID:       ID(v.InvoiceID),
	}
}

// ClientSchedule is the wire form of projections.ClientSchedule.
type ClientSchedule struct {
	Items  []ScheduleItem `json:"items"`
	Groups []BillingGroup `json:"groups"`
	Manual []ScheduleItem `json:"manual"`
	Missed []ScheduleItem `json:"missed"`
}

// clientScheduleOf converts a projections.ClientSchedule.
func clientScheduleOf(v projections.ClientSchedule) ClientSchedule {
	return ClientSchedule{
		Items:  wireList(v.Items, scheduleItemOf),
		Groups: wireList(v.Groups, billingGroupOf),
		Manual: wireList(v.Manual, scheduleItemOf),
		Missed: wireList(v.Missed, scheduleItemOf),
	}
}

// ScheduleItem is the wire form of projections.ScheduleItem.
type ScheduleItem struct {
	Key         string      `json:"key"`
	ServiceID   ID          `json:"service_id"`
	Seq         int         `json:"seq"`
	Date        domain.Date `json:"date"`
	Description string      `json:"description"`
	Quantity    Decimal     `json:"quantity"`
	UnitPrice   Money       `json:"unit_price"`
	Discount    Discount    `json:"discount"`
	TaxRate     Decimal     `json:"tax_rate"`
	Mode        string      `json:"mode"`
	// PaymentMethodID is the method it will be collected from: the item's,
	// or the client's default when it has none (projections.ScheduleItem's
	// own field, which shadows the embedded item's).
	PaymentMethodID ID          `json:"payment_method_id"`
	Status          string      `json:"status"`
	IssueOn         domain.Date `json:"issue_on"`
	InvoiceID       ID          `json:"invoice_id"`
	ServiceName     string      `json:"service_name"`
	LineDescription string      `json:"line_description"`
	Currency        string      `json:"currency"`
	Amount          Money       `json:"amount"`
	Overdue         bool        `json:"overdue"`
	IssueDate       domain.Date `json:"issue_date"`
	CatchUp         bool        `json:"catch_up"`
	SkippedAsMissed bool        `json:"skipped_as_missed"`
	GroupKey        string      `json:"group_key"`
}

// scheduleItemOf converts a projections.ScheduleItem.
func scheduleItemOf(v projections.ScheduleItem) ScheduleItem {
	return ScheduleItem{
		Key:             v.Item.Key,
		ServiceID:       ID(v.Item.ServiceID),
		Seq:             v.Item.Seq,
		Date:            v.Item.Date,
		Description:     v.Item.Description,
		Quantity:        decimalOf(v.Item.Quantity),
		UnitPrice:       moneyOf(v.Item.UnitPrice),
		Discount:        discountOf(v.Item.Discount),
		TaxRate:         decimalOf(v.Item.TaxRate),
		Mode:            string(v.Item.Mode),
		PaymentMethodID: ID(v.PaymentMethodID),
		Status:          string(v.Item.Status),
		IssueOn:         v.Item.IssueOn,
		InvoiceID:       ID(v.Item.InvoiceID),
		ServiceName:     v.ServiceName,
		LineDescription: v.LineDescription,
		Currency:        v.Currency.Code,
		Amount:          moneyOf(v.Amount),
		Overdue:         v.Overdue,
		IssueDate:       v.IssueDate,
		CatchUp:         v.CatchUp,
		SkippedAsMissed: v.SkippedAsMissed,
		GroupKey:        v.GroupKey,
	}
}

// BillingGroup is the wire form of projections.BillingGroup.
type BillingGroup struct {
	Key             string         `json:"key"`
	Date            domain.Date    `json:"date"`
	PaymentMethodID ID             `json:"payment_method_id"`
	Items           []ScheduleItem `json:"items"`
	Total           []Money        `json:"total"`
}

// billingGroupOf converts a projections.BillingGroup.
func billingGroupOf(v projections.BillingGroup) BillingGroup {
	return BillingGroup{
		Key:             v.Key,
		Date:            v.Date,
		PaymentMethodID: ID(v.PaymentMethodID),
		Items:           wireList(v.Items, scheduleItemOf),
		Total:           wireList(v.Total, moneyOf),
	}
}

// InvoiceListItem is the wire form of projections.InvoiceListItem.
type InvoiceListItem struct {
	ID         ID          `json:"id"`
	ClientID   ID          `json:"client_id"`
	ClientName string      `json:"client_name"`
	Number     string      `json:"number"`
	IssueDate  domain.Date `json:"issue_date"`
	DueDate    domain.Date `json:"due_date"`
	Status     string      `json:"status"`
	Total      Money       `json:"total"`
	Balance    Money       `json:"balance"`
	Recurring  bool        `json:"recurring"`
}

// invoiceListItemOf converts a projections.InvoiceListItem.
func invoiceListItemOf(v projections.InvoiceListItem) InvoiceListItem {
	return InvoiceListItem{
		ID:         ID(v.ID),
		ClientID:   ID(v.ClientID),
		ClientName: v.ClientName,
		Number:     v.Number,
		IssueDate:  v.IssueDate,
		DueDate:    v.DueDate,
		Status:     string(v.Status),
		Total:      moneyOf(v.Total),
		Balance:    moneyOf(v.Balance),
		Recurring:  v.Recurring,
	}
}

// ActivityLine is the wire form of projections.ActivityLine.
type ActivityLine struct {
	Position  uint64 `json:"position"`
	Stream    string `json:"stream"`
	Revision  uint64 `json:"revision"`
	EventType string `json:"event_type"`
	Actor     string `json:"actor"`
	At        Time   `json:"at"`
	Text      string `json:"text"`
	What      string `json:"what"`
	InvoiceID ID     `json:"invoice_id"`
	Invoice   string `json:"invoice"`
}

// activityLineOf converts a projections.ActivityLine.
func activityLineOf(v projections.ActivityLine) ActivityLine {
	return ActivityLine{
		Position:  v.Position,
		Stream:    v.Stream,
		Revision:  v.Revision,
		EventType: v.EventType,
		Actor:     v.Actor,
		At:        Time(v.At),
		Text:      v.Text,
		What:      v.What,
		InvoiceID: ID(v.InvoiceID),
		Invoice:   v.Invoice,
	}
}

// InvoiceDetail is the wire form of projections.InvoiceDetail.
type InvoiceDetail struct {
	ID              ID                 `json:"id"`
	ClientID        ID                 `json:"client_id"`
	ClientName      string             `json:"client_name"`
	Number          string             `json:"number"`
	IssueDate       domain.Date        `json:"issue_date"`
	DueDate         domain.Date        `json:"due_date"`
	Status          string             `json:"status"`
	Total           Money              `json:"total"`
	Balance         Money              `json:"balance"`
	Recurring       bool               `json:"recurring"`
	StoredStatus    string             `json:"stored_status"`
	TaxMode         string             `json:"tax_mode"`
	Lines           []InvoiceLine      `json:"lines"`
	Totals          InvoiceTotals      `json:"totals"`
	PaymentMethodID ID                 `json:"payment_method_id"`
	Collection      *InvoiceCollection `json:"collection"`
	LastRejection   *InvoiceRejection  `json:"last_rejection"`
	Paid            Money              `json:"paid"`
	Credited        Money              `json:"credited"`
	WrittenOff      Money              `json:"written_off"`
	VoidReason      string             `json:"void_reason"`
	SendCount       int                `json:"send_count"`
	LastRecipient   string             `json:"last_recipient"`
	RemindersPaused bool               `json:"reminders_paused"`
	RemindersSent   int                `json:"reminders_sent"`
	Payments        []PaymentView      `json:"payments"`
	Attempts        []AttemptView      `json:"attempts"`
	CreditNotes     []CreditNoteView   `json:"credit_notes"`
	WriteOffs       []WriteOffView     `json:"write_offs"`
	Refunds         []RefundView       `json:"refunds"`
	Disputes        []DisputeView      `json:"disputes"`
	Refunded        Money              `json:"refunded"`
	Audit           []ActivityLine     `json:"audit"`
	Revision        uint64             `json:"revision"`
	Ledger          InvoiceLedger      `json:"ledger"`
	Emails          []EmailView        `json:"emails"`
}

// invoiceDetailOf converts a projections.InvoiceDetail.
func invoiceDetailOf(v projections.InvoiceDetail) InvoiceDetail {
	return InvoiceDetail{
		ID:              ID(v.InvoiceListItem.ID),
		ClientID:        ID(v.InvoiceListItem.ClientID),
		ClientName:      v.InvoiceListItem.ClientName,
		Number:          v.InvoiceListItem.Number,
		IssueDate:       v.InvoiceListItem.IssueDate,
		DueDate:         v.InvoiceListItem.DueDate,
		Status:          string(v.InvoiceListItem.Status),
		Total:           moneyOf(v.InvoiceListItem.Total),
		Balance:         moneyOf(v.InvoiceListItem.Balance),
		Recurring:       v.InvoiceListItem.Recurring,
		StoredStatus:    string(v.StoredStatus),
		TaxMode:         string(v.TaxMode),
		Lines:           wireList(v.Lines, invoiceLineOf),
		Totals:          invoiceTotalsOf(v.Totals),
		PaymentMethodID: ID(v.PaymentMethodID),
		Collection:      wirePtr(v.Collection, invoiceCollectionOf),
		LastRejection:   wirePtr(v.LastRejection, invoiceRejectionOf),
		Paid:            moneyOf(v.Paid),
		Credited:        moneyOf(v.Credited),
		WrittenOff:      moneyOf(v.WrittenOff),
		VoidReason:      v.VoidReason,
		SendCount:       v.SendCount,
		LastRecipient:   v.LastRecipient,
		RemindersPaused: v.RemindersPaused,
		RemindersSent:   v.RemindersSent,
		Payments:        wireList(v.Payments, paymentViewOf),
		Attempts:        wireList(v.Attempts, attemptViewOf),
		CreditNotes:     wireList(v.CreditNotes, creditNoteViewOf),
		WriteOffs:       wireList(v.WriteOffs, writeOffViewOf),
		Refunds:         wireList(v.Refunds, refundViewOf),
		Disputes:        wireList(v.Disputes, disputeViewOf),
		Refunded:        moneyOf(v.Refunded),
		Audit:           wireList(v.Audit, activityLineOf),
		Revision:        v.Revision,
		Ledger:          invoiceLedgerOf(v.Ledger),
		Emails:          wireList(v.Emails, emailViewOf),
	}
}

// InvoiceLine is the wire form of invoice.Line.
type InvoiceLine struct {
	LineID      ID          `json:"line_id"`
	Description string      `json:"description"`
	Quantity    Decimal     `json:"quantity"`
	UnitPrice   Money       `json:"unit_price"`
	Discount    Discount    `json:"discount"`
	TaxRate     Decimal     `json:"tax_rate"`
	ServiceID   ID          `json:"service_id,omitzero"`
	ItemKey     string      `json:"item_key,omitempty"`
	Amounts     LineAmounts `json:"amounts"`
}

// invoiceLineOf converts a invoice.Line.
func invoiceLineOf(v invoice.Line) InvoiceLine {
	return InvoiceLine{
		LineID:      ID(v.LineID),
		Description: v.Description,
		Quantity:    decimalOf(v.Quantity),
		UnitPrice:   moneyOf(v.UnitPrice),
		Discount:    discountOf(v.Discount),
		TaxRate:     decimalOf(v.TaxRate),
		ServiceID:   ID(v.ServiceID),
		ItemKey:     v.ItemKey,
		Amounts:     lineAmountsOf(v.Amounts),
	}
}

// LineAmounts is the wire form of domain.LineAmounts.
type LineAmounts struct {
	Net   Money `json:"net"`
	Tax   Money `json:"tax"`
	Gross Money `json:"gross"`
}

// lineAmountsOf converts a domain.LineAmounts.
func lineAmountsOf(v domain.LineAmounts) LineAmounts {
	return LineAmounts{
		Net:   moneyOf(v.Net),
		Tax:   moneyOf(v.Tax),
		Gross: moneyOf(v.Gross),
	}
}

// InvoiceTotals is the wire form of invoice.Totals.
type InvoiceTotals struct {
	Net   Money `json:"net"`
	Tax   Money `json:"tax"`
	Gross Money `json:"gross"`
}

// invoiceTotalsOf converts a invoice.Totals.
func invoiceTotalsOf(v invoice.Totals) InvoiceTotals {
	return InvoiceTotals{
		Net:   moneyOf(v.Net),
		Tax:   moneyOf(v.Tax),
		Gross: moneyOf(v.Gross),
	}
}

// InvoiceCollection is the wire form of invoice.Collection.
type InvoiceCollection struct {
	Date            domain.Date `json:"date"`
	PaymentMethodID ID          `json:"payment_method_id"`
	Retry           bool        `json:"retry"`
}

// invoiceCollectionOf converts a invoice.Collection.
func invoiceCollectionOf(v invoice.Collection) InvoiceCollection {
	return InvoiceCollection{
		Date:            v.Date,
		PaymentMethodID: ID(v.PaymentMethodID),
		Retry:           v.Retry,
	}
}

// InvoiceRejection is the wire form of invoice.Rejection.
type InvoiceRejection struct {
	AttemptID      ID     `json:"attempt_id"`
	DeclineCode    string `json:"decline_code"`
	DeclineMessage string `json:"decline_message"`
}

// invoiceRejectionOf converts a invoice.Rejection.
func invoiceRejectionOf(v invoice.Rejection) InvoiceRejection {
	return InvoiceRejection{
		AttemptID:      ID(v.AttemptID),
		DeclineCode:    v.DeclineCode,
		DeclineMessage: v.DeclineMessage,
	}
}

// PaymentView is the wire form of projections.PaymentView.
type PaymentView struct {
	ID       ID     `json:"id"`
	Gateway  bool   `json:"gateway"`
	Method   string `json:"method"`
	MethodID ID     `json:"method_id"`
	// Through is "pay_now" for a payment the client made on the pay-now
	// page (method_id null unless they kept the method on file), else "".
	Through string `json:"through"`
	// PaidWith is the method a pay-now payment was made with when the
	// client did not keep it (null otherwise, and when the gateway did not
	// say).
	PaidWith  *MethodUsed `json:"paid_with"`
	Reference string      `json:"reference"`
	Amount    Money       `json:"amount"`
	Date      domain.Date `json:"date"`
	At        Time        `json:"at"`
}

// paymentViewOf converts a projections.PaymentView.
func paymentViewOf(v projections.PaymentView) PaymentView {
	return PaymentView{
		ID:        ID(v.ID),
		Gateway:   v.Gateway,
		Method:    v.Method,
		MethodID:  ID(v.MethodID),
		Through:   string(v.Through),
		PaidWith:  wirePtr(v.PaidWith, methodUsedOf),
		Reference: v.Reference,
		Amount:    moneyOf(v.Amount),
		Date:      v.Date,
		At:        Time(v.At),
	}
}

// AttemptView is the wire form of projections.AttemptView.
type AttemptView struct {
	ID              ID `json:"id"`
	PaymentMethodID ID `json:"payment_method_id"`
	// Through is as PaymentView's.
	Through string `json:"through"`
	// PaidWith is as PaymentView's.
	PaidWith         *MethodUsed `json:"paid_with"`
	Outcome          string      `json:"outcome"`
	Amount           Money       `json:"amount"`
	GatewayReference string      `json:"gateway_reference"`
	DeclineCode      string      `json:"decline_code"`
	DeclineMessage   string      `json:"decline_message"`
	At               Time        `json:"at"`
}

// attemptViewOf converts a projections.AttemptView.
func attemptViewOf(v projections.AttemptView) AttemptView {
	return AttemptView{
		ID:               ID(v.ID),
		PaymentMethodID:  ID(v.PaymentMethodID),
		Through:          string(v.Through),
		PaidWith:         wirePtr(v.PaidWith, methodUsedOf),
		Outcome:          string(v.Outcome),
		Amount:           moneyOf(v.Amount),
		GatewayReference: v.GatewayReference,
		DeclineCode:      v.DeclineCode,
		DeclineMessage:   v.DeclineMessage,
		At:               Time(v.At),
	}
}

// CreditNoteView is the wire form of projections.CreditNoteView.
type CreditNoteView struct {
	ID     ID     `json:"id"`
	Amount Money  `json:"amount"`
	Reason string `json:"reason"`
	At     Time   `json:"at"`
}

// creditNoteViewOf converts a projections.CreditNoteView.
func creditNoteViewOf(v projections.CreditNoteView) CreditNoteView {
	return CreditNoteView{
		ID:     ID(v.ID),
		Amount: moneyOf(v.Amount),
		Reason: v.Reason,
		At:     Time(v.At),
	}
}

// WriteOffView is the wire form of projections.WriteOffView.
type WriteOffView struct {
	Amount Money  `json:"amount"`
	Reason string `json:"reason"`
	At     Time   `json:"at"`
}

// writeOffViewOf converts a projections.WriteOffView.
func writeOffViewOf(v projections.WriteOffView) WriteOffView {
	return WriteOffView{
		Amount: moneyOf(v.Amount),
		Reason: v.Reason,
		At:     Time(v.At),
	}
}

// InvoiceLedger is the wire form of projections.InvoiceLedger.
type InvoiceLedger struct {
	Status    string       `json:"status"`
	Providers []LedgerSync `json:"providers"`
}

// invoiceLedgerOf converts a projections.InvoiceLedger.
func invoiceLedgerOf(v projections.InvoiceLedger) InvoiceLedger {
	return InvoiceLedger{
		Status:    v.Status,
		Providers: wireList(v.Providers, ledgerSyncOf),
	}
}

// LedgerSync is the wire form of projections.LedgerSync.
type LedgerSync struct {
	Provider   string `json:"provider"`
	Status     string `json:"status"`
	LedgerID   string `json:"ledger_id"`
	Reason     string `json:"reason"`
	RetryAt    Time   `json:"retry_at"`
	Attempts   int    `json:"attempts"`
	Pushed     int    `json:"pushed"`
	Generation int    `json:"generation"`
	At         Time   `json:"at"`
}

// ledgerSyncOf converts a projections.LedgerSync.
func ledgerSyncOf(v projections.LedgerSync) LedgerSync {
	return LedgerSync{
		Provider:   v.Provider,
		Status:     v.Status,
		LedgerID:   v.LedgerID,
		Reason:     v.Reason,
		RetryAt:    Time(v.RetryAt),
		Attempts:   v.Attempts,
		Pushed:     v.Pushed,
		Generation: v.Generation,
		At:         Time(v.At),
	}
}

// EmailView is the wire form of projections.EmailView.
type EmailView struct {
	ID       ID     `json:"id"`
	Kind     string `json:"kind"`
	To       string `json:"to"`
	ToName   string `json:"to_name,omitempty"`
	Subject  string `json:"subject"`
	QueuedAt Time   `json:"queued_at"`
	Status   string `json:"status"`
	DoneAt   Time   `json:"done_at,omitzero"`
	Reason   string `json:"reason,omitempty"`
	Attempts int    `json:"attempts,omitzero"`
}

// emailViewOf converts a projections.EmailView.
func emailViewOf(v projections.EmailView) EmailView {
	return EmailView{
		ID:       ID(v.ID),
		Kind:     string(v.Kind),
		To:       v.To,
		ToName:   v.ToName,
		Subject:  v.Subject,
		QueuedAt: Time(v.QueuedAt),
		Status:   string(v.Status),
		DoneAt:   Time(v.DoneAt),
		Reason:   v.Reason,
		Attempts: v.Attempts,
	}
}

// MethodUsed is the wire form of invoice.MethodUsed: a method a client paid
// with on the pay-now page and did not keep, as people recognise it.
type MethodUsed struct {
	// Kind is "card" or "bank_debit".
	Kind          string `json:"kind"`
	Brand         string `json:"brand"`
	Last4         string `json:"last4"`
	Scheme        string `json:"scheme"`
	MaskedAccount string `json:"masked_account"`
	// Label is how the UI names it: "Visa •••• 4242".
	Label string `json:"label"`
}

// methodUsedOf converts an invoice.MethodUsed.
func methodUsedOf(m invoice.MethodUsed) MethodUsed {
	return MethodUsed{Kind: m.Kind, Brand: m.Brand, Last4: m.Last4, Scheme: m.Scheme, MaskedAccount: m.MaskedAccount, Label: projections.UsedMethodLabel(m)}
}
