package projections

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/priceincrease"
	"remit/domain/proposal"
	"remit/domain/service"
)

// activityKind is what the activity model does with one event type: note
// records the names later lines use (in the writer's Docs) and lists the
// subjects the event concerns (none: it has no line); text tells it.
type activityKind struct {
	note func(s *activityState, e domain.Event, subjects *subjectList)
	text func(r *render, e domain.Event) string
}

// activityKindTable holds the kind of every event type with a line; it
// never changes, so every writer shares it.
var activityKindTable = activityKinds()

// activityKinds returns the kinds of every event type with a line.
func activityKinds() map[string]activityKind {
	k := map[string]activityKind{}
	clientKinds(k)
	paymentMethodKinds(k)
	proposalKinds(k)
	serviceKinds(k)
	scheduleItemKinds(k)
	invoiceKinds(k)
	paymentKinds(k)
	refundKinds(k)
	surchargeKinds(k)
	dunningKinds(k)
	return k
}

// on adds the kind of event type E.
func on[E domain.Event](kinds map[string]activityKind, note func(*activityState, E, *subjectList), text func(*render, E) string) {
	var zero E
	kinds[zero.EventType()] = activityKind{
		note: func(s *activityState, e domain.Event, l *subjectList) { note(s, e.(E), l) },
		text: func(r *render, e domain.Event) string { return text(r, e.(E)) },
	}
}

// The subjects an event concerns, with the client a proposal, service or
// invoice belongs to.

func (s *activityState) ofClient(l *subjectList, id uuid.UUID) { l.add(SubjectClient, id) }

func (s *activityState) ofMethod(l *subjectList, id uuid.UUID) { l.add(SubjectPaymentMethod, id) }

func (s *activityState) ofProposal(l *subjectList, id uuid.UUID) {
	l.add(SubjectProposal, id)
	n, _ := s.name(activityProposalName, id)
	l.add(SubjectClient, n.Client)
}

func (s *activityState) ofService(l *subjectList, id uuid.UUID) {
	l.add(SubjectService, id)
	if v := s.service(id); v != nil {
		l.add(SubjectClient, v.Client)
	}
}

func (s *activityState) ofInvoice(l *subjectList, id uuid.UUID) {
	l.add(SubjectInvoice, id)
	if v := s.invoice(id); v != nil {
		l.add(SubjectClient, v.Client)
	}
}

func clientKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e client.ClientCreated, l *subjectList) {
		for _, c := range e.Contacts {
			s.setName(activityContactName, c.ID, c.Name, uuid.Nil)
		}
		s.ofClient(l, e.ClientID)
	}, func(_ *render, e client.ClientCreated) string { return fmt.Sprintf("Client %q created", e.Name) })
	on(k, func(s *activityState, e client.ClientDetailsChanged, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(_ *render, e client.ClientDetailsChanged) string {
			return fmt.Sprintf("Client details changed: %q, %s", e.Name, e.Currency)
		})
	on(k, func(s *activityState, e client.ClientContactAdded, l *subjectList) {
		s.setName(activityContactName, e.Contact.ID, e.Contact.Name, uuid.Nil)
		s.ofClient(l, e.ClientID)
	}, func(_ *render, e client.ClientContactAdded) string {
		return "Contact " + contactText(e.Contact) + " added"
	})
	on(k, func(s *activityState, e client.ClientContactChanged, l *subjectList) {
		s.setName(activityContactName, e.Contact.ID, e.Contact.Name, uuid.Nil)
		s.ofClient(l, e.ClientID)
	}, func(_ *render, e client.ClientContactChanged) string {
		return "Contact " + contactText(e.Contact) + " changed"
	})
	on(k, func(s *activityState, e client.ClientContactRemoved, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(r *render, e client.ClientContactRemoved) string {
			return "Contact " + orUnknown(r.contact(e.ContactID)) + " removed"
		})
	on(k, func(s *activityState, e client.ClientPrimaryContactChanged, l *subjectList) {
		s.ofClient(l, e.ClientID)
	},
		func(r *render, e client.ClientPrimaryContactChanged) string {
			return "Primary billing contact set to " + orUnknown(r.contact(e.ContactID))
		})
	on(k, func(s *activityState, e client.ClientArchived, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(_ *render, e client.ClientArchived) string { return "Client archived" + reason(e.Reason) })
	on(k, func(s *activityState, e client.ClientRestored, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(*render, client.ClientRestored) string { return "Client restored" })
	on(k, func(s *activityState, e client.ClientErased, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(*render, client.ClientErased) string { return "Client's personal data erased" })
	on(k, func(s *activityState, e client.ClientLinksRevoked, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(*render, client.ClientLinksRevoked) string {
			return "Client links revoked: every link sent before now stops working"
		})
	on(k, func(s *activityState, e client.ClientPaymentDetailsRequested, l *subjectList) {
		s.ofClient(l, e.ClientID)
	},
		func(_ *render, e client.ClientPaymentDetailsRequested) string {
			return "Payment details requested from " + contactText(client.Contact{Name: e.Name, Email: e.Email}) + reason(e.Note)
		})
	on(k, func(s *activityState, e client.ClientTagsChanged, l *subjectList) { s.ofClient(l, e.ClientID) },
		func(_ *render, e client.ClientTagsChanged) string {
			if len(e.Tags) == 0 {
				return "Tags removed"
			}
			return "Tags set to " + strings.Join(e.Tags, ", ")
		})
	on(k, func(s *activityState, e priceincrease.PriceIncreaseApplied, l *subjectList) {
		for _, c := range e.Services {
			s.ofService(l, c.ServiceID)
		}
	},
		func(_ *render, e priceincrease.PriceIncreaseApplied) string {
			by := e.Increase.Value.String() + " %"
			if e.Increase.Kind == priceincrease.Amount {
				by = "+" + e.Increase.Value.String() + " a unit"
			}
			return fmt.Sprintf("Bulk price increase of %s approved by %s: new prices from %s, notices on %s (%d services)",
				by, e.ApprovedBy, domain.FormatDate(e.EffectiveFrom), domain.FormatDate(e.NoticeOn), len(e.Services))
		})
	on(k, func(s *activityState, e priceincrease.PriceIncreaseNoticeSent, l *subjectList) {
		s.ofClient(l, e.ClientID)
	},
		func(_ *render, e priceincrease.PriceIncreaseNoticeSent) string {
			return "Price increase notice sent to " + contactText(client.Contact{Name: e.ContactName, Email: e.ContactEmail})
		})
}

func paymentMethodKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e client.PaymentMethodAdded, l *subjectList) {
		s.setName(activityMethodName, e.PaymentMethodID, MethodLabel(e.Method), e.ClientID)
		s.ofClient(l, e.ClientID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(_ *render, e client.PaymentMethodAdded) string {
		return "Payment method " + MethodLabel(e.Method) + " added"
	})
	on(k, func(s *activityState, e client.PaymentMethodSetAsDefault, l *subjectList) {
		s.ofClient(l, e.ClientID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e client.PaymentMethodSetAsDefault) string {
		return "Payment method " + r.method(e.PaymentMethodID) + " set as default"
	})
	on(k, func(s *activityState, e client.PaymentMethodReplaced, l *subjectList) {
		s.setName(activityMethodName, e.PaymentMethodID, MethodLabel(e.Method), e.ClientID)
		s.ofClient(l, e.ClientID)
		s.ofMethod(l, e.ReplacedPaymentMethodID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e client.PaymentMethodReplaced) string {
		return "Payment method " + r.method(e.ReplacedPaymentMethodID) + " replaced by " + MethodLabel(e.Method)
	})
	on(k, func(s *activityState, e client.PaymentMethodRemoved, l *subjectList) {
		s.ofClient(l, e.ClientID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e client.PaymentMethodRemoved) string {
		return "Payment method " + r.method(e.PaymentMethodID) + " removed"
	})
	on(k, func(s *activityState, e client.PaymentMethodExpired, l *subjectList) {
		s.ofClient(l, e.ClientID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e client.PaymentMethodExpired) string {
		return "Payment method " + r.method(e.PaymentMethodID) + " expired"
	})
	on(k, func(s *activityState, e client.PaymentMethodFailed, l *subjectList) {
		s.ofClient(l, e.ClientID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e client.PaymentMethodFailed) string {
		return "Payment method " + r.method(e.PaymentMethodID) + " failed" + reason(e.Reason)
	})
}

func proposalKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e proposal.ProposalDrafted, l *subjectList) {
		s.setName(activityProposalName, e.ProposalID, e.Title, e.ClientID)
		s.ofProposal(l, e.ProposalID)
	}, func(_ *render, e proposal.ProposalDrafted) string {
		return fmt.Sprintf("Proposal %q drafted with %d %s", e.Title, len(e.Lines), plural(len(e.Lines), "service", "services"))
	})
	on(k, func(s *activityState, e proposal.ProposalDraftEdited, l *subjectList) {
		was, _ := s.name(activityProposalName, e.ProposalID)
		s.setName(activityProposalName, e.ProposalID, e.Title, was.Client)
		s.ofProposal(l, e.ProposalID)
	}, func(_ *render, e proposal.ProposalDraftEdited) string {
		return fmt.Sprintf("Proposal %q edited", e.Title)
	})
	on(k, func(s *activityState, e proposal.ProposalAccepted, l *subjectList) {
		if _, ok := s.name(activityProposalName, e.ProposalID); !ok {
			s.setName(activityProposalName, e.ProposalID, "", e.ClientID)
		}
		s.ofProposal(l, e.ProposalID)
	}, func(r *render, e proposal.ProposalAccepted) string {
		return fmt.Sprintf("Proposal %s accepted by %s <%s> on %s", r.proposal(e.ProposalID), e.AcceptedByName, e.AcceptedByEmail, domain.FormatDate(e.AcceptedOn))
	})
	on(k, func(s *activityState, e proposal.ProposalSent, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalSent) string {
			return "Proposal " + r.proposal(e.ProposalID) + " sent to " + e.RecipientEmail
		})
	on(k, func(s *activityState, e proposal.ProposalViewed, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalViewed) string {
			return "Proposal " + r.proposal(e.ProposalID) + " viewed from " + e.IP
		})
	on(k, func(s *activityState, e proposal.ProposalSigned, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalSigned) string {
			return fmt.Sprintf("Proposal %s signed by %s <%s> (typed %q, from %s)", r.proposal(e.ProposalID), e.SignedName, e.Email, e.SignedName, e.IP)
		})
	on(k, func(s *activityState, e proposal.ProposalReminderSent, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalReminderSent) string {
			to := make([]string, len(e.Recipients))
			for i, rc := range e.Recipients {
				to[i] = rc.Email
			}
			return fmt.Sprintf("Reminder %d of proposal %s sent to %s", e.Reminder, r.proposal(e.ProposalID), strings.Join(to, ", "))
		})
	on(k, func(s *activityState, e proposal.ProposalDeclined, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalDeclined) string {
			return "Proposal " + r.proposal(e.ProposalID) + " declined" + reason(e.Reason)
		})
	on(k, func(s *activityState, e proposal.ProposalWithdrawn, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalWithdrawn) string {
			return "Proposal " + r.proposal(e.ProposalID) + " withdrawn" + reason(e.Reason)
		})
	on(k, func(s *activityState, e proposal.ProposalExpired, l *subjectList) { s.ofProposal(l, e.ProposalID) },
		func(r *render, e proposal.ProposalExpired) string {
			return "Proposal " + r.proposal(e.ProposalID) + " expired on " + domain.FormatDate(e.ExpiresOn)
		})
}

func serviceKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e service.ServiceActivated, l *subjectList) {
		s.setService(e.ServiceID, e.Name, e.ClientID)
		s.ofService(l, e.ServiceID)
	}, func(r *render, e service.ServiceActivated) string {
		from := "from an instant bill"
		if !e.Source.InstantBill {
			from = "from proposal " + r.proposal(e.Source.ProposalID)
		}
		return fmt.Sprintf("Service %q activated %s: %s × %s, %s, %s", e.Name, from,
			domain.FormatMoney(money(e.UnitPrice, e.Currency)), e.Quantity, ruleText(e.BillingRule), e.Mode)
	})
	on(k, func(s *activityState, e service.ServiceEdited, l *subjectList) { s.ofService(l, e.ServiceID) },
		func(r *render, e service.ServiceEdited) string {
			return fmt.Sprintf("Service %s edited from %s: %s", r.service(e.ServiceID), domain.FormatDate(e.EffectiveFrom),
				changesText(e.Changes, e.BillingRule, r.was, r.method, e.NotifyClientOfPriceChange, r.currency(e.ServiceID)))
		})
	on(k, func(s *activityState, e service.ServiceSwitchedToManual, l *subjectList) { s.ofService(l, e.ServiceID) },
		func(r *render, e service.ServiceSwitchedToManual) string {
			return "Service " + r.service(e.ServiceID) + " switched to manual billing (paused)"
		})
	on(k, func(s *activityState, e service.ServiceSwitchedToAutomatic, l *subjectList) {
		s.ofService(l, e.ServiceID)
	},
		func(r *render, e service.ServiceSwitchedToAutomatic) string {
			return "Service " + r.service(e.ServiceID) + " switched to automatic billing"
		})
	on(k, func(s *activityState, e service.ServiceEnded, l *subjectList) { s.ofService(l, e.ServiceID) },
		func(r *render, e service.ServiceEnded) string {
			return "Service " + r.service(e.ServiceID) + " ended on " + domain.FormatDate(e.EndDate) + reason(e.Reason)
		})
}

func scheduleItemKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e service.ScheduleItemEdited, l *subjectList) { s.ofService(l, e.ServiceID) },
		(*render).itemEdited)
	on(k, func(s *activityState, e service.ScheduleItemSwitchedToManual, l *subjectList) {
		s.ofService(l, e.ServiceID)
	},
		func(r *render, e service.ScheduleItemSwitchedToManual) string {
			return r.item(e.ServiceID, e.ItemKey) + " switched to manual"
		})
	on(k, func(s *activityState, e service.ScheduleItemSwitchedToAutomatic, l *subjectList) {
		s.ofService(l, e.ServiceID)
	},
		func(r *render, e service.ScheduleItemSwitchedToAutomatic) string {
			return r.item(e.ServiceID, e.ItemKey) + " switched to automatic"
		})
	on(k, func(s *activityState, e service.ScheduleItemSkipped, l *subjectList) { s.ofService(l, e.ServiceID) },
		func(r *render, e service.ScheduleItemSkipped) string {
			if !e.MissedAsOf.IsZero() {
				return r.item(e.ServiceID, e.ItemKey) + " skipped as missed by the billing run of " + domain.FormatDate(e.MissedAsOf) + " (the firm skips missed billings)"
			}
			return r.item(e.ServiceID, e.ItemKey) + " skipped"
		})
	on(k, func(s *activityState, e service.ScheduleItemIssueScheduled, l *subjectList) {
		s.ofService(l, e.ServiceID)
	},
		func(r *render, e service.ScheduleItemIssueScheduled) string {
			return r.item(e.ServiceID, e.ItemKey) + " scheduled to be issued on " + domain.FormatDate(e.IssueOn)
		})
	on(k, func(s *activityState, e service.ScheduleItemBilled, l *subjectList) {
		s.ofService(l, e.ServiceID)
		l.add(SubjectInvoice, e.InvoiceID)
	}, func(r *render, e service.ScheduleItemBilled) string {
		return r.item(e.ServiceID, e.ItemKey) + " billed on invoice " + r.invoice(e.InvoiceID)
	})
	on(k, func(s *activityState, e service.ScheduleItemReleased, l *subjectList) {
		s.ofService(l, e.ServiceID)
		l.add(SubjectInvoice, e.InvoiceID)
	}, func(r *render, e service.ScheduleItemReleased) string {
		text := r.item(e.ServiceID, e.ItemKey) + " released from invoice " + r.invoice(e.InvoiceID) + reason(e.Reason)
		if e.SwitchedToManual {
			text += "; it waits to be billed by hand"
		}
		return text
	})
}

