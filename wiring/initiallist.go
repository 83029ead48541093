package wiring

import (
	"os"

	clientfeatures "k8s.io/client-go/features"
)

// watchListEnv is how an operator sets client-go's WatchListClient feature; when set, it decides.
const watchListEnv = "KUBE_FEATURE_WatchListClient"

// listInOneRequest has the informers read each kind at start with one LIST, which the API server
// answers from its watch cache, instead of a stream of watch events (client-go's WatchListClient,
// on by default since v1.35). The stream keeps less of the list in memory at once, but with
// 10,000 routes it takes the API server and the controller about half a second longer on two
// cores (the caches synced after 1.3-1.5 s against 0.7-1.0 s), and a start serves nothing until
// they have. An operator who sets KUBE_FEATURE_WatchListClient decides.
func listInOneRequest() {
	if _, set := os.LookupEnv(watchListEnv); set {
		return
	}
	clientfeatures.ReplaceFeatureGates(withoutWatchList{clientfeatures.FeatureGates()})
}

// withoutWatchList is client-go's feature gates with WatchListClient off.
type withoutWatchList struct{ clientfeatures.Gates }

func (g withoutWatchList) Enabled(feature clientfeatures.Feature) bool {
	return feature != clientfeatures.WatchListClient && g.Gates.Enabled(feature)
}
