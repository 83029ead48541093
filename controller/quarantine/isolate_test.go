package quarantine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// refuse is a check that refuses, like "haproxy -c", every header value starting with "-" and
// every certificate with fingerprint "weak", and lists each problem it finds.
func refuse(_ context.Context, dp model.DataPlane) (string, error) {
	var problems []string
	for _, s := range dp.Sockets {
		for _, vh := range s.VirtualHosts {
			for _, r := range vh.Rules {
				for _, h := range r.Headers {
					if strings.HasPrefix(h.Value, "-") {
						problems = append(problems, "'"+h.Value+"' is not a valid ACL option")
					}
				}
			}
		}
		for _, c := range s.Certificates {
			if c.Fingerprint == "weak" {
				problems = append(problems, "unable to load certs/"+c.Name+".pem")
			}
		}
	}
	return strings.Join(problems, "; "), nil
}

func weakCertificate(dp *model.DataPlane) { dp.Sockets[1].Certificates[0].Fingerprint = "weak" }

func TestIsolate(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*model.DataPlane)
		maxChecks int
		found     []string
		complete  bool
	}{
		{
			name: "one route", maxChecks: 40, complete: true,
			found: []string{"HTTPRoute default/web-2 on Gateway default/a: '-1' is not a valid ACL option"},
		},
		{
			// The last in order is found first: the shortest prefix of parts left out that makes
			// HAProxy take the rest holds every culprit.
			name: "a route and a certificate, each with its own message", edit: weakCertificate, maxChecks: 40, complete: true,
			found: []string{
				"certificate Secret default/cert-2 on Gateway default/a port 443: unable to load certs/cert-2.pem",
				"HTTPRoute default/web-2 on Gateway default/a: '-1' is not a valid ACL option",
			},
		},
		{
			name: "checks run out: what was found is kept", edit: weakCertificate, maxChecks: 5,
			found: []string{"certificate Secret default/cert-2 on Gateway default/a port 443: unable to load certs/cert-2.pem"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dp := fixtureDataPlane()
			if tt.edit != nil {
				tt.edit(&dp)
			}
			refusal, _ := refuse(context.Background(), dp)
			got, err := Isolate(context.Background(), refuse, dp, refusal, tt.maxChecks)
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, e := range got.Found {
				found = append(found, e.Part.String()+": "+e.Message)
				if e.Fingerprint != Fingerprint(dp, e.Part) {
					t.Errorf("%s: fingerprint not the part's", e.Part)
				}
			}
			if !slices.Equal(found, tt.found) || got.Complete != tt.complete || !got.Attributable {
				t.Errorf("found %q complete=%v attributable=%v, want %q complete=%v", found, got.Complete, got.Attributable, tt.found, tt.complete)
			}
			if got.Checks > tt.maxChecks {
				t.Errorf("%d checks, at most %d allowed", got.Checks, tt.maxChecks)
			}
			t.Logf("%d checks for %d parts", got.Checks, len(Parts(dp)))
		})
	}

	// The next search starts from what the last one left out, and finds the rest.
	dp := fixtureDataPlane()
	weakCertificate(&dp)
	first, _ := Isolate(context.Background(), refuse, dp, "", 5)
	rest := Quarantine{}.With(first.Found...)
	served, _ := rest.Apply(&model.Model{DataPlane: dp}, nil)
	refusal, _ := refuse(context.Background(), served.DataPlane)
	second, err := Isolate(context.Background(), refuse, served.DataPlane, refusal, 5)
	if err != nil || !second.Complete || len(second.Found) != 1 || second.Found[0].Part != route("default/a", web2) {
		t.Errorf("second search: %+v, %v", second, err)
	}
}

func TestIsolateNothingToBlame(t *testing.T) {
	always := func(context.Context, model.DataPlane) (string, error) { return "global: out of memory", nil }
	got, err := Isolate(context.Background(), always, fixtureDataPlane(), "global: out of memory", 40)
	if err != nil || got.Attributable || got.Complete || len(got.Found) != 0 || got.Checks != 1 {
		t.Errorf("got %+v, %v; want one check and nothing to blame", got, err)
	}
	broken := errors.New("no staging folder")
	failing := func(context.Context, model.DataPlane) (string, error) { return "", broken }
	if _, err := Isolate(context.Background(), failing, fixtureDataPlane(), "x", 40); !errors.Is(err, broken) {
		t.Errorf("a check that cannot run: %v", err)
	}
}

// TestIsolateCost: one refused route among 10,000 is found in about log2(10,000) checks.
func TestIsolateCost(t *testing.T) {
	dp := model.DataPlane{Sockets: []model.Socket{{Gateway: "default/a", Port: 80, Protocol: model.SocketHTTP}}}
	for i := range 10000 {
		id := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: fmt.Sprintf("route-%05d", i)}
		value := "ok"
		if i == 7777 {
			value = "-1"
		}
		dp.Sockets[0].VirtualHosts = append(dp.Sockets[0].VirtualHosts, model.VirtualHost{Hostname: id.Name + ".example.com",
			Rules: []model.HTTPRule{{Path: "/", PathType: model.PathPrefix, Headers: []model.HeaderMatch{{Name: "x", Value: value}}, Backend: id}}})
		dp.Backends = append(dp.Backends, &model.Backend{ID: id, HTTP: true})
	}
	refusal, _ := refuse(context.Background(), dp)
	got, err := Isolate(context.Background(), refuse, dp, refusal, 40)
	if err != nil || !got.Complete || len(got.Found) != 1 || !strings.HasSuffix(got.Found[0].Part.Route.Name, "7777") {
		t.Fatalf("got %+v, %v", got.Found, err)
	}
	if got.Checks > 16 {
		t.Errorf("%d checks for one route among 10,000; want about 15", got.Checks)
	}
}
