// Package readmodels benchmarks the read models kept in a database (issue
// 18) on an event store built by Remit's own commands, each figure beside a
// baseline or target measured in the same run. Nothing here runs in
// `go test ./...`: there are only benchmarks, and they report figures
// (b.ReportMetric and the benchmark log), never pass or fail on a timing.
//
// # The store
//
// Built once per test binary run (or found in -readmodels.store DIR, which
// keeps it between runs: it is built only when DIR holds no log) as an
// embedded SQLite store, every event from Remit's commands: the demo firm
// (app/demo.Load, its minimum of clients, a year of history), switched to
// one invoice per item; one big client with 84 automatic monthly services
// (≥ 1,000 invoices after 12 months); enough clients with two automatic
// monthly services each for the log to reach about -readmodels.events
// events (default 1,000,000; 100000 for a quick run); then, month after
// month up to this month (12 months, 24 from 200,000 events), the billing
// run on the 1st (processes/billingrun.Run), offline payments through
// billing on 7 in 10 of the previous month's invoices of clients without a
// card (one in seven of those half paid), and collection on the 5th with the
// sandbox gateway (one client in twenty has a card it declines). So the
// invoices are paid, partly paid, awaiting payment, overdue, payment
// scheduled or rejected, and `remit serve` started on the store has almost
// nothing due to bill or collect. The log says how long building took and
// how many events it made; a 1,000,000-event store takes about a quarter of
// an hour on 2 shared cores and 1 GB of disk.
//
// # The benchmarks
//
//	go test -run '^$' -bench . -benchtime 1x ./test/bench/readmodels/ \
//	    -readmodels.events 1000000 -readmodels.store /tmp/rmbench-1m -timeout 3h
//
// runs them all once (-bench NAME for one; a quick smoke:
// -readmodels.events 20000 -readmodels.load 10s). Each logs its figures with
// the machine's load average. The builder's event count is an estimate
// (-readmodels.events 1000000 made 956,921). Other flags:
// -readmodels.concurrency 1 (BenchmarkQueries one request at a time: each
// query's own cost, without queueing), -readmodels.seedrm
// (BenchmarkServeFootprint starts on the rebuilt read models instead of
// rebuilding them), -readmodels.rate N and -readmodels.writes N
// (BenchmarkServeFootprint and BenchmarkQueries: about N reads a second in
// all instead of back to back, and N rounds a second of a client created
// and billed beside them; the hour of mixed load is -readmodels.load
// 1h -readmodels.rate 100 -readmodels.writes 2; BenchmarkQueries with
// writes runs on live models, a copy of the store and of the rebuilt read
// models with a Runner applying), -readmodels.querycache=false (BenchmarkQueries
// without the query cache), -readmodels.heapprofile FILE (the live heap at
// each new peak of a measured run; BenchmarkServeFootprint writes the
// server's heap after the load to FILE.serve).
//
//   - BenchmarkRebuild: projections.Replay of the whole log into fresh
//     Models on a new SQLite file; reports events/s, the bare baseline's
//     events/s (the same batches of follow.DefaultBatch read with ReadAll and
//     every event decoded through domain/catalog, on every CPU as the replay
//     decodes, and on one goroutine), rebuild/bare (target ≥ 0.5), the read
//     model file's bytes per event, the heap's peak, and the CPU time the
//     rebuild used per event and against the bare decoding on one goroutine
//     (rebuild-cpu/bare-cpu): on a shared machine the CPU time moves far
//     less with the load than the wall clock does.
//   - BenchmarkRebuildFloor: the part of a rebuild no projection logic can
//     remove, as a floor for BenchmarkRebuild's figures: every event read
//     and decoded once as the fill does, and one row per event written
//     into a new SQLite file as a fill writes (the envelope fields an
//     activity page shows, the event's type, its stream's id and its
//     client as indexed columns; pipelined inserts of many rows a
//     statement, a commit every 32,768 events, the indexes built at the
//     end). Reports the floor's events/s and CPU per event beside bare
//     decoding's in the same run (floor/bare, floor-cpu/bare-cpu).
//   - BenchmarkQueries: 50 goroutines issuing b.N requests on the rebuilt
//     models, with the query cache `remit serve` gives them
//     (-readmodels.querycache=false: every request reads the tables): the big client's page (Summary, ClientServices, Schedule, the
//     first page of its invoices, the newest page of its activity; each
//     part timed too), the clients list searched and filtered to
//     has_overdue, the firm's invoice
//     list by each status; reports p50 and p99 per kind in ms (target p99 <
//     20 ms), the query cache's hit rate in all and per query, the CPU time
//     per request, and what one request of each kind allocates (KB,
//     measured one at a time). Use -benchtime 2000x for a fixed number of
//     requests; with -readmodels.rate R, -benchtime (R·seconds)x. Under
//     writes: -readmodels.writes 2 -readmodels.rate 200 -benchtime 6000x.
//   - BenchmarkReconcile: projections.Reconcile (`remit reconcile`) on the
//     rebuilt models at the whole log and on models built to a quarter of
//     it; reports events/s, CPU time per event and the heap's peak (target:
//     bounded, about the same at a quarter as at all of it).
//   - BenchmarkReplay: projections.BuildAsOf (`remit replay`) of the whole
//     log and of a quarter of it; events/s, CPU time per event and the
//     heap's peak.
//   - BenchmarkServeFootprint: the real binary (go build of cmd/remit) serving
//     a copy of the store: the first start rebuilding the read models, the
//     second with them up to date (target < 2 s), RSS after start (target
//     < 300 MB at 1M events), -readmodels.load (default 60s) of mixed GETs
//     of the API from 50 goroutines with a read token, RSS after (both also
//     per event of the store, and each with how much of it the Go runtime
//     holds and has in use, and SQLite's memory, read from the server's
//     metrics listener; the RSS each minute of the load with the Go heap in
//     use and SQLite's memory beside it), and the time from SIGTERM to exit
//     (target < 2 s).
package readmodels
