package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echobasic"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A shared gateway's tests: one control plane and one controller serve many tenants' cases, each
// with Gateways, routes and backends of its own, beside a bystander Gateway whose endpoints must
// keep moving in HAProxy whatever the tenants do.

const (
	// tenantClass is the GatewayClass of every Gateway in these tests.
	tenantClass = "shared"
	// tenantNamespace holds the routes of the tenant that attacks other tenants' names.
	tenantNamespace = "tenant"
	// httpEchoPort is where echobasic serves HTTP (its image's default); Services expose it as 8080.
	httpEchoPort = 3000
	// tlsEchoPort is where TLS echo backends listen; Services expose it as 443.
	tlsEchoPort = 9443
)

// sharedGateway is the control plane, the controller and the bystander for every case.
type sharedGateway struct {
	env        *env
	controller *controllerProcess
	bystander  *bystander
}

// newSharedGateway starts the controller for the tenant cases.
func newSharedGateway(t *testing.T) *sharedGateway {
	e := newEnv(t)
	e.create(&corev1.Namespace{ObjectMeta: objectMeta("", tenantNamespace)},
		&gatewayv1.GatewayClass{ObjectMeta: objectMeta("", tenantClass),
			Spec: gatewayv1.GatewayClassSpec{ControllerName: "haproxy-gateway.io/gatewayclass-controller"}})
	s := &sharedGateway{env: e}
	s.bystander = newBystander(s.forCase(t, 0))
	s.controller = e.runControllerWith(controllerOptions{}, "-kubeconfig", e.cluster.Kubeconfig, "-address-pool", gatewayPool)
	s.bystander.waitServed()
	return s
}

// tenantCase is one subtest's view of the shared gateway: its own *testing.T, and pod addresses
// of its own (10.244.<10+n>.x) so that no two cases share a backend.
type tenantCase struct {
	*env
	shared  *sharedGateway
	subnet  int
	nextPod int
}

func (s *sharedGateway) forCase(t *testing.T, n int) *tenantCase {
	e := *s.env
	e.t = t
	return &tenantCase{env: &e, shared: s, subnet: 10 + n}
}

func (c *tenantCase) podIP() string {
	c.nextPod++
	return fmt.Sprintf("10.244.%d.%d", c.subnet, c.nextPod)
}

// httpBackend starts an HTTP echo pod named name and publishes it as Service name (port 8080),
// returning a backendRef to it.
func (c *tenantCase) httpBackend(namespace, name string) gatewayv1.BackendRef {
	c.t.Helper()
	ip := c.podIP()
	s, err := echobasic.Start(ip, echobasic.Pod{Env: map[string]string{"POD_NAME": name, "NAMESPACE": namespace}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(s.Close)
	c.create(service(namespace, name, 8080, "http"), endpointSlice(namespace, name, "http", httpEchoPort, ip))
	return backendRef(name, 8080)
}

// tlsBackend starts a TLS echo backend named name with its own certificate for hostnames and
// publishes it as Service name (port 443).
func (c *tenantCase) tlsBackend(namespace, name string, hostnames ...string) gatewayv1.BackendRef {
	c.t.Helper()
	pair, err := testtls.New(hostnames...)
	if err != nil {
		c.t.Fatal(err)
	}
	cert, _ := pair.TLSCertificate()
	ip := c.podIP()
	s, err := echo.Listen(name, net.JoinHostPort(ip, fmt.Sprint(tlsEchoPort)), &cert)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(s.Close)
	c.create(service(namespace, name, 443, "tls"), endpointSlice(namespace, name, "tls", tlsEchoPort, ip))
	return backendRef(name, 443)
}

// tlsSecret creates a kubernetes.io/tls Secret from pair.
func (c *tenantCase) tlsSecret(name string, pair testtls.Pair) {
	c.t.Helper()
	c.create(&corev1.Secret{ObjectMeta: objectMeta("default", name), Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}})
}

// gateway creates a Gateway of the shared class in "default" and returns its address once it is
// programmed.
func (c *tenantCase) gateway(name string, listeners ...gatewayv1.Listener) string {
	c.t.Helper()
	c.create(&gatewayv1.Gateway{ObjectMeta: objectMeta("default", name),
		Spec: gatewayv1.GatewaySpec{GatewayClassName: tenantClass, Listeners: listeners}})
	return c.gatewayAddress(name)
}

// waitListener waits for one condition of a listener to have status and reason, with a message
// holding each of words.
func (c *tenantCase) waitListener(gateway, listener, conditionType string, status metav1.ConditionStatus, reason string, words ...string) {
	c.t.Helper()
	c.eventually(fmt.Sprintf("listener %s %s=%s %s", listener, conditionType, status, reason), 30*time.Second, func() error {
		var gw gatewayv1.Gateway
		if err := c.client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: gateway}, &gw); err != nil {
			return err
		}
		for _, l := range gw.Status.Listeners {
			if string(l.Name) == listener {
				return conditionIs(l.Conditions, gw.Generation, conditionType, status, reason, words...)
			}
		}
		return fmt.Errorf("no status for listener %s", listener)
	})
}

