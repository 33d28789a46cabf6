package journal

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Format is a plain-text journal format.
type Format string

// Formats.
const (
	Hledger   Format = "hledger"
	Beancount Format = "beancount"
)

// ParseFormat returns the format named s, or an error naming the formats.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case Hledger, Beancount:
		return f, nil
	}
	return "", fmt.Errorf("unknown journal format %q: use hledger or beancount", s)
}

// Write writes the journal in format f.
func (j *Journal) Write(w io.Writer, f Format) error {
	bw := bufio.NewWriter(w)
	switch f {
	case Hledger:
		j.writeHledger(bw)
	case Beancount:
		j.writeBeancount(bw)
	default:
		return fmt.Errorf("unknown journal format %q: use hledger or beancount", f)
	}
	return bw.Flush()
}

// amountText is an amount with exactly the currency's minor units and its
// ISO code: "-1234.50 AUD".
func amountText(p Posting) string {
	return p.Amount.StringFixed(p.Currency.MinorUnits) + " " + p.Currency.Code
}

// layout is the column widths postings are aligned to.
type layout struct{ account, amount int }

func (j *Journal) layout(spell func(string) string) layout {
	var l layout
	for _, a := range fixedAccounts {
		l.account = max(l.account, len(spell(a)))
	}
	for _, c := range j.Clients {
		l.account = max(l.account, len(spell(c.Account)))
	}
	for _, t := range j.Transactions {
		for _, p := range t.Postings {
			l.amount = max(l.amount, len(amountText(p)))
		}
	}
	return l
}

// header is the comment both formats start with.
func (j *Journal) header(w *bufio.Writer) {
	name := j.Firm
	if name == "" {
		name = "(firm not set up)"
	}
	fmt.Fprintf(w, "; Books of %s, exported by Remit from its event log\n", oneLine(name))
	fmt.Fprintf(w, "; events up to global position %d; dates are calendar dates in %s", j.Position, orUTC(j.TimeZone))
	if !j.Through.IsZero() {
		fmt.Fprintf(w, "; transactions dated up to %s", j.Through)
	}
	fmt.Fprintf(w, "\n; one transaction per event: its id, type and invoice are in the tags (see docs/journal.md)\n\n")
}

func orUTC(zone string) string {
	if zone == "" {
		return "UTC"
	}
	return zone
}

// oneLine flattens control characters (newlines) to spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// hledgerText makes s safe inside an hledger description: no comment start
// (;), no payee/note separator (|), on one line.
func hledgerText(s string) string {
	return strings.NewReplacer(";", ",", "|", "/").Replace(oneLine(s))
}

// tagValue makes s safe as an hledger tag value (ended by a comma).
func tagValue(s string) string {
	return strings.NewReplacer(",", " ", ";", " ").Replace(oneLine(s))
}

func (j *Journal) writeHledger(w *bufio.Writer) {
	j.header(w)
	w.WriteString("decimal-mark .\n\n")
	for _, c := range j.Currencies {
		// hledger wants a decimal mark in the sample even with no minor
		// units ("1000. JPY").
		sample := thousand.StringFixed(c.MinorUnits)
		if c.MinorUnits == 0 {
			sample += "."
		}
		fmt.Fprintf(w, "commodity %s %s\n", sample, c.Code)
	}
	w.WriteString("\n")
	for _, a := range fixedAccounts {
		fmt.Fprintf(w, "account %s\n", hledgerAccount(a))
	}
	for _, c := range j.Clients {
		fmt.Fprintf(w, "account %s  ; client:%s\n", hledgerAccount(c.Account), c.ClientID)
	}
	l := j.layout(hledgerAccount)
	for _, t := range j.Transactions {
		code := strings.NewReplacer("(", "", ")", "", " ", "").Replace(oneLine(t.InvoiceNumber))
		fmt.Fprintf(w, "\n%s * (%s) %s | %s %s\n", t.Date, code, hledgerText(t.ClientName), hledgerText(t.InvoiceNumber), t.Narration)
		if t.PayoutID != uuid.Nil {
			fmt.Fprintf(w, "    ; event:%s, type:%s, payout:%s, reference:%s, position:%d\n",
				t.EventID, t.EventType, t.PayoutID, tagValue(t.InvoiceNumber), t.Position)
		} else {
			fmt.Fprintf(w, "    ; event:%s, type:%s, invoice:%s, number:%s, client:%s, position:%d\n",
				t.EventID, t.EventType, t.InvoiceID, tagValue(t.InvoiceNumber), t.ClientID, t.Position)
		}
		for _, p := range t.Postings {
			fmt.Fprintf(w, "    %-*s  %*s\n", l.account, hledgerAccount(p.Account), l.amount, amountText(p))
		}
	}
}

// thousand is the sample amount of hledger's commodity directives, which
// fix the decimal mark and the minor units shown.
var thousand = decimal.NewFromInt(1000)

// quote is a beancount string literal.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(oneLine(s)) + `"`
}

func (j *Journal) writeBeancount(w *bufio.Writer) {
	j.header(w)
	if j.Firm != "" {
		fmt.Fprintf(w, "option \"title\" %s\n", quote(j.Firm))
	}
	if !j.BaseCurrency.IsZero() {
		fmt.Fprintf(w, "option \"operating_currency\" %s\n", quote(j.BaseCurrency.Code))
	}
	for _, c := range j.Currencies {
		if c != j.BaseCurrency {
			fmt.Fprintf(w, "option \"operating_currency\" %s\n", quote(c.Code))
		}
	}
	w.WriteString("\n")
	open := j.OpenDate
	if open.IsZero() {
		// An empty log: nothing is posted, but the chart is still declared.
		open = domain.MustDate(1970, 1, 1)
	}
	for _, c := range j.Currencies {
		fmt.Fprintf(w, "%s commodity %s\n", open, c.Code)
	}
	for _, a := range fixedAccounts {
		fmt.Fprintf(w, "%s open %s\n", open, a)
	}
	for _, c := range j.Clients {
		fmt.Fprintf(w, "%s open %s\n  client-id: %s\n  client-name: %s\n", open, c.Account, quote(c.ClientID.String()), quote(c.Name))
	}
	l := j.layout(func(a string) string { return a })
	for _, t := range j.Transactions {
		if t.PayoutID != uuid.Nil {
			fmt.Fprintf(w, "\n%s * %s %s ^payout-%s\n", t.Date, quote(t.ClientName), quote(t.InvoiceNumber+" "+t.Narration), t.PayoutID)
			fmt.Fprintf(w, "  event-id: %s\n  event-type: %s\n  payout-id: %s\n  payout-reference: %s\n  position: %s\n",
				quote(t.EventID.String()), quote(t.EventType), quote(t.PayoutID.String()), quote(t.InvoiceNumber), strconv.FormatUint(t.Position, 10))
		} else {
			fmt.Fprintf(w, "\n%s * %s %s ^invoice-%s\n", t.Date, quote(t.ClientName), quote(t.InvoiceNumber+" "+t.Narration), t.InvoiceID)
			fmt.Fprintf(w, "  event-id: %s\n  event-type: %s\n  invoice-id: %s\n  invoice-number: %s\n  client-id: %s\n  position: %s\n",
				quote(t.EventID.String()), quote(t.EventType), quote(t.InvoiceID.String()), quote(t.InvoiceNumber),
				quote(t.ClientID.String()), strconv.FormatUint(t.Position, 10))
		}
		for _, p := range t.Postings {
			fmt.Fprintf(w, "  %-*s  %*s\n", l.account, p.Account, l.amount, amountText(p))
		}
	}
}
