package haproxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/freeport"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	pb "sigs.k8s.io/gateway-api-conformance-images/echo-basic/grpcechoserver"
)

// grpcPod answers Echo and EchoTwo with its name and the x-via header it received, over h2c.
type grpcPod struct {
	pb.UnimplementedGrpcEchoServer
	name string
}

func (p *grpcPod) Echo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return p.answer(ctx)
}

func (p *grpcPod) EchoTwo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return p.answer(ctx)
}

func (p *grpcPod) answer(ctx context.Context) (*pb.EchoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	a := &pb.Assertions{Context: &pb.Context{Pod: p.name}}
	for _, v := range md.Get("x-via") {
		a.Headers = append(a.Headers, &pb.Header{Key: "x-via", Value: v})
	}
	return &pb.EchoResponse{Assertions: a}, nil
}

// startGRPCPod serves a grpcPod named name on a free loopback port until the test ends.
func startGRPCPod(t *testing.T, name string) model.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterGrpcEchoServer(s, &grpcPod{name: name})
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	addr := l.Addr().(*net.TCPAddr)
	return model.Server{Service: name, Address: addr.IP.String(), Port: int32(addr.Port), Weight: 1, HTTP2: true}
}

// TestNoReloadGRPCRoutes drives a real HAProxy through a GRPCRoute's life on a plain HTTP port
// that an HTTPRoute already serves: the route added (a method to one backend, its service with a
// header match and a request header filter to another), a backendRef that cannot be used, the
// route deleted. After each step real gRPC calls (h2c with prior knowledge) go where the route
// says, HTTP/1.1 requests on the same port still reach the HTTPRoute, and the worker PID did not
// change.
func TestNoReloadGRPCRoutes(t *testing.T) {
	r := newRig(t)
	web := httpEcho(t, "web")
	a, b := startGRPCPod(t, "a"), startGRPCPod(t, "b")
	port := freeport.String(t)
	webID := model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: "web"}
	methodID := model.BackendID{Kind: "GRPCRoute", Namespace: "default", Name: "echo", Rule: 0}
	serviceID := model.BackendID{Kind: "GRPCRoute", Namespace: "default", Name: "echo", Rule: 1}
	const service = "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
	webBackend := model.Backend{ID: webID, HTTP: true, Servers: []model.Server{httpServer("web", web, 1)}}
	// plane serves web on web.example.com and, given backends for it, the GRPCRoute on
	// grpc.example.com.
	plane := func(grpcBackends ...*model.Backend) model.DataPlane {
		sock := model.Socket{Address: "127.0.0.1", Port: atoi32(port), Gateway: "default/gw", Protocol: model.SocketHTTP,
			Listeners: []model.ListenerClaim{{Listener: "http", Hostname: "*", Mode: model.ListenerHTTP}},
			VirtualHosts: []model.VirtualHost{{Hostname: "web.example.com", Listener: "http",
				Rules: []model.HTTPRule{{PathType: model.PathPrefix, Path: "/", Backend: webID}}}}}
		dp := model.DataPlane{Sockets: []model.Socket{sock}, Backends: []*model.Backend{&webBackend}}
		if len(grpcBackends) == 0 {
			return dp
		}
		dp.Sockets[0].VirtualHosts = append([]model.VirtualHost{{Hostname: "grpc.example.com", Listener: "http", Rules: []model.HTTPRule{
			{PathType: model.PathExact, Path: service + "/Echo", Backend: methodID},
			{PathType: model.PathPrefix, Path: service, Backend: serviceID, Headers: []model.HeaderMatch{{Name: "version", Value: "two"}},
				Filters: &model.HTTPFilters{RequestHeaders: &model.HeaderModifier{Set: []model.HeaderValue{{Name: "x-via", Value: "gateway"}}}}},
		}}}, dp.Sockets[0].VirtualHosts...)
		dp.Backends = append(grpcBackends, dp.Backends...)
		return dp
	}
	grpcBackend := func(id model.BackendID, servers ...model.Server) *model.Backend {
		return &model.Backend{ID: id, HTTP: true, GRPC: true, Servers: servers}
	}

	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority("grpc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := pb.NewGrpcEchoClient(conn)
	// call makes a gRPC call, EchoTwo when two is set, with the version header when given, and
	// checks its status code and, when it succeeds, the answering pod and the x-via it saw.
	call := func(step string, two bool, version string, code codes.Code, pod, via string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if version != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "version", version)
		}
		method := client.Echo
		if two {
			method = client.EchoTwo
		}
		res, err := method(ctx, &pb.EchoRequest{})
		if got := status.Code(err); got != code {
			t.Fatalf("%s: call (EchoTwo %v, version %q) ended %v (%v), want %v", step, two, version, got, err, code)
		}
		if code != codes.OK {
			return
		}
		gotVia := ""
		for _, h := range res.GetAssertions().GetHeaders() {
			gotVia = h.GetValue()
		}
		if gotPod := res.GetAssertions().GetContext().GetPod(); gotPod != pod || gotVia != via {
			t.Errorf("%s: answered by %q with x-via %q, want %q with %q", step, gotPod, gotVia, pod, via)
		}
	}
	// plainWeb checks that HTTP/1.1 requests on the port still reach the HTTPRoute.
	plainWeb := func(step string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/", nil)
		req.Host = "web.example.com"
		res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s: HTTP/1.1 request: %v", step, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.ProtoMajor != 1 || res.StatusCode != 200 || string(body) != "web" {
			t.Errorf("%s: HTTP/1.1 request answered %s %d %q", step, res.Proto, res.StatusCode, body)
		}
	}

	if res := r.apply(plane()); res.Err != nil {
		t.Fatalf("first configuration: %+v", res)
	}
	call("no GRPCRoute", false, "", codes.Unimplemented, "", "")
	plainWeb("no GRPCRoute")

	r.applyWithoutReload("GRPCRoute added", plane(grpcBackend(methodID, a), grpcBackend(serviceID, b)))
	call("GRPCRoute added", false, "", codes.OK, "a", "")
	call("GRPCRoute added", true, "two", codes.OK, "b", "gateway")
	call("GRPCRoute added", true, "one", codes.Unimplemented, "", "")
	plainWeb("GRPCRoute added")

	unresolved := grpcBackend(serviceID, model.Server{Unresolved: true, Weight: 1})
	unresolved.UnresolvedWeight = 1
	r.applyWithoutReload("a backendRef that cannot be used", plane(grpcBackend(methodID, a), unresolved))
	call("unusable backendRef", true, "two", codes.Unavailable, "", "")
	call("unusable backendRef", false, "", codes.OK, "a", "")

	r.applyWithoutReload("GRPCRoute deleted", plane())
	call("GRPCRoute deleted", false, "", codes.Unimplemented, "", "")
	plainWeb("GRPCRoute deleted")
}
