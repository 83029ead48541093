package source

import (
	"context"
	"errors"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

func refused() error {
	return &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/apis", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
}

func TestUnreachable(t *testing.T) {
	gr := schema.GroupResource{Resource: "tlsroutes"}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused(), true},
		{"starting", apierrors.NewServiceUnavailable("not ready"), true},
		{"overloaded", apierrors.NewTooManyRequests("slow down", 1), true},
		{"expired watch", apierrors.NewResourceExpired("too old"), false},
		{"forbidden", apierrors.NewForbidden(gr, "", errors.New("no")), false},
		{"not found", apierrors.NewNotFound(gr, ""), false},
		{"cancelled", context.Canceled, false},
	} {
		if got := unreachable(c.err); got != c.want {
			t.Errorf("%s: unreachable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// failingLW refuses connections for its first failures calls, then answers.
type failingLW struct {
	failures int
	calls    int
}

func (f *failingLW) ListWithContext(context.Context, metav1.ListOptions) (runtime.Object, error) {
	f.calls++
	if f.calls <= f.failures {
		return nil, refused()
	}
	return &metav1.List{}, nil
}

func (f *failingLW) WatchWithContext(context.Context, metav1.ListOptions) (watch.Interface, error) {
	f.calls++
	if f.calls <= f.failures {
		return nil, refused()
	}
	return watch.NewFake(), nil
}

// An outage is waited out inside the list, logged once as a warning and once when it ends,
// however many tries it took; the next outage is logged again.
func TestOutageWaitedOutAndLoggedOnce(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	health := &apiHealth{log: log}
	lw := &failingLW{failures: 4}
	p := &patientListWatch{lw: lw, kind: "TLSRoute", health: health}
	start := time.Now()
	if _, err := p.ListWithContext(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if lw.calls != 5 {
		t.Errorf("%d calls, want 5", lw.calls)
	}
	// Four waits of at most a second each (with jitter).
	if took := time.Since(start); took > 4*1200*time.Millisecond {
		t.Errorf("took %s", took)
	}
	entries := hook.AllEntries()
	if len(entries) != 2 || entries[0].Level != logrus.WarnLevel || entries[1].Level != logrus.InfoLevel {
		t.Fatalf("log %v, want one warning and one info line", entries)
	}
	if entries[0].Data["kind"] != "TLSRoute" || entries[0].Data[logrus.ErrorKey] == nil {
		t.Errorf("warning fields %v, want kind and error", entries[0].Data)
	}
	if entries[1].Data["outage"] == nil {
		t.Errorf("recovery fields %v, want the outage's length", entries[1].Data)
	}

	hook.Reset()
	lw.calls, lw.failures = 0, 1
	if _, err := p.WatchWithContext(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(hook.AllEntries()); n != 2 {
		t.Errorf("second outage: %d log lines, want 2", n)
	}
}

// Errors that are answers from the API server go back to the reflector at once.
func TestAnswersAreNotRetried(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	calls := 0
	p := &patientListWatch{kind: "Gateway", health: &apiHealth{log: log}}
	_, err := retryUnreachable(context.Background(), p, func() (runtime.Object, error) {
		calls++
		return nil, apierrors.NewResourceExpired("too old")
	})
	if !apierrors.IsResourceExpired(err) || calls != 1 || len(hook.AllEntries()) != 0 {
		t.Errorf("err %v after %d calls, %d log lines; want the expired error at once, unlogged", err, calls, len(hook.AllEntries()))
	}
}

// A cancelled context ends the wait.
func TestOutageWaitEndsWithContext(t *testing.T) {
	log, _ := logtest.NewNullLogger()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	p := &patientListWatch{lw: &failingLW{failures: 1 << 30}, kind: "Service", health: &apiHealth{log: log}}
	if _, err := p.ListWithContext(ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("no error after the context ended")
	}
}
