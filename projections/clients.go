package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"remit/domain/client"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
	"remit/projections/rmdb"
)

// clientsVersion 2: the list index covers its filters (SQLite); 3: requests
// for payment details (active_method, request_open); 4: proposal templates;
// 5: tags.
const clientsVersion = 5

// Clients is the "clients" projection: each client's details, contacts and
// payment methods (client.State, folded with client.Evolve) and its
// proposals (proposal.State).
//
// Table "clients" holds a clientRecord per client id, with the columns the
// clients list filters and sorts on: name_key (the lowercased name: the
// list is sorted case-insensitively, then by id), search (the lowercased
// name, contact names and contact emails, one per line, for the list's
// substring search), archived, created, active_method (a method on file
// that can be charged) and request_open (when the client was first asked
// for payment details without answering since, in Unix nanoseconds; NULL
// when no request is open), indexed together in list order on SQLite;
// last_request is when the latest request was made (NULL: never); tags is
// the client's tags, lowercased, each on its own line between line breaks
// (the list's tag filter looks for one line), and the
// list of requests walks its own index of request_open or last_request.
// Table "proposals" holds a
// proposalRecord per proposal id with the client it is listed under and the
// position that put it there (drafting order), so a client's proposals are
// one indexed range; a proposal drafted for a client not yet seen shows once
// that client exists. Table "proposal_templates" holds each proposal
// template (proposaltemplate.State) with its lowercased name and whether it
// is archived, listed by name.
type Clients struct {
	db        *rmdb.DB
	gen       int64
	clients   *rmdb.Docs[clientRecord]
	proposals *rmdb.Docs[proposalRecord]
	templates *rmdb.Docs[templateRecord]
	// touchedClients are the clients whose rows Apply changed (for the
	// query cache).
	touchedClients
}

func newClients(db *rmdb.DB, gen int64) *Clients {
	// PostgreSQL sorts TEXT by the database's locale unless told otherwise;
	// the list sorts names byte-wise, as the SQLite default and Go do.
	nameType := "TEXT"
	// On SQLite the list's index also holds what it filters on, search
	// text included, so a search or filter walks one index in list order
	// and reads the documents of its page only, not every client's row.
	// PostgreSQL (whose B-tree entries are limited to about 2.7 KB, which a
	// client's search text could pass) keeps the order alone.
	listIndex := "name_key, key, created, archived, active_method, request_open, search"
	if db != nil && db.Dialect() == rmdb.Postgres {
		nameType = `TEXT COLLATE "C"`
		listIndex = "name_key, key"
	}
	return &Clients{
		db:  db,
		gen: gen,
		clients: rmdb.NewDocs(rmdb.DocsSpec[clientRecord]{
			Name: "clients",
			Columns: []rmdb.Column[clientRecord]{
				{Name: "name_key", Type: nameType, Value: func(_ string, r *clientRecord) any { return strings.ToLower(r.State.Name) }},
				{Name: "search", Type: "TEXT", Value: func(_ string, r *clientRecord) any { return clientSearchText(r.State) }},
				{Name: "archived", Type: "BIGINT", Value: func(_ string, r *clientRecord) any { return clientsFlag(r.State.Archived) }},
				{Name: "created", Type: "BIGINT", Value: func(_ string, r *clientRecord) any { return clientsFlag(r.State.Created()) }},
				{Name: "active_method", Type: "BIGINT", Value: func(_ string, r *clientRecord) any { return clientsFlag(r.State.HasActiveMethod()) }},
				{Name: "request_open", Type: "BIGINT", Value: func(_ string, r *clientRecord) any { return requestOpenSince(r.State) }},
				{Name: "last_request", Type: "BIGINT", Value: func(_ string, r *clientRecord) any { return lastRequest(r.State) }},
				{Name: "tags", Type: "TEXT", Value: func(_ string, r *clientRecord) any { return clientTagsText(r.State.Tags) }},
			},
			Indexes: []string{listIndex, "request_open, key", "last_request, key"},
		}, gen),
		proposals: rmdb.NewDocs(rmdb.DocsSpec[proposalRecord]{
			Name: "proposals",
			Columns: []rmdb.Column[proposalRecord]{
				{Name: "client_id", Type: "TEXT", Value: func(_ string, r *proposalRecord) any {
					if r.ListedUnder == uuid.Nil {
						return nil
					}
					return r.ListedUnder.String()
				}},
				{Name: "seq", Type: "BIGINT", Value: func(_ string, r *proposalRecord) any { return int64(r.Seq) }},
			},
			Indexes: []string{"client_id, seq"},
		}, gen),
		templates: rmdb.NewDocs(rmdb.DocsSpec[templateRecord]{
			Name: "proposal_templates",
			Columns: []rmdb.Column[templateRecord]{
				{Name: "name_key", Type: nameType, Value: func(_ string, r *templateRecord) any { return strings.ToLower(r.State.Name) }},
				{Name: "archived", Type: "BIGINT", Value: func(_ string, r *templateRecord) any { return clientsFlag(r.State.Archived) }},
			},
			Indexes: []string{"archived, name_key, key"},
		}, gen),
	}
}