// waitRoute waits for a condition of the route's only parent to have status and reason, with a
// message holding each of words.
func (c *tenantCase) waitRoute(route client.Object, conditionType string, status metav1.ConditionStatus, reason string, words ...string) {
	c.t.Helper()
	c.eventually(fmt.Sprintf("route %s/%s %s=%s %s", route.GetNamespace(), route.GetName(), conditionType, status, reason), 30*time.Second, func() error {
		current := route.DeepCopyObject().(client.Object)
		if err := c.client.Get(context.Background(), client.ObjectKeyFromObject(route), current); err != nil {
			return err
		}
		var parents []gatewayv1.RouteParentStatus
		switch r := current.(type) {
		case *gatewayv1.HTTPRoute:
			parents = r.Status.Parents
		case *gatewayv1.TLSRoute:
			parents = r.Status.Parents
		}
		if len(parents) != 1 {
			return fmt.Errorf("parents %v", parents)
		}
		return conditionIs(parents[0].Conditions, current.GetGeneration(), conditionType, status, reason, words...)
	})
}

// conditionIs checks one current condition.
func conditionIs(conditions []metav1.Condition, generation int64, conditionType string, status metav1.ConditionStatus, reason string, words ...string) error {
	got := meta.FindStatusCondition(conditions, conditionType)
	if got == nil {
		return fmt.Errorf("no %s condition", conditionType)
	}
	if got.Status != status || got.Reason != reason || got.ObservedGeneration != generation {
		return fmt.Errorf("%s is %s %s (%q), observedGeneration %d of %d", conditionType, got.Status, got.Reason, got.Message, got.ObservedGeneration, generation)
	}
	for _, w := range words {
		if !strings.Contains(got.Message, w) {
			return fmt.Errorf("%s message %q does not name %q", conditionType, got.Message, w)
		}
	}
	return nil
}

// httpRequest is one request through a Gateway.
type httpRequest struct {
	// addr is the Gateway's address and port.
	addr string
	// sni is the TLS server name; empty for plain HTTP.
	sni   string
	host  string
	http2 bool
	// headers are sent as written, names included.
	headers [][2]string
}

// httpAnswer is what came back: the status and, from an echo, the pod that answered.
type httpAnswer struct {
	status int
	pod    string
	// serial is the serial of the certificate the gateway presented, in hex.
	serial string
}

func (r httpRequest) send() (httpAnswer, error) {
	scheme := "http"
	tr := &http.Transport{ForceAttemptHTTP2: r.http2}
	if r.sni != "" {
		scheme = "https"
		// Certificates are not verified: cases compare serials instead.
		tr.TLSClientConfig = &tls.Config{ServerName: r.sni, InsecureSkipVerify: true}
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("GET", scheme+"://"+r.addr+"/", nil)
	if err != nil {
		return httpAnswer{}, err
	}
	req.Host = r.host
	for _, h := range r.headers {
		// Not Header.Add: it would put the name in canonical form and refuse nothing.
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second, Transport: tr}).Do(req)
	if err != nil {
		return httpAnswer{}, err
	}
	defer resp.Body.Close()
	if r.http2 && resp.ProtoMajor != 2 {
		return httpAnswer{}, fmt.Errorf("answered in %s, want HTTP/2", resp.Proto)
	}
	a := httpAnswer{status: resp.StatusCode}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		a.serial = resp.TLS.PeerCertificates[0].SerialNumber.Text(16)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, err
	}
	if resp.StatusCode == http.StatusOK {
		var echoed struct {
			Pod string `json:"pod"`
		}
		if err := json.Unmarshal(body, &echoed); err != nil {
			return a, fmt.Errorf("200 without an echo: %q", body)
		}
		a.pod = echoed.Pod
	}
	return a, nil
}

