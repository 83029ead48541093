package haproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// A controller that restarts finds HAProxy running (adopted, or attached beside it). To plan the
// next change as runtime commands instead of a reload, it must know what the workers run. After
// every change it saves the data plane it applied and the workers' spare assignments; at start it
// renders that data plane again, takes it as what runs only when the rendered files are the ones
// on disk, byte for byte, and the workers confirm every map, backend and certificate through the
// runtime API. Anything else (no saved state, other flags, a change half made when the controller
// died) leaves the state unknown, and the first change reloads.

// savedState is what the state file holds. The model's certificates carry no PEM (it is never
// serialized): at start each is read back from its certificate file, which the check against
// the files on disk then confirms. Written 0600 all the same.
type savedState struct {
	Model model.DataPlane `json:"model"`
	// Sections, Spares and Leaving are the Live fields; Workers the PIDs they belong to.
	Sections map[string]bool   `json:"sections,omitempty"`
	Spares   map[string]string `json:"spares,omitempty"`
	Leaving  leaving           `json:"leaving,omitempty"`
	Workers  []int             `json:"workers,omitempty"`
	// SparePool is how many spare backends the configuration declares (see sparePool).
	SparePool int `json:"sparePool"`
	// HTTPSparePool is how many of them serve HTTP route backends.
	HTTPSparePool int `json:"httpSparePool,omitempty"`
}

func (m *Manager) statePath() string { return filepath.Join(m.settings.Dir, "state.json") }

// setLive records what the workers run, and saves it for the next controller process (see
// stateSaver). Nothing in the saved state changes afterwards: Live, its maps and the model are
// replaced, never changed in place.
func (m *Manager) setLive(live *Live, dp model.DataPlane, reloaded bool) {
	m.live, m.liveModel = live, dp
	if reloaded {
		if p, err := m.master.procs(); err == nil {
			m.workers = sortedPIDs(p.Current)
		}
	}
	m.state.save(savedState{Model: dp, Sections: live.Sections, Spares: live.Spares, Leaving: live.Leaving, Workers: slices.Clone(m.workers),
		SparePool: live.Config.spareCount(false), HTTPSparePool: live.Config.spareCount(true)})
}

// resume learns what a running HAProxy runs; see the comment at the top of this file.
func (m *Manager) resume() {
	if p, err := m.master.procs(); err == nil {
		m.workers = sortedPIDs(p.Current)
	}
	live, dp, err := m.recoverLive()
	if err != nil {
		m.resumed = fmt.Sprintf("what it runs is not known (%v): the first change reloads", err)
		return
	}
	m.files.known(live.Config)
	m.setLive(live, dp, false)
	m.resumed = "the workers run the configuration in " + m.settings.Dir + " (confirmed through the runtime API): no reload needed"
}

func (m *Manager) recoverLive() (*Live, model.DataPlane, error) {
	raw, err := os.ReadFile(m.statePath())
	if err != nil {
		return nil, model.DataPlane{}, fmt.Errorf("no saved state: %w", err)
	}
	var st savedState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, model.DataPlane{}, fmt.Errorf("saved state unreadable: %w", err)
	}
	if err := m.readCertificates(&st.Model); err != nil {
		return nil, model.DataPlane{}, err
	}
	if err := m.readCAFiles(&st.Model); err != nil {
		return nil, model.DataPlane{}, err
	}
	settings := m.settings
	settings.SpareBackends, settings.HTTPSpareBackends = st.SparePool, st.HTTPSparePool
	cfg, err := Render(st.Model, settings)
	if err != nil {
		return nil, model.DataPlane{}, err
	}
	if path, same := onDisk(m.configPath(), cfg); !same {
		return nil, model.DataPlane{}, fmt.Errorf("%s is not what the saved state renders to", filepath.Base(path))
	}
	live := &Live{Config: cfg, Sections: st.Sections, Spares: st.Spares, Leaving: st.Leaving.restarted(time.Now(), leavingDelay)}
	if !slices.Equal(st.Workers, m.workers) {
		// The workers were restarted since: they read the files, and no spare serves a route.
		live = Started(cfg)
	}
	if err := m.runtime.readBack(confirmOps(cfg, live.Spares), cfg, live.Spares, live.Leaving); err != nil {
		return nil, model.DataPlane{}, fmt.Errorf("the workers differ: %w", err)
	}
	return live, st.Model, nil
}