// clientSearchText is what the clients list's search looks in: the name
// and every contact's name and email, lowercased, one per line (no field
// holds a line break: CheckText refuses control characters in them).
func clientSearchText(st client.State) string {
	parts := make([]string, 0, 1+2*len(st.Contacts))
	parts = append(parts, strings.ToLower(st.Name))
	for _, c := range st.Contacts {
		parts = append(parts, strings.ToLower(c.Name), strings.ToLower(c.Email))
	}
	return strings.Join(parts, "\n")
}

// clientTagsText is the tags column: "\n" + each tag lowercased + "\n".
func clientTagsText(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return "\n" + strings.ToLower(strings.Join(tags, "\n")) + "\n"
}

// requestOpenSince is the request_open column: when the client's first
// unanswered request for payment details was made, or nil.
func requestOpenSince(st client.State) any {
	if r, ok := st.FirstUnansweredRequest(); ok {
		return r.At.UnixNano()
	}
	return nil
}

// lastRequest is the last_request column: when the client's latest request
// for payment details was made, or nil.
func lastRequest(st client.State) any {
	if r, ok := st.LatestPaymentDetailsRequest(); ok {
		return r.At.UnixNano()
	}
	return nil
}

// clientsFlag is a boolean column's value.
func clientsFlag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Name implements Projection.
func (p *Clients) Name() string { return "clients" }

// Tables implements Projection.
func (p *Clients) Tables() []rmdb.Table {
	return []rmdb.Table{p.clients.Table(), p.proposals.Table(), p.templates.Table()}
}

