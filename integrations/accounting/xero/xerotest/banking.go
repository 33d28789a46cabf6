package xerotest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// AddAccount adds an account to the organisation's chart (the spec's
// example has only 091, a bank account, and 200, revenue): typ is Xero's
// account type, "BANK" or "EXPENSE" say.
func (s *Server) AddAccount(code, name, typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := obj{"AccountID": uuid.NewString(), "Code": code, "Name": name, "Type": typ, "Status": "ACTIVE"}
	if typ == "BANK" {
		a["BankAccountType"] = "BANK"
		a["CurrencyCode"] = "AUD"
	}
	s.accounts = append(s.accounts, a)
}

// BankTransfers and BankTransactions return copies of the organisation's
// bank transfers and spend or receive money transactions.
func (s *Server) BankTransfers() []obj    { return s.copyOf(&s.bankTransfers) }
func (s *Server) BankTransactions() []obj { return s.copyOf(&s.bankTransactions) }

func (s *Server) handleBankTransfers(method string, parts []string, q url.Values, doc map[string][]obj) (answer, bool) {
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return s.list("BankTransfers", s.bankTransfers, q), true
	case len(parts) == 1 && method == http.MethodPut:
		return s.createBankTransfers(doc["BankTransfers"]), true
	}
	return answer{}, false
}

func (s *Server) handleBankTransactions(method string, parts []string, q url.Values, doc map[string][]obj) (answer, bool) {
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return s.list("BankTransactions", s.bankTransactions, q), true
	case len(parts) == 1 && method == http.MethodPut:
		return s.createBankTransactions(doc["BankTransactions"]), true
	}
	return answer{}, false
}

// bankAccount finds the account an Account object names by code (or id)
// and checks it is a live bank account, as Xero does for transfers and
// bank transactions.
func (s *Server) bankAccount(v any, field string) (obj, string) {
	ref, _ := v.(map[string]any)
	if ref == nil {
		return nil, field + " must be specified"
	}
	a := find(s.accounts, "Code", str(ref["Code"]))
	if a == nil && str(ref["AccountID"]) != "" {
		a = find(s.accounts, "AccountID", str(ref["AccountID"]))
	}
	if a == nil {
		return nil, field + ": Account could not be found"
	}
	if a["Type"] != "BANK" {
		return nil, field + ": " + str(a["Code"]) + " is not a bank account"
	}
	return a, ""
}

func accountRef(a obj) obj {
	return obj{"AccountID": a["AccountID"], "Code": a["Code"], "Name": a["Name"]}
}

func (s *Server) createBankTransfers(in []obj) answer {
	if len(in) == 0 {
		return validationError("No bank transfers were given")
	}
	var out []obj
	for _, t := range in {
		from, m1 := s.bankAccount(t["FromBankAccount"], "FromBankAccount")
		to, m2 := s.bankAccount(t["ToBankAccount"], "ToBankAccount")
		if m1 != "" || m2 != "" {
			return validationError(strings.TrimSpace(m1 + " " + m2))
		}
		if from["AccountID"] == to["AccountID"] {
			return validationError("The bank accounts of a transfer must be different")
		}
		amt, ok := amount(t, "Amount")
		if !ok || !amt.IsPositive() {
			return validationError("The amount must be greater than zero")
		}
		if !amt.Round(2).Equal(amt) {
			return validationError("The amount has more than two decimal places")
		}
		bt := obj{
			"BankTransferID":        uuid.NewString(),
			"FromBankAccount":       accountRef(from),
			"ToBankAccount":         accountRef(to),
			"Amount":                jnum(amt),
			"Date":                  msDate(str(t["Date"])),
			"Reference":             str(t["Reference"]),
			"CurrencyRate":          jnum(decimal.NewFromInt(1)),
			"FromBankTransactionID": uuid.NewString(),
			"ToBankTransactionID":   uuid.NewString(),
			"CreatedDateUTC":        msNow(),
			"Status":                "AUTHORISED",
		}
		s.bankTransfers = append(s.bankTransfers, bt)
		out = append(out, bt)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), "BankTransfers": out})
}

func (s *Server) createBankTransactions(in []obj) answer {
	if len(in) == 0 {
		return validationError("No bank transactions were given")
	}
	var out []obj
	for _, t := range in {
		bt, msgs := s.bankTransaction(t)
		if len(msgs) > 0 {
			return validationError(msgs...)
		}
		s.bankTransactions = append(s.bankTransactions, bt)
		out = append(out, bt)
	}
	return jsonAnswer(http.StatusOK, obj{"Id": uuid.NewString(), "Status": "OK", "ProviderName": "Remit tests", "DateTimeUTC": msNow(), "BankTransactions": out})
}

