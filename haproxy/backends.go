package haproxy

import (
	"bufio"
	"bytes"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// The route backends are written here rather than by the template: there are as many as route
// rules, each is rendered on its own, and a change of endpoints re-renders only its backends (see
// Config.withServers), so the cost of a change follows its size.

// backendBlock is one route backend of haproxy.cfg. The skeleton has none of it: maps name
// route backends, never haproxy.cfg, and a spare serves a new one without a reload. Its text is
// written from data whenever haproxy.cfg is (see text): kept, the text of every backend would be
// the largest part of the controller's memory with tens of thousands of routes.
type backendBlock struct {
	// from is the model backend the block was rendered from.
	from *model.Backend
	data backendData
	// caFiles are the CA files its servers name, by path; clientCerts the certificates they
	// present.
	caFiles     []caFile
	clientCerts map[string]File
	// namesFile is set when the text names a path in the configuration's folders (a CA file, a
	// client certificate, a socket): then it holds only for a configuration in those folders.
	namesFile bool
}

// renderBackend renders a route backend whose CA files go into dir (and the socket answering
// 500 for unusable backendRefs is in runDir).
func renderBackend(b *model.Backend, dir, runDir string) *backendBlock {
	servers, cas := serverLines(*b, dir, runDir)
	block := &backendBlock{from: b, data: backendData{Name: backendName(b.ID), Servers: servers}, caFiles: cas, clientCerts: clientCerts(*b, dir)}
	buf := textBuffers.Get().(*[]byte)
	text := block.appendText((*buf)[:0])
	block.namesFile = containsString(text, dir) || containsString(text, runDir)
	*buf = text
	textBuffers.Put(buf)
	return block
}

// textBuffers hold a block's text while renderBackend looks into it. A render makes one block per
// route backend that changed, all of them at a start: with tens of thousands of routes, a text
// of its own for each would be garbage of the size of haproxy.cfg, made while the configuration
// is built (and the heap at its largest).
var textBuffers = sync.Pool{New: func() any { return new([]byte) }}

// containsString reports whether text holds s, as bytes.Contains(text, []byte(s)) would, without
// making bytes of s for every block.
func containsString(text []byte, s string) bool {
	if s == "" {
		return true
	}
	for len(text) >= len(s) {
		i := bytes.IndexByte(text, s[0])
		if i < 0 || len(text)-i < len(s) {
			return false
		}
		if string(text[i:i+len(s)]) == s {
			return true
		}
		text = text[i+1:]
	}
	return false
}

// text is the block as haproxy.cfg has it.
func (b *backendBlock) text() []byte { return b.appendText(nil) }

// reusable are the blocks of an earlier configuration, in its order, which is the data plane's.
type reusable struct {
	blocks []*backendBlock
	next   int
	// inOrder is set when blocks are in the model's order (by ID), as a render makes them: then
	// a backend's earlier block is found by walking on from the last one found.
	inOrder bool
	// byID indexes blocks otherwise.
	byID map[model.BackendID]int
	// matched marks the blocks whose backend was asked for, reused or not.
	matched []bool
	// elsewhere is set when the blocks are those of a configuration in other folders: one that
	// names a file there is not reused.
	elsewhere bool
}

func reusableBlocks(prev *Config, elsewhere bool) *reusable {
	if prev == nil {
		return &reusable{}
	}
	return &reusable{blocks: prev.backends, inOrder: prev.inOrder, matched: make([]bool, len(prev.backends)), elsewhere: elsewhere}
}

// unmatched are the earlier blocks of backends no longer asked for.
func (r *reusable) unmatched() []*backendBlock {
	var out []*backendBlock
	for i, matched := range r.matched {
		if !matched {
			out = append(out, r.blocks[i])
		}
	}
	return out
}

// find returns the earlier block of b when it renders the same text. Backends must come in the
// model's order for the walk to find them all; in another order some are rendered again.
func (r *reusable) find(b *model.Backend) (*backendBlock, bool) {
	i := r.next
	switch {
	case i < len(r.blocks) && r.blocks[i].from == b:
		// The very backend the next block was rendered from: most of a walk in the model's order.
	case r.inOrder:
		for i < len(r.blocks) && r.blocks[i].from.ID != b.ID && model.CompareBackendIDs(r.blocks[i].from.ID, b.ID) < 0 {
			i++
		}
		r.next = i
		if i == len(r.blocks) || r.blocks[i].from.ID != b.ID {
			return nil, false
		}
	case i >= len(r.blocks) || r.blocks[i].from.ID != b.ID:
		if r.byID == nil {
			r.byID = make(map[model.BackendID]int, len(r.blocks))
			for j, block := range r.blocks {
				r.byID[block.from.ID] = j
			}
		}
		var ok bool
		if i, ok = r.byID[b.ID]; !ok {
			return nil, false
		}
	}
	r.next = i + 1
	r.matched[i] = true
	old := r.blocks[i]
	if r.elsewhere && old.namesFile {
		return nil, false
	}
	// Models share the backends a change did not touch: most are the very one rendered before.
	if old.from != b && (old.from.HTTP != b.HTTP || !sameServers(old.from.Servers, b.Servers)) {
		return nil, false
	}
	return old, true
}

// sameServers is slices.Equal, at once when both are the same slice: a model keeps the servers of
// the backends a change did not touch.
func sameServers(a, b []model.Server) bool {
	if model.SameSlice(a, b) {
		return true
	}
	// TLS settings are compared by value: each build makes its own.
	return slices.EqualFunc(a, b, func(x, y model.Server) bool {
		return x.Service == y.Service && x.Address == y.Address && x.Port == y.Port && x.Weight == y.Weight && x.Unresolved == y.Unresolved &&
			x.ProxyProtocol == y.ProxyProtocol && x.HTTP2 == y.HTTP2 && model.SameTLS(x.TLS, y.TLS)
	})
}

// serverTimeoutRule gives a request the "timeout server" its route rule asks for (see
// serverTimeout), which the router leaves in txn.servertimeout. Every HTTP route backend and spare
// has it, so that a rule's timeouts change with its map entry, without a reload; it is in the
// backends because HAProxy 2.6 takes set-timeout only in a section with backend capabilities.
const serverTimeoutRule = "http-request set-timeout server var(txn.servertimeout) if { var(txn.servertimeout) -m found }"

// appendText appends the backend section, under a comment that names its route rule.
func (b *backendBlock) appendText(out []byte) []byte {
	id := b.from.ID
	out = append(out, "\n# "...)
	out = append(out, id.Kind...)
	out = append(out, ' ')
	out = append(out, id.Namespace...)
	out = append(out, '/')
	out = append(out, id.Name...)
	out = append(out, " rule "...)
	out = strconv.AppendInt(out, int64(id.Rule), 10)
	out = append(out, "\nbackend "...)
	out = append(out, b.data.Name...)
	// Why roundrobin, and why 500: the comment above the route backends in the template says it
	// once (a configuration has thousands of these blocks).
	if b.from.HTTP {
		out = append(out, "\n    mode http\n    balance roundrobin\n    "+serverTimeoutRule...)
	} else {
		out = append(out, "\n    mode tcp\n    balance roundrobin"...)
	}
	for _, s := range b.data.Servers {
		out = append(out, "\n    server "...)
		out = append(out, s.Name...)
		out = append(out, ' ')
		out = appendServerArgs(out, s)
	}
	return append(out, '\n')
}

// writeText writes haproxy.cfg from its parts, as Text would join them.
func (c *Config) writeText(w io.Writer) error {
	if c.text != nil {
		_, err := w.Write(c.text)
		return err
	}
	b := bufio.NewWriterSize(w, 64<<10)
	b.Write(c.head)
	var text []byte
	for _, block := range c.backends {
		text = block.appendText(text[:0])
		b.Write(text)
	}
	b.Write(c.tail)
	return b.Flush()
}

// assemble joins the parts of haproxy.cfg: what the template wrote up to the route backends, the
// route backends, and the spares.
func assemble(head []byte, blocks []*backendBlock, tail []byte) []byte {
	out := slices.Clone(head)
	for _, b := range blocks {
		out = b.appendText(out)
	}
	return append(out, tail...)
}

// withServers is the configuration with some route backends rendered again from their model,
// which differs only in servers; false when one of them is not a route backend of c.
func (c *Config) withServers(changed []*model.Backend) (*Config, bool) {
	out := *c
	// Its maps are c's: a render from it patches them, but its own notes of edits are none.
	out.id, out.editedFrom, out.mapEdits = configIDs.Add(1), 0, nil
	out.backends = slices.Clone(c.backends)
	set := make(map[string][]ServerLine, len(changed))
	var dropped, added []caFile
	for _, b := range changed {
		i, found := out.blockOf(b.ID)
		if !found {
			return nil, false
		}
		block := out.backends[i]
		if b.HTTP != block.from.HTTP {
			return nil, false
		}
		out.backends[i] = renderBackend(b, c.dir, c.runDir)
		if !maps.EqualFunc(block.clientCerts, out.backends[i].clientCerts, func(x, y File) bool { return bytes.Equal(x.Content(), y.Content()) }) {
			// Certificates to load or free: the whole plan does that (certificateOps).
			return nil, false
		}
		set[block.data.Name] = out.backends[i].data.Servers
		dropped, added = append(dropped, block.caFiles...), append(added, out.backends[i].caFiles...)
	}
	out.Servers = c.Servers.with(set, nil)
	out.moveCAFiles(dropped, added)
	out.text = nil
	return &out, true
}

// blockOf finds the block of a route backend: by binary search when the blocks are in the
// model's order, else by a walk over them.
func (c *Config) blockOf(id model.BackendID) (int, bool) {
	if c.inOrder {
		return slices.BinarySearchFunc(c.backends, id, func(block *backendBlock, id model.BackendID) int {
			return model.CompareBackendIDs(block.from.ID, id)
		})
	}
	i := slices.IndexFunc(c.backends, func(block *backendBlock) bool { return block.from.ID == id })
	return i, i >= 0
}
