package haproxy

import (
	"os"
	"sync"
	"time"
)

// fileWriter keeps the files on disk (haproxy.cfg, maps, crt-lists, certificates) those of the
// configuration HAProxy runs. After a runtime change the workers already run the new state from
// memory; the files matter only when a process reads them: a reload, a master started again, a
// controller process that starts beside a running HAProxy. So a runtime change hands its files
// over (writeLater) and is done, and one goroutine writes them beside the next change, the newest
// configuration only when several wait, and spaced like the saved state (fileWriteInterval,
// fileWriteShare): with 10,000 routes they are megabytes, and of a stream of changes only the
// last one matters. Whatever makes HAProxy read the files first writes what waits (write,
// flush): a reload always reads the files of the configuration it is meant to load.
type fileWriter struct {
	cfgPath string
	// interval is fileWriteInterval; tests change it.
	interval time.Duration

	mu   sync.Mutex
	idle *sync.Cond
	// on is the configuration whose files are on disk; nil when not known (then every file is
	// written). pending is the newest configuration handed over and not yet written.
	on, pending *Config
	// strays are files a failed write may have left: those of the configuration on disk before it
	// and of the one it wrote. The next write that succeeds removes those its configuration lacks.
	strays map[string]bool
	// busy is set while a write runs; lastWrite is when the last one ended, cost how long it
	// took. timer is set while a pending configuration waits for its turn.
	busy      bool
	lastWrite time.Time
	cost      time.Duration
	timer     *time.Timer
	// err is the last write's error, nil when it succeeded.
	err error
}

func newFileWriter(cfgPath string) *fileWriter {
	w := &fileWriter{cfgPath: cfgPath, interval: fileWriteInterval}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// known records that the files of cfg are on disk, as written or read back by the caller.
func (w *fileWriter) known(cfg *Config) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waitIdle()
	w.on, w.pending = cfg, nil
}

// The files are written at most once per fileWriteInterval, and the next write waits at least
// fileWriteShare times as long as the last one took, so that writing takes at most about 5% of a
// core however large the files.
const (
	fileWriteInterval = 250 * time.Millisecond
	fileWriteShare    = 19
)

// writeLater hands over cfg, which must not change afterwards, to be written soon.
func (w *fileWriter) writeLater(cfg *Config) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = cfg
	w.schedule()
}

// schedule starts a write of the pending configuration when its turn comes, with mu held: at
// once when the last write is old enough, else by a timer. A write under way schedules the next
// when it ends.
func (w *fileWriter) schedule() {
	if w.busy || w.timer != nil || w.pending == nil {
		return
	}
	wait := time.Until(w.lastWrite.Add(max(w.interval, fileWriteShare*w.cost)))
	if wait <= 0 {
		w.busy = true
		go w.writePending()
		return
	}
	w.timer = time.AfterFunc(wait, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.timer = nil
		w.schedule()
	})
}

// stopTimer stops a write waiting for its turn, with mu held: the caller writes.
func (w *fileWriter) stopTimer() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// writePending writes the newest pending configuration, with busy set, and schedules the next.
func (w *fileWriter) writePending() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cfg := w.pending; cfg != nil {
		w.pending = nil
		w.writeLocked(cfg)
	}
	w.busy = false
	w.idle.Broadcast()
	w.schedule()
}

// write writes cfg now, after a write under way; an older configuration still pending is
// dropped, cfg supersedes it.
func (w *fileWriter) write(cfg *Config) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = nil
	w.stopTimer()
	w.waitIdle()
	w.busy = true
	w.writeLocked(cfg)
	err := w.err
	w.busy = false
	w.idle.Broadcast()
	// One handed over while this write ran is newer.
	w.schedule()
	return err
}

// writeLocked writes the files of cfg that differ from those on disk and removes those cfg no
// longer has, with mu held and busy set: mu is let go while the files are written, so that
// writeLater never waits for the disk. After a failed write what is on disk is not known.
func (w *fileWriter) writeLocked(cfg *Config) {
	on, strays := w.on, w.strays
	w.mu.Unlock()
	start := time.Now()
	err := writeChanged(w.cfgPath, on, cfg)
	if err == nil {
		removeStale(on, cfg)
		for path := range strays {
			if _, keep := cfg.Files[path]; !keep {
				_ = os.Remove(path)
			}
		}
	}
	w.mu.Lock()
	w.err, w.lastWrite = err, time.Now()
	w.cost = w.lastWrite.Sub(start)
	if err == nil {
		w.on, w.strays = cfg, nil
		return
	}
	if w.strays == nil {
		w.strays = map[string]bool{}
	}
	for _, c := range []*Config{on, cfg} {
		if c != nil {
			for path := range c.Files {
				w.strays[path] = true
			}
		}
	}
	w.on = nil
}

// flush writes what was handed over so far, without waiting for its turn. behind reports whether
// a write was pending or under way, or ended after since (a process that read the files since may
// have read older ones); err is the last write's error.
func (w *fileWriter) flush(since time.Time) (behind bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	behind = w.busy || w.pending != nil || w.lastWrite.After(since)
	w.waitIdle()
	if cfg := w.pending; cfg != nil {
		w.pending = nil
		w.stopTimer()
		w.busy = true
		w.writeLocked(cfg)
		w.busy = false
		w.idle.Broadcast()
	}
	return behind, w.err
}

// failed is the last write's error, nil when it succeeded or one is still under way.
func (w *fileWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy {
		return nil
	}
	return w.err
}

// waitIdle waits, with mu held, until no write is under way.
func (w *fileWriter) waitIdle() {
	for w.busy {
		w.idle.Wait()
	}
}
