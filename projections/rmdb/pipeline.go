package rmdb

import "fmt"

// A pipelined transaction (Pipeline) hands its writes to a goroutine of
// its own, which runs them on the pinned connection in order while the
// caller goes on applying events and encoding documents: on SQLite,
// binding and inserting the rows of a fill is about as much work as
// producing them, and the two then run on two CPUs. Anything that reads
// the connection (QueryRow, Query, ExecCount), changes the schema, commits
// or rolls back first waits until every write queued before it has run,
// so it sees them; a write's error is recorded as the transaction's there.
type pipeline struct {
	ops  chan pipeOp
	done chan struct{} // closed when the goroutine has returned
	err  error         // the first write that failed; read after a sync
}

// pipeOp is a write to run, or (sync set) a request to be told, by closing
// sync, that every write before it has run.
type pipeOp struct {
	q    string
	args []any
	sync chan struct{}
}

// pipelineDepth is how many writes may wait for the goroutine: a few
// statements of 256 rows each.
const pipelineDepth = 16

// Pipeline makes the transaction's writes (Exec) run on a goroutine of
// their own, in order, for a transaction that writes much more than it
// reads (a fill). Until the transaction ends, Err does not report the
// error of a write that has not run yet: reads, ExecCount and Commit do.
// Only on SQLite (PostgreSQL fills write with COPY); a no-op elsewhere.
func (t *Tx) Pipeline() {
	if t.pipe != nil || t.db.dialect != SQLite || t.done {
		return
	}
	p := &pipeline{ops: make(chan pipeOp, pipelineDepth), done: make(chan struct{})}
	t.pipe = p
	go func() {
		defer close(p.done)
		for op := range p.ops {
			if op.sync != nil {
				close(op.sync)
				continue
			}
			if p.err != nil {
				continue
			}
			st, err := t.stmt(op.q)
			if err == nil {
				_, err = st.ExecContext(t.ctx, op.args...)
			}
			if err != nil {
				p.err = fmt.Errorf("read models: %s: %w", firstWords(op.q), err)
			}
		}
	}()
}

// enqueue queues a write, with its own copy of args (callers reuse their
// buffers).
func (p *pipeline) enqueue(q string, args []any) {
	p.ops <- pipeOp{q: q, args: append([]any(nil), args...)}
}

// sync waits until every queued write has run, and records the first
// error among them as the transaction's. The connection is the caller's
// again until the next Exec. The caller holds mu (or is the one goroutine
// left, at Commit or Rollback).
func (t *Tx) sync() {
	if t.pipe == nil {
		return
	}
	ch := make(chan struct{})
	t.pipe.ops <- pipeOp{sync: ch}
	<-ch
	t.fail(t.pipe.err)
}

// endPipeline waits for the queued writes and stops the goroutine.
func (t *Tx) endPipeline() {
	if t.pipe == nil {
		return
	}
	t.sync()
	close(t.pipe.ops)
	<-t.pipe.done
	t.pipe = nil
}
