package haproxy

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// superviseEvery is how often Supervise asks the master about its workers. A dead worker is
// noticed within this time, and its replacement runs within another reload's time.
const superviseEvery = 250 * time.Millisecond

// Supervise watches HAProxy until ctx ends, and reports what it did about a change it did not
// ask for:
//   - the master ended (it does when a worker crashes or is killed: HAProxy 2.6's master forgets
//     "no-exit-on-failure" once it re-executes itself, and kills every process): a master this
//     Manager started or adopted is started again on the files of the running configuration;
//   - no worker runs: the master is asked for a new one, which reads the same files;
//   - other workers run than the last reload started (an attached HAProxy was restarted beside
//     the controller): they read the files too.
//
// Either way the workers then run the files, with no spare serving a route, and the next change
// is planned from that. It also deletes the servers that left the configuration once their time
// comes (see leavingDelay). It returns an error only when HAProxy cannot be started again.
func (m *Manager) Supervise(ctx context.Context, report func(event string, err error)) error {
	tick := time.NewTicker(superviseEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.Master().Exited():
			if err := m.restartMaster(ctx); err != nil {
				return fmt.Errorf("HAProxy exited and did not start again: %w", err)
			}
			report("the HAProxy master ended (a worker crashed or was killed); a new one runs the current configuration", nil)
		case <-tick.C:
			if event, err := m.superviseOnce(ctx); event != "" {
				report(event, err)
			}
			if event, err := m.deleteLeaving(ctx); event != "" {
				report(event, err)
			}
		}
	}
}

// restartMaster starts a new master on the files of the running configuration.
func (m *Manager) restartMaster(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return nil
	}
	synced := m.syncFiles()
	master, err := StartMaster(ctx, m.binary, m.configPath(), m.masterSocket(), m.output)
	if err != nil {
		return err
	}
	m.master = master
	m.reloads.started(time.Now())
	m.startedOnFiles(synced)
	return nil
}

// syncFiles makes the files on disk those of the running configuration before HAProxy reads
// them: it waits for the background write, and writes them again if that failed. False when they
// could not be written: then what HAProxy reads is not known.
func (m *Manager) syncFiles() bool {
	if _, err := m.files.flush(time.Now()); err == nil {
		return true
	}
	return m.live != nil && m.files.write(m.live.Config) == nil
}

// startedOnFiles records that new workers read the files: the running configuration's when
// synced, else something not known, and the next change reloads.
func (m *Manager) startedOnFiles(synced bool) {
	switch {
	case m.live != nil && synced:
		m.setLive(Started(m.live.Config), m.liveModel, true)
	default:
		m.live = nil
		if p, err := m.master.procs(); err == nil {
			m.workers = sortedPIDs(p.Current)
		}
	}
}

func (m *Manager) superviseOnce(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Read under the lock: a reload of Apply's is over, not half done.
	now := time.Now()
	p, err := m.master.procs()
	if err != nil {
		// The master re-executes itself during a reload, or is gone: Master.Exited tells.
		return "", nil
	}
	// Workers restarted outside the controller started after the last look that saw the workers.
	lastLook := m.supervised
	m.supervised = now
	event := "HAProxy workers were restarted outside the controller; they run the configuration on disk"
	synced := true
	switch {
	case len(p.Current) == 0:
		event = "no HAProxy worker ran (one ended without being asked to); a new one was started on the running configuration"
		synced = m.syncFiles()
		m.reloads.started(time.Now())
		if err := m.master.Reload(ctx, m.reloadTimeout); err != nil {
			return "no HAProxy worker runs, and the master did not start a new one", err
		}
	case slices.Equal(sortedPIDs(p.Current), m.workers):
		return "", nil
	default:
		// The new workers read the files when they started, after the last look: if the files
		// were being written since, or could not be, they may run something else.
		behind, err := m.files.flush(lastLook)
		if behind || err != nil {
			synced = m.syncFiles()
			event += "; the files were being written then, so they were reloaded"
			m.reloads.started(time.Now())
			if err := m.master.Reload(ctx, m.reloadTimeout); err != nil {
				return event, err
			}
		}
	}
	m.startedOnFiles(synced)
	return event, nil
}
