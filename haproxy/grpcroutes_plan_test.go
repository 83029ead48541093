package haproxy

import (
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// withGRPCRoute adds a GRPCRoute "name" to withHTTP's socket: one rule for a method (an exact
// path) with one server spoken to in HTTP/2, and, with unresolved set, a backendRef that could
// not be used beside it.
func withGRPCRoute(name, address string, unresolved bool) func(*model.DataPlane) {
	return func(dp *model.DataPlane) {
		id := model.BackendID{Kind: "GRPCRoute", Namespace: "default", Name: name}
		withHTTPRule(model.HTTPRule{PathType: model.PathExact, Path: "/echo.v1.Echo/Echo", Backend: id})(dp)
		b := model.Backend{ID: id, HTTP: true, GRPC: true,
			Servers: []model.Server{{Service: name, Address: address, Port: 3000, Weight: 1, HTTP2: true}}}
		if unresolved {
			b.UnresolvedWeight = 1
			b.Servers = append(b.Servers, model.Server{Unresolved: true, Weight: 1})
		}
		dp.Backends = append(dp.Backends, &b)
	}
}

// Plan tables for GRPCRoutes: their rules are HTTP rules on gRPC paths and their backends HTTP
// backends whose servers speak HTTP/2, so adding, changing and removing one is map entries and
// spare backends, as for HTTPRoutes, never a reload.
func TestPlanGRPCRoutes(t *testing.T) {
	routes, rules := httpMapPaths("/d", fileStem(plane(withHTTP()).Sockets[1]))
	runPlanCases(t, []planCase{
		{
			name: "a GRPCRoute added: a spare serves its backend over h2c, then the map entries for its method",
			from: plane(withHTTP("10.244.2.1")), to: plane(withHTTP("10.244.2.1"), withGRPCRoute("echo", "10.244.3.1", false)),
			commands: []string{
				"add server http-spare:0/grpcroute:default:echo:rule0:echo:10.244.3.1:3000:h2 10.244.3.1:3000 weight 1 proto h2",
				"set server http-spare:0/grpcroute:default:echo:rule0:echo:10.244.3.1:3000:h2 state ready",
				"add map /d/maps/http-backends.map grpcroute:default:echo:rule0 http-spare:0",
				"add map " + rules + " grpcroute:default:echo:rule0/0 b=grpcroute%3Adefault%3Aecho%3Arule0",
				"add map " + routes + " @web.example.com|E/echo.v1.Echo/Echo grpcroute:default:echo:rule0/0",
			},
		},
		{
			name: "a GRPCRoute with a backendRef that cannot be used: its share is answered 503 (UNAVAILABLE)",
			from: plane(withHTTP("10.244.2.1"), withGRPCRoute("echo", "10.244.3.1", false)),
			to:   plane(withHTTP("10.244.2.1"), withGRPCRoute("echo", "10.244.3.1", true)),
			commands: []string{
				"add server grpcroute:default:echo:rule0/unresolved-backendrefs unix@/r/http-503.sock weight 1",
				"set server grpcroute:default:echo:rule0/unresolved-backendrefs state ready",
			},
		},
		{
			name: "a GRPCRoute removed: the map entries go, then its servers",
			from: plane(withHTTP("10.244.2.1"), withGRPCRoute("echo", "10.244.3.1", false)), to: plane(withHTTP("10.244.2.1")),
			commands: []string{
				"del map " + routes + " @web.example.com|E/echo.v1.Echo/Echo",
				"del map " + rules + " grpcroute:default:echo:rule0/0",
				"del map /d/maps/http-backends.map grpcroute:default:echo:rule0",
				"set server grpcroute:default:echo:rule0/echo:10.244.3.1:3000:h2 state maint",
				"shutdown sessions server grpcroute:default:echo:rule0/echo:10.244.3.1:3000:h2",
				"del server grpcroute:default:echo:rule0/echo:10.244.3.1:3000:h2",
			},
		},
	})
}
