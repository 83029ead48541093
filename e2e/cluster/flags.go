package cluster

import (
	"path/filepath"
	"strconv"
	"strings"
)

// controllers are the kube-controller-manager loops the tests rely on: Deployments become
// ReplicaSets become Pods, Services get EndpointSlices, namespaces get their default ServiceAccount
// and can be deleted, and owner references are honoured. Everything node- or cloud-related is off.
var controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"endpointslice-controller",
	"serviceaccount-controller",
	"namespace-controller",
	"garbage-collector-controller",
}

func etcdArgs(workDir string, clientPort, peerPort int) []string {
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	return []string{
		"--name=e2e",
		"--data-dir=" + filepath.Join(workDir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=e2e=" + peer,
		// Test data is thrown away, so durability is not worth the fsync latency.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}
}

// trustBundleArgs make a 1.36 API server serve ClusterTrustBundles (certificates.k8s.io/v1beta1,
// beta but off by default until v1 in 1.37): BackendTLSPolicies and Gateways may name them for CA
// certificates.
var trustBundleArgs = []string{
	"--feature-gates=ClusterTrustBundle=true",
	"--runtime-config=certificates.k8s.io/v1beta1/clustertrustbundles=true",
}

func apiserverArgs(workDir string, p *pki, etcdURL string, port int, trustBundles bool) []string {
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// Without this the API server may try to write self-signed certificates to /var/run/kubernetes.
		"--cert-dir=" + filepath.Join(workDir, "certs"),
		"--tls-cert-file=" + p.ServingCertFile,
		"--tls-private-key-file=" + p.ServingKeyFile,
		"--client-ca-file=" + p.CAFile,
		// The API server would publish itself as the endpoint of Service default/kubernetes, but
		// 127.0.0.1 is not a valid endpoint address and the retry logs an error every 10 seconds.
		// Clients here use the kubeconfig, never that Service.
		"--endpoint-reconciler-type=none",
		"--authorization-mode=Node,RBAC",
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		// Required since 1.20: the API server issues service-account tokens itself.
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.SAPublicKeyFile,
		"--service-account-signing-key-file=" + p.SAPrivateKeyFile,
	}
	if trustBundles {
		args = append(args, trustBundleArgs...)
	}
	return args
}

func controllerManagerArgs(workDir string, p *pki, kubeconfig string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=" + strings.Join(controllers, ","),
		"--leader-elect=false",
		"--service-account-private-key-file=" + p.SAPrivateKeyFile,
		"--root-ca-file=" + p.CAFile,
		// No HTTPS endpoint: nothing scrapes it, and a fixed default port (10257) would collide
		// between clusters running in parallel.
		"--secure-port=0",
		"--cert-dir=" + filepath.Join(workDir, "certs"),
	}
}
