package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"remit/domain"
	"remit/domain/client"
)

// The word lists the demo firm's clients are made of: Sydney suburbs and
// streets, common Australian given and family names, trades.
var (
	givenNames = []string{
		"Olivia", "Jack", "Charlotte", "William", "Amelia", "Noah", "Isla", "Oliver", "Mia", "Thomas",
		"Chloe", "James", "Grace", "Lachlan", "Sophie", "Liam", "Emily", "Ethan", "Ava", "Lucas",
		"Zoe", "Cooper", "Ruby", "Hamish", "Priya", "Arjun", "Mei", "Wei", "Minh", "Linh",
		"Sarah", "David", "Fatima", "Omar", "Giulia", "Marco", "Eleni", "Nikos", "Aroha", "Hannah",
		"Daniel", "Jessica", "Matthew", "Georgia", "Harrison", "Tahlia", "Angus", "Bronte", "Riley", "Yuki",
	}
	familyNames = []string{
		"Nguyen", "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Anderson", "Thompson", "Walker",
		"White", "Harris", "Martin", "Kelly", "Ryan", "O'Brien", "Murphy", "Papadopoulos", "Rossi", "Chen",
		"Wang", "Li", "Tran", "Patel", "Singh", "Kaur", "Khan", "Haddad", "MacDonald", "Campbell",
		"Stewart", "Robinson", "Clarke", "Hughes", "Edwards", "Fraser", "Sullivan", "Nakamura", "Kowalski", "Fitzgerald",
	}
	trades = []string{
		"Bakehouse", "Physiotherapy", "Joinery", "Electrical", "Plumbing", "Dental", "Architects", "Landscaping",
		"Espresso Bar", "Florist", "Veterinary Clinic", "Yoga Studio", "Coffee Roasters", "Brewing Co", "Design Studio",
		"Removals", "Cleaning Services", "Auto Repairs", "Pharmacy", "Books", "Consulting", "Digital", "Property Group",
		"Catering", "Pilates", "Tiling", "Roofing", "Signs", "Motors", "Logistics", "Optometry", "Hair Studio",
	}
	familyTrades = []string{
		"Constructions", "Legal", "Electrical", "Plumbing", "Partners", "Engineering", "Surveyors", "Holdings",
		"Carpentry", "Imports", "Transport", "Medical", "Media",
	}
	personalDomains = []string{"gmail.com", "outlook.com", "bigpond.com", "icloud.com", "optusnet.com.au"}
	businessRoles   = []string{"Director", "Office Manager", "Bookkeeper", "Owner", "Practice Manager", "Finance Manager", "General Manager"}
)

type suburb struct {
	name, postcode string
}

var suburbs = []suburb{
	{"Bondi", "2026"}, {"Newtown", "2042"}, {"Marrickville", "2204"}, {"Surry Hills", "2010"}, {"Paddington", "2021"},
	{"Manly", "2095"}, {"Chatswood", "2067"}, {"Parramatta", "2150"}, {"Balmain", "2041"}, {"Glebe", "2037"},
	{"Leichhardt", "2040"}, {"Mosman", "2088"}, {"Cronulla", "2230"}, {"Penrith", "2750"}, {"Randwick", "2031"},
	{"Coogee", "2034"}, {"Redfern", "2016"}, {"Annandale", "2038"}, {"Dee Why", "2099"}, {"Hornsby", "2077"},
	{"Ryde", "2112"}, {"Strathfield", "2135"}, {"Burwood", "2134"}, {"Epping", "2121"}, {"Castle Hill", "2154"},
	{"Liverpool", "2170"}, {"Kogarah", "2217"}, {"Rozelle", "2039"}, {"Neutral Bay", "2089"}, {"Erskineville", "2043"},
}

var streets = []string{
	"King Street", "Oxford Street", "Crown Street", "Darling Street", "Military Road", "Pacific Highway",
	"Church Street", "George Street", "Victoria Road", "Enmore Road", "Bronte Road", "Parramatta Road",
	"Botany Road", "Pittwater Road", "Falcon Street", "Glebe Point Road", "Norton Street", "Beach Street",
	"Macquarie Street", "Station Street", "Illawarra Road", "Belmore Road", "Spit Road", "Rowntree Street",
}

// bsbs are bank-state-branch prefixes of the big Australian banks.
var bsbs = []string{"062-000", "032-000", "082-000", "012-000", "633-000", "182-222", "484-799"}

// person is a generated contact person.
type person struct {
	given, family string
}

func (p person) name() string { return p.given + " " + p.family }