// bankTransaction completes a SPEND or RECEIVE bank transaction without
// tax (LineAmountTypes NoTax), or returns Xero's messages about it.
func (s *Server) bankTransaction(t obj) (obj, []string) {
	var msgs []string
	typ := str(t["Type"])
	if typ != "SPEND" && typ != "RECEIVE" {
		msgs = append(msgs, "The test server takes SPEND and RECEIVE bank transactions, not "+typ)
	}
	bank, m := s.bankAccount(t["BankAccount"], "BankAccount")
	if m != "" {
		msgs = append(msgs, m)
	}
	if lat := str(t["LineAmountTypes"]); lat != "NoTax" {
		msgs = append(msgs, "The test server takes bank transactions with LineAmountTypes NoTax, not "+lat)
	}
	cur, _ := domain.ParseCurrency("AUD")
	if c := str(t["CurrencyCode"]); c != "" {
		if cc, err := domain.ParseCurrency(c); err == nil {
			cur = cc
		} else {
			msgs = append(msgs, "Currency code "+c+" is not known")
		}
	}
	ct, _ := t["Contact"].(map[string]any)
	contact := s.bankContact(ct)
	if contact == nil {
		msgs = append(msgs, "A Contact must be specified for this type of transaction")
	}
	lines, _ := t["LineItems"].([]any)
	if len(lines) == 0 {
		msgs = append(msgs, "At least one line item is required")
	}
	total := decimal.Zero
	var outLines []any
	for i, l := range lines {
		ln, _ := l.(map[string]any)
		a := find(s.accounts, "Code", str(ln["AccountCode"]))
		switch {
		case a == nil:
			msgs = append(msgs, "Line "+str(i+1)+": Account code '"+str(ln["AccountCode"])+"' is not a valid code for this document.")
			continue
		case a["Type"] == "BANK":
			msgs = append(msgs, "Line "+str(i+1)+": a bank account cannot be a line's account")
			continue
		}
		qty, ok := amount(ln, "Quantity")
		if !ok {
			qty = decimal.NewFromInt(1)
		}
		unit, _ := amount(ln, "UnitAmount")
		la := qty.Mul(unit).Round(cur.MinorUnits)
		total = total.Add(la)
		outLines = append(outLines, obj{"LineItemID": uuid.NewString(), "Description": str(ln["Description"]), "Quantity": jnum(qty),
			"UnitAmount": jnum(unit), "AccountCode": a["Code"], "LineAmount": jnum(la), "TaxAmount": jnum(decimal.Zero)})
	}
	if len(msgs) > 0 {
		return nil, msgs
	}
	if !total.IsPositive() {
		return nil, []string{"The total of a bank transaction must be greater than zero"}
	}
	return obj{
		"BankTransactionID": uuid.NewString(),
		"Type":              typ,
		"Contact":           obj{"ContactID": contact["ContactID"], "Name": contact["Name"]},
		"BankAccount":       accountRef(bank),
		"LineItems":         outLines,
		"Date":              msDate(str(t["Date"])),
		"Reference":         str(t["Reference"]),
		"CurrencyCode":      cur.Code,
		"LineAmountTypes":   "NoTax",
		"Status":            "AUTHORISED",
		"IsReconciled":      false,
		"SubTotal":          jnum(total),
		"TotalTax":          jnum(decimal.Zero),
		"Total":             jnum(total),
		"UpdatedDateUTC":    msNow(),
	}, nil
}

// bankContact is the contact a bank transaction names: by id, else by name
// (created when no active contact has it, as Xero does).
func (s *Server) bankContact(ct map[string]any) obj {
	if ct == nil {
		return nil
	}
	if id := str(ct["ContactID"]); id != "" {
		return find(s.contacts, "ContactID", id)
	}
	name := strings.TrimSpace(str(ct["Name"]))
	if name == "" {
		return nil
	}
	for _, c := range s.contacts {
		if c["ContactStatus"] != "ARCHIVED" && strings.EqualFold(str(c["Name"]), name) {
			return c
		}
	}
	c := obj{"ContactID": uuid.NewString(), "Name": name, "ContactStatus": "ACTIVE", "UpdatedDateUTC": msNow()}
	s.contacts = append(s.contacts, c)
	return c
}
