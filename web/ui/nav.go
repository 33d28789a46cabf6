package ui

// The header's navigation: a few top-level entries, the busier ones menus
// (a <details> each, so they open without JavaScript and by keyboard), each
// page belonging to one entry through its view's Section.

// navLink is one page the navigation leads to; Section is the view.Section
// of the pages that belong to it.
type navLink struct {
	Label, Href, Section string
}

// navEntry is one top-level entry: a plain link (Links has one) or a menu
// named Label.
type navEntry struct {
	Label string
	Links []navLink
	// Current is the page shown (its Section) or, for a menu, the section
	// of one of its links.
	Current bool
}

// Menu reports whether the entry is a menu rather than a link.
func (e navEntry) Menu() bool { return len(e.Links) > 1 }

// navFeatures are the parts of the navigation that depend on how the UI is
// wired, not on who is looking.
type navFeatures struct {
	// BillingPreview: the billing run's preview is wired (Config.BillingDryRun).
	BillingPreview bool
}

// Nav is the header's navigation for the page: what the signed-in person's
// role may use, the entry holding the page's Section marked current.
func (v *view) Nav() []navEntry {
	var billing []navLink
	if v.nav.BillingPreview {
		billing = append(billing, navLink{"Billing run preview", "/billing-run/preview", "billing-run"})
	}
	billing = append(billing,
		navLink{"Collections", collectionsPath, "collections"},
		navLink{"Payouts", "/payouts", "payouts"},
		navLink{"Price increases", "/price-increases", "price-increases"},
		navLink{"Ledger", "/ledger", "ledger"},
	)
	entries := []navEntry{
		{Label: "Dashboard", Links: []navLink{{"Dashboard", "/dashboard", "dashboard"}}},
		{Label: "Clients", Links: []navLink{{"Clients", "/clients", "clients"}}},
		{Label: "Billing", Links: billing},
	}
	proposals := []navLink{{"Renewals", "/renewals", "renewals"}}
	if v.IsOwner() { // the templates' pages are the owners' (they lead to the firm's settings)
		proposals = append(proposals, navLink{"Proposal templates", templatesPath, "templates"})
	}
	proposals = append(proposals, navLink{"Services library", libraryPath, "library"})
	entries = append(entries, navEntry{Label: "Proposals", Links: proposals})
	var settings []navLink
	if v.IsOwner() {
		settings = append(settings, navLink{"Firm settings", firmPath, "firm"})
		if v.SignedIn() {
			settings = append(settings, navLink{"Users", usersPath, "users"})
		}
	}
	if v.SignedIn() { // everyone's own API tokens
		settings = append(settings, navLink{"API tokens", tokensPath, "api-tokens"})
	}
	if len(settings) > 0 {
		entries = append(entries, navEntry{Label: "Settings", Links: settings})
	}
	for i, e := range entries {
		for _, l := range e.Links {
			if l.Section == v.Section {
				entries[i].Current = true
			}
		}
	}
	return entries
}
