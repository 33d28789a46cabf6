package ui

import (
	"context"
	"html/template"
	"strings"

	"github.com/google/uuid"

	"remit/domain/user"
	"remit/projections"
)

// UserDirectory names the people who signed in: *auth.Authenticator.
type UserDirectory interface {
	User(ctx context.Context, id uuid.UUID) (user.State, error)
}

// person is who did something, as activity and audit trails show it: a
// name, and a title (an email) shown on hover.
type person struct {
	Name  string
	Title string
}

// people returns the request's actor namer: it looks each user up once.
func (h *handler) people(ctx context.Context) func(actor string) person {
	seen := map[string]person{}
	return func(actor string) person {
		if p, ok := seen[actor]; ok {
			return p
		}
		p := h.describeActor(ctx, actor)
		seen[actor] = p
		return p
	}
}

// describeActor says who an event's metadata actor is, for people:
// "user:<id>" by name (email on hover), a client link as the client, the
// billing run, the email outbox, the ledger sync, an operator.
func (h *handler) describeActor(ctx context.Context, actor string) person {
	kind, id, _ := strings.Cut(actor, ":")
	switch {
	case actor == "":
		return person{}
	case kind == "user":
		if uid, err := uuid.Parse(id); err == nil && h.cfg.Users != nil {
			if u, err := h.cfg.Users.User(ctx, uid); err == nil {
				name := u.Name
				if name == "" {
					name = u.Email
				}
				return person{Name: name, Title: u.Email}
			}
		}
		return person{Name: "a user who is no longer on file"}
	case kind == "client-link":
		return person{Name: "the client, through their link"}
	case kind == "token":
		return person{Name: "a program (API token)"}
	case actor == "billing-run" || actor == "system:billing-run" || actor == "cli:bill":
		return person{Name: "the billing run"}
	case actor == "system:collections":
		return person{Name: "payment collection"}
	case actor == "system:outbox":
		return person{Name: "the email outbox"}
	case actor == "system:ledgersync":
		return person{Name: "the ledger sync"}
	case actor == "cli:import":
		return person{Name: "the client import"}
	case kind == "cli":
		return person{Name: "an operator (command line)"}
	case kind == "system":
		return person{Name: "Remit (" + id + ")"}
	}
	return person{Name: actor}
}

// activityWhat is an activity line without its actor, the invoice it names
// linked to the invoice's page.
func activityWhat(l projections.ActivityLine) template.HTML {
	what := l.What
	if what == "" {
		what = l.Text
	}
	esc := template.HTMLEscapeString(what)
	if l.Invoice != "" && l.InvoiceID != uuid.Nil {
		num := template.HTMLEscapeString(l.Invoice)
		esc = strings.Replace(esc, num, `<a href="/invoices/`+l.InvoiceID.String()+`">`+num+`</a>`, 1)
	}
	return template.HTML(esc)
}
