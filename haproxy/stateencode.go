package haproxy

import (
	"bufio"
	"encoding/json"
	"io"
)

// encodeState writes st as json.Marshal would, give or take whitespace, one socket and one backend
// at a time: encoding/json holds a value's whole encoding in memory and keeps that buffer for its
// next call, megabytes with 10,000 routes for as long as the controller runs; a socket or a
// backend is small.
func encodeState(w io.Writer, st *savedState) error {
	b := bufio.NewWriterSize(w, 64<<10)
	e := &stateEncoder{b: b, enc: json.NewEncoder(b)}
	b.WriteString(`{"model":{`)
	if len(st.Model.Sockets) > 0 {
		e.name("sockets")
		encodeList(e, st.Model.Sockets)
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

func encodeList[T any](e *stateEncoder, list []T) {
	e.b.WriteByte('[')
	for i := range list {
		if i > 0 {
			e.b.WriteByte(',')
		}
		e.value(&list[i])
	}
	e.b.WriteByte(']')
}