// people makes names, addresses and payment details from one random source.
type people struct {
	rng   *rand.Rand
	names map[string]bool // client names already used
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *people) person() person {
	return person{given: pick(g.rng, givenNames), family: pick(g.rng, familyNames)}
}

// unique returns name, or name with a distinguishing suffix when taken.
func (g *people) unique(name string) string {
	n := name
	for i := 2; g.names[n]; i++ {
		n = fmt.Sprintf("%s (%d)", name, i)
	}
	g.names[n] = true
	return n
}

// slug is the lower-case letters and digits of s, for email addresses.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (g *people) businessName(owner person) string {
	var name string
	switch g.rng.IntN(4) {
	case 0, 1:
		name = pick(g.rng, suburbs).name + " " + pick(g.rng, trades)
	case 2:
		name = owner.family + " " + pick(g.rng, familyTrades)
	default:
		name = owner.family + " & " + pick(g.rng, familyNames) + " " + pick(g.rng, familyTrades)
	}
	if g.rng.IntN(2) == 0 {
		name += " Pty Ltd"
	}
	return g.unique(name)
}

func (g *people) mobile() string {
	return fmt.Sprintf("04%02d %03d %03d", g.rng.IntN(100), g.rng.IntN(1000), g.rng.IntN(1000))
}

func (g *people) landline() string {
	return fmt.Sprintf("(02) 9%03d %04d", g.rng.IntN(1000), g.rng.IntN(10000))
}

func (g *people) address() domain.Address {
	s := pick(g.rng, suburbs)
	line1 := fmt.Sprintf("%d %s", 1+g.rng.IntN(400), pick(g.rng, streets))
	var line2 string
	switch g.rng.IntN(4) {
	case 0:
		line2, line1 = line1, fmt.Sprintf("Shop %d", 1+g.rng.IntN(12))
	case 1:
		line2, line1 = line1, fmt.Sprintf("Suite %d.%02d", 1+g.rng.IntN(9), 1+g.rng.IntN(20))
	}
	return domain.Address{Line1: line1, Line2: line2, City: s.name, Region: "NSW", Postcode: s.postcode, Country: "AU"}
}

// abn returns a valid Australian Business Number: subtract 1 from the first
// digit, weight the digits 10,1,3,5,…,19, and the sum is divisible by 89.
func (g *people) abn() string {
	weights := [11]int{10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19}
	var d [11]int
	sum := 0
	for i := 2; i < 11; i++ {
		d[i] = g.rng.IntN(10)
		sum += weights[i] * d[i]
	}
	v := (89 - sum%89) % 89 // 10×(first−1) + second
	d[0], d[1] = v/10+1, v%10
	return fmt.Sprintf("%d%d %d%d%d %d%d%d %d%d%d", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10])
}

const tokenLetters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// token is a gateway-style reference; letters only, so it can never look
// like a card number.
func (g *people) token(prefix string) string {
	b := []byte(prefix)
	for range 24 {
		b = append(b, tokenLetters[g.rng.IntN(len(tokenLetters))])
	}
	return string(b)
}

func (g *people) last4() string { return fmt.Sprintf("%04d", g.rng.IntN(10000)) }

// card returns a sandbox card expiring in the given month.
func (g *people) card(expires time.Time) client.PaymentMethodDetails {
	brand := "visa"
	switch n := g.rng.IntN(10); {
	case n >= 9:
		brand = "amex"
	case n >= 6:
		brand = "mastercard"
	}
	return client.PaymentMethodDetails{
		Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: g.token("pm_card_"),
		Brand: brand, Last4: g.last4(), ExpiryMonth: int(expires.Month()), ExpiryYear: expires.Year(),
	}
}

// bankDebit returns a sandbox direct-debit account of the scheme.
func (g *people) bankDebit(scheme client.DebitScheme) client.PaymentMethodDetails {
	var masked string
	switch scheme {
	case client.SchemeNZBECS:
		masked = fmt.Sprintf("%02d-%04d-****%03d-00", 1+g.rng.IntN(38), g.rng.IntN(10000), g.rng.IntN(1000))
	case client.SchemeBACS:
		masked = fmt.Sprintf("%02d-%02d-%02d ****%s", g.rng.IntN(100), g.rng.IntN(100), g.rng.IntN(100), g.last4())
	default:
		masked = pick(g.rng, bsbs) + " ****" + g.last4()
	}
	return client.PaymentMethodDetails{
		Kind: client.MethodBankDebit, Gateway: "sandbox", GatewayToken: g.token("pm_debit_"),
		Scheme: scheme, MaskedAccount: masked, MandateReference: fmt.Sprintf("DDR-%06d", g.rng.IntN(1000000)),
	}
}