// itemEdited tells an item's edit, with its old date when it moved.
func (r *render) itemEdited(e service.ScheduleItemEdited) string {
	c := changesText(e.Changes, nil, r.was, r.method, false, r.currency(e.ServiceID))
	if e.Date != nil {
		d := "date " + domain.FormatDate(*e.Date)
		if r.was != nil && !r.was.date.IsZero() && r.was.date != *e.Date {
			d = "date " + domain.FormatDate(r.was.date) + " → " + domain.FormatDate(*e.Date)
		}
		c = d + ", " + c
	}
	return r.item(e.ServiceID, e.ItemKey) + " edited: " + strings.TrimSuffix(c, ", no change")
}

func invoiceKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e invoice.InvoiceIssued, l *subjectList) {
		s.p.invoices.Put(e.InvoiceID.String(), &activityInvoice{Number: e.Number, Client: e.ClientID})
		s.p.touch(e.ClientID)
		s.ofInvoice(l, e.InvoiceID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(_ *render, e invoice.InvoiceIssued) string {
		return fmt.Sprintf("Invoice %s issued for %s, due %s", e.Number, domain.FormatMoney(e.Totals.Gross), domain.FormatDate(e.DueDate))
	})
	on(k, func(s *activityState, e invoice.InvoiceSent, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceSent) string {
			verb := " sent to "
			if e.Resent {
				verb = " re-sent to "
			}
			return "Invoice " + r.invoice(e.InvoiceID) + verb + e.Recipient
		})
	on(k, func(s *activityState, e invoice.InvoiceWrittenOff, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceWrittenOff) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": " + domain.FormatMoney(e.Amount) + " written off" + reason(e.Reason)
		})
	on(k, func(s *activityState, e invoice.InvoiceVoided, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceVoided) string {
			return "Invoice " + r.invoice(e.InvoiceID) + " voided" + reason(e.Reason)
		})
	on(k, func(s *activityState, e invoice.InvoiceCreditNoteIssued, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceCreditNoteIssued) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": credit note for " + domain.FormatMoney(e.Amount) + " issued" + reason(e.Reason)
		})
}

func paymentKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e invoice.InvoiceCollectionScheduled, l *subjectList) {
		s.ofInvoice(l, e.InvoiceID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e invoice.InvoiceCollectionScheduled) string {
		return "Invoice " + r.invoice(e.InvoiceID) + ": payment collection scheduled for " + domain.FormatDate(e.Date) + " from " + r.method(e.PaymentMethodID)
	})
	on(k, func(s *activityState, e invoice.InvoicePaymentSucceeded, l *subjectList) {
		s.ofInvoice(l, e.InvoiceID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e invoice.InvoicePaymentSucceeded) string {
		head := "Invoice " + r.invoice(e.InvoiceID) + ": payment of " + domain.FormatMoney(e.Amount)
		on := domain.FormatDate(e.PaymentDate(r.s.loc()))
		ref := " (reference " + e.GatewayReference + ")"
		switch {
		case e.Through == invoice.PaidThroughPayNow && e.PaymentMethodID == uuid.Nil && e.PaidWith != nil:
			return head + " paid by the client on " + on + " through the pay-now page with " + UsedMethodLabel(*e.PaidWith) + ", not kept on file" + ref
		case e.Through == invoice.PaidThroughPayNow && e.PaymentMethodID == uuid.Nil:
			return head + " paid by the client on " + on + " through the pay-now page, with a method not kept on file" + ref
		case e.Through == invoice.PaidThroughPayNow:
			return head + " paid by the client on " + on + " through the pay-now page from " + r.method(e.PaymentMethodID) + ref
		case e.PaymentMethodID == uuid.Nil:
			return head + " collected on " + on + ref // recorded by hand, no method named
		}
		return head + " collected on " + on + " from " + r.method(e.PaymentMethodID) + ref
	})
	on(k, func(s *activityState, e invoice.InvoicePaymentRejected, l *subjectList) {
		s.ofInvoice(l, e.InvoiceID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e invoice.InvoicePaymentRejected) string {
		return "Invoice " + r.invoice(e.InvoiceID) + ": payment from " + r.method(e.PaymentMethodID) + " rejected: " + declineText(e.DeclineCode, e.DeclineMessage)
	})
	on(k, func(s *activityState, e invoice.InvoiceRetryScheduled, l *subjectList) {
		s.ofInvoice(l, e.InvoiceID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e invoice.InvoiceRetryScheduled) string {
		return "Invoice " + r.invoice(e.InvoiceID) + ": payment retry scheduled for " + domain.FormatDate(e.Date) + " from " + r.method(e.PaymentMethodID)
	})
	on(k, func(s *activityState, e invoice.InvoiceCollectionCancelled, l *subjectList) {
		s.ofInvoice(l, e.InvoiceID)
		s.ofMethod(l, e.PaymentMethodID)
	}, func(r *render, e invoice.InvoiceCollectionCancelled) string {
		what := "payment collection"
		if e.Retry {
			what = "payment retry"
		}
		return "Invoice " + r.invoice(e.InvoiceID) + ": " + what + " of " + domain.FormatDate(e.Date) + " from " + r.method(e.PaymentMethodID) + " cancelled" + reason(e.Reason)
	})
	on(k, func(s *activityState, e invoice.InvoicePaymentRecorded, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoicePaymentRecorded) string {
			ref := ""
			if e.Reference != "" {
				ref = ", reference " + e.Reference
			}
			return "Invoice " + r.invoice(e.InvoiceID) + ": payment of " + domain.FormatMoney(e.Amount) + " received by " + strings.ReplaceAll(string(e.Method), "_", " ") + " on " + domain.FormatDate(e.Date) + ref
		})
}
