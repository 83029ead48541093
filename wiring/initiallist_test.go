package wiring

import (
	"os"
	"testing"

	clientfeatures "k8s.io/client-go/features"
)

// TestListInOneRequest: the informers list instead of streaming unless the operator set the
// feature, and client-go's other features keep their defaults.
func TestListInOneRequest(t *testing.T) {
	defaults := clientfeatures.FeatureGates()
	t.Cleanup(func() { clientfeatures.ReplaceFeatureGates(defaults) })

	old, had := os.LookupEnv(watchListEnv)
	t.Cleanup(func() {
		if had {
			os.Setenv(watchListEnv, old)
		} else {
			os.Unsetenv(watchListEnv)
		}
	})

	os.Unsetenv(watchListEnv)
	listInOneRequest()
	gates := clientfeatures.FeatureGates()
	if gates.Enabled(clientfeatures.WatchListClient) {
		t.Error("WatchListClient on without the operator asking")
	}
	for _, f := range []clientfeatures.Feature{clientfeatures.InOrderInformers, clientfeatures.ClientsAllowCBOR} {
		if gates.Enabled(f) != defaults.Enabled(f) {
			t.Errorf("%s: %t, client-go's default is %t", f, gates.Enabled(f), defaults.Enabled(f))
		}
	}

	// client-go reads the variable itself, once: the gates must stay its own.
	clientfeatures.ReplaceFeatureGates(defaults)
	os.Setenv(watchListEnv, "true")
	listInOneRequest()
	if clientfeatures.FeatureGates() != defaults {
		t.Error("with KUBE_FEATURE_WatchListClient set, client-go's feature gates were replaced")
	}
}
