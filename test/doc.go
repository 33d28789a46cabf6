// Package test holds Remit's end-to-end tests: they build the real remit
// binary and drive it as an operator would.
package test
