package projections

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/library"
	"remit/projections/rmdb"
)

const libraryVersion = 1

// Library is the "library" projection: the firm's services library
// (LibraryServiceAdded, LibraryServiceChanged, LibraryServiceArchived,
// LibraryServiceRestored), for Settings → Services library, GET
// /api/library-services and the choices of the instant bill, add-a-service
// and proposal forms.
//
// Table "library" holds a LibraryServiceView per library service id, with
// its archived flag and the library stream's revision at its last change
// as columns. The library stream is one stream, so the highest revision is
// the stream's: the ETag every library service's API answer carries.
type Library struct {
	docs *rmdb.Docs[LibraryServiceView]
}

// LibraryServiceView is one service of the library as the pages and the
// API show it.
type LibraryServiceView struct {
	library.Service
	Archived   bool      `json:"archived,omitempty"`
	AddedAt    time.Time `json:"added_at"`
	ChangedAt  time.Time `json:"changed_at"`
	ArchivedAt time.Time `json:"archived_at,omitzero"`
	// Revision is the library stream's revision at the service's last
	// change.
	Revision uint64 `json:"revision"`
}

// LibraryFilter selects library services: Status "active" (the default),
// "archived" or "all"; Search a case-insensitive substring of the name,
// description or unit.
type LibraryFilter struct {
	Status string
	Search string
}

func newLibrary(_ *rmdb.DB, gen int64) *Library {
	return &Library{docs: rmdb.NewDocs(rmdb.DocsSpec[LibraryServiceView]{
		Name: "library",
		Columns: []rmdb.Column[LibraryServiceView]{
			{Name: "archived", Type: "BIGINT NOT NULL", Value: func(_ string, v *LibraryServiceView) any {
				if v.Archived {
					return int64(1)
				}
				return int64(0)
			}},
			{Name: "revision", Type: "BIGINT NOT NULL", Value: func(_ string, v *LibraryServiceView) any { return int64(v.Revision) }},
		},
		Indexes: []string{"revision"},
	}, gen)}
}

// Name implements Projection.
func (p *Library) Name() string { return "library" }

// Tables implements Projection.
func (p *Library) Tables() []rmdb.Table { return []rmdb.Table{p.docs.Table()} }

// Apply implements Projection.
func (p *Library) Apply(tx *rmdb.Tx, e Event) {
	switch ev := e.Data.(type) {
	case library.LibraryServiceAdded:
		p.docs.Put(ev.ServiceID.String(), &LibraryServiceView{Service: ev.Service, AddedAt: ev.At, ChangedAt: ev.At, Revision: e.Revision})
	case library.LibraryServiceChanged:
		p.update(tx, ev.ServiceID, e.Revision, func(v *LibraryServiceView) { v.Service, v.ChangedAt = ev.Service, ev.At })
	case library.LibraryServiceArchived:
		p.update(tx, ev.ServiceID, e.Revision, func(v *LibraryServiceView) { v.Archived, v.ArchivedAt, v.ChangedAt = true, ev.At, ev.At })
	case library.LibraryServiceRestored:
		p.update(tx, ev.ServiceID, e.Revision, func(v *LibraryServiceView) { v.Archived, v.ArchivedAt, v.ChangedAt = false, time.Time{}, ev.At })
	}
}

func (p *Library) update(tx *rmdb.Tx, id uuid.UUID, rev uint64, change func(*LibraryServiceView)) {
	key := id.String()
	v := p.docs.Get(tx, key)
	if v == nil {
		return
	}
	c := *v
	change(&c)
	c.Revision = rev
	p.docs.Put(key, &c)
}

// Flush implements Projection.
func (p *Library) Flush(tx *rmdb.Tx) { p.docs.Flush(tx) }

// Discard implements Projection.
func (p *Library) Discard() { p.docs.Discard() }

// LibraryServices returns the library services f selects, by name
// (case-insensitively). A library holds tens or hundreds of services, so
// the filter is applied to all of them here.
func (m *Models) LibraryServices(ctx context.Context, f LibraryFilter) ([]LibraryServiceView, error) {
	var where string
	switch f.Status {
	case "", "active":
		where = "WHERE archived = 0"
	case "archived":
		where = "WHERE archived = 1"
	case "all":
	default:
		return nil, domain.Invalid("status", "%q is not a status of library services (use active, archived or all)", f.Status)
	}
	all, err := m.Library.docs.Find(ctx, m.db, where)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Search))
	out := make([]LibraryServiceView, 0, len(all))
	for _, v := range all {
		if q == "" || strings.Contains(strings.ToLower(v.Name+"\n"+v.Description+"\n"+v.Unit), q) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b LibraryServiceView) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ServiceID.String(), b.ServiceID.String()))
	})
	return out, nil
}

// LibraryService returns one library service, archived or not. An unknown
// one is ENOTFOUND.
func (m *Models) LibraryService(ctx context.Context, id uuid.UUID) (LibraryServiceView, error) {
	v, ok, err := m.Library.docs.Load(ctx, m.db, id.String())
	if err != nil {
		return v, err
	}
	if !ok {
		return v, domain.NotFound("The services library has no service %s.", id)
	}
	return v, nil
}

// LibraryRevision is the library stream's revision as the read models
// show it (0 before any service was added), the ETag of every library
// service.
func (m *Models) LibraryRevision(ctx context.Context) (uint64, error) {
	var rev *int64
	if err := m.db.QueryRow(ctx, "SELECT MAX(revision) FROM "+m.Library.docs.View()).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read models: library revision: %w", err)
	}
	if rev == nil {
		return 0, nil
	}
	return uint64(*rev), nil
}
