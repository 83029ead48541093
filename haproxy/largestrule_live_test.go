package haproxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
)

// TestLargestRuleIsOneMapEntry: the largest match the build takes (syntax.MaxRuleSize bytes of
// strings, each byte of the header values one that percent-encoding triples) is one entry of the
// rules map both ways HAProxy reads it. Loaded from the file by new workers: a restarted
// controller confirms every map entry with "show map" before it adopts the workers. Sent through
// the runtime API: the controller reads the entry back and compares it with the file. Either way
// a request carrying the headers reaches the backend.
func TestLargestRuleIsOneMapEntry(t *testing.T) {
	r := newRig(t)
	backend := httpEcho(t, "web")
	port := freeport.String(t)
	id := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web"}
	largest := model.HTTPRule{PathType: model.PathPrefix, Path: "/api", Method: "GET", Backend: id}
	header := http.Header{}
	for i := range 4 {
		name := fmt.Sprintf("x-h%d", i)
		// Four names and values, the method, and a separator after each string: MaxRuleSize.
		value := strings.Repeat(`"`, (syntax.MaxRuleSize-len("GET")-1)/4-len(name)-2)
		largest.Headers = append(largest.Headers, model.HeaderMatch{Name: name, Value: value})
		header.Set(name, value)
	}
	var strs []string
	strs = append(strs, largest.Method)
	for _, h := range largest.Headers {
		strs = append(strs, h.Name, h.Value)
	}
	if err := syntax.RuleSize(strs); err != nil {
		t.Fatalf("the test's rule is not one the build takes: %v", err)
	}
	plane := func(rule model.HTTPRule) model.DataPlane {
		return model.DataPlane{
			Sockets: []model.Socket{{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw", Protocol: model.SocketHTTP,
				Listeners:    []model.ListenerClaim{{Listener: "http", Hostname: "*", Mode: model.ListenerHTTP}},
				VirtualHosts: []model.VirtualHost{{Hostname: "*", Listener: "http", Rules: []model.HTTPRule{rule}}}}},
			Backends: []*model.Backend{{ID: id, HTTP: true, Servers: []model.Server{httpServer("web", backend, 1)}}},
		}
	}
	served := func(step string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/api", nil)
		req.Header = header
		res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "web" {
			t.Errorf("%s: answered %d %q, want the backend", step, res.StatusCode, body)
		}
	}

	if res := r.apply(plane(largest)); res.Err != nil {
		t.Fatalf("first configuration: %+v", res)
	}
	served("loaded from the file")
	time.Sleep(stateQuiet + 50*time.Millisecond)
	if resumed := r.restartController(); !strings.Contains(resumed, "no reload needed") {
		t.Fatalf("the workers' maps are not the files' (a line split on loading?): %s", resumed)
	}

	small := largest
	small.Headers = nil
	r.applyWithoutReload("a small rule", plane(small))
	r.applyWithoutReload("the largest rule through the runtime API", plane(largest))
	served("sent through the runtime API")
}
