package haproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// Names on the stats page let a person find the Kubernetes object behind each line. Kubernetes
// names never contain ':' or '_', so these names are unambiguous.

func backendName(id model.BackendID) string {
	return fmt.Sprintf("%s:%s:%s:rule%d", strings.ToLower(id.Kind), id.Namespace, id.Name, id.Rule)
}

// spareName cannot be a route backend's name: those have four parts.
func spareName(i int) string {
	return fmt.Sprintf("spare:%d", i)
}

func serverName(s model.Server) string {
	return fmt.Sprintf("%s:%s:%d", s.Service, s.Address, s.Port)
}

func socketID(s model.Socket) string {
	return fmt.Sprintf("%s:%d", s.Gateway, s.Port)
}

// fileStem is a socket's name in file names: namespace_name_port.
func fileStem(s model.Socket) string {
	return fmt.Sprintf("%s_%d", underscoreSlash(s.Gateway), s.Port)
}

// terminateSocketPath is short on purpose: unix socket paths are limited to 107 bytes.
func terminateSocketPath(runDir string, s model.Socket) string {
	sum := sha256.Sum256([]byte(socketID(s)))
	return runDir + "/t" + hex.EncodeToString(sum[:6]) + ".sock"
}

// httpsSocketPath is where a socket's HTTPS names are terminated; short like terminateSocketPath.
func httpsSocketPath(runDir string, s model.Socket) string {
	sum := sha256.Sum256([]byte(socketID(s)))
	return runDir + "/h" + hex.EncodeToString(sum[:6]) + ".sock"
}

func certFileName(c model.Certificate) string {
	return c.Namespace + "_" + c.Name + ".pem"
}

func hostPort(address string, port int32) string {
	return net.JoinHostPort(address, strconv.Itoa(int(port)))
}

func underscoreSlash(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '/' {
			out[i] = '_'
		}
	}
	return string(out)
}
