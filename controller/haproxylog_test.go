package controller

import (
	"fmt"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

func TestHAProxyOutputLevels(t *testing.T) {
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	w := HAProxyOutput(logger)
	fmt.Fprint(w, "[WARNING]  (12) : Proxy fe stopped (cumulated conns: FE: 0, BE: 0).\n<4>Proxy fe stopped (cumulated conns: FE: 0, BE: 0).\n"+
		"[ALERT]    (12) : backend 'b' has no server available!\n[NOTICE]   (1) : Loading success.\n")
	w.Close()
	want := []string{"debug Proxy fe stopped (cumulated conns: FE: 0, BE: 0).", "debug Proxy fe stopped (cumulated conns: FE: 0, BE: 0).",
		"error backend 'b' has no server available!", "info Loading success."}
	deadline := time.Now().Add(2 * time.Second)
	for len(hook.AllEntries()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	entries := hook.AllEntries()
	if len(entries) != len(want) {
		t.Fatalf("%d lines logged, want %d", len(entries), len(want))
	}
	for i, e := range entries {
		if got := e.Level.String() + " " + e.Message; got != want[i] || e.Data["logger"] != "haproxy" {
			t.Errorf("line %d: %q %v, want %q", i, got, e.Data, want[i])
		}
	}
}
