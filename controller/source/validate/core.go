package validate

import (
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The API server's own validation of core kinds lives in k8s.io/kubernetes, which is not a library
// to depend on. These are its rules (pkg/apis/core/validation, pkg/apis/discovery/validation at
// v1.36) for the fields this controller reads, written with the same apimachinery checks and
// messages, after the API server's defaults (protocol TCP, targetPort = port).

// maxSecretSize is core.MaxSecretSize: the API server refuses larger Secrets.
const maxSecretSize = 1 << 20

// secret checks data keys, size, and the keys the type promises. Messages name keys, never values.
func secret(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	dataPath := field.NewPath("data")
	// stringData is merged into data before the API server validates; a key in both counts once.
	size := 0
	keys := map[string]bool{}
	for key, value := range s.StringData {
		keys[key] = true
		size += len(value)
	}
	for key, value := range s.Data {
		if _, both := s.StringData[key]; !both {
			keys[key] = true
			size += len(value)
		}
	}
	for _, key := range sortedKeys(keys) {
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(dataPath.Key(key), key, msg))
		}
	}
	if size > maxSecretSize {
		errs = append(errs, field.TooLong(dataPath, "", maxSecretSize))
	}
	if s.Type == corev1.SecretTypeTLS {
		for _, key := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if !keys[key] {
				errs = append(errs, field.Required(dataPath.Key(key), ""))
			}
		}
	}
	return errs
}

// maxConfigMapSize is core.MaxSecretSize too: the API server holds ConfigMaps to the same bound.
const maxConfigMapSize = maxSecretSize

// configMap checks data keys (unique across data and binaryData) and size.
func configMap(c *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for _, key := range slices.Sorted(maps.Keys(c.Data)) {
		size += len(c.Data[key])
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(key), key, msg))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(c.BinaryData)) {
		size += len(c.BinaryData[key])
		path := field.NewPath("binaryData").Key(key)
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(path, key, msg))
		}
		if _, both := c.Data[key]; both {
			errs = append(errs, field.Invalid(path, key, "duplicate of key present in data"))
		}
	}
	if size > maxConfigMapSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxConfigMapSize))
	}
	return errs
}

var serviceProtocols = []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}

// service checks the ports, which backends are built from.
func service(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	portsPath := field.NewPath("spec", "ports")
	headless := s.Spec.ClusterIP == corev1.ClusterIPNone
	if len(s.Spec.Ports) == 0 && !headless && s.Spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(portsPath, ""))
	}
	names := map[string]bool{}
	for i, port := range s.Spec.Ports {
		path := portsPath.Index(i)
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(path.Child("name"), ""))
		} else if port.Name != "" {
			errs = append(errs, dns1123Label(port.Name, path.Child("name"))...)
			if names[port.Name] {
				errs = append(errs, field.Duplicate(path.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		for _, msg := range utilvalidation.IsValidPortNum(int(port.Port)) {
			errs = append(errs, field.Invalid(path.Child("port"), port.Port, msg))
		}
		errs = append(errs, protocol(port.Protocol, path.Child("protocol"))...)
		target := port.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(port.Port)
		}
		errs = append(errs, portNumOrName(target, path.Child("targetPort"))...)
	}
	return errs
}

var addressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}

// Limits of pkg/apis/discovery/validation.
const (
	maxEndpoints         = 1000
	maxEndpointAddresses = 100
	maxEndpointPorts     = 20000
)

// endpointSlice checks the address type, the addresses (they become HAProxy servers) and ports.
func endpointSlice(s *discoveryv1.EndpointSlice) field.ErrorList {
	var errs field.ErrorList
	typePath := field.NewPath("addressType")
	if s.AddressType == "" {
		errs = append(errs, field.Required(typePath, ""))
	} else if !slices.Contains(addressTypes, s.AddressType) {
		errs = append(errs, field.NotSupported(typePath, s.AddressType, addressTypes))
	}
	endpointsPath := field.NewPath("endpoints")
	if len(s.Endpoints) > maxEndpoints {
		return append(errs, field.TooMany(endpointsPath, len(s.Endpoints), maxEndpoints))
	}
	for i, endpoint := range s.Endpoints {
		path := endpointsPath.Index(i).Child("addresses")
		if len(endpoint.Addresses) == 0 {
			errs = append(errs, field.Required(path, "must contain at least 1 address"))
		} else if len(endpoint.Addresses) > maxEndpointAddresses {
			errs = append(errs, field.TooMany(path, len(endpoint.Addresses), maxEndpointAddresses))
		}
		for j, address := range endpoint.Addresses {
			errs = append(errs, endpointAddress(s.AddressType, address, path.Index(j))...)
		}
		if endpoint.Hostname != nil {
			errs = append(errs, dns1123Label(*endpoint.Hostname, endpointsPath.Index(i).Child("hostname"))...)
		}
	}
	portsPath := field.NewPath("ports")
	if len(s.Ports) > maxEndpointPorts {
		return append(errs, field.TooMany(portsPath, len(s.Ports), maxEndpointPorts))
	}
	names := map[string]bool{}
	for i, port := range s.Ports {
		path := portsPath.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			errs = append(errs, dns1123Label(name, path.Child("name"))...)
		}
		if names[name] {
			errs = append(errs, field.Duplicate(path.Child("name"), name))
		}
		names[name] = true
		if port.Protocol != nil {
			errs = append(errs, protocol(*port.Protocol, path.Child("protocol"))...)
		}
	}
	return errs
}

// endpointAddress checks one address as its slice's type says; unknown types are left alone, as
// the API server leaves them. Unlike the API server, loopback addresses pass: standalone mode has
// no pods, and its EndpointSlices name backends on this machine.
func endpointAddress(addressType discoveryv1.AddressType, address string, path *field.Path) field.ErrorList {
	switch addressType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
		if errs := utilvalidation.IsValidIP(path, address); len(errs) > 0 {
			return errs
		}
		if ip, _ := netip.ParseAddr(address); ip.Is4() != (addressType == discoveryv1.AddressTypeIPv4) {
			return field.ErrorList{field.Invalid(path, address, "must be an "+string(addressType)+" address")}
		}
	case discoveryv1.AddressTypeFQDN:
		return utilvalidation.IsFullyQualifiedDomainName(path, address)
	}
	return nil
}

// protocol checks a port protocol; empty is the API server's default, TCP.
func protocol(p corev1.Protocol, path *field.Path) field.ErrorList {
	if p == "" || slices.Contains(serviceProtocols, p) {
		return nil
	}
	return field.ErrorList{field.NotSupported(path, p, serviceProtocols)}
}

func portNumOrName(port intstr.IntOrString, path *field.Path) field.ErrorList {
	var msgs []string
	if port.Type == intstr.String {
		msgs = utilvalidation.IsValidPortName(port.StrVal)
	} else {
		msgs = utilvalidation.IsValidPortNum(port.IntValue())
	}
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(path, port.String(), msg))
	}
	return errs
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func dns1123Label(value string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Label(value) {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}
