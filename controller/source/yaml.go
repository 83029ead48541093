package source

import (
	"bufio"
	"bytes"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
)

func bufioReader(raw []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(raw)) }

// stripComments drops comment lines, to tell a document of only comments from a real one.
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

// setGenerations gives objects read from files generation 1, where an API server would have set
// it, so that observedGeneration in the status reads as current.
func setGenerations(s *snapshot.Snapshot) {
	for i := range s.GatewayClasses {
		s.GatewayClasses[i].Generation = max(s.GatewayClasses[i].Generation, 1)
	}
	for i := range s.Gateways {
		s.Gateways[i].Generation = max(s.Gateways[i].Generation, 1)
	}
	for i := range s.TLSRoutes {
		s.TLSRoutes[i].Generation = max(s.TLSRoutes[i].Generation, 1)
	}
	for i := range s.HTTPRoutes {
		s.HTTPRoutes[i].Generation = max(s.HTTPRoutes[i].Generation, 1)
	}
	for i := range s.GRPCRoutes {
		s.GRPCRoutes[i].Generation = max(s.GRPCRoutes[i].Generation, 1)
	}
}
