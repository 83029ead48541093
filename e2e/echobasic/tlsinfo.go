package echobasic

import (
	"crypto/tls"
	"encoding/pem"
)

// httpTLSInfo is the "tls" object of an HTTP echo.
type httpTLSInfo struct {
	Version            string   `json:"version"`
	PeerCertificates   []string `json:"peerCertificates,omitempty"`
	ServerName         string   `json:"serverName"`
	NegotiatedProtocol string   `json:"negotiatedProtocol,omitempty"`
	CipherSuite        string   `json:"cipherSuite"`
}

// httpTLSVersions are the HTTP echo's version names ("TLSv1.3"); the TCP echo uses Go's
// tls.VersionName ("TLS 1.3") instead, as the image does.
var httpTLSVersions = map[uint16]string{
	tls.VersionTLS13: "TLSv1.3",
	tls.VersionTLS12: "TLSv1.2",
	tls.VersionTLS11: "TLSv1.1",
	tls.VersionTLS10: "TLSv1.0",
}

func httpTLS(cs *tls.ConnectionState) *httpTLSInfo {
	if cs == nil {
		return nil
	}
	info := &httpTLSInfo{
		Version:            httpTLSVersions[cs.Version],
		ServerName:         cs.ServerName,
		NegotiatedProtocol: cs.NegotiatedProtocol,
		CipherSuite:        tls.CipherSuiteName(cs.CipherSuite),
	}
	for _, c := range cs.PeerCertificates {
		info.PeerCertificates = append(info.PeerCertificates, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
	}
	return info
}

// tcpTLSInfo is the "tls" object of a TCP echo's TEST answer.
type tcpTLSInfo struct {
	Version            string `json:"version"`
	ServerName         string `json:"serverName"`
	NegotiatedProtocol string `json:"negotiatedProtocol,omitempty"`
	Curves             string `json:"curves,omitempty"`
	CipherSuite        string `json:"cipherSuite"`
}

func tcpTLS(cs tls.ConnectionState) *tcpTLSInfo {
	return &tcpTLSInfo{
		Version:            tls.VersionName(cs.Version),
		ServerName:         cs.ServerName,
		NegotiatedProtocol: cs.NegotiatedProtocol,
		Curves:             cs.CurveID.String(),
		CipherSuite:        tls.CipherSuiteName(cs.CipherSuite),
	}
}
