package haproxy

import (
	"encoding/pem"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
)

// HAProxy verifies servers against CA files held in its CA store. A reload fills the store with
// the CA files haproxy.cfg names; a server added at runtime finds its CA file only there (HAProxy
// reads no file from disk at runtime), so a CA file is put into the store first ("new", "set",
// "commit ssl ca-file"). A CA file no server names any more is deleted from the store after its
// servers are deleted. So the store holds exactly the CA files the running configuration names,
// and a plan reads it from the running Config's CAFiles. Deleting a CA file cannot disturb a
// server: HAProxy copies the certificates into each server's own TLS context when it adds the
// server, the store entry is only where they are copied from.

// addCAFiles records CA files that one more route backend names.
func (c *Config) addCAFiles(cas []caFile) {
	for _, ca := range cas {
		if c.CAFiles[ca.path]++; c.CAFiles[ca.path] == 1 {
			c.Files[ca.path] = File{data: ca.content}
		}
	}
}

// moveCAFiles records that route backends which named dropped now name added. c's Files and
// CAFiles are those of the configuration it was copied from: they are copied before they change.
func (c *Config) moveCAFiles(dropped, added []caFile) {
	delta := map[string]int{}
	for _, ca := range dropped {
		delta[ca.path]--
	}
	for _, ca := range added {
		delta[ca.path]++
	}
	maps.DeleteFunc(delta, func(_ string, n int) bool { return n == 0 })
	if len(delta) == 0 {
		return // the same CA files: the common case, as when endpoints come and go
	}
	c.Files, c.CAFiles = maps.Clone(c.Files), maps.Clone(c.CAFiles)
	for _, ca := range added {
		if c.CAFiles[ca.path] == 0 {
			c.Files[ca.path] = File{data: ca.content}
		}
	}
	for path, n := range delta {
		if c.CAFiles[path] += n; c.CAFiles[path] <= 0 {
			delete(c.CAFiles, path)
			delete(c.Files, path)
		}
	}
}

// maxCAPayload bounds the CA files sent through the runtime API. HAProxy reads a command and its
// payload into one buffer (tune.bufsize, 16 KiB) and closes the connection on a longer one: 2.6
// takes a CA file of 15,386 bytes and drops one of 16,485. The rest leaves room for the command
// line. A larger CA file is loaded from its file by a reload.
const maxCAPayload = 12 << 10

// caFileOps returns the ops that put the CA files wanted servers name into the CA store, to run
// before those servers are added, and those that delete the CA files no wanted server names, to
// run after their servers are deleted. A CA file's name says its content (see caFileName), so a
// file in the store never needs new content. A CA file too large to send is returned as the
// reason for a reload instead.
func caFileOps(running, wanted *Config) (in, out []Op, reload string) {
	for _, path := range sortedKeys(wanted.CAFiles) {
		if running.CAFiles[path] > 0 {
			continue
		}
		content := wanted.Files[path].Content()
		if len(content) > maxCAPayload {
			return nil, nil, fmt.Sprintf("%s has %d bytes, more than the runtime API takes", filepath.Base(path), len(content))
		}
		in = append(in, Op{Kind: NewCAFile, CAFile: path}, Op{Kind: SetCAFile, CAFile: path, Payload: content}, Op{Kind: CommitCAFile, CAFile: path})
	}
	for _, path := range sortedKeys(running.CAFiles) {
		if wanted.CAFiles[path] == 0 {
			out = append(out, Op{Kind: DelCAFile, CAFile: path})
		}
	}
	return in, out, ""
}

// newCAFile creates an empty CA store entry. One already there was left by a change that failed
// half way; its name says it holds the same certificates, and the set and commit that follow
// load them again.
func (r *runtimeAPI) newCAFile(path string) error {
	answer, err := r.answer("new ssl ca-file " + path)
	switch {
	case err != nil && strings.Contains(err.Error(), "already exists"):
		return nil
	case err != nil:
		return err
	case !strings.Contains(answer, "New CA file created"):
		return fmt.Errorf("HAProxy answered %q", strings.TrimSpace(answer))
	}
	return nil
}

// setCAFile loads a CA file's certificates into a transaction; CommitCAFile makes it live.
func (r *runtimeAPI) setCAFile(path string, payload []byte) error {
	answer, err := r.sendPayload("set ssl ca-file "+path, payload)
	if err != nil {
		return err
	}
	// 2.6 answers "transaction created for CA <path>!" ("updated" for an open one).
	if !strings.Contains(answer, "transaction created for CA") && !strings.Contains(answer, "transaction updated for CA") {
		return fmt.Errorf("HAProxy answered %q", answer)
	}
	return nil
}

func (r *runtimeAPI) commitCAFile(path string) error {
	answer, err := r.answer("commit ssl ca-file " + path)
	if err != nil {
		return err
	}
	if !strings.Contains(answer, "Committing") || !strings.Contains(answer, "Success!") {
		return fmt.Errorf("HAProxy answered %q", strings.TrimSpace(answer))
	}
	return nil
}

// delCAFile deletes a CA file from the store; one that is not there is what was asked for.
func (r *runtimeAPI) delCAFile(path string) error {
	answer, err := r.answer("del ssl ca-file " + path)
	switch {
	case err != nil && strings.Contains(err.Error(), "doesn't exist"):
		return nil
	case err != nil:
		return err
	case !strings.Contains(answer, "deleted!"):
		return fmt.Errorf("HAProxy answered %q", strings.TrimSpace(answer))
	}
	return nil
}

// readBackCAFiles checks that the store holds each of paths the wanted configuration names, with
// as many certificates as its file, and none of the others.
func (r *runtimeAPI) readBackCAFiles(paths map[string]bool, wanted *Config) error {
	store, err := r.caStore()
	if err != nil {
		return err
	}
	for _, path := range sortedKeys(paths) {
		got, loaded := store[path]
		want, named := distinctCertificates(wanted.Files[path].Content()), wanted.CAFiles[path] > 0
		if loaded != named || got != want && named {
			return fmt.Errorf("CA file %s: in the store %t with %d certificates, want %t with %d", path, loaded, got, named, want)
		}
	}
	return nil
}

// distinctCertificates counts the certificates of a PEM bundle as the CA store does: a certificate
// that comes twice is stored once.
func distinctCertificates(bundle []byte) int {
	seen := map[string]bool{}
	for rest := bundle; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return len(seen)
		}
		if block.Type == "CERTIFICATE" {
			seen[string(block.Bytes)] = true
		}
	}
}

// caStore reads the CA store: how many certificates each CA file holds, by path.
func (r *runtimeAPI) caStore() (map[string]int, error) {
	answer, err := r.answer("show ssl ca-file")
	if err != nil {
		return nil, err
	}
	return parseCAStore(answer), nil
}

// parseCAStore reads "show ssl ca-file": a "<path> - <n> certificate(s)" line for each CA file, and
// the same with a "*" in front for an uncommitted transaction, which is left out.
func parseCAStore(answer string) map[string]int {
	store := map[string]int{}
	for _, line := range strings.Split(answer, "\n") {
		i := strings.LastIndex(line, " - ")
		if i < 0 || strings.HasPrefix(line, "*") {
			continue
		}
		count, _, _ := strings.Cut(line[i+3:], " ")
		if n, err := strconv.Atoi(count); err == nil {
			store[line[:i]] = n
		}
	}
	return store
}
