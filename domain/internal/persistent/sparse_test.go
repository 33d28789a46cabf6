package persistent

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSparseMatchesAGoMap sets random keys in a Sparse and a Go map and
// checks that every version still holds what it held when it was made, also
// after other versions were derived from it.
func TestSparseMatchesAGoMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type version struct {
		m    Sparse[int]
		want map[int]int
	}
	var versions []version
	var m Sparse[int]
	want := map[int]int{}
	for step := range 2000 {
		k := rng.IntN(5000)
		if step%7 == 0 {
			k = step // dense runs, as sequence numbers are
		}
		m = m.Set(k, step)
		want[k] = step
		versions = append(versions, version{m, maps.Clone(want)})
		if step%50 == 0 {
			// Two futures of one version must not see each other.
			_ = versions[rng.IntN(len(versions))].m.Set(k, -1).Set(1_000_000, -1)
		}
	}
	for i, v := range versions {
		if v.m.Len() != len(v.want) {
			t.Fatalf("version %d: Len %d, want %d", i, v.m.Len(), len(v.want))
		}
		var keys []int
		for k, val := range v.m.All() {
			keys = append(keys, k)
			if w, ok := v.want[k]; !ok || w != val {
				t.Fatalf("version %d: %d = %d, want %d (%v)", i, k, val, w, ok)
			}
		}
		if !slices.IsSorted(keys) || len(keys) != len(v.want) {
			t.Fatalf("version %d: All yields %d keys, sorted %v; want %d", i, len(keys), slices.IsSorted(keys), len(v.want))
		}
		for k, val := range v.want {
			if got, ok := v.m.Get(k); !ok || got != val {
				t.Fatalf("version %d: Get(%d) = %d, %v; want %d", i, k, got, ok, val)
			}
		}
		for _, k := range []int{-1, 1_000_000, 5001} {
			if _, ok := v.m.Get(k); ok {
				t.Fatalf("version %d holds key %d, never set on it", i, k)
			}
		}
	}
}

// TestSparseInAnyOrder sets the same keys ascending, descending and
// scattered, and checks that the maps hold the same entries.
func TestSparseInAnyOrder(t *testing.T) {
	var up, down, scattered Sparse[int]
	const n = 5000
	for i := range n {
		up = up.Set(i, i)
		down = down.Set(n-1-i, n-1-i)
		k := (i * 7919) % n
		scattered = scattered.Set(k, k)
	}
	for name, m := range map[string]Sparse[int]{"ascending": up, "descending": down, "scattered": scattered} {
		if m.Len() != n {
			t.Errorf("%s: Len %d, want %d", name, m.Len(), n)
		}
		next := 0
		for k, v := range m.All() {
			if k != next || v != k {
				t.Fatalf("%s: yields %d = %d, want %d", name, k, v, next)
			}
			next++
		}
		if next != n {
			t.Errorf("%s: yields %d keys, want %d", name, next, n)
		}
	}
}

func TestSparseEmpty(t *testing.T) {
	var m Sparse[string]
	if _, ok := m.Get(0); ok || m.Len() != 0 {
		t.Fatal("the zero Sparse is not empty")
	}
	for range m.All() {
		t.Fatal("the zero Sparse yields a key")
	}
}

func TestSparseAllStopsWhenAsked(t *testing.T) {
	var m Sparse[int]
	for i := range 100 {
		m = m.Set(i*5, i)
	}
	var seen []int
	for k := range m.All() {
		if seen = append(seen, k); len(seen) == 3 {
			break
		}
	}
	if !slices.Equal(seen, []int{0, 5, 10}) {
		t.Fatalf("yielded %v, want [0 5 10] and a stop", seen)
	}
}
