package haproxy

// Live is what the HAProxy workers run: the configuration last applied (its files are on disk)
// and, for backends added since the workers started, the spare backend that serves each.
type Live struct {
	Config *Config
	// Sections are the backends the workers were started with: route backends and spares.
	Sections map[string]bool
	// Spares maps a route backend added after the last reload to the spare that serves it.
	Spares map[string]string
	// Leaving are the servers, certificates and CA files that left the configuration since the
	// last reload and wait for deletion (see leavingDelay): the workers still hold them.
	Leaving leaving
}

// Started is the state of workers that just read cfg.
func Started(cfg *Config) *Live {
	sections := map[string]bool{}
	for name := range cfg.Servers.All() {
		sections[name] = true
	}
	for _, name := range cfg.Spares {
		sections[name] = true
	}
	return &Live{Config: cfg, Sections: sections, Spares: map[string]string{}}
}

// After is the state once plan has moved the workers to wanted.
func (l *Live) After(p Plan, wanted *Config) *Live {
	if p.Reload || l == nil {
		return Started(wanted)
	}
	return &Live{Config: wanted, Sections: l.Sections, Spares: p.Spares, Leaving: l.Leaving}
}

// section is the backend of the workers that serves the backend named in the configuration;
// names that are not route backends (the terminating frontends' backends) are themselves.
func section(name string, spares map[string]string) string {
	if s, ok := spares[name]; ok {
		return s
	}
	return name
}

// freeSpares are the first n spares no route backend uses, in order, of those for HTTP route
// backends or of the others, and how many of them no route backend uses.
func (l *Live) freeSpares(http bool, n int) (first []string, free int) {
	used := make(map[string]bool, len(l.Spares))
	for _, s := range l.Spares {
		used[s] = true
	}
	for _, s := range l.Config.Spares {
		if !used[s] && isHTTPSpare(s) == http {
			free++
			if len(first) < n {
				first = append(first, s)
			}
		}
	}
	return first, free
}
