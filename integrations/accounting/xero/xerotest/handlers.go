package xerotest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// handle answers a request that passed the spec: the organisation's part.
func (s *Server) handle(method, path string, q url.Values, body []byte) answer {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var doc map[string][]obj
	if len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return validationError("The request body is not JSON: " + err.Error())
		}
	}
	var a answer
	var ok bool
	switch parts[0] {
	case "Contacts":
		a, ok = s.handleContacts(method, parts, q, doc)
	case "Invoices":
		a, ok = s.handleInvoices(method, parts, q, doc)
	case "Payments":
		a, ok = s.handlePayments(method, parts, q, doc)
	case "CreditNotes":
		a, ok = s.handleCreditNotes(method, parts, q, doc)
	case "BankTransfers":
		a, ok = s.handleBankTransfers(method, parts, q, doc)
	case "BankTransactions":
		a, ok = s.handleBankTransactions(method, parts, q, doc)
	}
	if !ok {
		return jsonAnswer(http.StatusNotImplemented, obj{"Message": "the Xero test server does not implement " + method + " " + path})
	}
	return a
}

// handleContacts answers /Contacts; false when the server does not
// implement the request (as do the other handleX).
func (s *Server) handleContacts(method string, parts []string, q url.Values, doc map[string][]obj) (answer, bool) {
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return s.list("Contacts", s.contacts, q), true
	case len(parts) == 1 && (method == http.MethodPut || method == http.MethodPost):
		return s.createContacts(doc["Contacts"]), true
	}
	return answer{}, false
}

func (s *Server) handleInvoices(method string, parts []string, q url.Values, doc map[string][]obj) (answer, bool) {
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return s.list("Invoices", s.invoices, q), true
	case len(parts) == 1 && method == http.MethodPut:
		return s.createDocs("Invoices", doc["Invoices"]), true
	case len(parts) == 2 && method == http.MethodGet:
		if in := find(s.invoices, "InvoiceID", parts[1]); in != nil {
			return jsonAnswer(http.StatusOK, obj{"Invoices": []obj{in}}), true
		}
		return notFound(), true
	case len(parts) == 2 && method == http.MethodPost:
		return s.updateInvoice(parts[1], doc["Invoices"]), true
	}
	return answer{}, false
}

func (s *Server) handlePayments(method string, parts []string, q url.Values, doc map[string][]obj) (answer, bool) {
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return s.list("Payments", s.payments, q), true
	case len(parts) == 1 && method == http.MethodPut:
		return s.createPayments(doc["Payments"]), true
	}
	return answer{}, false
}

func (s *Server) handleCreditNotes(method string, parts []string, q url.Values, doc map[string][]obj) (answer, bool) {
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return s.list("CreditNotes", s.creditNotes, q), true
	case len(parts) == 1 && method == http.MethodPut:
		return s.createDocs("CreditNotes", doc["CreditNotes"]), true
	case len(parts) == 3 && parts[2] == "Allocations" && method == http.MethodPut:
		return s.allocate(parts[1], doc["Allocations"]), true
	}
	return answer{}, false
}

func notFound() answer {
	return jsonAnswer(http.StatusNotFound, obj{"Type": nil, "Title": "NotFound", "Status": 404, "Detail": "The resource you're looking for cannot be found"})
}

func find(list []obj, key, id string) obj {
	for _, o := range list {
		if strings.EqualFold(str(o[key]), id) {
			return o
		}
	}
	return nil
}

// list answers a GET with the documents the where filter (and, for
// contacts, searchTerm) selects.
func (s *Server) list(key string, all []obj, q url.Values) answer {
	var where [][]cond
	if w := q.Get("where"); w != "" {
		var err error
		if where, err = parseWhere(w); err != nil {
			return jsonAnswer(http.StatusBadRequest, obj{"ErrorNumber": 16, "Type": "QueryParseException", "Message": err.Error()})
		}
	}
	term := strings.ToLower(q.Get("searchTerm"))
	out := []obj{}
	for _, o := range all {
		if where != nil && !matches(o, where) {
			continue
		}
		if term != "" && !slices.ContainsFunc([]string{"Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"}, func(f string) bool {
			return strings.Contains(strings.ToLower(str(o[f])), term)
		}) {
			continue
		}
		out = append(out, o)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), key: out})
}

