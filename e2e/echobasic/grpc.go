package echobasic

import (
	"context"
	"crypto/tls"
	"errors"
	"maps"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	pb "sigs.k8s.io/gateway-api-conformance-images/echo-basic/grpcechoserver"
)

// grpcEcho answers the suite's GrpcEcho service: Echo and EchoTwo describe the call they received
// (method, metadata, authority, pod, TLS); EchoThree stays unimplemented, which
// GRPCExactMethodMatching expects to come back as Unimplemented.
type grpcEcho struct {
	pb.UnimplementedGrpcEchoServer
	context *pb.Context
	tls     bool
}

// startGRPC serves gRPC over h2c on HTTP_PORT (3000) and, when TLS_SERVER_CERT and
// TLS_SERVER_PRIV_KEY are set, over TLS on HTTPS_PORT (8443). The key variable is spelled as in
// the TCP echo, not as in the HTTP echo, because that is what the image's gRPC mode reads.
func (s *Server) startGRPC(ips []string, pod Pod) error {
	id := pod.identity()
	podContext := &pb.Context{Namespace: id.Namespace, Ingress: id.Ingress, ServiceName: id.Service, Pod: id.Pod}
	cert, err := pod.keyPair("TLS_SERVER_CERT", "TLS_SERVER_PRIV_KEY")
	if err != nil {
		return err
	}
	plain := grpc.NewServer()
	pb.RegisterGrpcEchoServer(plain, &grpcEcho{context: podContext})
	if err := s.serveGRPC(plain, ips, pod.port("HTTP_PORT", "3000")); err != nil {
		return err
	}
	if cert == nil {
		return nil
	}
	secure := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}})))
	pb.RegisterGrpcEchoServer(secure, &grpcEcho{context: podContext, tls: true})
	return s.serveGRPC(secure, ips, pod.port("HTTPS_PORT", "8443"))
}

// serveGRPC runs g on port of every address in ips until Close stops it.
func (s *Server) serveGRPC(g *grpc.Server, ips []string, port string) error {
	s.grpcServers = append(s.grpcServers, g)
	for _, ip := range ips {
		l, err := listen(ip, port)
		if err != nil {
			return err
		}
		s.Addrs = append(s.Addrs, l.Addr().String())
		go func() { _ = g.Serve(l) }()
	}
	return nil
}

func (e *grpcEcho) Echo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return e.answer(ctx, pb.GrpcEcho_Echo_FullMethodName)
}

func (e *grpcEcho) EchoTwo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return e.answer(ctx, pb.GrpcEcho_EchoTwo_FullMethodName)
}

// answer reports every metadata value as one header (pseudo-headers such as :authority included,
// as the image does), sorted so equal calls get equal answers.
func (e *grpcEcho) answer(ctx context.Context, method string) (*pb.EchoResponse, error) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return nil, errors.New("no metadata in the incoming call")
	}
	a := &pb.Assertions{FullyQualifiedMethod: method, Context: e.context}
	for _, key := range slices.Sorted(maps.Keys(md)) {
		for _, v := range md[key] {
			a.Headers = append(a.Headers, &pb.Header{Key: key, Value: v})
		}
	}
	if v := md.Get(":authority"); len(v) > 0 {
		a.Authority = v[0]
	}
	if e.tls {
		p, ok := peer.FromContext(ctx)
		if !ok {
			return nil, errors.New("no peer in the incoming call")
		}
		info, ok := p.AuthInfo.(credentials.TLSInfo)
		if !ok {
			return nil, errors.New("no TLS state in the incoming call")
		}
		a.TlsAssertions = grpcTLS(info.State)
	}
	return &pb.EchoResponse{Assertions: a}, nil
}

// grpcTLS describes a TLS connection the way the HTTP echo's "tls" object does.
func grpcTLS(cs tls.ConnectionState) *pb.TLSAssertions {
	info := httpTLS(&cs)
	return &pb.TLSAssertions{
		Version:            info.Version,
		NegotiatedProtocol: info.NegotiatedProtocol,
		ServerName:         info.ServerName,
		CipherSuite:        info.CipherSuite,
		PeerCertificates:   info.PeerCertificates,
	}
}
