package echo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// A proxy that speaks the PROXY protocol (version 2, haproxy.org/download/2.6/doc/proxy-protocol.txt)
// starts each connection to a backend with a binary header carrying the client's address: a
// 12-byte signature, a version and command byte, an address family and transport byte, the length
// of what follows (big endian), then the addresses and optional TLVs.

// proxyV2Signature starts every PROXY protocol v2 header.
const proxyV2Signature = "\r\n\r\n\x00\r\nQUIT\n"

// proxyV2HeaderLen is the fixed part of a header: signature, version and command, family and
// transport, length.
const proxyV2HeaderLen = len(proxyV2Signature) + 4

// Address families with their transport (the header's 14th byte) that carry TCP addresses.
const (
	tcpOverIPv4 = 0x11
	tcpOverIPv6 = 0x21
)

// ProxyHeader is what a PROXY protocol v2 header says.
type ProxyHeader struct {
	// Local is set for the LOCAL command: a connection of the proxy's own (a health check), for
	// which the header carries no addresses.
	Local bool
	// Source is the client's address and Destination the address it connected to; nil with
	// Local, or with an address family other than TCP over IPv4 or IPv6.
	Source, Destination *net.TCPAddr
	// SSL is what the SSL TLV says of the client's TLS; nil without one.
	SSL *ProxySSL
}

// ProxySSL is the SSL TLV of a PROXY v2 header (PP2_TYPE_SSL): how the client connected to the
// proxy.
type ProxySSL struct {
	// TLS is set when the client spoke TLS to the proxy; CertVerified when it presented a
	// certificate on this connection and the proxy verified it.
	TLS, CertVerified bool
	// CN is the common name of the client certificate's subject (PP2_SUBTYPE_SSL_CN); "" without.
	CN string
}

// TLV types and flags of the SSL TLV.
const (
	tlvSSL          = 0x20
	tlvSSLCN        = 0x22
	clientSSL       = 0x01
	clientCertConn  = 0x02
	sslTLVFixedSize = 5 // client flags, then verify result
)

// readSSL finds the SSL TLV among a header's TLVs.
func readSSL(tlvs []byte) *ProxySSL {
	for len(tlvs) >= 3 {
		kind, size := tlvs[0], int(binary.BigEndian.Uint16(tlvs[1:3]))
		if len(tlvs) < 3+size {
			return nil
		}
		value := tlvs[3 : 3+size]
		tlvs = tlvs[3+size:]
		if kind != tlvSSL || size < sslTLVFixedSize {
			continue
		}
		client, verify := value[0], binary.BigEndian.Uint32(value[1:5])
		ssl := &ProxySSL{TLS: client&clientSSL != 0, CertVerified: client&clientCertConn != 0 && verify == 0}
		for sub := value[sslTLVFixedSize:]; len(sub) >= 3; {
			subKind, subSize := sub[0], int(binary.BigEndian.Uint16(sub[1:3]))
			if len(sub) < 3+subSize {
				break
			}
			if subKind == tlvSSLCN {
				ssl.CN = string(sub[3 : 3+subSize])
			}
			sub = sub[3+subSize:]
		}
		return ssl
	}
	return nil
}

// ReadProxyHeader reads a PROXY protocol v2 header from r when what r holds starts with one;
// otherwise it reports found false and leaves r as it was. It reads no byte further than the
// first that differs from the signature, so a stream without a header is never waited on.
func ReadProxyHeader(r *bufio.Reader) (h ProxyHeader, found bool, err error) {
	for n := 1; n <= len(proxyV2Signature); n++ {
		peeked, err := r.Peek(n)
		if len(peeked) < n {
			if err == io.EOF {
				return ProxyHeader{}, false, nil // a stream shorter than a signature
			}
			return ProxyHeader{}, false, err
		}
		if peeked[n-1] != proxyV2Signature[n-1] {
			return ProxyHeader{}, false, nil
		}
	}
	var fixed [proxyV2HeaderLen]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return ProxyHeader{}, true, fmt.Errorf("PROXY v2 header: %w", err)
	}
	versionCommand, family := fixed[12], fixed[13]
	if versionCommand>>4 != 2 {
		return ProxyHeader{}, true, fmt.Errorf("PROXY header version %d, want 2", versionCommand>>4)
	}
	rest := make([]byte, binary.BigEndian.Uint16(fixed[14:16]))
	if _, err := io.ReadFull(r, rest); err != nil {
		return ProxyHeader{}, true, fmt.Errorf("PROXY v2 addresses: %w", err)
	}
	switch versionCommand & 0x0f {
	case 0x0:
		return ProxyHeader{Local: true}, true, nil
	case 0x1:
	default:
		return ProxyHeader{}, true, fmt.Errorf("PROXY v2 command %d is neither LOCAL nor PROXY", versionCommand&0x0f)
	}
	size := 0
	switch family {
	case tcpOverIPv4:
		size = net.IPv4len
	case tcpOverIPv6:
		size = net.IPv6len
	default:
		return ProxyHeader{}, true, nil // addresses of other families are not for this backend
	}
	if len(rest) < 2*size+4 {
		return ProxyHeader{}, true, errors.New("PROXY v2 header too short for its addresses")
	}
	addr := func(ip []byte, port []byte) *net.TCPAddr {
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), ip...)), Port: int(binary.BigEndian.Uint16(port))}
	}
	// The addresses come first, then the ports, then TLVs.
	return ProxyHeader{
		Source:      addr(rest[:size], rest[2*size:2*size+2]),
		Destination: addr(rest[size:2*size], rest[2*size+2:2*size+4]),
		SSL:         readSSL(rest[2*size+4:]),
	}, true, nil
}