func msNow() string { return fmt.Sprintf("/Date(%d)/", time.Now().UnixMilli()) }

func (s *Server) createContacts(in []obj) answer {
	if len(in) == 0 {
		return validationError("No contacts were given")
	}
	var out []obj
	for _, c := range in {
		name := strings.TrimSpace(str(c["Name"]))
		if name == "" {
			return validationError("The contact name must be specified")
		}
		for _, e := range s.contacts {
			if e["ContactStatus"] != "ARCHIVED" && strings.EqualFold(str(e["Name"]), name) {
				return validationError(fmt.Sprintf("The contact name %s is already assigned to another contact. The contact name must be unique across all active contacts.", name))
			}
		}
		c["ContactID"] = uuid.NewString()
		c["ContactStatus"] = "ACTIVE"
		c["UpdatedDateUTC"] = msNow()
		s.contacts = append(s.contacts, c)
		out = append(out, c)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), "Contacts": out})
}

// amount reads a JSON number field; absent is (0, false).
func amount(o obj, key string) (decimal.Decimal, bool) {
	v, ok := o[key]
	if !ok || v == nil {
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(str(v))
	return d, err == nil
}

func jnum(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// createDocs creates invoices or credit notes, computing amounts as Xero
// does: LineAmount = Quantity × UnitAmount × (100 − DiscountRate) / 100
// (or − DiscountAmount), rounded to the currency; tax per line from the
// tax type's rate on the line amount (exclusive) or within it (inclusive).
func (s *Server) createDocs(key string, in []obj) answer {
	if len(in) == 0 {
		return validationError("No documents were given")
	}
	credit := key == "CreditNotes"
	var out []obj
	for _, d := range in {
		if msgs := s.createDoc(d, credit); len(msgs) > 0 {
			return validationError(msgs...)
		}
		out = append(out, d)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), key: out})
}

// docHeader is what a document states besides its lines, with Xero's
// defaults filled in.
type docHeader struct {
	contact obj
	cur     domain.Currency
	lat     string // LineAmountTypes
	status  string
}

// createDoc completes and keeps one invoice or credit note, or returns
// Xero's validation messages about it.
func (s *Server) createDoc(d obj, credit bool) []string {
	h, msgs := s.checkDocHeader(d, credit)
	subTotal, totalTax := decimal.Zero, decimal.Zero
	lines, _ := d["LineItems"].([]any)
	for i, raw := range lines {
		ln, _ := raw.(map[string]any)
		net, tax, lineMsgs := s.docLine(ln, fmt.Sprintf("Line %d: ", i+1), credit, h)
		msgs = append(msgs, lineMsgs...)
		subTotal, totalTax = subTotal.Add(net), totalTax.Add(tax)
	}
	if !credit && str(d["InvoiceNumber"]) != "" && find(s.invoices, "InvoiceNumber", str(d["InvoiceNumber"])) != nil {
		msgs = append(msgs, "Invoice # must be unique.")
	}
	if len(msgs) > 0 {
		return msgs
	}
	total := subTotal.Add(totalTax)
	d["Contact"] = obj{"ContactID": h.contact["ContactID"], "Name": h.contact["Name"]}
	d["Status"] = h.status
	d["LineAmountTypes"] = h.lat
	d["CurrencyCode"] = h.cur.Code
	d["SubTotal"], d["TotalTax"], d["Total"] = jnum(subTotal), jnum(totalTax), jnum(total)
	d["UpdatedDateUTC"] = msNow()
	if day := str(d["Date"]); day != "" {
		d["DateString"], d["Date"] = day+"T00:00:00", msDate(day)
	}
	if day := str(d["DueDate"]); day != "" {
		d["DueDateString"], d["DueDate"] = day+"T00:00:00", msDate(day)
	}
	if credit {
		d["CreditNoteID"] = uuid.NewString()
		d["CreditNoteNumber"] = fmt.Sprintf("CN-%04d", len(s.creditNotes)+1)
		d["RemainingCredit"] = jnum(total)
		d["Allocations"] = []any{}
		s.creditNotes = append(s.creditNotes, d)
		return nil
	}
	d["InvoiceID"] = uuid.NewString()
	if str(d["InvoiceNumber"]) == "" {
		d["InvoiceNumber"] = fmt.Sprintf("INV-%04d", len(s.invoices)+1)
	}
	d["AmountDue"], d["AmountPaid"], d["AmountCredited"] = jnum(total), jnum(decimal.Zero), jnum(decimal.Zero)
	d["Payments"], d["CreditNotes"] = []any{}, []any{}
	s.invoices = append(s.invoices, d)
	return nil
}

