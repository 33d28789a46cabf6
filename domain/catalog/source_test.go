package catalog_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"remit/domain/catalog"
)

// TestEveryEventStructIsCatalogued reads each aggregate's source and fails
// when a type has an EventType method whose name is missing from the
// aggregate's EventTypes(), which would leave the event undecodable once
// stored. It also checks that each method returns its own type's name.
func TestEveryEventStructIsCatalogued(t *testing.T) {
	for _, a := range catalog.Aggregates() {
		dir := filepath.Join("..", a.Name)
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files in %s (%v)", a.Name, dir, err)
		}
		fset := token.NewFileSet()
		found := 0
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || fn.Name.Name != "EventType" || len(fn.Recv.List) != 1 {
					continue
				}
				recv := receiverName(fn.Recv.List[0].Type)
				returned := returnedString(fn)
				found++
				if returned != recv {
					t.Errorf("%s: %s.EventType() returns %q; the stored name should be the type's name", fset.Position(fn.Pos()), recv, returned)
				}
				if !slices.Contains(a.EventTypes, returned) {
					t.Errorf("%s: %s is an event (it has EventType) but %s.EventTypes() does not list %q, so it could not be decoded once stored",
						fset.Position(fn.Pos()), recv, a.Name, returned)
				}
			}
		}
		if found != len(a.EventTypes) {
			t.Errorf("%s: %d types have an EventType method, EventTypes() lists %d", a.Name, found, len(a.EventTypes))
		}
	}
}

func receiverName(e ast.Expr) string {
	if star, ok := e.(*ast.StarExpr); ok {
		e = star.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// returnedString is the string literal a one-line "return \"X\"" method
// returns, or "" for any other body.
func returnedString(fn *ast.FuncDecl) string {
	if fn.Body == nil || len(fn.Body.List) != 1 {
		return ""
	}
	ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return ""
	}
	lit, ok := ret.Results[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return ""
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return ""
	}
	return s
}
