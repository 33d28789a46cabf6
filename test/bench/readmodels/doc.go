// Package readmodels benchmarks the read models kept in a database (issue
// 18) on an event store built by Remit's own commands, each figure beside a
// baseline measured in the same run.
package readmodels
