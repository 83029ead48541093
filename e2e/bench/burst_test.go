package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// burstRoutes are created in one `kubectl create -f`, as a team applying a folder of routes.
const burstRoutes = 1000

// burst creates burstRoutes Passthrough routes with kubectl in one file, then times until every
// one answered through the gateway and every route is Accepted, both from kubectl's exit (the
// last create), and counts the reloads the burst caused. existing routes are there already.
func (r *rig) burst(p *controllerProcess, address string, existing int) Burst {
	r.t.Helper()
	var file bytes.Buffer
	var names []string
	for i := range burstRoutes {
		route := passthroughRoute("burst", i, "burst")
		route.APIVersion, route.Kind = gatewayv1.GroupVersion.String(), "TLSRoute"
		raw, err := yaml.Marshal(route)
		if err != nil {
			r.t.Fatal(err)
		}
		file.WriteString("---\n")
		file.Write(raw)
		names = append(names, hostnameOf(route.Name))
	}
	path := filepath.Join(r.outDir, "burst.yaml")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	accepted := r.watchRoutesAccepted(ctx, &gatewayv1.TLSRouteList{}, existing+burstRoutes)
	r.phaseStarted(p)

	kubectl := filepath.Join(r.cluster.BinDir, "kubectl")
	started := time.Now()
	out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", r.cluster.Kubeconfig, "create", "-f", path).CombinedOutput()
	if err != nil {
		r.t.Fatalf("kubectl create -f %s: %v\n%s", path, err, lastLines(out, 5))
	}
	lastCreate := time.Now()
	b := Burst{Routes: burstRoutes, Existing: existing, Kubectl: lastCreate.Sub(started)}
	routable, err := sampleRoutable(ctx, address+":443", names)
	if err != nil {
		r.t.Fatalf("burst: %v", err)
	}
	b.Routable = max(routable.Sub(lastCreate), 0)
	select {
	case at := <-accepted:
		b.Accepted = max(at.Sub(lastCreate), 0)
	case <-ctx.Done():
		r.t.Fatalf("burst: not every route Accepted within the bound")
	}
	b.Reloads = r.reloads(p, fmt.Sprintf("%d routes created with kubectl, %d present", burstRoutes, existing))
	r.t.Logf("burst of %d routes with %d present: kubectl %s, all routable %s and all Accepted %s after the last create",
		burstRoutes, existing, b.Kubectl.Round(time.Millisecond), b.Routable.Round(time.Millisecond), b.Accepted.Round(time.Millisecond))
	return b
}

// lastLines keeps the end of a command's output for an error message.
func lastLines(out []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return bytes.Join(lines[max(len(lines)-n, 0):], []byte("\n"))
}
