// Package leader elects the one replica that writes to the API server. Every replica programs its
// own HAProxy from the same objects, so losing the leader never stops traffic: only status and
// Service writes wait for the next leader.
package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	// Registers the leader_election_master_status gauge with controller-runtime's metrics.
	_ "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Gate tells whether this replica may write to the API server now.
type Gate interface {
	Leading() bool
	// Gained receives a value each time this replica becomes the leader, so that it writes what
	// it held back as a follower.
	Gained() <-chan struct{}
}

// Always is the gate of a replica that runs alone: it always leads.
type Always struct{}

func (Always) Leading() bool { return true }

func (Always) Gained() <-chan struct{} { return nil }

// Options configure an election through a coordination.k8s.io Lease.
type Options struct {
	Namespace, Name string
	LeaseDuration   time.Duration
	RenewDeadline   time.Duration
	RetryPeriod     time.Duration
	Log             logrus.FieldLogger
}

// Elector takes part in an election until its context ends.
type Elector struct {
	identity string
	leading  atomic.Bool
	gained   chan struct{}
	stopped  chan struct{}
	// OnChange, when set before Start, is told when this replica starts or stops leading.
	OnChange func(leading bool)
}

// New makes an elector whose identity is the host (the pod name in a cluster) and a random suffix,
// so a restarted replica never mistakes the lease of its previous run for its own.
func New() *Elector {
	host, _ := os.Hostname()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	return &Elector{identity: host + "_" + hex.EncodeToString(suffix), gained: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// Identity is this replica's name in the Lease.
func (e *Elector) Identity() string { return e.identity }

// Leading reports whether this replica holds the lease.
func (e *Elector) Leading() bool { return e.leading.Load() }

// Gained receives a value each time this replica becomes the leader.
func (e *Elector) Gained() <-chan struct{} { return e.gained }

// Start runs for the lease in the background until ctx ends, standing again whenever it loses
// it. On ctx's end a leader gives the lease up at once, so the next one need not wait for it to
// expire.
func (e *Elector) Start(ctx context.Context, cfg *rest.Config, opts Options) error {
	clients, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: opts.Namespace, Name: opts.Name},
		Client:     clients.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.identity},
	}
	log := opts.Log.WithFields(logrus.Fields{"lease": opts.Namespace + "/" + opts.Name, "identity": e.identity})
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            opts.Name,
		LeaseDuration:   opts.LeaseDuration,
		RenewDeadline:   opts.RenewDeadline,
		RetryPeriod:     opts.RetryPeriod,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				log.Info("leading: this replica writes status and Services")
				e.set(true)
			},
			OnStoppedLeading: func() {
				if e.leading.Load() {
					log.Info("no longer leading: status and Services are left to the next leader")
				}
				e.set(false)
			},
			OnNewLeader: func(identity string) {
				if identity != e.identity {
					log.WithField("leader", identity).Info("following")
				}
			},
		},
	})
	if err != nil {
		return err
	}
	go func() {
		defer close(e.stopped)
		for ctx.Err() == nil {
			elector.Run(ctx) // returns when the lease is lost or ctx ends
		}
	}()
	return nil
}

// Stopped is closed once the election has ended after its context did, the lease given up if
// this replica held it.
func (e *Elector) Stopped() <-chan struct{} { return e.stopped }

func (e *Elector) set(leading bool) {
	e.leading.Store(leading)
	if e.OnChange != nil {
		e.OnChange(leading)
	}
	if leading {
		select {
		case e.gained <- struct{}{}:
		default:
		}
	}
}
