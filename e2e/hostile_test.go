package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/translate"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestHostileTenants is one shared gateway (a real API server, the controller binary and its
// HAProxy) facing what a hostile tenant may write. Each case creates its own objects and checks
// that the object gets a condition naming the problem, or is served when HAProxy can take it as
// written; that owners of hostnames keep all their traffic; and, after it, that an EndpointSlice
// change on the bystander Gateway is running in HAProxy within a second. At the end, nothing may
// have reached HAProxy that it refused: every input was caught before it.
func TestHostileTenants(t *testing.T) {
	shared := newSharedGateway(t)
	for i, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(shared.forCase(t, i+1))
			if !t.Failed() {
				shared.bystander.follows(t)
			}
		})
	}
	e := shared.env
	for _, sample := range []string{"haproxy_gateway_refused_objects", "haproxy_gateway_apply_failures_total", "haproxy_gateway_runtime_failures_total"} {
		if v := e.metric(sample); v != 0 {
			t.Errorf("%s = %v: a hostile input reached HAProxy", sample, v)
		}
	}
	if strings.Contains(e.logs.String(), "HAProxy refused this object's configuration") {
		t.Error("HAProxy refused a configuration: a hostile input was not caught before it")
	}
}

var hostileCases = []struct {
	name string
	run  func(c *tenantCase)
}{
	// Header matches are compared in hex: HAProxy never reads a value as a flag or a brace.
	{"header value starting with a dash", func(c *tenantCase) {
		c.headerMatchServed("hdr-dash", "x-version", "-1")
	}},
	{"header value holding braces", func(c *tenantCase) {
		c.headerMatchServed("hdr-braces", "x-template", "}{ {x}")
	}},
	{"header name holding a hash", func(c *tenantCase) {
		c.headerMatchServed("hdr-hash", "x#tenant", "a")
	}},
	{"header name holding a single quote", func(c *tenantCase) {
		c.headerMatchServed("hdr-quote", "x'tenant", "a'b")
	}},
	{"header values that are HAProxy flags", func(c *tenantCase) {
		addr := c.gateway("hdr-flags", httpListener("web", 80)) + ":80"
		values := []string{"-i", "--", "-n"}
		var rules []gatewayv1.HTTPRouteRule
		for i, v := range values {
			rules = append(rules, rule(c.httpBackend("default", fmt.Sprintf("hdr-flags-%d", i)), [2]string{"x-flag", v}))
		}
		route := httpRoute("default", "hdr-flags", parentRef("", "hdr-flags", ""), nil, rules...)
		c.create(route)
		c.waitRoute(route, "Accepted", metav1.ConditionTrue, "Accepted")
		for i, v := range values {
			c.reaches(httpRequest{addr: addr, host: "a.example.com", headers: [][2]string{{"x-flag", v}}}, fmt.Sprintf("hdr-flags-%d", i))
		}
		// "-i" as a flag would make the match case-insensitive and "--" would match nothing.
		for _, v := range []string{"-I", "-", "-x", "i", "n"} {
			c.answers(httpRequest{addr: addr, host: "a.example.com", headers: [][2]string{{"x-flag", v}}}, http.StatusNotFound)
		}
	}},
	// The API server takes a header value of any bytes; a request cannot carry a new line.
	{"header value holding a new line", func(c *tenantCase) {
		addr := c.gateway("hdr-newline", httpListener("web", 80)) + ":80"
		route := httpRoute("default", "hdr-newline", parentRef("", "hdr-newline", ""), nil,
			rule(c.httpBackend("default", "hdr-newline"), [2]string{"x-a", "a\nhttp-request deny"}))
		c.create(route)
		c.waitRoute(route, "Accepted", metav1.ConditionFalse, "UnsupportedValue", `"x-a"`, "header value", "control characters")
		c.answers(httpRequest{addr: addr, host: "a.example.com", headers: [][2]string{{"x-a", "a"}}}, http.StatusNotFound)
	}},
	{"RSA-1024 certificate", func(c *tenantCase) {
		weak, err := testtls.NewRSA1024("weak.example.com")
		if err != nil {
			c.t.Fatal(err)
		}
		c.tlsSecret("weak-rsa", weak)
		addr := c.certificateRefServed("weak-cert", "weak-rsa")
		c.waitListener("weak-cert", "broken", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef", "1024")
		c.waitListener("weak-cert", "broken", "Programmed", metav1.ConditionFalse, "Invalid")
		if err := probe.Rejected(addr, "broken.example.com"); err != nil {
			c.t.Errorf("the weak certificate's name: %v", err)
		}
	}},
	// CRDs let a certificateRef name any string up to 253 characters.
	{"certificateRef name with a path", func(c *tenantCase) {
		addr := c.certificateRefServed("path-cert", "../../etc/x")
		c.waitListener("path-cert", "broken", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef", `"../../etc/x"`)
		if err := probe.Rejected(addr, "broken.example.com"); err != nil {
			c.t.Errorf("the path's listener name: %v", err)
		}
	}},
	// File and socket names are hashes, so the longest names Kubernetes allows are served.
	{"253-character Gateway name", func(c *tenantCase) {
		name := longName("gateway")
		c.tlsSecret("long-gateway", certFor(c, "long.example.com"))
		address := c.gateway(name, httpListener("web", 80), httpsListener("https", "long.example.com", "long-gateway", false))
		route := httpRoute("default", "long-gateway", parentRef("", name, ""), nil, rule(c.httpBackend("default", "long-gateway")))
		c.create(route)
		c.waitRoute(route, "Accepted", metav1.ConditionTrue, "Accepted")
		c.reaches(httpRequest{addr: address + ":80", host: "a.example.com"}, "long-gateway")
		c.reaches(httpRequest{addr: address + ":443", sni: "long.example.com", host: "long.example.com"}, "long-gateway")
	}},
	// In address mode "service" (the Helm chart's) a Gateway's name also names its Service and
	// labels it, where Kubernetes allows fewer characters and no dots.
	{"253-character Gateway name in address mode service", func(c *tenantCase) {
		const class, controllerName, bindAddress = "service-mode", "haproxy-gateway.io/service-mode", "127.0.0.4"
		c.create(&corev1.Namespace{ObjectMeta: objectMeta("", proxyNamespace)},
			&gatewayv1.GatewayClass{ObjectMeta: objectMeta("", class), Spec: gatewayv1.GatewayClassSpec{ControllerName: controllerName}})
		c.runControllerWith(controllerOptions{}, "-kubeconfig", c.cluster.Kubeconfig, "-controller-name", controllerName,
			"-address-mode=service", "-service-type=ClusterIP", "-service-namespace="+proxyNamespace,
			"-service-selector=app.kubernetes.io/name=haproxy-gateway", "-service-bind-address="+bindAddress)
		name := longName("service")
		c.create(&gatewayv1.Gateway{ObjectMeta: objectMeta("default", name),
			Spec: gatewayv1.GatewaySpec{GatewayClassName: class, Listeners: []gatewayv1.Listener{httpListener("web", 80)}}},
			httpRoute("default", "service-mode", parentRef("", name, ""), nil, rule(c.httpBackend("default", "service-mode"))))
		c.gatewayAddress(name)
		var svc corev1.Service
		if err := c.client.Get(context.Background(), client.ObjectKey{Namespace: proxyNamespace, Name: translate.ServiceName("default", name)}, &svc); err != nil {
			c.t.Fatalf("the Gateway's Service: %v", err)
		}
		c.reaches(httpRequest{addr: net.JoinHostPort(bindAddress, fmt.Sprint(svc.Spec.Ports[0].TargetPort.IntVal)), host: "a.example.com"}, "service-mode")
	}},
	{"253-character Secret name", func(c *tenantCase) {
		secret := longName("secret")
		pair := certFor(c, "long-secret.example.com")
		c.tlsSecret(secret, pair)
		address := c.gateway("long-secret", httpsListener("https", "long-secret.example.com", secret, false))
		c.waitListener("long-secret", "https", "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs")
		route := httpRoute("default", "long-secret", parentRef("", "long-secret", ""), nil, rule(c.httpBackend("default", "long-secret")))
		c.create(route)
		request := httpRequest{addr: address + ":443", sni: "long-secret.example.com", host: "long-secret.example.com"}
		c.reaches(request, "long-secret")
		if a, err := request.send(); err != nil || a.serial != pair.Serial.Text(16) {
			c.t.Errorf("certificate presented: serial %s, %v; want the Secret's %s", a.serial, err, pair.Serial.Text(16))
		}
	}},
	// In pool mode the controller refuses to start with its metrics or stats page on every address
	// or on a pool address (TestCheckListenFlags; TestControllerRefusesSharedListenAddresses), so a
	// listener on their port numbers binds the Gateway's own address and collides with nothing:
	// it is served, and the controller's endpoints still answer on theirs.
	{"listeners on the port numbers of the controller's own endpoints", func(c *tenantCase) {
		ctl := c.shared.controller
		metricsPort, statsPort := portOf(c, ctl.MetricsAddress), portOf(c, ctl.StatsAddress)
		address := c.gateway("own-ports", httpListener("web", 80), httpListener("metrics", metricsPort), httpListener("stats", statsPort))
		c.waitListener("own-ports", "metrics", "Programmed", metav1.ConditionTrue, "Programmed")
		route := httpRoute("default", "own-ports", parentRef("", "own-ports", ""), nil, rule(c.httpBackend("default", "own-ports")))
		c.create(route)
		c.reaches(httpRequest{addr: address + ":80", host: "a.example.com"}, "own-ports")
		c.reaches(httpRequest{addr: net.JoinHostPort(address, fmt.Sprint(metricsPort)), host: "a.example.com"}, "own-ports")
		if _, err := scrape(ctl.MetricsAddress, "haproxy_gateway_leader"); err != nil {
			c.t.Errorf("the controller's metrics on %s: %v", ctl.MetricsAddress, err)
		}
	}},
	{"HTTPS hostname takeover", func(c *tenantCase) {
		address := c.ownerAndTenantHTTPS("https-takeover")
		takeover := httpRoute(tenantNamespace, "https-takeover", parentRef(tenantNamespace, "https-takeover", "tenants"), []string{"secure.example.com"},
			rule(c.httpBackend(tenantNamespace, "https-takeover-tenant")))
		c.create(takeover)
		c.waitRoute(takeover, "Accepted", metav1.ConditionFalse, "NoMatchingListenerHostname", "secure.example.com", "listener secure")
		for _, http2 := range []bool{false, true} {
			c.allReach(httpRequest{addr: address, sni: "secure.example.com", host: "secure.example.com", http2: http2}, 20, "https-takeover-owner")
		}
	}},
	{"TLS hostname takeover", func(c *tenantCase) {
		address := c.gateway("tls-takeover", passthroughListener("bank", "bank.tls.example.com", false),
			passthroughListener("tenants", "*.tls.example.com", true)) + ":443"
		owner := tlsRoute("default", "bank", parentRef("", "tls-takeover", "bank"), "bank.tls.example.com",
			c.tlsBackend("default", "tls-takeover-owner", "bank.tls.example.com"))
		c.create(owner)
		c.waitRoute(owner, "Accepted", metav1.ConditionTrue, "Accepted")
		takeover := tlsRoute(tenantNamespace, "bank", parentRef(tenantNamespace, "tls-takeover", "tenants"), "bank.tls.example.com",
			c.tlsBackend(tenantNamespace, "tls-takeover-tenant", "bank.tls.example.com"))
		c.create(takeover)
		c.waitRoute(takeover, "Accepted", metav1.ConditionFalse, "NoMatchingListenerHostname", "bank.tls.example.com", "listener bank")
		c.allConnect(address, "bank.tls.example.com", 20, "tls-takeover-owner")
	}},
	// Two routes of one listener ask for one name: the older keeps it. The newer one's name
	// sorts first, so age decides, not the tie-break on names.
	{"two TLSRoutes on one hostname", func(c *tenantCase) {
		address := c.gateway("tls-conflict", passthroughListener("tenants", "*.tls.example.com", true)) + ":443"
		older := tlsRoute(tenantNamespace, "z-older", parentRef(tenantNamespace, "tls-conflict", ""), "app.tls.example.com",
			c.tlsBackend(tenantNamespace, "tls-conflict-older", "app.tls.example.com"))
		c.create(older)
		c.waitRoute(older, "Accepted", metav1.ConditionTrue, "Accepted")
		c.allConnect(address, "app.tls.example.com", 1, "tls-conflict-older")
		// creationTimestamp has seconds: wait for the next one.
		time.Sleep(time.Until(older.CreationTimestamp.Add(time.Second)))
		newer := tlsRoute(tenantNamespace, "a-newer", parentRef(tenantNamespace, "tls-conflict", ""), "app.tls.example.com",
			c.tlsBackend(tenantNamespace, "tls-conflict-newer", "app.tls.example.com"))
		c.create(newer)
		c.waitRoute(newer, "Accepted", metav1.ConditionFalse, "HostnameConflict", "app.tls.example.com", "tenant/z-older")
		c.waitRoute(older, "Accepted", metav1.ConditionTrue, "Accepted")
		c.allConnect(address, "app.tls.example.com", 20, "tls-conflict-older")
	}},
	{"misdirected HTTPS request", func(c *tenantCase) {
		address := c.ownerAndTenantHTTPS("misdirected")
		tenant := httpRoute(tenantNamespace, "misdirected", parentRef(tenantNamespace, "misdirected", "tenants"), []string{"a.example.com"},
			rule(c.httpBackend(tenantNamespace, "misdirected-tenant")))
		c.create(tenant)
		c.waitRoute(tenant, "Accepted", metav1.ConditionTrue, "Accepted")
		for _, http2 := range []bool{false, true} {
			c.reaches(httpRequest{addr: address, sni: "a.example.com", host: "a.example.com", http2: http2}, "misdirected-tenant")
			// A connection made for the tenant's name must not carry requests to the owner's.
			c.answers(httpRequest{addr: address, sni: "a.example.com", host: "secure.example.com", http2: http2}, http.StatusMisdirectedRequest)
			c.answers(httpRequest{addr: address, sni: "secure.example.com", host: "a.example.com", http2: http2}, http.StatusMisdirectedRequest)
		}
	}},
	// In pool mode a Gateway may ask for its address; asking for one another Gateway runs on must
	// not move that Gateway's clients to the asking one.
	{"Gateway asking for another Gateway's address", func(c *tenantCase) {
		victim := strings.TrimSuffix(c.shared.bystander.addr, ":80")
		taker := &gatewayv1.Gateway{ObjectMeta: objectMeta(tenantNamespace, "address-taker"), Spec: gatewayv1.GatewaySpec{
			GatewayClassName: tenantClass, Listeners: []gatewayv1.Listener{httpListener("web", 80)},
			Addresses: []gatewayv1.GatewaySpecAddress{{Type: ptrTo(gatewayv1.IPAddressType), Value: victim}}}}
		c.create(taker, httpRoute(tenantNamespace, "address-taker", parentRef("", "address-taker", ""), nil,
			rule(c.httpBackend(tenantNamespace, "address-taker"))))
		c.eventually("address-taker Programmed=False AddressNotAssigned", 30*time.Second, func() error {
			var gw gatewayv1.Gateway
			if err := c.client.Get(context.Background(), client.ObjectKeyFromObject(taker), &gw); err != nil {
				return err
			}
			return conditionIs(gw.Status.Conditions, gw.Generation, "Programmed", metav1.ConditionFalse, "AddressNotAssigned", victim, "used by another Gateway")
		})
		if got := c.gatewayAddress(bystanderName); got != victim {
			c.t.Errorf("the bystander moved from %s to %s", victim, got)
		}
		c.allReach(httpRequest{addr: c.shared.bystander.addr, host: "a.example.com"}, 10, c.shared.bystander.pod(c.shared.bystander.current))
	}},
	// What the CRDs' schemas refuse never reaches the controller in a cluster; standalone YAML
	// is checked against the same schemas (TestHostileStandaloneFiles).
	{"inputs the API server refuses", func(c *tenantCase) {
		backend := backendRef("refused", 8080)
		parent := parentRef("", bystanderName, "")
		method := httpRoute("default", "refused-method", parent, nil, rule(backend))
		method.Spec.Rules[0].Matches = []gatewayv1.HTTPRouteMatch{{Method: ptrTo(gatewayv1.HTTPMethod("GET }\nprogram x"))}}
		path := httpRoute("default", "refused-path", parent, nil, rule(backend))
		path.Spec.Rules[0].Matches = []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{
			Type: ptrTo(gatewayv1.PathMatchPathPrefix), Value: ptrTo("/a }\n")}}}
		for _, refused := range []struct {
			object client.Object
			field  string
		}{
			{method, "spec.rules[0].matches[0].method"},
			{path, "spec.rules[0].matches[0].path"},
			{httpRoute("default", "refused-header", parent, nil, rule(backend, [2]string{"x-a\nx-b", "v"})), "spec.rules[0].matches[0].headers[0].name"},
			{httpRoute("default", "refused-newline", parent, []string{"a.example.com\nb.example.com"}, rule(backend)), "spec.hostnames[0]"},
			{httpRoute("default", "refused-semicolon", parent, []string{"a.example.com;shutdown frontend x"}, rule(backend)), "spec.hostnames[0]"},
			{tlsRoute("default", "refused-semicolon", parent, "a.example.com;del map x", backend), "spec.hostnames[0]"},
			{&gatewayv1.Gateway{ObjectMeta: objectMeta("default", "../../x"), Spec: gatewayv1.GatewaySpec{
				GatewayClassName: tenantClass, Listeners: []gatewayv1.Listener{httpListener("web", 80)}}}, "metadata.name"},
			{&gatewayv1.Gateway{ObjectMeta: objectMeta("default", "refused-listener"), Spec: gatewayv1.GatewaySpec{
				GatewayClassName: tenantClass, Listeners: []gatewayv1.Listener{withHostname(httpListener("web", 80), "a.example.com\nb", false)}}},
				"spec.listeners[0].hostname"},
		} {
			o := refused.object
			err := c.client.Create(context.Background(), o)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), refused.field) {
				c.t.Errorf("%T %q: created with error %v, want Invalid naming %s", o, o.GetName(), err, refused.field)
			}
		}
	}},
}

