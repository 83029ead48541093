// This file is not built as part of this directory's own package: build.sh hands it to the Go
// command as an overlay (go build -overlay) that takes the place of the DNS-provider registry file
// of lego's providers/dns package. That registry imports every DNS provider lego has, and through
// them about 150 cloud SDK modules, 14 of which the module proxy does not serve. Traefik calls only
// NewDNSChallengeProviderByName, for ACME DNS-01 challenges, which the benchmark does not use; in
// this build it knows no provider, so a certificate resolver with a DNS challenge fails to start
// with the error below instead of the Traefik binary failing to build.

// Package dns is the registry of lego's ACME DNS-01 challenge providers, empty in this build.
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName returns an error for every name: this build has no DNS provider.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("ACME DNS challenge provider %q is not available in this build of Traefik", name)
}