// onDisk reports whether haproxy.cfg and every file of cfg hold what cfg says; if not, it names
// the first file that differs.
func onDisk(cfgPath string, cfg *Config) (string, bool) {
	if got, err := os.ReadFile(cfgPath); err != nil || !bytes.Equal(got, cfg.Text()) {
		return cfgPath, false
	}
	for _, path := range sortedKeys(cfg.Files) {
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, cfg.Files[path].Content()) {
			return path, false
		}
	}
	return "", true
}

// confirmOps names everything readBack should ask the workers about: every map, every backend of
// the workers that holds route servers or is a spare (a free one must be empty), every certificate
// and CA file.
func confirmOps(cfg *Config, spares map[string]string) []Op {
	var ops []Op
	for _, path := range sortedKeys(cfg.Maps) {
		ops = append(ops, Op{Kind: ReplaceMap, Map: path})
	}
	sections := map[string]bool{}
	for name := range bySection(cfg.Servers.Map(), spares) {
		sections[name] = true
	}
	for _, name := range cfg.Spares {
		sections[name] = true
	}
	for _, name := range sortedKeys(sections) {
		ops = append(ops, Op{Kind: AddServer, Backend: name})
	}
	for _, path := range sortedKeys(cfg.Certs) {
		ops = append(ops, Op{Kind: CommitCert, Cert: path})
	}
	for _, path := range sortedKeys(cfg.CAFiles) {
		ops = append(ops, Op{Kind: CommitCAFile, CAFile: path})
	}
	return ops
}

// readCertificates fills each certificate of a saved model from the file HAProxy loaded it from:
// certificate and key joined, which renders to the same file again; and its client CA bundle from
// its CA file.
func (m *Manager) readCertificates(dp *model.DataPlane) error {
	for i := range dp.Sockets {
		for _, certs := range [][]model.Certificate{dp.Sockets[i].Certificates, dp.Sockets[i].HTTPSCertificates} {
			for j := range certs {
				pem, err := os.ReadFile(filepath.Join(m.settings.Dir, "certs", certFileName(certs[j])))
				if err != nil {
					return fmt.Errorf("certificate %s/%s: %w", certs[j].Namespace, certs[j].Name, err)
				}
				certs[j].CertPEM, certs[j].KeyPEM = pem, nil
				if fp := certs[j].Options.ClientCAFingerprint; certs[j].Options.ClientVerify != "" {
					if certs[j].ClientCACertificates, err = os.ReadFile(caFilePath(m.settings.Dir, fp)); err != nil {
						return fmt.Errorf("client CA file of certificate %s/%s: %w", certs[j].Namespace, certs[j].Name, err)
					}
				}
			}
		}
	}
	return nil
}

// readCAFiles fills the CA bundle of each server and backendRef of a saved model that has one from
// its CA file, which renders to the same file again, and the client certificate it presents from
// its file.
func (m *Manager) readCAFiles(dp *model.DataPlane) error {
	read := map[string][]byte{}
	fill := func(t *model.BackendTLS) error {
		if t == nil {
			return nil
		}
		if c := t.ClientCertificate; c != nil {
			// Certificate and key joined, which renders to the same file again.
			pem, err := os.ReadFile(clientCertPath(m.settings.Dir, c))
			if err != nil {
				return fmt.Errorf("client certificate %s/%s: %w", c.Namespace, c.Name, err)
			}
			c.CertPEM, c.KeyPEM = pem, nil
		}
		if t.SystemCAs {
			return nil
		}
		path := caFilePath(m.settings.Dir, t.CAFingerprint)
		if _, ok := read[path]; !ok {
			pem, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("CA file of %s: %w", t.Hostname, err)
			}
			read[path] = pem
		}
		t.CACertificates = read[path]
		return nil
	}
	for i := range dp.Backends {
		for j := range dp.Backends[i].Servers {
			if err := fill(dp.Backends[i].Servers[j].TLS); err != nil {
				return err
			}
		}
		for j := range dp.Backends[i].Refs {
			if err := fill(dp.Backends[i].Refs[j].TLS); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedPIDs(pids []int) []int {
	out := slices.Clone(pids)
	slices.Sort(out)
	return out
}