// Apply implements Projection.
func (p *Clients) Apply(tx *rmdb.Tx, e Event) {
	switch e.Data.(type) {
	case client.ClientCreated, client.ClientDetailsChanged, client.ClientContactAdded,
		client.ClientContactChanged, client.ClientContactRemoved, client.ClientPrimaryContactChanged,
		client.ClientArchived, client.ClientRestored, client.PaymentMethodAdded,
		client.PaymentMethodSetAsDefault, client.PaymentMethodReplaced, client.PaymentMethodRemoved,
		client.PaymentMethodExpired, client.PaymentMethodFailed, client.ClientPaymentDetailsRequested, client.ClientTagsChanged:
		id, ok := streamID(e.Stream, "client-")
		if !ok {
			return
		}
		key := id.String()
		r := p.clients.Get(tx, key)
		if r == nil {
			r = &clientRecord{}
		}
		r.State = client.Evolve(r.State, e.Data)
		r.Revision = e.Revision
		p.clients.Put(key, r)
		p.touch(id)
	case proposal.ProposalDrafted, proposal.ProposalDraftEdited, proposal.ProposalSent,
		proposal.ProposalAccepted, proposal.ProposalDeclined, proposal.ProposalWithdrawn,
		proposal.ProposalExpired:
		id, ok := streamID(e.Stream, "proposal-")
		if !ok {
			return
		}
		key := id.String()
		r := p.proposals.Get(tx, key)
		if r == nil {
			r = &proposalRecord{}
		}
		before := r.State.ClientID
		r.State = proposal.Evolve(r.State, e.Data)
		r.Revision = e.Revision
		// A proposal lists under the client it first named, in the order
		// it named it (as the in-memory list appended it).
		if before == uuid.Nil && r.State.ClientID != uuid.Nil && r.ListedUnder == uuid.Nil {
			r.ListedUnder, r.Seq = r.State.ClientID, e.Position
		}
		p.proposals.Put(key, r)
		// Its client's Summary lists it (under ListedUnder).
		p.touch(before)
		p.touch(r.State.ClientID)
		p.touch(r.ListedUnder)
	case proposaltemplate.ProposalTemplateCreated, proposaltemplate.ProposalTemplateEdited, proposaltemplate.ProposalTemplateArchived:
		id, ok := streamID(e.Stream, "proposaltemplate-")
		if !ok {
			return
		}
		r := p.templates.Get(tx, id.String())
		if r == nil {
			r = &templateRecord{}
		}
		r.State = proposaltemplate.Evolve(r.State, e.Data)
		r.Revision = e.Revision
		p.templates.Put(id.String(), r)
	}
}

// Flush implements Projection.
func (p *Clients) Flush(tx *rmdb.Tx) {
	p.clients.Flush(tx)
	p.proposals.Flush(tx)
	p.templates.Flush(tx)
}

// Discard implements Projection.
func (p *Clients) Discard() {
	p.clients.Discard()
	p.proposals.Discard()
	p.templates.Discard()
}

// templateRecord is a proposal template as its table keeps it.
type templateRecord struct {
	State    proposaltemplate.State `json:"state"`
	Revision uint64                 `json:"revision"`
}

// ProposalTemplates lists the proposal templates by name (then id),
// archived ones only when asked.
func (m *Models) ProposalTemplates(ctx context.Context, withArchived bool) ([]proposaltemplate.State, error) {
	where := "WHERE archived = 0 ORDER BY name_key, key"
	if withArchived {
		where = "ORDER BY archived, name_key, key"
	}
	recs, err := m.Clients.templates.Find(ctx, m.Clients.db, where)
	if err != nil {
		return nil, err
	}
	out := make([]proposaltemplate.State, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out, nil
}

// clientRecord is a client as the clients table keeps it.
type clientRecord struct {
	State    client.State `json:"state"`
	Revision uint64       `json:"revision"`
}

// proposalRecord is a proposal as the proposals table keeps it.
type proposalRecord struct {
	State    proposal.State `json:"state"`
	Revision uint64         `json:"revision"`
	// ListedUnder is the client the proposal first named and Seq the
	// position of the event that named it: the client's proposals are
	// listed in Seq order.
	ListedUnder uuid.UUID `json:"listed_under,omitzero"`
	Seq         uint64    `json:"seq,omitempty"`
}

// get returns a created client and its proposals in drafting order.
func (p *Clients) get(ctx context.Context, id uuid.UUID) (clientRecord, []proposalRecord, bool, error) {
	r, ok, err := p.clients.Load(ctx, p.db, id.String())
	if err != nil || !ok || !r.State.Created() {
		return clientRecord{}, nil, false, err
	}
	props, err := p.proposals.Find(ctx, p.db, "WHERE client_id = ? ORDER BY seq, key", id.String())
	if err != nil {
		return clientRecord{}, nil, false, err
	}
	if props == nil {
		props = []proposalRecord{}
	}
	return r, props, true, nil
}

// exists reports whether the client was created.
func (p *Clients) exists(ctx context.Context, id uuid.UUID) (bool, error) {
	var n int
	err := p.db.QueryRow(ctx, "SELECT COUNT(*) FROM "+p.clients.View()+" WHERE key = ? AND created = 1", id.String()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read models: clients: %w", err)
	}
	return n > 0, nil
}

// defaultMethod returns the client's default payment method id.
func (p *Clients) defaultMethod(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	r, ok, err := p.clients.Load(ctx, p.db, id.String())
	if err != nil || !ok {
		return uuid.Nil, err
	}
	return r.State.DefaultPaymentMethodID, nil
}

// clientsNamesChunk bounds the ids of one IN list (SQLite's older builds allow
// 999 parameters).
const clientsNamesChunk = 500

// names fills in the names of the given clients.
func (p *Clients) names(ctx context.Context, ids map[uuid.UUID]string) error {
	keys := make([]any, 0, len(ids))
	for id := range ids {
		keys = append(keys, id.String())
	}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), clientsNamesChunk)]
		keys = keys[len(chunk):]
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		recs, err := p.clients.Find(ctx, p.db, "WHERE key IN ("+marks+")", chunk...)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if _, ok := ids[r.State.ID]; ok && r.State.ID != uuid.Nil {
				ids[r.State.ID] = r.State.Name
			}
		}
	}
	return nil
}

