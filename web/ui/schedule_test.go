package ui_test

import (
	"context"
	"strings"
	"testing"

	"remit/billing"
	"remit/domain/firm"
)

// TestScheduleMarksCatchUps: billings whose date has passed show on the
// Billing schedule as catch-ups in the group of today's invoice (as the
// billing run of today will issue them), and on the service's schedule with
// the date they will be invoiced; when the firm skips missed billings they
// show as missed instead. Each billing is described as its invoice line
// will be, naming the period it covers.
func TestScheduleMarksCatchUps(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	svc := a.mustService(id, "Bookkeeping", "250", date("2025-01-10"), true) // today is 10 March 2025
	base := "/clients/" + id.String()

	sch := a.get(base + "/schedule")
	mustContain(t, sch, "10 Mar 2025 · Visa", "Catch-up of 10 Jan 2025", "Catch-up of 10 Feb 2025", "A$750.00 before tax")
	if strings.Contains(sch.Body, "10 Jan 2025 · Visa") || strings.Contains(sch.Body, "10 Feb 2025 · Visa") {
		t.Error("a missed billing shows as an invoice of its own past date")
	}
	mustContain(t, a.get("/services/"+svc.String()+"/schedule"), "Catch-up: invoiced 10 Mar 2025")
	// Each billing reads as its invoice line will: naming its period.
	mustContain(t, sch, "Bookkeeping — January 2025", "Bookkeeping — February 2025", "Bookkeeping — March 2025")

	skip := firm.MissedSkip
	res, err := a.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{MissedBillings: &skip}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	sch = a.get(base + "/schedule")
	mustContain(t, sch, "Missed billings", "badge bad\">Missed", "A$250.00 before tax")
	if strings.Contains(sch.Body, "Catch-up of") {
		t.Error("missed billings the firm skips show as catch-ups")
	}
	mustContain(t, a.get("/services/"+svc.String()+"/schedule"), "Missed: the next billing run skips it")
}
