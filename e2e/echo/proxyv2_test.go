package echo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"testing"
	"time"
)

// proxyV2 builds a PROXY protocol v2 header: version and command byte, family byte, and what
// follows the fixed part.
func proxyV2(versionCommand, family byte, rest []byte) []byte {
	out := append([]byte(proxyV2Signature), versionCommand, family, 0, 0)
	binary.BigEndian.PutUint16(out[14:16], uint16(len(rest)))
	return append(out, rest...)
}

// tcp4 is the address part of a TCP over IPv4 header.
func tcp4(src, dst string, srcPort, dstPort uint16) []byte {
	out := append(net.ParseIP(src).To4(), net.ParseIP(dst).To4()...)
	out = binary.BigEndian.AppendUint16(out, srcPort)
	return binary.BigEndian.AppendUint16(out, dstPort)
}

// TestReadProxyHeader parses headers as HAProxy's send-proxy-v2 writes them, leaves streams
// without one untouched, and refuses broken ones. The first case is the header HAProxy 2.6.12
// sent to a server with send-proxy-v2 for a client at 127.0.0.1:45679 that connected to
// 127.0.0.1:18999.
func TestReadProxyHeader(t *testing.T) {
	tcp6 := append(append([]byte{}, net.ParseIP("2001:db8::1")...), net.ParseIP("2001:db8::2")...)
	tcp6 = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(tcp6, 40000), 443)
	tlv := []byte{0x04, 0x00, 0x02, 'h', 'i'} // a TLV of type NOOP after the addresses
	for _, c := range []struct {
		name          string
		stream        []byte
		found, broken bool
		source, dest  string
		local         bool
		// after is what the stream holds after the header.
		after string
	}{
		{name: "HAProxy 2.6.12's header", stream: append(hexBytes(t, "0d0a0d0a000d0a515549540a2111000c7f0000017f000001b26f4a37"), "hello\n"...),
			found: true, source: "127.0.0.1:45679", dest: "127.0.0.1:18999", after: "hello\n"},
		{name: "TCP over IPv4 with a TLV", stream: append(proxyV2(0x21, tcpOverIPv4, append(tcp4("10.250.0.1", "10.244.0.60", 51000, 9443), tlv...)), "\x16\x03\x01"...),
			found: true, source: "10.250.0.1:51000", dest: "10.244.0.60:9443", after: "\x16\x03\x01"},
		{name: "TCP over IPv6", stream: proxyV2(0x21, tcpOverIPv6, tcp6),
			found: true, source: "[2001:db8::1]:40000", dest: "[2001:db8::2]:443"},
		{name: "LOCAL: the proxy's own connection", stream: append(proxyV2(0x20, 0x00, nil), "ping\n"...), found: true, local: true, after: "ping\n"},
		{name: "unix addresses: a header, no TCP addresses", stream: proxyV2(0x21, 0x31, make([]byte, 216)), found: true},
		{name: "a TLS ClientHello: no header", stream: []byte("\x16\x03\x01\x02\x00\x01"), after: "\x16\x03\x01\x02\x00\x01"},
		{name: "a line that starts like the signature", stream: []byte("\r\nQUIT\n"), after: "\r\nQUIT\n"},
		{name: "an empty stream", stream: nil},
		{name: "version 1 in a version 2 signature", stream: proxyV2(0x11, tcpOverIPv4, tcp4("10.0.0.1", "10.0.0.2", 1, 2)), found: true, broken: true},
		{name: "an unknown command", stream: proxyV2(0x22, tcpOverIPv4, tcp4("10.0.0.1", "10.0.0.2", 1, 2)), found: true, broken: true},
		{name: "addresses cut short", stream: proxyV2(0x21, tcpOverIPv4, tcp4("10.0.0.1", "10.0.0.2", 1, 2)[:8]), found: true, broken: true},
		{name: "a stream that ends inside the header", stream: proxyV2(0x21, tcpOverIPv4, tcp4("10.0.0.1", "10.0.0.2", 1, 2))[:20], found: true, broken: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := bufio.NewReader(bytes.NewReader(c.stream))
			h, found, err := ReadProxyHeader(r)
			if found != c.found || (err != nil) != c.broken {
				t.Fatalf("found %t, error %v; want found %t, broken %t", found, err, c.found, c.broken)
			}
			if c.broken {
				return
			}
			if h.Local != c.local || addrString(h.Source) != c.source || addrString(h.Destination) != c.dest {
				t.Errorf("header %+v; want local %t, source %q, destination %q", h, c.local, c.source, c.dest)
			}
			if rest, _ := io.ReadAll(r); string(rest) != c.after {
				t.Errorf("after the header the stream holds %q, want %q", rest, c.after)
			}
		})
	}
}

// TestReadProxyHeaderWaitsOnNothing: a stream without a header whose first byte is all there is
// yet (a client waiting for an answer) is told apart at once, without waiting for more.
func TestReadProxyHeaderWaitsOnNothing(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	go func() { _, _ = client.Write([]byte("\r\n\r\nx")) }()
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second)) // a parser that waits fails, not hangs
	if _, found, err := ReadProxyHeader(bufio.NewReader(server)); found || err != nil {
		t.Fatalf("found %t, %v; want no header", found, err)
	}
}

func addrString(a *net.TCPAddr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadProxyHeaderSSL reads the SSL TLV send-proxy-v2-ssl-cn writes: client flags, the verify
// result, and the client certificate's CN among its sub-TLVs.
func TestReadProxyHeaderSSL(t *testing.T) {
	sub := func(kind byte, value string) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{kind}, uint16(len(value))), value...)
	}
	ssl := func(client byte, verify uint32, subs ...[]byte) []byte {
		value := binary.BigEndian.AppendUint32([]byte{client}, verify)
		for _, s := range subs {
			value = append(value, s...)
		}
		return sub(tlvSSL, string(value))
	}
	for _, c := range []struct {
		name string
		tlvs []byte
		want *ProxySSL
	}{
		{"no TLV", nil, nil},
		{"verified client certificate", ssl(clientSSL|clientCertConn|0x04, 0, sub(0x21, "TLSv1.3"), sub(tlvSSLCN, "alice")),
			&ProxySSL{TLS: true, CertVerified: true, CN: "alice"}},
		{"TLS without a certificate", ssl(clientSSL, 0, sub(0x21, "TLSv1.3")), &ProxySSL{TLS: true}},
		{"certificate that failed verification", ssl(clientSSL|clientCertConn, 20, sub(tlvSSLCN, "mallory")),
			&ProxySSL{TLS: true, CN: "mallory"}},
		{"a TLV cut short", ssl(clientSSL, 0)[:4], nil},
	} {
		stream := proxyV2(0x21, tcpOverIPv4, append(tcp4("10.250.0.1", "10.244.0.60", 51000, 9443), c.tlvs...))
		h, found, err := ReadProxyHeader(bufio.NewReader(bytes.NewReader(stream)))
		if err != nil || !found {
			t.Fatalf("%s: found %t, %v", c.name, found, err)
		}
		if (h.SSL == nil) != (c.want == nil) || h.SSL != nil && *h.SSL != *c.want {
			t.Errorf("%s: SSL %+v, want %+v", c.name, h.SSL, c.want)
		}
	}
}