// reaches waits for the request to be answered 200 by pod.
func (c *tenantCase) reaches(r httpRequest, pod string) {
	c.t.Helper()
	c.eventually(fmt.Sprintf("%+v answered by %s", r, pod), 30*time.Second, func() error {
		a, err := r.send()
		if err != nil {
			return err
		}
		if a.status != http.StatusOK || a.pod != pod {
			return fmt.Errorf("answered %d by %q", a.status, a.pod)
		}
		return nil
	})
}

// answers checks, once, that the request gets status (and is not served by any pod).
func (c *tenantCase) answers(r httpRequest, status int) {
	c.t.Helper()
	a, err := r.send()
	if err != nil {
		c.t.Errorf("%+v: %v", r, err)
		return
	}
	if a.status != status {
		c.t.Errorf("%+v: answered %d by %q, want %d", r, a.status, a.pod, status)
	}
}

// allReach sends n requests and checks every one is answered by pod.
func (c *tenantCase) allReach(r httpRequest, n int, pod string) {
	c.t.Helper()
	seen := map[string]int{}
	for range n {
		a, err := r.send()
		if err != nil {
			c.t.Fatalf("%+v: %v", r, err)
		}
		seen[fmt.Sprintf("%d %s", a.status, a.pod)]++
	}
	if want := fmt.Sprintf("200 %s", pod); seen[want] != n {
		c.t.Errorf("%+v: %d requests answered %v, want all by %s", r, n, seen, pod)
	}
}

// bystander is a Gateway no case touches: an HTTP listener whose route's only endpoint moves
// between two pods after every case, and must be running in HAProxy within a second each time.
type bystander struct {
	c       *tenantCase
	ips     [2]string
	current int
	addr    string
}

const bystanderName = "bystander"

func newBystander(c *tenantCase) *bystander {
	b := &bystander{c: c}
	for i := range b.ips {
		b.ips[i] = fmt.Sprintf("10.244.1.%d", 10+i)
		s, err := echobasic.Start(b.ips[i], echobasic.Pod{Env: map[string]string{"POD_NAME": b.pod(i)}})
		if err != nil {
			c.t.Fatal(err)
		}
		c.t.Cleanup(s.Close)
	}
	c.create(
		&gatewayv1.Gateway{ObjectMeta: objectMeta("default", bystanderName), Spec: gatewayv1.GatewaySpec{
			GatewayClassName: tenantClass, Listeners: []gatewayv1.Listener{httpListener("web", 80)}}},
		service("default", bystanderName, 8080, "http"),
		endpointSlice("default", bystanderName, "http", httpEchoPort, b.ips[0]),
		httpRoute("default", bystanderName, parentRef("", bystanderName, ""), nil, rule(backendRef(bystanderName, 8080))),
	)
	return b
}

func (b *bystander) pod(i int) string { return fmt.Sprintf("%s-%d", bystanderName, i) }

// waitServed waits for the bystander's Gateway and its traffic.
func (b *bystander) waitServed() {
	b.addr = b.c.gatewayAddress(bystanderName) + ":80"
	b.c.reaches(httpRequest{addr: b.addr, host: "bystander.example.net"}, b.pod(b.current))
}

// follows moves the bystander's endpoint to its other pod and checks, on the worker's stats
// socket, that HAProxy runs a server at the new address and none at the old one within a second
// of the API write (the new server is added before the old one goes); then that its traffic went
// there.
func (b *bystander) follows(t *testing.T) {
	t.Helper()
	c := b.c.shared.forCase(t, 0)
	ctx := context.Background()
	next := 1 - b.current
	var slice discoveryv1.EndpointSlice
	if err := c.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: bystanderName + "-e2e"}, &slice); err != nil {
		t.Fatal(err)
	}
	slice.Endpoints = endpointSlice("default", bystanderName, "http", httpEchoPort, b.ips[next]).Endpoints
	server := fmt.Sprintf("%s:%s:%d", bystanderName, b.ips[next], httpEchoPort)
	old := fmt.Sprintf("%s:%s:%d", bystanderName, b.ips[b.current], httpEchoPort)
	socket := b.c.shared.controller.StatsSocket()
	written := time.Now()
	if err := c.client.Update(ctx, &slice); err != nil {
		t.Fatal(err)
	}
	for {
		running, err := serverRunning(socket, server)
		if err != nil {
			t.Fatal(err)
		}
		oldRunning, err := serverRunning(socket, old)
		if err != nil {
			t.Fatal(err)
		}
		if running && !oldRunning {
			break
		}
		if time.Since(written) > time.Second {
			t.Fatalf("server %s not running (%t) or %s still running (%t) in HAProxy 1s after the EndpointSlice update", server, running, old, oldRunning)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("bystander's new endpoint running in HAProxy %s after the update", time.Since(written).Round(time.Millisecond))
	b.current = next
	c.allReach(httpRequest{addr: b.addr, host: "bystander.example.net"}, 4, b.pod(next))
}

// serverRunning reports whether some backend of the worker has server name running.
func serverRunning(statsSocket, name string) (bool, error) {
	servers, err := serversState(statsSocket)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(servers, func(s haproxy.ServerState) bool { return s.Name == name && s.Running }), nil
}

// serversState is every server of every backend the worker behind statsSocket has.
func serversState(statsSocket string) ([]haproxy.ServerState, error) {
	answer, err := haproxy.CLICommand(statsSocket, "show servers state")
	if err != nil {
		return nil, err
	}
	return haproxy.ParseServersState(answer)
}

// Object builders for the cases.

func httpListener(name string, port gatewayv1.PortNumber) gatewayv1.Listener {
	return gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: gatewayv1.HTTPProtocolType, Port: port}
}