// checkDocHeader reads a document's type, contact, currency, line amount
// types and status, with Xero's messages about what is wrong.
func (s *Server) checkDocHeader(d obj, credit bool) (docHeader, []string) {
	var msgs []string
	typ := str(d["Type"])
	switch {
	case !credit && typ != "ACCREC":
		msgs = append(msgs, "The Xero test server only keeps ACCREC invoices, not "+typ)
	case credit && typ != "ACCRECCREDIT":
		msgs = append(msgs, "The Xero test server only keeps ACCRECCREDIT credit notes, not "+typ)
	}
	var h docHeader
	contact, msg := s.documentContact(d)
	if msg != "" {
		msgs = append(msgs, msg)
	}
	h.contact = contact
	curCode := cmp.Or(str(d["CurrencyCode"]), "NZD")
	cur, err := domain.ParseCurrency(curCode)
	if err != nil {
		msgs = append(msgs, "The currency "+curCode+" is not enabled for this organisation")
	}
	h.cur = cur
	h.lat = cmp.Or(str(d["LineAmountTypes"]), "Exclusive")
	h.status = cmp.Or(str(d["Status"]), "DRAFT")
	if lines, _ := d["LineItems"].([]any); h.status == "AUTHORISED" && len(lines) == 0 {
		msgs = append(msgs, "At least one line item is required to approve a document")
	}
	return h, msgs
}

// docLine checks and completes one line (its messages prefixed by n) and
// returns its net amount and tax.
func (s *Server) docLine(ln map[string]any, n string, credit bool, h docHeader) (net, tax decimal.Decimal, msgs []string) {
	hundred := decimal.NewFromInt(100)
	if str(ln["Description"]) == "" {
		msgs = append(msgs, n+"Description needs to be at least 1 char long")
	}
	code := str(ln["AccountCode"])
	if find(s.accounts, "Code", code) == nil {
		msgs = append(msgs, fmt.Sprintf("%sAccount code '%s' is not a valid code for this document.", n, code))
	}
	rate, ok := s.taxRates[str(ln["TaxType"])]
	if !ok && h.lat != "NoTax" {
		msgs = append(msgs, fmt.Sprintf("%sThe TaxType code '%s' does not exist or cannot be used for this type of transaction.", n, str(ln["TaxType"])))
	}
	qty, lineAmt, amountMsgs := lineAmount(ln, n, credit, h.cur)
	msgs = append(msgs, amountMsgs...)
	net = lineAmt
	switch h.lat {
	case "Exclusive":
		tax = h.cur.Round(lineAmt.Mul(rate).Div(hundred))
	case "Inclusive":
		tax = h.cur.Round(lineAmt.Mul(rate).Div(hundred.Add(rate)))
		net = lineAmt.Sub(tax)
	}
	ln["LineItemID"] = uuid.NewString()
	ln["Quantity"] = jnum(qty)
	ln["LineAmount"] = jnum(lineAmt)
	ln["TaxAmount"] = jnum(tax)
	return net, tax, msgs
}

