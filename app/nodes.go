package app

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"remit/internal/lease"
	"remit/web/api"
)

// NodeName is Config.NodeName's default: the host and the process id,
// which tell the nodes of a cluster apart on one machine as on several.
func NodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}

// leases are the app's lease keepers and the goroutines they run in.
type leases struct {
	keepers map[string]*lease.Keeper
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	ctx     context.Context
}

// keeper makes the keeper of the named lease on the read models' database.
func (a *App) keeper(cfg Config, name string) *lease.Keeper {
	if a.leases.keepers == nil {
		a.leases.keepers = map[string]*lease.Keeper{}
		a.leases.ctx, a.leases.cancel = context.WithCancel(context.Background())
	}
	k := &lease.Keeper{DB: a.ReadModels, Name: name, Holder: cfg.NodeName, Every: cfg.LeaseEvery, Logger: a.log, OnChange: a.Metrics.Lease}
	a.Metrics.Lease(name, false)
	a.leases.keepers[name] = k
	return k
}

// runLeased runs work in the background while this node holds the named
// lease (lease.Keeper.Run), until Close.
func (a *App) runLeased(cfg Config, name string, work func(ctx context.Context)) {
	k := a.keeper(cfg, name)
	a.leases.wg.Go(func() { k.Run(a.leases.ctx, work) })
}

// stopLeased stops the work run under leases and gives the leases up.
func (a *App) stopLeased() {
	if a.leases.cancel != nil {
		a.leases.cancel()
	}
	a.leases.wg.Wait()
}

// staleAfter is how many of a worker's tick intervals may pass without its
// loop turning before /readyz calls it stuck.
const staleAfter = 3

// workerCheck is /readyz's check of a worker run under a lease: on a node
// that does not hold the lease it is on standby (ready, naming the holder);
// on the holder it must run and its loop must have turned within
// staleAfter intervals.
func (a *App) workerCheck(ctx context.Context, name, what string, running bool, lastBeat time.Time, interval time.Duration) api.ReadyCheck {
	c := api.ReadyCheck{Name: name}
	if k := a.leases.keepers[name]; k != nil && !k.Held() {
		holder, err := k.HolderNow(ctx)
		switch {
		case err != nil:
			c.Detail = "standby: who holds the lease is unknown (" + err.Error() + ")"
		case holder == "":
			c.Detail = "standby: nobody holds the lease; this node is trying for it"
		default:
			c.Detail = "standby: runs on " + holder
		}
		c.OK = true
		return c
	}
	switch {
	case !running:
		c.Detail = what + " is not running"
	case lastBeat.IsZero():
		c.Detail = what + " has not started its loop"
	case time.Since(lastBeat) > staleAfter*interval:
		c.Detail = fmt.Sprintf("%s is stuck: its loop last turned %s ago (every %s; stale after %d)", what, time.Since(lastBeat).Round(time.Second), interval, staleAfter)
	default:
		c.OK, c.Detail = true, "runs on this node ("+a.nodeName+")"
	}
	return c
}

// leaseChecks are /readyz's lines naming who holds each lease without a
// worker check of its own (the scheduler's); always ready.
func (a *App) leaseChecks(ctx context.Context) []api.ReadyCheck {
	k := a.leases.keepers[lease.Scheduler]
	if k == nil {
		return nil
	}
	c := api.ReadyCheck{Name: "lease:" + lease.Scheduler, OK: true}
	holder, err := k.HolderNow(ctx)
	switch {
	case err != nil:
		c.Detail = "who holds it is unknown (" + err.Error() + ")"
	case holder == "":
		c.Detail = "nobody holds it; this node is trying for it"
	case k.Held():
		c.Detail = "held by this node (" + holder + ")"
	default:
		c.Detail = "held by " + holder
	}
	return []api.ReadyCheck{c}
}
