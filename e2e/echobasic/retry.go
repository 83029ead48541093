package echobasic

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
)

// retry plays a flaky backend for retry tests: /retry/?uuid=U&succeedAfter=N fails the first N
// requests carrying U, then echoes. A failure resets the connection, or answers with the status in
// responseCode when given; delayRetry delays each failure.
func (e *httpEcho) retry(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uuid := q.Get("uuid")
	if uuid == "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "uuid is required")
		return
	}
	succeedAfter, err := strconv.Atoi(q.Get("succeedAfter"))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "succeedAfter is required")
		return
	}
	fail := resetConnection
	if code, err := strconv.Atoi(q.Get("responseCode")); err == nil {
		fail = func(w http.ResponseWriter) error {
			w.WriteHeader(code)
			return nil
		}
	}

	// One request at a time, so concurrent attempts with the same uuid are counted in order.
	e.retries.mu.Lock()
	defer e.retries.mu.Unlock()
	if e.retries.attempts[uuid] >= succeedAfter {
		e.echo(w, r)
		return
	}
	e.retries.attempts[uuid]++
	if err := sleepFor(r, "delayRetry"); err != nil {
		writeError(w, err, http.StatusInternalServerError)
		return
	}
	if err := fail(w); err != nil {
		writeError(w, err, http.StatusInternalServerError)
	}
}

// resetConnection aborts the request's connection with a TCP RST instead of answering.
func resetConnection(w http.ResponseWriter) error {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return errors.New("response writer does not support hijacking")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return err
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		if err := tcp.SetLinger(0); err != nil {
			return err
		}
	}
	return conn.Close()
}
