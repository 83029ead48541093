package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/e2e/probe"
	"github.com/haproxy-gateway/haproxy-gateway/e2e/testtls"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// failedApply is the controller's log message for a change HAProxy did not take.
const failedApply = "data plane did not take the configuration"

// TestNoKeyMaterialInLogs takes a Terminate certificate through its life with the controller at
// debug level: served from its Secret, rotated, and rotated again while HAProxy's stats and
// master sockets are gone, so the controller fails and retries until they are back. Then the
// controller's complete output (HAProxy's own lines included), the status it wrote, the events
// and the metrics are searched for key material of every certificate used: none may hold a PEM
// block, the words "PRIVATE KEY" or any base64 line of a key.
func TestNoKeyMaterialInLogs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run := e.serveExample()
	x, controller, terminate := run.example, run.controller, run.terminate

	keys := []testtls.Pair{exampleKey(t, x.objects)}
	rotate := func(what string) {
		t.Helper()
		pair, err := testtls.NewRSA("bar.example.com")
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, pair)
		var secret corev1.Secret
		if err := e.client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "tls-terminate-certificate"}, &secret); err != nil {
			t.Fatal(err)
		}
		secret.Data = map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}
		if err := e.client.Update(ctx, &secret); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	served := func(serial *big.Int) func() error {
		return func() error {
			a, err := probe.TLS(terminate, "bar.example.com")
			if err != nil {
				return err
			}
			if a.Serial.Cmp(serial) != 0 {
				return fmt.Errorf("serial %v, want %v", a.Serial, serial)
			}
			return nil
		}
	}

	rotate("rotation")
	e.eventually("the rotated certificate served", 20*time.Second, served(keys[1].Serial))

	// HAProxy's sockets go away: "set ssl cert" fails and so does the reload meant to replace it.
	sockets := []string{filepath.Join(e.haproxyRunDir, "stats.sock"), filepath.Join(e.haproxyRunDir, "master.sock")}
	for _, s := range sockets {
		if err := os.Rename(s, s+".away"); err != nil {
			t.Fatal(err)
		}
	}
	failuresBefore := strings.Count(controller.logs.String(), failedApply)
	rotate("rotation while HAProxy's sockets are gone")
	var failureStatus string
	e.eventually("the controller failed, logged it and said so in status", 30*time.Second, func() error {
		if n := strings.Count(controller.logs.String(), failedApply) - failuresBefore; n < 1 {
			return fmt.Errorf("%d failed applies logged", n)
		}
		if failureStatus = statusText(t, e); !strings.Contains(failureStatus, "HAProxy did not take the configuration") {
			return fmt.Errorf("Gateway status does not tell the failure yet")
		}
		return nil
	})
	// A failure that repeats is logged once; the retries every 2 s run the same paths, and their
	// debug lines are searched too.
	time.Sleep(5 * time.Second)
	for _, s := range sockets {
		if err := os.Rename(s+".away", s); err != nil {
			t.Fatal(err)
		}
	}
	e.eventually("the last certificate served once the sockets are back", 30*time.Second, served(keys[2].Serial))

	metrics := httpBody(t, "http://"+controller.MetricsAddress+"/metrics")
	recovered := statusText(t, e)
	controller.Stop()
	logs := controller.logs.String()
	if !strings.Contains(logs, "level=debug") {
		t.Error("the controller logged no debug line: the search below would miss what only debug shows")
	}
	for _, c := range []struct{ what, text string }{
		{"controller log", logs}, {"status and events during the outage", failureStatus},
		{"status and events afterwards", recovered}, {"metrics", metrics},
	} {
		for i, key := range keys {
			if found := key.KeyMaterialIn(c.text); found != nil {
				// The finding names markers and line numbers, never the key itself.
				t.Errorf("%s holds key material of certificate %d: %v", c.what, i, found)
			}
		}
	}
	t.Logf("searched %d bytes of log (%d failed applies), %d of status and events, %d of metrics for %d keys",
		len(logs), strings.Count(logs, failedApply), len(failureStatus)+len(recovered), len(metrics), len(keys))
}

// exampleKey is the certificate and key of the example's tls-terminate-certificate Secret.
func exampleKey(t *testing.T, objects []client.Object) testtls.Pair {
	for _, o := range objects {
		if s, ok := o.(*corev1.Secret); ok && s.Name == "tls-terminate-certificate" {
			return testtls.Pair{CertPEM: s.Data[corev1.TLSCertKey], KeyPEM: s.Data[corev1.TLSPrivateKeyKey]}
		}
	}
	t.Fatal("example has no tls-terminate-certificate Secret")
	return testtls.Pair{}
}

// statusText is the example's Gateway and TLSRoutes and every event, as JSON.
func statusText(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	var gateways gatewayv1.GatewayList
	var routes gatewayv1.TLSRouteList
	var events corev1.EventList
	var newEvents eventsv1.EventList
	var out strings.Builder
	for _, list := range []client.ObjectList{&gateways, &routes, &events, &newEvents} {
		if err := e.client.List(ctx, list); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(list)
		out.Write(raw)
	}
	return out.String()
}

func httpBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
