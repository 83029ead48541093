package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestTLSRouteChangesNeedNoRebuild: TLSRoutes created, taking a hostname over from a deleted one,
// and changed, each reach HAProxy and status through the route update, with no rebuild of
// everything: the conflict between two routes on one hostname is decided as a full build decides
// it, and traffic and conditions follow each step.
func TestTLSRouteChangesNeedNoRebuild(t *testing.T) {
	e := newEnv(t)
	served := e.serveExample()
	passthrough := served.passthrough
	const updates, rebuilds = "haproxy_gateway_route_updates_total", `haproxy_gateway_rebuilds_total{cause="TLSRoute"}`
	updatesBefore, rebuildsBefore := e.metric(updates), e.metric(rebuilds)

	baz := examplePassthroughRoute("baz-route", "baz.example.com")
	e.create(baz)
	e.eventually("baz.example.com routable", 10*time.Second, func() error {
		return answersFrom(passthrough, "baz.example.com", "foo-1")
	})

	// creationTimestamp has seconds: the next one makes the new route the newer one.
	time.Sleep(time.Until(baz.CreationTimestamp.Add(time.Second)))
	taker := examplePassthroughRoute("a-taker", "foo.example.com")
	e.create(taker)
	e.waitTLSRoute(taker, metav1.ConditionFalse, "HostnameConflict", "foo.example.com", "default/foo-route")
	e.waitTLSRoute(&gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "foo-route")}, metav1.ConditionTrue, "Accepted")

	if err := e.client.Delete(context.Background(), &gatewayv1.TLSRoute{ObjectMeta: objectMeta("default", "foo-route")}); err != nil {
		t.Fatal(err)
	}
	e.waitTLSRoute(taker, metav1.ConditionTrue, "Accepted")
	e.eventually("foo.example.com served by a-taker", 10*time.Second, func() error {
		return answersFrom(passthrough, "foo.example.com", "foo-1")
	})

	e.modify(baz, func() { baz.Spec.Hostnames = []gatewayv1.Hostname{"qux.example.com"} })
	e.eventually("qux.example.com routable and baz.example.com refused", 10*time.Second, func() error {
		if err := answersFrom(passthrough, "qux.example.com", "foo-1"); err != nil {
			return err
		}
		return probe.Rejected(passthrough, "baz.example.com")
	})

	// Four changes of TLSRoutes alone: created, created, deleted, changed. A pass counts once it
	// ends, which may be a moment after traffic follows it.
	e.eventually("four route updates without a rebuild", 10*time.Second, func() error {
		if got, rebuilt := e.metric(updates)-updatesBefore, e.metric(rebuilds)-rebuildsBefore; got < 4 || rebuilt != 0 {
			return fmt.Errorf("the four TLSRoute changes made %v route updates and %v rebuilds; want at least 4 and none", got, rebuilt)
		}
		return nil
	})
}

// waitTLSRoute waits until the route's Accepted condition under its one parent has status and
// reason, with a message holding words.
func (e *env) waitTLSRoute(route *gatewayv1.TLSRoute, status metav1.ConditionStatus, reason string, words ...string) {
	e.t.Helper()
	e.eventually("TLSRoute "+route.Name+" Accepted="+string(status)+" "+reason, 20*time.Second, func() error {
		var now gatewayv1.TLSRoute
		if err := e.client.Get(context.Background(), client.ObjectKeyFromObject(route), &now); err != nil {
			return err
		}
		if len(now.Status.Parents) != 1 {
			return fmt.Errorf("parents %v", now.Status.Parents)
		}
		return conditionIs(now.Status.Parents[0].Conditions, now.Generation, "Accepted", status, reason, words...)
	})
}

// TestHTTPRouteChangesNeedNoRebuild: on a Gateway already serving an HTTPRoute, an HTTPRoute
// created, moved to another backend, given another hostname and deleted reaches HAProxy through
// the route update each time, with no rebuild of everything, and traffic follows each step.
func TestHTTPRouteChangesNeedNoRebuild(t *testing.T) {
	s := newSharedGateway(t)
	c := s.forCase(t, 1)
	one, two := c.httpBackend("default", "one"), c.httpBackend("default", "two")
	addr := c.gateway("routes", httpListener("web", 80)) + ":80"
	parent := parentRef("", "routes", "")
	// A route naming both Services first: a route naming a Service no route named is a rebuild.
	c.create(httpRoute("default", "first", parent, []string{"first.example.com"}, rule(one), rule(two, [2]string{"x-to", "two"})))
	c.reaches(httpRequest{addr: addr, host: "first.example.com"}, "one")
	c.reaches(httpRequest{addr: addr, host: "first.example.com", headers: [][2]string{{"x-to", "two"}}}, "two")

	const updates, rebuilds = "haproxy_gateway_http_route_updates_total", `haproxy_gateway_rebuilds_total{cause="HTTPRoute"}`
	updatesBefore, rebuildsBefore := c.metric(updates), c.metric(rebuilds)

	second := httpRoute("default", "second", parent, []string{"second.example.com"}, rule(one))
	c.create(second)
	c.reaches(httpRequest{addr: addr, host: "second.example.com"}, "one")

	c.modify(second, func() { second.Spec.Rules = []gatewayv1.HTTPRouteRule{rule(two)} })
	c.reaches(httpRequest{addr: addr, host: "second.example.com"}, "two")

	c.modify(second, func() { second.Spec.Hostnames = []gatewayv1.Hostname{"third.example.com"} })
	c.reaches(httpRequest{addr: addr, host: "third.example.com"}, "two")
	c.eventually("second.example.com no longer routed", 10*time.Second, func() error {
		a, err := httpRequest{addr: addr, host: "second.example.com"}.send()
		if err != nil {
			return err
		}
		if a.status != 404 {
			return fmt.Errorf("answered %d by %q", a.status, a.pod)
		}
		return nil
	})

	if err := c.client.Delete(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	c.eventually("third.example.com no longer routed", 10*time.Second, func() error {
		a, err := httpRequest{addr: addr, host: "third.example.com"}.send()
		if err != nil {
			return err
		}
		if a.status != 404 {
			return fmt.Errorf("answered %d by %q", a.status, a.pod)
		}
		return nil
	})
	c.reaches(httpRequest{addr: addr, host: "first.example.com"}, "one")

	// Four changes of HTTPRoutes alone: created, changed twice, deleted. The counter moves when a
	// pass has handed its statuses on, which may be just after its traffic is served.
	c.eventually("four HTTP route updates and no rebuild", 5*time.Second, func() error {
		if got, rebuilt := c.metric(updates)-updatesBefore, c.metric(rebuilds)-rebuildsBefore; got < 4 || rebuilt != 0 {
			return fmt.Errorf("the four HTTPRoute changes made %v HTTP route updates and %v rebuilds; want at least 4 and none", got, rebuilt)
		}
		return nil
	})
}
