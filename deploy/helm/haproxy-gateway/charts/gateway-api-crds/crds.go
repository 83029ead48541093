// Package gatewayapicrds gives the controller the Gateway API CRDs this subchart installs, so that
// standalone mode validates YAML with the very schemas and CEL rules an API server would apply.
//
// The Go file sits beside the YAML because go:embed reads only files under its own package's
// folder, and sigs.k8s.io/gateway-api ships config/crd as plain YAML without a Go package to
// embed it. Keeping one copy here means deploy/helm/copy-gateway-api-crds.sh stays the only
// writer and make helm-check the only comparison with go.mod's version. The chart's .helmignore
// keeps this file out of the packaged chart.
package gatewayapicrds

import "embed"

// FS holds the CRDs of the kinds standalone mode reads; the others (TCPRoute, UDPRoute, ...)
// would only add to the binary.
//
//go:embed crds/gateway.networking.k8s.io_gatewayclasses.yaml
//go:embed crds/gateway.networking.k8s.io_gateways.yaml
//go:embed crds/gateway.networking.k8s.io_grpcroutes.yaml
//go:embed crds/gateway.networking.k8s.io_httproutes.yaml
//go:embed crds/gateway.networking.k8s.io_referencegrants.yaml
//go:embed crds/gateway.networking.k8s.io_tlsroutes.yaml
var FS embed.FS
