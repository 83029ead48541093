package controller

import (
	"bytes"
	"strings"
	"testing"
)

// TestLogrVerbosityIsCapped: at debug level, logr lines up to maxVerbosity are written, and none
// above it (client-go's request and response bodies, Secrets among them), whatever the level.
func TestLogrVerbosityIsCapped(t *testing.T) {
	var out bytes.Buffer
	log, err := NewLogger(&out, "debug", "text")
	if err != nil {
		t.Fatal(err)
	}
	l := Logr(log)
	l.Info("level zero")
	l.V(maxVerbosity).Info("debug detail")
	l.V(8).Info("response body", "body", "-----BEGIN PRIVATE KEY-----")
	got := out.String()
	if !strings.Contains(got, "level zero") || !strings.Contains(got, "debug detail") {
		t.Errorf("missing lines:\n%s", got)
	}
	if strings.Contains(got, "response body") || strings.Contains(got, "PRIVATE KEY") {
		t.Errorf("a V(8) line was written:\n%s", got)
	}
}
