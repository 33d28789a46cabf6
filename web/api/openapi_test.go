package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// TestOpenAPIMatchesRouter walks the router and checks that every route is
// in the document served at /api/openapi.json, and every documented route
// exists, with its path parameters, responses and the problem format.
func TestOpenAPIMatchesRouter(t *testing.T) {
	a := newApp(t)
	r := a.do("GET", "/api/openapi.json", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d", r.Status)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	if _, ok := doc.Components.Schemas["Problem"]; !ok {
		t.Fatal("the problem format is not described")
	}

	routed := map[string]bool{}
	err := a.server.Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("route %s has no methods", path)
			return nil
		}
		for _, m := range methods {
			routed[strings.ToLower(m)+" "+path] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[method+" "+path] = true
			for _, code := range []string{"400", "404", "500"} {
				if _, ok := op["responses"].(map[string]any)[code]; !ok {
					t.Errorf("%s %s does not document %s", method, path, code)
				}
			}
			var names []string
			for _, p := range op["parameters"].([]any) {
				if pm, ok := p.(map[string]any); ok && pm["in"] == "path" {
					names = append(names, pm["name"].(string))
				}
			}
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") && !slices.Contains(names, strings.Trim(seg, "{}")) {
					t.Errorf("%s %s does not describe path parameter %s", method, path, seg)
				}
			}
		}
	}
	for op := range routed {
		if !documented[op] {
			t.Errorf("route %s is not in the OpenAPI document", op)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("documented %s has no route", op)
		}
	}
	if len(routed) < 60 {
		t.Errorf("only %d routes walked", len(routed))
	}
}
