package echobasic

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// echoAnswer is the JSON body of an echo. Field names and order are the image's: the suite decodes
// them (path, host, method, namespace, pod, headers...).
type echoAnswer struct {
	Path     string              `json:"path"`
	Host     string              `json:"host"`
	Method   string              `json:"method"`
	Proto    string              `json:"proto"`
	Headers  map[string][]string `json:"headers"`
	HTTPPort string              `json:"httpPort"`
	identity
	TLS *httpTLSInfo `json:"tls,omitempty"`
}

// httpEcho holds what every HTTP handler of one pod shares.
type httpEcho struct {
	identity identity
	// httpPort is HTTP_PORT's value; the image reports it on every port, h2c and HTTPS included.
	httpPort string
	retries  retryCounter
}

func (s *Server) startHTTP(ips []string, pod Pod) error {
	e := &httpEcho{identity: pod.identity(), httpPort: pod.port("HTTP_PORT", "3000"), retries: retryCounter{attempts: map[string]int{}}}
	mux := e.mux()

	if err := s.serve(ips, e.httpPort, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, false); err != nil {
		return err
	}

	h2c := &http.Server{Handler: http.HandlerFunc(e.h2cOnly), ReadHeaderTimeout: time.Second, Protocols: new(http.Protocols)}
	h2c.Protocols.SetHTTP1(true)
	h2c.Protocols.SetUnencryptedHTTP2(true)
	if err := s.serve(ips, pod.port("H2C_PORT", "3001"), h2c, false); err != nil {
		return err
	}

	cert, err := pod.keyPair("TLS_SERVER_CERT", "TLS_SERVER_PRIVKEY")
	if err != nil || cert == nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{*cert}}
	pool, err := pod.clientCAs()
	if err != nil {
		return err
	}
	if pool != nil {
		// Clients without a certificate are still served; the echo shows who presented one.
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, pool
	}
	// ServeTLS offers h2 and http/1.1 through ALPN, as ListenAndServeTLS does in the image.
	return s.serve(ips, pod.port("HTTPS_PORT", "8443"), &http.Server{Handler: mux, TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second}, true)
}

// serve runs h on port of every address in ips; one server for all of them keeps state such as
// retry counts per pod, as the image's single wildcard listener does.
func (s *Server) serve(ips []string, port string, h *http.Server, useTLS bool) error {
	s.httpServers = append(s.httpServers, h)
	for _, ip := range ips {
		l, err := listen(ip, port)
		if err != nil {
			return err
		}
		s.Addrs = append(s.Addrs, l.Addr().String())
		go serveHTTP(h, l, useTLS)
	}
	return nil
}

// mux routes like the image: /health, /status/NNN, /retry/, /ws, and an echo for everything else.
// Double slashes are collapsed before routing (but the echoed path is the raw request URI).
func (e *httpEcho) mux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "OK")
	})
	m.HandleFunc("/status/", statusCode)
	m.HandleFunc("/retry/", e.retry)
	m.Handle("/ws", websocket.Handler(func(c *websocket.Conn) { _, _ = io.Copy(c, c) }))
	m.HandleFunc("/", e.echo)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = strings.ReplaceAll(r.URL.Path, "//", "/")
		m.ServeHTTP(w, r)
	})
}

// h2cOnly is the h2c port's handler: HTTP/2 (prior knowledge or upgrade) is echoed, plain
// HTTP/1.1 is refused with 400.
func (e *httpEcho) h2cOnly(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 && r.Header.Get("Upgrade") != "h2c" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "Expected h2c request")
		return
	}
	e.echo(w, r)
}

func (e *httpEcho) echo(w http.ResponseWriter, r *http.Request) {
	if err := sleepFor(r, "delay"); err != nil {
		writeError(w, err, http.StatusInternalServerError)
		return
	}
	body, err := json.MarshalIndent(echoAnswer{
		Path:     r.RequestURI,
		Host:     r.Host,
		Method:   r.Method,
		Proto:    r.Proto,
		Headers:  r.Header,
		HTTPPort: e.httpPort,
		identity: e.identity,
		TLS:      httpTLS(r.TLS),
	}, "", " ")
	if err != nil {
		writeError(w, err, http.StatusInternalServerError)
		return
	}
	setRequestedHeaders(w, r.Header)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}

// setRequestedHeaders honours X-Echo-Set-Header: "Name: value, Other: value" adds response headers
// with the name's casing kept; a name given twice gets its values joined with commas.
func setRequestedHeaders(w http.ResponseWriter, req http.Header) {
	for _, list := range req["X-Echo-Set-Header"] {
		for _, pair := range strings.Split(list, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(pair), ":")
			h := w.Header()
			if len(h[name]) == 0 {
				h[name] = []string{value}
			} else {
				h[name][0] += "," + strings.TrimSpace(value)
			}
		}
	}
}

var statusPath = regexp.MustCompile(`^/status/(\d\d\d)$`)

// statusCode answers /status/NNN with code NNN and anything else under /status/ with 400.
func statusCode(w http.ResponseWriter, r *http.Request) {
	code := http.StatusBadRequest
	if m := statusPath.FindStringSubmatch(r.RequestURI); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	w.WriteHeader(code)
}

// sleepFor waits for the duration in the named query (or form) parameter, if present.
func sleepFor(r *http.Request, param string) error {
	v := r.FormValue(param)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	time.Sleep(d)
	return nil
}

func writeError(w http.ResponseWriter, err error, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	body, merr := json.Marshal(map[string]string{"message": err.Error()})
	w.WriteHeader(code)
	if merr != nil {
		_, _ = fmt.Fprintln(w, merr)
		return
	}
	_, _ = w.Write(body)
}

// retryCounter counts attempts per request uuid for /retry/.
type retryCounter struct {
	mu       sync.Mutex
	attempts map[string]int
}
