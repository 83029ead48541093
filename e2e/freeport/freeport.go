// Package freeport hands tests unused TCP ports on 127.0.0.1.
package freeport

import (
	"fmt"
	"net"
	"strconv"
	"testing"
)

// Ports asks the kernel for n distinct unused TCP ports on 127.0.0.1. All listeners are held
// until every port is known, so the same port is never handed out twice. The ports are released
// before the caller binds them, so another program could take one in between; that is rare
// enough for tests, and the failure shows up in the process log.
func Ports(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Get is one unused port; the test fails when there is none.
func Get(t testing.TB) int {
	t.Helper()
	ports, err := Ports(1)
	if err != nil {
		t.Fatal(err)
	}
	return ports[0]
}

// String is Get as text, as addresses are written.
func String(t testing.TB) string {
	t.Helper()
	return strconv.Itoa(Get(t))
}
