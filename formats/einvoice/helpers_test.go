package einvoice_test

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/test/peers"
)

var issuedAt = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// MustFirm returns a firm set up in Australia with an ABN, in currency cur.
func MustFirm(tb testing.TB, cur, taxNumber string, mode domain.TaxMode) firm.State {
	tb.Helper()
	return firm.Fold([]domain.Event{firm.FirmSetUp{
		Name:         "Harbour Bookkeeping Pty Ltd",
		Address:      domain.Address{Line1: "Level 4", Line2: "88 Phillip Street", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "AU"},
		TaxNumber:    taxNumber,
		BaseCurrency: domain.MustCurrency(cur),
		TimeZone:     "Australia/Sydney",
		TaxMode:      mode,
		At:           issuedAt,
	}})
}

// MustClient returns a business client with a primary contact and a card on
// file (methodID).
func MustClient(tb testing.TB, id, methodID uuid.UUID) client.State {
	tb.Helper()
	contact := uuid.MustParse("00000000-0000-4000-8000-0000000000c1")
	return client.Fold([]domain.Event{
		client.ClientCreated{
			ClientID: id, Name: "Blue Wren Café & Co <Pty>", Kind: client.KindBusiness,
			Contacts:         []client.Contact{{ID: contact, Name: "Mia Chen", Email: "mia@bluewren.example"}},
			PrimaryContactID: contact,
			Address:          domain.Address{Line1: "12 King St", City: "Newtown", Region: "NSW", Postcode: "2042", Country: "AU"},
			TaxNumber:        "12 345 678 901",
			Currency:         domain.MustCurrency("AUD"),
			At:               issuedAt,
		},
		client.PaymentMethodAdded{ClientID: id, PaymentMethodID: methodID, Method: client.PaymentMethodDetails{
			Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "pm_card_visa", Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030,
		}, At: issuedAt},
	})
}

// lineSpec is a line to issue: "qty × price, discount, rate".
type lineSpec struct {
	desc      string
	qty       string
	price     string
	discount  domain.Discount
	rate      string
	serviceID uuid.UUID
}

func pct(v string) domain.Discount {
	return domain.Discount{Kind: domain.DiscountPercent, Value: decimal.RequireFromString(v)}
}

func off(v string) domain.Discount {
	return domain.Discount{Kind: domain.DiscountAmount, Value: decimal.RequireFromString(v)}
}

// MustIssue issues an invoice through the invoice decider (so its amounts
// are Remit's own) and returns its events.
func MustIssue(tb testing.TB, number, cur string, mode domain.TaxMode, clientID, methodID uuid.UUID, lines ...lineSpec) []domain.Event {
	tb.Helper()
	c := domain.MustCurrency(cur)
	cmd := invoice.Issue{
		InvoiceID: uuid.NewSHA1(uuid.NameSpaceURL, []byte(number)), ClientID: clientID, Number: number, Currency: c,
		IssueDate: mustDate(tb, "2026-03-02"), DueDate: mustDate(tb, "2026-03-16"), TaxMode: mode, PaymentMethodID: methodID, Client: domain.ClientFacts{Currency: c, PaymentMethods: []uuid.UUID{methodID}}, Now: issuedAt,
	}
	for i, l := range lines {
		cmd.Lines = append(cmd.Lines, invoice.NewLine{
			LineID:      uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("%s/%d", number, i))),
			Description: l.desc, Quantity: decimal.RequireFromString(l.qty),
			UnitPrice: domain.Money{Amount: decimal.RequireFromString(l.price), Currency: c},
			Discount:  l.discount, TaxRate: decimal.RequireFromString(l.rate), ServiceID: l.serviceID,
		})
	}
	evs, err := invoice.Decide(invoice.State{}, cmd)
	if err != nil {
		tb.Fatalf("issue %s: %v", number, err)
	}
	return evs
}

// MustApply decides a command on the invoice folded from evs and returns
// evs with the new events.
func MustApply(tb testing.TB, evs []domain.Event, c invoice.Command) []domain.Event {
	tb.Helper()
	more, err := invoice.Decide(invoice.Fold(evs), c)
	if err != nil {
		tb.Fatalf("%T: %v", c, err)
	}
	return append(evs, more...)
}

func mustDate(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// needPeers returns the UBL schemas' folder, the EN 16931 rules and the
// Saxon jar that runs them; when any of them, or xmllint, is not on this
// machine it skips the test, or fails it where REMIT_REQUIRE_PEERS=1.
func needPeers(tb testing.TB) (xsdDir, xslt, saxon string) {
	tb.Helper()
	xsdDir = peers.Need(tb, "ubl", "xsd", "maindoc")
	peers.Need(tb, "ubl", "xsd", "maindoc", "UBL-Invoice-2.1.xsd")
	xslt = peers.Need(tb, "ubl", "xslt", "EN16931-UBL-validation.xslt")
	peers.NeedTool(tb, "xmllint", "apt-get install libxml2-utils")
	peers.NeedTool(tb, "java", "apt-get install default-jre-headless")
	saxon = peers.NeedFile(tb, "/usr/share/java/Saxon-HE.jar", "apt-get install libsaxonhe-java")
	return xsdDir, xslt, saxon
}

// xsdCheck validates files against one UBL schema in one xmllint run.
func xsdCheck(tb testing.TB, schema string, files []string) {
	tb.Helper()
	if len(files) == 0 {
		return
	}
	args := append([]string{"--noout", "--schema", schema}, files...)
	out, err := exec.Command("xmllint", args...).CombinedOutput()
	if err != nil {
		tb.Errorf("xmllint --schema %s: %v\n%s", filepath.Base(schema), err, out)
	}
}

// svrlAssert is a failed EN 16931 rule as Saxon reports it.
type svrlAssert struct {
	ID       string `xml:"id,attr"`
	Flag     string `xml:"flag,attr"`
	Location string `xml:"location,attr"`
	Text     string `xml:"text"`
}

// en16931Check runs the EN 16931 rules over every file of dir in one Saxon
// run (its directory mode: the stylesheet is compiled once) and returns the
// failed assertions per file name.
func en16931Check(tb testing.TB, saxon, xslt, dir string) map[string][]svrlAssert {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "svrl")
	if err := os.Mkdir(out, 0o755); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("java", "-cp", saxon, "net.sf.saxon.Transform", "-s:"+dir, "-xsl:"+xslt, "-o:"+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("saxon: %v\n%s", err, b)
	}
	res := map[string][]svrlAssert{}
	entries, err := os.ReadDir(out)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		var report struct {
			Failed []svrlAssert `xml:"failed-assert"`
		}
		if err := xml.Unmarshal(b, &report); err != nil {
			tb.Fatalf("%s: %v", e.Name(), err)
		}
		res[e.Name()] = report.Failed
	}
	if len(entries) == 0 {
		tb.Fatal("saxon wrote no report")
	}
	return res
}

var spaces = regexp.MustCompile(`\s+`)

// describe is an assertion on one line.
func describe(a svrlAssert) string {
	return fmt.Sprintf("%s [%s] %s at %s", a.ID, a.Flag, strings.TrimSpace(spaces.ReplaceAllString(a.Text, " ")), a.Location)
}