// headerMatchServed runs a Gateway whose only route matches header name with value, and checks
// that exactly that header reaches the route's backend.
func (c *tenantCase) headerMatchServed(name, header, value string) {
	c.t.Helper()
	addr := c.gateway(name, httpListener("web", 80)) + ":80"
	route := httpRoute("default", name, parentRef("", name, ""), nil, rule(c.httpBackend("default", name), [2]string{header, value}))
	c.create(route)
	c.waitRoute(route, "Accepted", metav1.ConditionTrue, "Accepted")
	c.reaches(httpRequest{addr: addr, host: "a.example.com", headers: [][2]string{{header, value}}}, name)
	others := [][2]string{{header, value + "x"}, {"x-other", value}}
	if v, ok := strings.CutPrefix(value, "-"); ok {
		// A leading "-" read as a flag would leave the rest to compare.
		others = append(others, [2]string{header, v})
	}
	for _, other := range others {
		c.answers(httpRequest{addr: addr, host: "a.example.com", headers: [][2]string{other}}, http.StatusNotFound)
	}
	c.answers(httpRequest{addr: addr, host: "a.example.com"}, http.StatusNotFound)
}

// certificateRefServed runs a Gateway with an HTTPS listener "broken" whose certificateRef is
// secret and a listener "good" with a valid certificate, checks that the good one serves its
// route, and returns the Gateway's HTTPS address.
func (c *tenantCase) certificateRefServed(gateway, secret string) string {
	c.t.Helper()
	c.tlsSecret(gateway+"-good", certFor(c, "good.example.com"))
	address := c.gateway(gateway, httpsListener("good", "good.example.com", gateway+"-good", false),
		httpsListener("broken", "broken.example.com", secret, false)) + ":443"
	route := httpRoute("default", gateway, parentRef("", gateway, ""), nil, rule(c.httpBackend("default", gateway)))
	c.create(route)
	c.reaches(httpRequest{addr: address, sni: "good.example.com", host: "good.example.com"}, gateway)
	return address
}

