package emailer

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/integrations/mail"
)

// PasswordLink is an email to a user of Remit (firm staff, not a client)
// carrying their one-time set-password link: the invitation an owner sends
// a new user, or a new link for one who lost theirs.
//
// Unlike every other email it is not triggered by an event and not
// recorded in the log: the link is a secret that opens the account, and
// the log keeps only its hash. The owner's page sends it once, when the
// link is made, and shows the link too, so nothing is lost if the email is.
type PasswordLink struct {
	From    string // the firm's sending address
	Firm    string // the firm's name
	To      mail.Address
	By      string // who sent it, for the user to recognise
	Link    string // the absolute set-password link
	Expires string // when the link stops working, for people
	Invited bool   // an invitation (else a new link for an existing user)
	Now     time.Time
}

// Message is the email. Its id is derived from the link, so handing the
// same link to a transport twice is one message where the transport can
// tell.
func (p PasswordLink) Message() mail.Message {
	sum := sha256.Sum256([]byte(p.Link))
	id := uuid.NewSHA1(uuid.NameSpaceURL, sum[:])
	firm, sender := p.Firm, p.Firm // before the firm is set up it has no name yet
	if firm == "" {
		firm, sender = "your firm", "Remit"
	}
	by := cmp.Or(p.By, firm)
	subject := "Choose a new password for Remit"
	first := fmt.Sprintf("Here is a new link to choose your password for Remit, where %s bills its clients.", firm)
	if p.Invited {
		subject = fmt.Sprintf("%s invited you to Remit", by)
		first = fmt.Sprintf("%s invited you to Remit, where %s bills its clients.", by, firm)
	}
	hello := "Hello,"
	if p.To.Name != "" {
		hello = "Hello " + p.To.Name + ","
	}
	text := fmt.Sprintf("%s\n\n%s\n\nChoose your password here (the link works once, until %s):\n\n%s\n\nYou then sign in with %s and that password.\nIf you did not expect this email, you can ignore it: nothing changes until the link is used.\n",
		hello, first, p.Expires, p.Link, p.To.Email)
	return mail.Message{
		ID: "user-link-" + id.String(), MessageID: messageID(id, p.From), Date: p.Now,
		From: mail.Address{Name: sender, Email: p.From}, To: p.To, Subject: subject, Text: text,
	}
}
