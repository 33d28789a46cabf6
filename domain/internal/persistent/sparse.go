// Package persistent holds the immutable collections aggregate states are
// built from, so that evolving a state by one event costs time in proportion
// to the change, not to everything the state already holds, while every
// state handed out earlier stays exactly as it was.
//
// A state folded from a long stream (a service's thousands of billed items)
// cannot copy its maps on every event, and it cannot write into them in place
// either: command handlers cache states, and read models hand them to
// queries running on other goroutines. A collection here shares all but the
// few nodes on the path to what it changes with the collection it was
// derived from; no node is ever written after it is made, so any number of
// goroutines may read any version while another derives new ones, without
// locks.
package persistent

import "iter"

const (
	bits  = 4 // of the index, per level
	width = 1 << bits
	mask  = width - 1
)

// Sparse is an immutable map from non-negative ints to V, for dense keys
// such as sequence numbers. The zero Sparse is empty and ready to use. Set
// returns a new Sparse and leaves the receiver unchanged.
//
// It is a trie of 16-way nodes (a persistent vector with gaps) plus a tail:
// the leaf of the 16 keys set last, kept out of the trie. Setting a key near
// the last one (the next sequence number) copies the tail only; moving on to
// other keys writes the tail into the trie, copying one node per level (3
// levels up to key 4,095, 5 up to a million). So setting keys in about
// ascending order costs the same per key however many there are, and any
// order costs O(log n).
type Sparse[V any] struct {
	root     *node[V]
	shift    uint     // of the root's index: the root covers keys below 1<<(shift+bits)
	tail     *node[V] // newer than the trie's leaf for keys tailBase to tailBase+15, if any
	tailBase int
	n        int
}

// node is an inner node (kids) above shift 0, a leaf (vals) at it.
type node[V any] struct {
	kids [width]*node[V]
	vals [width]V
	has  uint16 // leaves: which vals are set
}

// Len returns the number of keys set.
func (m Sparse[V]) Len() int { return m.n }

// Get returns the value of key k, and whether it is set.
func (m Sparse[V]) Get(k int) (V, bool) {
	var zero V
	if k < 0 {
		return zero, false
	}
	leaf := m.leaf(k)
	if i := k & mask; leaf != nil && leaf.has&(1<<i) != 0 {
		return leaf.vals[i], true
	}
	return zero, false
}

// leaf returns the leaf that holds k (nil: none).
func (m Sparse[V]) leaf(k int) *node[V] {
	if m.tail != nil && k&^mask == m.tailBase {
		return m.tail
	}
	if m.root == nil || k >= 1<<(m.shift+bits) {
		return nil
	}
	t := m.root
	for shift := m.shift; shift > 0 && t != nil; shift -= bits {
		t = t.kids[(k>>shift)&mask]
	}
	return t
}

// Set returns a map with key k (which must not be negative) set to v.
func (m Sparse[V]) Set(k int, v V) Sparse[V] {
	if k < 0 {
		panic("persistent: negative key")
	}
	if m.tail != nil && k&^mask != m.tailBase {
		m.root, m.shift = put(m.root, m.shift, m.tailBase, m.tail)
		m.tail = nil
	}
	tail := new(node[V])
	if old := m.leaf(k); old != nil {
		*tail = *old
	}
	i := k & mask
	if tail.has&(1<<i) == 0 {
		m.n++
	}
	tail.vals[i] = v
	tail.has |= 1 << i
	m.tail, m.tailBase = tail, k&^mask
	return m
}

// put returns the trie root (with its shift) with leaf as the leaf of the
// keys from base, copying the nodes on the way to it.
func put[V any](root *node[V], shift uint, base int, leaf *node[V]) (*node[V], uint) {
	if root == nil {
		shift = 0
	}
	for base >= 1<<(shift+bits) {
		if root != nil {
			root = &node[V]{kids: [width]*node[V]{root}} // shared below the new root
		}
		shift += bits
	}
	if shift == 0 {
		return leaf, 0 // the root is the only leaf
	}
	return set(root, shift, base, leaf), shift
}

// set returns a copy of t (nil: empty), an inner node, with leaf placed.
func set[V any](t *node[V], shift uint, base int, leaf *node[V]) *node[V] {
	c := new(node[V])
	if t != nil {
		*c = *t
	}
	i := (base >> shift) & mask
	if shift == bits {
		c.kids[i] = leaf
	} else {
		c.kids[i] = set(c.kids[i], shift-bits, base, leaf)
	}
	return c
}

// All yields the keys set and their values, in key order.
func (m Sparse[V]) All() iter.Seq2[int, V] {
	return func(yield func(int, V) bool) {
		w := walker[V]{tail: m.tail, tailBase: -1, yield: yield}
		if m.tail != nil {
			w.tailBase = m.tailBase
		}
		if w.walk(m.root, m.shift, 0) {
			w.flush(-1)
		}
	}
}

// walker visits a trie in key order, the tail in its place.
type walker[V any] struct {
	tail     *node[V] // nil once yielded
	tailBase int      // -1: no tail
	yield    func(int, V) bool
}

func (w *walker[V]) walk(t *node[V], shift uint, base int) bool {
	if t == nil {
		return true
	}
	if shift == 0 {
		if !w.flush(base) {
			return false
		}
		if base == w.tailBase {
			return true // visited as the tail, which replaces it
		}
		return w.leaf(t, base)
	}
	for i := range width {
		if !w.walk(t.kids[i], shift-bits, base|i<<shift) {
			return false
		}
	}
	return true
}

// flush yields the tail if it comes before the leaf from base (-1: the end).
func (w *walker[V]) flush(base int) bool {
	if w.tail == nil || (base >= 0 && base < w.tailBase) {
		return true
	}
	t := w.tail
	w.tail = nil
	return w.leaf(t, w.tailBase)
}

func (w *walker[V]) leaf(t *node[V], base int) bool {
	for i := range width {
		if t.has&(1<<i) != 0 && !w.yield(base|i, t.vals[i]) {
			return false
		}
	}
	return true
}