// lineAmount works out a line's quantity and amount from its quantity, unit
// amount and discount, or checks the amount it states.
func lineAmount(ln map[string]any, n string, credit bool, cur domain.Currency) (qty, lineAmt decimal.Decimal, msgs []string) {
	hundred := decimal.NewFromInt(100)
	qty, hasQty := amount(ln, "Quantity")
	if !hasQty {
		qty = decimal.NewFromInt(1)
	}
	unit, hasUnit := amount(ln, "UnitAmount")
	lineAmt, hasLine := amount(ln, "LineAmount")
	rateD, hasRate := amount(ln, "DiscountRate")
	discAmt, hasDisc := amount(ln, "DiscountAmount")
	if credit && (hasRate || hasDisc) {
		msgs = append(msgs, n+"Discounts are not supported on credit notes")
	}
	switch {
	case hasUnit:
		want := qty.Mul(unit)
		if hasRate {
			want = want.Mul(hundred.Sub(rateD)).Div(hundred)
		}
		if hasDisc {
			want = want.Sub(discAmt)
		}
		want = cur.Round(want)
		if hasLine && !lineAmt.Equal(want) {
			msgs = append(msgs, fmt.Sprintf("%sThe line total %s does not match the expected line total %s", n, lineAmt, want))
		}
		lineAmt = want
	case hasLine && !qty.IsZero():
		ln["UnitAmount"] = jnum(lineAmt.Div(qty).Round(4))
	default:
		msgs = append(msgs, n+"A line needs a UnitAmount or a LineAmount")
	}
	return qty, lineAmt, msgs
}

// documentContact resolves a document's Contact the way Xero does: by id,
// else by name (creating it when no contact has that name).
func (s *Server) documentContact(d obj) (obj, string) {
	c, _ := d["Contact"].(map[string]any)
	if c == nil {
		return nil, "A Contact must be specified for this type of transaction"
	}
	if id := str(c["ContactID"]); id != "" {
		if e := find(s.contacts, "ContactID", id); e != nil {
			return e, ""
		}
		return nil, "The contact with ContactID " + id + " does not exist"
	}
	name := str(c["Name"])
	if name == "" {
		return nil, "A Contact must be specified for this type of transaction"
	}
	if e := find(s.contacts, "Name", name); e != nil {
		return e, ""
	}
	nc := obj{"ContactID": uuid.NewString(), "Name": name, "ContactStatus": "ACTIVE"}
	s.contacts = append(s.contacts, nc)
	return nc, ""
}

func (s *Server) updateInvoice(id string, in []obj) answer {
	inv := find(s.invoices, "InvoiceID", id)
	if inv == nil {
		return notFound()
	}
	if len(in) != 1 {
		return validationError("One invoice must be given")
	}
	for k := range in[0] {
		if k != "InvoiceID" && k != "Status" {
			return jsonAnswer(http.StatusNotImplemented, obj{"Message": "the Xero test server only changes an invoice's Status, not " + k})
		}
	}
	want := str(in[0]["Status"])
	switch cur := str(inv["Status"]); {
	case want == "" || want == cur && cur != "VOIDED":
	case cur == "VOIDED" || cur == "DELETED":
		return validationError("This document cannot be edited as it has a status of " + cur + ".")
	case want == "VOIDED" && cur != "AUTHORISED" && cur != "SUBMITTED":
		return validationError("Invoice not of valid status for modification")
	case want == "VOIDED":
		paid, _ := amount(inv, "AmountPaid")
		credited, _ := amount(inv, "AmountCredited")
		if !paid.IsZero() || !credited.IsZero() {
			return validationError("This document cannot be voided as it has payments or credit notes allocated to it.")
		}
		inv["Status"] = "VOIDED"
		inv["AmountDue"] = jnum(decimal.Zero)
	default:
		return jsonAnswer(http.StatusNotImplemented, obj{"Message": "the Xero test server cannot move an invoice from " + cur + " to " + want})
	}
	inv["UpdatedDateUTC"] = msNow()
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), "Invoices": []obj{inv}})
}

// settle applies amt to an invoice's amount due.
func settle(inv obj, field string, amt decimal.Decimal) {
	due, _ := amount(inv, "AmountDue")
	was, _ := amount(inv, field)
	inv[field] = jnum(was.Add(amt))
	due = due.Sub(amt)
	inv["AmountDue"] = jnum(due)
	if due.IsZero() {
		inv["Status"] = "PAID"
	}
	inv["UpdatedDateUTC"] = msNow()
}