// ownerAndTenantHTTPS runs a Gateway with the owner's HTTPS listener "secure" for
// secure.example.com and the tenants' "tenants" for *.example.com (routes from every namespace),
// one certificate for both, and the owner's route on secure.example.com; it returns the Gateway's
// HTTPS address once the owner is served.
func (c *tenantCase) ownerAndTenantHTTPS(gateway string) string {
	c.t.Helper()
	c.tlsSecret(gateway, certFor(c, "secure.example.com", "*.example.com"))
	address := c.gateway(gateway, httpsListener("secure", "secure.example.com", gateway, false),
		httpsListener("tenants", "*.example.com", gateway, true)) + ":443"
	owner := httpRoute("default", gateway, parentRef("", gateway, "secure"), []string{"secure.example.com"},
		rule(c.httpBackend("default", gateway+"-owner")))
	c.create(owner)
	c.waitRoute(owner, "Accepted", metav1.ConditionTrue, "Accepted")
	c.reaches(httpRequest{addr: address, sni: "secure.example.com", host: "secure.example.com"}, gateway+"-owner")
	return address
}

// allConnect opens n TLS connections with server name sni and checks every one reached backend.
func (c *tenantCase) allConnect(addr, sni string, n int, backend string) {
	c.t.Helper()
	want := echo.Greeting(backend, true, sni)
	if n == 1 {
		c.eventually(sni+" reaches "+backend, 30*time.Second, func() error {
			a, err := probe.TLS(addr, sni)
			if err == nil && a.Greeting != want {
				err = fmt.Errorf("answered %q", a.Greeting)
			}
			return err
		})
		return
	}
	seen := map[string]int{}
	for range n {
		a, err := probe.TLS(addr, sni)
		if err != nil {
			c.t.Fatalf("%s on %s: %v", sni, addr, err)
		}
		seen[a.Greeting]++
	}
	if seen[want] != n {
		c.t.Errorf("%s: %d connections reached %v, want all %q", sni, n, seen, want)
	}
}

func certFor(c *tenantCase, names ...string) testtls.Pair {
	pair, err := testtls.New(names...)
	if err != nil {
		c.t.Fatal(err)
	}
	return pair
}

func portOf(c *tenantCase, address string) gatewayv1.PortNumber {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		c.t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		c.t.Fatal(err)
	}
	return gatewayv1.PortNumber(p)
}
