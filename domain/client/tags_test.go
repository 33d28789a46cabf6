package client_test

import (
	"strings"
	"testing"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
)

func TestChangeTags(t *testing.T) {
	tags := func(ts ...string) client.ChangeTags {
		return client.ChangeTags{ClientID: clientID, Tags: ts, Now: later}
	}
	changed := func(ts ...string) client.ClientTagsChanged {
		return client.ClientTagsChanged{ClientID: clientID, Tags: ts, At: later}
	}
	many := make([]string, client.MaxTags+1)
	for i := range many {
		many[i] = "tag" + string(rune('a'+i))
	}
	decidertest.Run(t, decider, []decidertest.Case[client.Command]{
		{Name: "OK", Given: events(created()), When: tags(" retainer ", "Payroll", "RETAINER", ""), Then: events(changed("Payroll", "retainer"))},
		{Name: "OKSameSet", Given: events(created(), changed("Payroll", "retainer")), When: tags("retainer", "Payroll")},
		{Name: "OKRemoveAll", Given: events(created(), changed("retainer")), When: tags(), Then: events(client.ClientTagsChanged{ClientID: clientID, Tags: []string{}, At: later})},
		{Name: "OKNoneToNone", Given: events(created()), When: tags("  ")},
		{Name: "ErrTooMany", Given: events(created()), When: tags(many...), Err: decidertest.ThenErr(domain.EINVALID, "tags")},
		{Name: "ErrTooLong", Given: events(created()), When: tags(strings.Repeat("x", client.MaxTagLength+1)), Err: decidertest.ThenErr(domain.EINVALID, "tags")},
		{Name: "ErrComma", Given: events(created()), When: tags("a,b"), Err: decidertest.ThenErr(domain.EINVALID, "tags")},
		{Name: "ErrArchived", Given: events(created(), archived()), When: tags("retainer"), Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotFound", When: tags("retainer"), Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
	s := client.Fold(events(created(), changed("Payroll", "retainer")))
	if !s.HasTag("Retainer") || s.HasTag("bookkeeping") {
		t.Errorf("HasTag on %v is wrong", s.Tags)
	}
}