func (s *Server) createPayments(in []obj) answer {
	if len(in) == 0 {
		return validationError("No payments were given")
	}
	var out []obj
	for _, p := range in {
		if _, ok := p["CreditNote"]; ok {
			pay, msg := s.refundCreditNote(p)
			if msg != "" {
				return validationError(msg)
			}
			out = append(out, pay)
			continue
		}
		ref, _ := p["Invoice"].(map[string]any)
		inv := find(s.invoices, "InvoiceID", str(ref["InvoiceID"]))
		if inv == nil {
			return validationError("The invoice for this payment could not be found")
		}
		if inv["Status"] != "AUTHORISED" {
			return validationError("Payment cannot be applied to an invoice with a status of " + str(inv["Status"]))
		}
		acc, _ := p["Account"].(map[string]any)
		account := find(s.accounts, "Code", str(acc["Code"]))
		if account == nil {
			return validationError("Account could not be found")
		}
		if account["Type"] != "BANK" && account["EnablePaymentsToAccount"] != true {
			return validationError("Account type is invalid for making a payment to/from")
		}
		amt, ok := amount(p, "Amount")
		due, _ := amount(inv, "AmountDue")
		switch {
		case !ok || !amt.IsPositive():
			return validationError("Payment amount must be greater than zero")
		case amt.GreaterThan(due):
			return validationError("Payment amount exceeds the amount outstanding on this document")
		}
		pay := obj{
			"PaymentID":   uuid.NewString(),
			"Invoice":     obj{"InvoiceID": inv["InvoiceID"], "InvoiceNumber": inv["InvoiceNumber"]},
			"Account":     obj{"AccountID": account["AccountID"], "Code": account["Code"]},
			"Date":        msDate(str(p["Date"])),
			"Amount":      jnum(amt),
			"Reference":   str(p["Reference"]),
			"Status":      "AUTHORISED",
			"PaymentType": "ACCRECPAYMENT",
		}
		s.payments = append(s.payments, pay)
		settle(inv, "AmountPaid", amt)
		inv["Payments"] = append(inv["Payments"].([]any), obj{"PaymentID": pay["PaymentID"], "Amount": pay["Amount"], "Date": pay["Date"], "Reference": pay["Reference"]})
		out = append(out, pay)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), "Payments": out})
}

func (s *Server) allocate(id string, in []obj) answer {
	cn := find(s.creditNotes, "CreditNoteID", id)
	if cn == nil {
		return notFound()
	}
	if len(in) == 0 {
		return validationError("No allocations were given")
	}
	var out []obj
	for _, a := range in {
		ref, _ := a["Invoice"].(map[string]any)
		inv := find(s.invoices, "InvoiceID", str(ref["InvoiceID"]))
		if inv == nil {
			return validationError("The invoice to allocate to could not be found")
		}
		amt, _ := amount(a, "Amount")
		rem, _ := amount(cn, "RemainingCredit")
		due, _ := amount(inv, "AmountDue")
		switch {
		case cn["Status"] != "AUTHORISED":
			return validationError("Only an AUTHORISED credit note can be allocated")
		case inv["Status"] != "AUTHORISED":
			return validationError("Allocations can only be made to AUTHORISED invoices")
		case !amt.IsPositive():
			return validationError("The allocation amount must be greater than zero")
		case amt.GreaterThan(rem):
			return validationError("The amount being allocated exceeds the remaining credit on the credit note")
		case amt.GreaterThan(due):
			return validationError("The amount being allocated exceeds the amount due on the invoice")
		}
		alloc := obj{
			"AllocationID": uuid.NewString(),
			"Amount":       jnum(amt),
			"Date":         msDate(str(a["Date"])),
			"Invoice":      obj{"InvoiceID": inv["InvoiceID"], "InvoiceNumber": inv["InvoiceNumber"]},
		}
		rem = rem.Sub(amt)
		cn["RemainingCredit"] = jnum(rem)
		if rem.IsZero() {
			cn["Status"] = "PAID"
		}
		cn["Allocations"] = append(cn["Allocations"].([]any), alloc)
		settle(inv, "AmountCredited", amt)
		inv["CreditNotes"] = append(inv["CreditNotes"].([]any), obj{"CreditNoteID": cn["CreditNoteID"], "AppliedAmount": jnum(amt)})
		withNote := obj{}
		for k, v := range alloc {
			withNote[k] = v
		}
		withNote["CreditNote"] = obj{"CreditNoteID": cn["CreditNoteID"]}
		out = append(out, withNote)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), "Allocations": out})
}
