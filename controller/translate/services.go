package translate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Labels on every Service the controller publishes for a Gateway.
const (
	LabelManagedBy        = "app.kubernetes.io/managed-by"
	ManagedByValue        = "haproxy-gateway"
	LabelGatewayName      = "gateway.networking.k8s.io/gateway-name"
	LabelGatewayNamespace = "haproxy-gateway.io/gateway-namespace"
)

// ServiceOptions give every Gateway a Service of its own in front of the proxy pods: the Service
// keeps the listener ports, and sends each to a port the pods bind for that Gateway alone, so
// Gateways sharing a port number never collide in the pods.
type ServiceOptions struct {
	// Namespace is where the Services go: the proxy pods' namespace, as a Service selects pods
	// in its own namespace only.
	Namespace string
	Type      corev1.ServiceType
	// Selector selects the proxy pods.
	Selector map[string]string
	// FirstPort and LastPort bound the ports the pods bind for Gateway listeners.
	FirstPort, LastPort int32
	// BindAddress is the address the proxy binds those ports on; empty means every address.
	BindAddress string
}

// placeOnServices gives each Gateway's listener ports target ports, keeping those its Service
// already has so that a Gateway coming or going never moves another one, and takes the addresses
// from the Service's status. It returns the Services to publish.
func placeOnServices(gateways []*gatewayv1.Gateway, in *index, opts ServiceOptions) (map[*gatewayv1.Gateway]placement, []model.GatewayService) {
	taken := map[int32]bool{}
	ports := map[*gatewayv1.Gateway]map[int32]int32{}
	existing := map[*gatewayv1.Gateway]*corev1.Service{}
	for _, gw := range gateways {
		ports[gw] = map[int32]int32{}
		svc := in.services[opts.Namespace+"/"+ServiceName(gw.Namespace, gw.Name)]
		if svc == nil || svc.Labels[LabelManagedBy] != ManagedByValue {
			continue
		}
		existing[gw] = svc
		wanted := listenerPorts(gw)
		for _, p := range svc.Spec.Ports {
			target := p.TargetPort.IntVal
			if p.TargetPort.Type != intstr.Int || target < opts.FirstPort || target > opts.LastPort || taken[target] ||
				!slices.Contains(wanted, p.Port) {
				continue
			}
			if _, done := ports[gw][p.Port]; done {
				continue
			}
			taken[target] = true
			ports[gw][p.Port] = target
		}
	}

	out := map[*gatewayv1.Gateway]placement{}
	var services []model.GatewayService
	next := opts.FirstPort
	for _, gw := range gateways {
		exhausted := false
		for _, port := range listenerPorts(gw) {
			if _, done := ports[gw][port]; done {
				continue
			}
			for next <= opts.LastPort && taken[next] {
				next++
			}
			if next > opts.LastPort {
				exhausted = true
				break
			}
			taken[next] = true
			ports[gw][port] = next
		}
		if exhausted {
			out[gw] = placement{problem: fmt.Sprintf("no free port left in the proxy's port range %d-%d", opts.FirstPort, opts.LastPort)}
			continue
		}
		name := ServiceName(gw.Namespace, gw.Name)
		p := placement{bound: true, bindAddress: opts.BindAddress, ports: ports[gw]}
		switch {
		case len(gw.Spec.Addresses) > 0:
			p.problem = "spec.addresses is not supported: the Gateway's address is its Service's"
		case existing[gw] == nil:
			p.problem = "waiting for Service " + opts.Namespace + "/" + name
		default:
			p.addresses = serviceAddresses(existing[gw])
			if len(p.addresses) == 0 {
				p.problem = "waiting for Service " + opts.Namespace + "/" + name + " to get an address"
			}
		}
		out[gw] = p
		services = append(services, gatewayService(gw, name, ports[gw], opts))
	}
	return out, services
}

func gatewayService(gw *gatewayv1.Gateway, name string, ports map[int32]int32, opts ServiceOptions) model.GatewayService {
	s := model.GatewayService{
		Namespace: opts.Namespace,
		Name:      name,
		Gateway:   gw.Namespace + "/" + gw.Name,
		Type:      string(opts.Type),
		Labels: map[string]string{
			LabelManagedBy:        ManagedByValue,
			LabelGatewayNamespace: gw.Namespace,
		},
		Selector: opts.Selector,
	}
	// A label value has at most 63 characters, a Gateway name up to 253: a longer name would
	// make the API server refuse the Service, so it goes without the label (its name and
	// model.GatewayService.Gateway still lead to the Gateway).
	if len(validation.IsValidLabelValue(gw.Name)) == 0 {
		s.Labels[LabelGatewayName] = gw.Name
	}
	for _, port := range listenerPorts(gw) {
		s.Ports = append(s.Ports, model.ServicePort{Name: "port-" + strconv.Itoa(int(port)), Port: port, TargetPort: ports[port]})
	}
	return s
}

// listenerPorts are a Gateway's distinct listener ports, sorted.
func listenerPorts(gw *gatewayv1.Gateway) []int32 {
	var out []int32
	for _, l := range gw.Spec.Listeners {
		out = append(out, int32(l.Port))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// serviceAddresses are what clients reach a Service on: the load balancer's addresses for type
// LoadBalancer, the cluster IPs otherwise.
func serviceAddresses(svc *corev1.Service) []string {
	var out []string
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for _, ingress := range svc.Status.LoadBalancer.Ingress {
			switch {
			case ingress.IP != "":
				out = append(out, ingress.IP)
			case ingress.Hostname != "":
				out = append(out, ingress.Hostname)
			}
		}
		return out
	}
	for _, ip := range svc.Spec.ClusterIPs {
		if ip != "" && ip != corev1.ClusterIPNone {
			out = append(out, ip)
		}
	}
	return out
}

// ServiceName is the name of a Gateway's Service: readable, unique per Gateway (the hash tells
// apart names that the length limit cuts or the dots turned into dashes alike), and a valid DNS
// label, which a Gateway name (a DNS subdomain, with dots) need not be.
func ServiceName(namespace, name string) string {
	readable := strings.Trim(strings.ReplaceAll(namespace+"-"+name, ".", "-"), "-")
	if len(readable) > 54 {
		readable = strings.TrimRight(readable[:54], "-")
	}
	if readable == "" || readable[0] < 'a' || readable[0] > 'z' {
		readable = "gw-" + readable
		if len(readable) > 54 {
			readable = strings.TrimRight(readable[:54], "-")
		}
	}
	return fmt.Sprintf("%s-%08x", readable, uint32(nameHash(namespace+"/"+name)))
}