// httpsListener terminates HTTPS for hostname (none: every name) with the Secret secret; with
// fromAll, routes of every namespace may attach.
func httpsListener(name, hostname, secret string, fromAll bool) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: gatewayv1.HTTPSProtocolType, Port: 443,
		TLS: &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: gatewayv1.ObjectName(secret)}}}}
	return withHostname(l, hostname, fromAll)
}

func passthroughListener(name, hostname string, fromAll bool) gatewayv1.Listener {
	mode := gatewayv1.TLSModePassthrough
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: gatewayv1.TLSProtocolType, Port: 443,
		TLS: &gatewayv1.ListenerTLSConfig{Mode: &mode}}
	return withHostname(l, hostname, fromAll)
}

func withHostname(l gatewayv1.Listener, hostname string, fromAll bool) gatewayv1.Listener {
	if hostname != "" {
		l.Hostname = ptrTo(gatewayv1.Hostname(hostname))
	}
	if fromAll {
		from := gatewayv1.NamespacesFromAll
		l.AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &from}}
	}
	return l
}

// parentRef names a Gateway in "default" (and a listener, unless section is empty) from a route
// in namespace.
func parentRef(namespace, gateway, section string) gatewayv1.ParentReference {
	p := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(gateway)}
	if namespace != "" && namespace != "default" {
		p.Namespace = ptrTo(gatewayv1.Namespace("default"))
	}
	if section != "" {
		p.SectionName = ptrTo(gatewayv1.SectionName(section))
	}
	return p
}

func httpRoute(namespace, name string, parent gatewayv1.ParentReference, hostnames []string, rules ...gatewayv1.HTTPRouteRule) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: objectMeta(namespace, name), Spec: gatewayv1.HTTPRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{parent}}, Rules: rules}}
	for _, h := range hostnames {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	return r
}

// rule sends requests carrying every header of headers (name, value) to backend.
func rule(backend gatewayv1.BackendRef, headers ...[2]string) gatewayv1.HTTPRouteRule {
	r := gatewayv1.HTTPRouteRule{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: backend}}}
	if len(headers) > 0 {
		m := gatewayv1.HTTPRouteMatch{}
		for _, h := range headers {
			m.Headers = append(m.Headers, gatewayv1.HTTPHeaderMatch{Name: gatewayv1.HTTPHeaderName(h[0]), Value: h[1]})
		}
		r.Matches = []gatewayv1.HTTPRouteMatch{m}
	}
	return r
}

func tlsRoute(namespace, name string, parent gatewayv1.ParentReference, hostname string, backend gatewayv1.BackendRef) *gatewayv1.TLSRoute {
	return &gatewayv1.TLSRoute{ObjectMeta: objectMeta(namespace, name), Spec: gatewayv1.TLSRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{parent}},
		Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(hostname)},
		Rules:           []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{backend}}},
	}}
}

// longName is a valid object name of 253 characters, the most Kubernetes allows: labels of 63
// characters starting with prefix.
func longName(prefix string) string {
	name := prefix + strings.Repeat("x", 63-len(prefix))
	for len(name) < 253 {
		name += "." + strings.Repeat("x", min(63, 253-len(name)-1))
	}
	return name
}

// shortName keeps long names out of test names and messages.
func shortName(name string) string {
	if len(name) > 24 {
		return fmt.Sprintf("%s...(%d characters)", name[:16], len(name))
	}
	return name
}
