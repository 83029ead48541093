package haproxy

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
)

// TestEmptyPlanAdoptsTheNewRender applies a model, then the same model made anew (every list and
// rule new, as a full build makes them): HAProxy is left as it is, and the render of the new model
// becomes what runs, so that the next change, made from the new model, patches the maps instead
// of building them all again.
func TestEmptyPlanAdoptsTheNewRender(t *testing.T) {
	r := newRig(t)
	web := teamEcho(t, "web")
	port := freeport.String(t)
	// More virtual hosts than a render patches when all of them are new.
	hosts := patchAbove + 10
	dataPlane := func() model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw", Protocol: model.SocketHTTP,
			Listeners: []model.ListenerClaim{{Listener: "http", Hostname: "*", Mode: model.ListenerHTTP}}}
		var backends []*model.Backend
		for i := range hosts {
			id := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: fmt.Sprintf("route-%03d", i)}
			sock.VirtualHosts = append(sock.VirtualHosts, model.VirtualHost{Hostname: fmt.Sprintf("host-%03d.example.com", i), Listener: "http",
				Rules: []model.HTTPRule{{PathType: model.PathPrefix, Path: "/", Backend: id}}})
			backends = append(backends, &model.Backend{ID: id, HTTP: true, Servers: []model.Server{httpServer("web", web, 1)}})
		}
		return model.DataPlane{Sockets: []model.Socket{sock}, Backends: backends}
	}
	if res := r.apply(dataPlane()); res.Err != nil {
		t.Fatalf("first configuration: %+v", res)
	}

	again := dataPlane()
	r.applyWithoutReload("the same model made anew", again)
	if !model.SameSlice(r.manager.liveModel.Backends, again.Backends) {
		t.Error("the model made anew, with nothing to change, is not the one the Manager runs")
	}

	// A virtual host added to the model made anew, the others shared with it.
	added := again
	added.Sockets = slices.Clone(again.Sockets)
	added.Sockets[0].VirtualHosts = append(slices.Clone(again.Sockets[0].VirtualHosts), model.VirtualHost{Hostname: "new.example.com", Listener: "http",
		Rules: []model.HTTPRule{{PathType: model.PathPrefix, Path: "/", Backend: again.Backends[0].ID}}})
	r.applyWithoutReload("a virtual host added", added)
	// A patch notes its edits of the socket's routes map; a render that builds the maps does not.
	patched := false
	for path := range r.manager.live.Config.mapEdits {
		patched = patched || strings.HasSuffix(path, ".http-routes.map")
	}
	if !patched {
		t.Error("the virtual host added rendered the HTTP maps whole, not as a patch of those running")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/", nil)
	req.Host = "new.example.com"
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "web team=" {
		t.Errorf("GET new.example.com answered %d %q, want 200 %q", res.StatusCode, body, "web team=")
	}
}