// list returns the page of created clients q selects (search, filter,
// has_overdue judged on q.Today from the invoices table), sorted by name
// (case-insensitive) then id, and how many match in all.
func (p *Clients) list(ctx context.Context, q ClientQuery) ([]client.State, int, error) {
	view := p.clients.View()
	where := []string{"created = 1"}
	var args []any
	switch q.Filter {
	case ClientsActive:
		where = append(where, "archived = 0")
	case ClientsArchived:
		where = append(where, "archived = 1")
	case ClientsNoActiveMethod:
		where = append(where, "archived = 0", "active_method = 0")
	case ClientsRequestUnanswered:
		where = append(where, "request_open IS NOT NULL")
	case ClientsHasOverdue:
		// The clients whose earliest open due date is before today: a
		// range of the invoices_due index (see Invoices), not a probe of
		// the invoices per client. On SQLite "+" keeps the primary key
		// from serving the IN list, so the page walks the list index in
		// order and reads only its own rows (1 ms, against 37 ms reading
		// every overdue client's row to sort them: 1,262 of 5,031 at 1M
		// events).
		key := "key"
		if p.db.Dialect() == rmdb.SQLite {
			key = "+key"
		}
		where = append(where, key+" IN (SELECT client_id FROM "+rmdb.View(invoicesDueTable)+" WHERE first_due < ?)")
		args = append(args, q.Today.String())
	}
	if tag := strings.ToLower(strings.TrimSpace(q.Tag)); tag != "" {
		where = append(where, `tags LIKE ? ESCAPE '\'`)
		args = append(args, "%\n"+clientsLikePattern(tag)+"\n%")
	}
	if search := strings.ToLower(strings.TrimSpace(q.Search)); search != "" {
		if strings.Contains(search, "\n") {
			// Fields never hold a line break, and the search column joins
			// them with one: such a search matches nothing.
			where = append(where, "1 = 0")
		} else {
			where = append(where, `search LIKE ? ESCAPE '\'`)
			args = append(args, "%"+clientsLikePattern(search)+"%")
		}
	}
	cond := "WHERE " + strings.Join(where, " AND ")
	var total int
	if err := p.db.QueryRow(ctx, "SELECT COUNT(*) FROM "+view+" "+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("read models: clients: %w", err)
	}
	offset := max(q.Offset, 0)
	if offset >= total {
		return []client.State{}, total, nil
	}
	recs, err := p.clients.Find(ctx, p.db, cond+" ORDER BY name_key, key LIMIT ? OFFSET ?",
		append(args, pageLimit(q.Paging), offset)...)
	if err != nil {
		return nil, 0, err
	}
	out := make([]client.State, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out, total, nil
}

// clientsLikePattern escapes s for a LIKE pattern with ESCAPE '\'.
func clientsLikePattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
