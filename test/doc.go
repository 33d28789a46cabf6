// Package test holds Remit's end-to-end tests: they build the real remit
// binary and drive it as an operator would, and (browserloop_test.go) as
// the firm's people and its client do, through its pages in headless
// Chromium. BenchmarkHTTPCommands (httpload_test.go) is the HTTP load test:
// the real program run in-process, driven through its API.
package test
