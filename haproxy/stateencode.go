package haproxy

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"io"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// encodeState writes st as json.Marshal would, give or take whitespace and the order of a
// socket's fields, one backend, one SNI route and one virtual host at a time: encoding/json holds
// a value's whole encoding in memory and keeps that buffer for its next call, megabytes with
// 10,000 routes for as long as the controller runs; each of those is small.
func encodeState(w io.Writer, st *savedState) error {
	b := bufio.NewWriterSize(w, 64<<10)
	e := &stateEncoder{b: b, enc: json.NewEncoder(b)}
	b.WriteString(`{"model":{`)
	if len(st.Model.Sockets) > 0 {
		e.name("sockets")
		encodeEach(e, st.Model.Sockets, encodeSocket)
	}
	if len(st.Model.Backends) > 0 {
		e.name("backends")
		encodeList(e, st.Model.Backends)
	}
	b.WriteByte('}')
	e.fields = 1 // "model"
	if len(st.Sections) > 0 {
		e.name("sections")
		e.value(st.Sections)
	}
	if len(st.Spares) > 0 {
		e.name("spares")
		e.value(st.Spares)
	}
	if len(st.Leaving) > 0 {
		e.name("leaving")
		e.value(st.Leaving)
	}
	if len(st.Workers) > 0 {
		e.name("workers")
		e.value(st.Workers)
	}
	e.name("sparePool")
	e.value(st.SparePool)
	if st.HTTPSparePool != 0 {
		e.name("httpSparePool")
		e.value(st.HTTPSparePool)
	}
	b.WriteByte('}')
	if e.err != nil {
		return e.err
	}
	return b.Flush()
}

// stateEncoder writes the fields of one JSON object; err is the first encoding error.
type stateEncoder struct {
	b      *bufio.Writer
	enc    *json.Encoder
	fields int
	err    error
}

func (e *stateEncoder) name(field string) {
	if e.fields > 0 {
		e.b.WriteByte(',')
	}
	e.fields++
	e.b.WriteString(`"` + field + `":`)
}

func (e *stateEncoder) value(v any) {
	if e.err == nil {
		e.err = e.enc.Encode(v)
	}
}

// encodeSocket writes a socket with its lists of an entry per route (SNI routes, virtual hosts)
// written entry by entry after its other fields.
func encodeSocket(e *stateEncoder, s *model.Socket) {
	rest := *s
	rest.Passthrough, rest.Terminate, rest.VirtualHosts = nil, nil, nil
	var head bytes.Buffer
	if err := json.NewEncoder(&head).Encode(&rest); err != nil {
		e.err = cmp.Or(e.err, err)
		return
	}
	// The other fields, without the closing brace; address, port, gateway and protocol are
	// always there.
	e.b.Write(bytes.TrimSuffix(bytes.TrimRight(head.Bytes(), "\n"), []byte("}")))
	if len(s.Passthrough) > 0 {
		e.b.WriteString(`,"passthrough":`)
		encodeList(e, s.Passthrough)
	}
	if len(s.Terminate) > 0 {
		e.b.WriteString(`,"terminate":`)
		encodeList(e, s.Terminate)
	}
	if len(s.VirtualHosts) > 0 {
		e.b.WriteString(`,"virtualHosts":`)
		encodeList(e, s.VirtualHosts)
	}
	e.b.WriteByte('}')
}

// encodeList writes a list, one entry at a time.
func encodeList[T any](e *stateEncoder, list []T) {
	encodeEach(e, list, func(e *stateEncoder, v *T) { e.value(v) })
}

// encodeEach writes a list with encode writing each entry.
func encodeEach[T any](e *stateEncoder, list []T, encode func(*stateEncoder, *T)) {
	e.b.WriteByte('[')
	for i := range list {
		if i > 0 {
			e.b.WriteByte(',')
		}
		encode(e, &list[i])
	}
	e.b.WriteByte(']')
}
