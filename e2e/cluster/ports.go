package cluster

import (
	"fmt"
	"net"
)

// freePorts asks the kernel for n distinct unused TCP ports on 127.0.0.1. All listeners are held
// until every port is known, so the same port is never handed out twice. The ports are released
// before the processes bind them, so another program could take one in between; that is rare
// enough for tests, and the failure shows up in the process log.
func freePorts(n int) ([]int, error) {
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
