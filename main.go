// Command haproxy-gateway is a Gateway API controller whose data plane is HAProxy. Package
// wiring puts its parts together.
package main

import (
	"os"

	"github.com/haproxy-gateway/haproxy-gateway/wiring"
)

func main() { os.Exit(wiring.Main()) }
