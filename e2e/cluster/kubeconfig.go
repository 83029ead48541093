package cluster

import (
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// restConfigFor returns a client configuration for the API server at host using a client certificate.
// Certificates are embedded as bytes so the config keeps working after the work dir is gone.
func restConfigFor(host string, caPEM, certPEM, keyPEM []byte) *rest.Config {
	return &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   caPEM,
			CertData: certPEM,
			KeyData:  keyPEM,
		},
		// client-go's default of 5 QPS throttles tests that create many objects quickly.
		QPS:   100,
		Burst: 200,
	}
}

// writeKubeconfig writes cfg as a kubeconfig file (mode 0600, it holds a private key) with a
// single context, for kubectl and for the controller-manager.
func writeKubeconfig(path, user string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: user}
	kc.CurrentContext = "e2e"
	return clientcmd.WriteToFile(*kc, path)
}
