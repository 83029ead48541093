package haproxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
)

// TestFilesFollowRuntimeChanges: the files of a runtime change are written after it, and are
// then what a render from nothing writes; when they cannot be written, the next change reloads to
// write them (reason write-failed), reports why it cannot while the disk refuses (its runtime
// part still goes out), and the running configuration keeps serving throughout.
func TestFilesFollowRuntimeChanges(t *testing.T) {
	r := newRig(t)
	port := freeport.String(t)
	addr := "127.0.0.1:" + port
	if res := r.apply(r.passthroughRoutes(port, "foo.example.com")); res.Err != nil {
		t.Fatal(res.Err)
	}
	two := r.passthroughRoutes(port, "foo.example.com", "late.example.com")
	r.applyWithoutReload("route added", two)
	r.filesAre(two)

	// A directory where haproxy.cfg goes: the files of the next runtime change cannot be written.
	cfgPath := r.manager.configPath()
	if err := os.Remove(cfgPath); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(cfgPath, "blocked"), 0o755); err != nil {
		t.Fatal(err)
	}
	three := r.passthroughRoutes(port, "foo.example.com", "late.example.com", "more.example.com")
	r.applyWithoutReload("route added while the disk refuses", three)
	if _, err := r.manager.files.flush(time.Now()); err == nil {
		t.Fatal("writing haproxy.cfg over a directory succeeded")
	}

	res := r.apply(two)
	if !res.Plan.Reload || res.Plan.Reasons[0].Kind != WriteFailed {
		t.Fatalf("the change after a failed write: %s, want a reload for %s", res.Plan, WriteFailed)
	}
	if res.Err == nil || !strings.Contains(res.Err.Error(), "write configuration") {
		t.Fatalf("a reload whose files cannot be written reported %v", res.Err)
	}
	if _, err := probe.TLS(addr, "foo.example.com"); err != nil {
		t.Fatalf("the running configuration stopped serving: %v", err)
	}
	if _, err := r.manager.files.flush(time.Now()); err == nil {
		t.Fatal("the files of the refused change's runtime part were written over a directory")
	}

	// The runtime part of that change went out: the same data plane again changes nothing, and
	// writes the files of what runs once the disk takes them.
	if err := os.RemoveAll(cfgPath); err != nil {
		t.Fatal(err)
	}
	if res := r.apply(two); !res.Plan.Empty() || res.Err != nil {
		t.Fatalf("the runtime part of the refused change did not go out: %+v", res)
	}
	r.filesAre(two)

	worker := r.workerPID()
	res = r.apply(three)
	if res.Err != nil || res.Plan.Reload {
		t.Fatalf("once the files are written, a route added: %+v", res)
	}
	if r.workerPID() != worker {
		t.Error("a new worker for a runtime change")
	}
	r.filesAre(three)
	if _, err := probe.TLS(addr, "more.example.com"); err != nil {
		t.Errorf("more.example.com: %v", err)
	}
}

// filesAre waits for the files of the changes applied so far and fails the test unless they are
// what a render of dp from nothing writes.
func (r *rig) filesAre(dp model.DataPlane) {
	r.t.Helper()
	if _, err := r.manager.files.flush(time.Now()); err != nil {
		r.t.Fatal(err)
	}
	cfg, err := Render(dp, r.manager.liveSettings())
	if err != nil {
		r.t.Fatal(err)
	}
	if path, same := onDisk(r.manager.configPath(), cfg); !same {
		r.t.Fatalf("%s on disk differs from a render of the data plane", filepath.Base(path))
	}
}

// TestFileWriterRemovesWhatAFailedWriteLeft: files of configurations a failed write was between
// (here a key file of a certificate removed meanwhile) are removed by the next write that
// succeeds, unless it has them.
func TestFileWriterRemovesWhatAFailedWriteLeft(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	path := func(name string) string { return filepath.Join(dir, name) }
	config := func(names ...string) *Config {
		c := &Config{Files: map[string]File{}, text: []byte("# " + strings.Join(names, " ") + "\n")}
		for _, n := range names {
			c.Files[path(n)] = File{data: []byte(n), Secret: strings.HasSuffix(n, ".pem")}
		}
		return c
	}
	w := newFileWriter(cfgPath)
	if err := w.write(config("kept.map", "gone.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cfgPath); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(cfgPath, "blocked"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.writeLater(config("kept.map", "tried.map"))
	if _, err := w.flush(time.Now()); err == nil {
		t.Fatal("writing haproxy.cfg over a directory succeeded")
	}
	if err := os.RemoveAll(cfgPath); err != nil {
		t.Fatal(err)
	}
	if err := w.write(config("kept.map", "new.map")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"kept.map": true, "new.map": true, "gone.pem": false, "tried.map": false, "haproxy.cfg": true} {
		if _, err := os.Stat(path(name)); (err == nil) != want {
			t.Errorf("%s on disk: %t, want %t", name, err == nil, want)
		}
	}
}

// TestFileWriterSpacesWrites: the first configuration handed over is written at once; those that
// follow within the interval wait for it, and only the newest is written; flush writes it at
// once.
func TestFileWriterSpacesWrites(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	config := func(name string) *Config {
		return &Config{Files: map[string]File{filepath.Join(dir, name+".map"): {data: []byte(name)}}, text: []byte("# " + name + "\n")}
	}
	onDisk := func() string {
		b, _ := os.ReadFile(cfgPath)
		return string(b)
	}
	w := newFileWriter(cfgPath)
	w.interval = time.Hour
	w.writeLater(config("first"))
	deadline := time.Now().Add(5 * time.Second)
	for onDisk() != "# first\n" {
		if time.Now().After(deadline) {
			t.Fatalf("the first configuration was not written: haproxy.cfg is %q", onDisk())
		}
		time.Sleep(time.Millisecond)
	}
	w.writeLater(config("second"))
	w.writeLater(config("third"))
	time.Sleep(50 * time.Millisecond)
	if got := onDisk(); got != "# first\n" {
		t.Fatalf("a configuration handed over within the interval was written at once: haproxy.cfg is %q", got)
	}
	if behind, err := w.flush(time.Now()); !behind || err != nil {
		t.Fatalf("flush with a configuration waiting: behind %t, error %v", behind, err)
	}
	if got := onDisk(); got != "# third\n" {
		t.Fatalf("after flush haproxy.cfg is %q, want the newest configuration's", got)
	}
	for name, want := range map[string]bool{"first.map": false, "second.map": false, "third.map": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s on disk: %t, want %t", name, err == nil, want)
		}
	}

	// Once the interval has passed, what waits is written without a flush.
	w.interval = 20 * time.Millisecond
	w.writeLater(config("fourth"))
	deadline = time.Now().Add(5 * time.Second)
	for onDisk() != "# fourth\n" {
		if time.Now().After(deadline) {
			t.Fatalf("a configuration handed over after the interval was not written: haproxy.cfg is %q", onDisk())
		}
		time.Sleep(time.Millisecond)
	}
}
