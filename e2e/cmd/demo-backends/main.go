// Command demo-backends runs the two backends of the TLS routing example on loopback: foo, which
// terminates TLS itself with its own certificate for foo.example.com, and bar, which speaks plain
// TCP. Each greets with its name, whether it saw TLS and which server name, then echoes lines.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/echo"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
)

func main() {
	fooAddr := flag.String("foo", "127.0.0.1:9443", "address of foo (TLS, its own certificate)")
	barAddr := flag.String("bar", "127.0.0.1:9080", "address of bar (plain TCP)")
	flag.Parse()

	pair, err := testtls.New("foo.example.com")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := pair.TLSCertificate()
	if err != nil {
		log.Fatal(err)
	}
	foo, err := echo.Listen("foo-backend", *fooAddr, &cert)
	if err != nil {
		log.Fatal(err)
	}
	defer foo.Close()
	bar, err := echo.Listen("bar-backend", *barAddr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bar.Close()
	log.Printf("foo-backend (TLS, certificate serial %x) on %s; bar-backend (plain TCP) on %s", pair.Serial, foo.Addr(), bar.Addr())

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	<-signals
}
