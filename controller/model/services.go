package model

// GatewayService is a Service this controller owns: it publishes one Gateway's listener ports and
// sends them to the ports the proxy pods bind for that Gateway.
type GatewayService struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Gateway is the Gateway's namespace/name.
	Gateway  string            `json:"gateway"`
	Type     string            `json:"type"`
	Labels   map[string]string `json:"labels"`
	Selector map[string]string `json:"selector"`
	Ports    []ServicePort     `json:"ports"`
}

// ServicePort maps a listener port to the port the proxy binds for it.
type ServicePort struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort int32  `json:"targetPort"`
}
