package controller

import (
	"bufio"
	"io"

	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
	"github.com/sirupsen/logrus"
)

// HAProxyOutput is a writer for HAProxy's stdout and stderr that logs each line at the level it
// deserves: ALERTs as errors, WARNINGs as warnings, the per-proxy lines of every reload and the
// log copies of messages already logged at debug (see haproxy.OutputParser). Closing it ends the
// goroutine that reads it.
func HAProxyOutput(log logrus.FieldLogger) io.WriteCloser {
	r, w := io.Pipe()
	go func() {
		var parser haproxy.OutputParser
		scanner := bufio.NewScanner(r)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		for scanner.Scan() {
			line := parser.Parse(scanner.Text())
			if line.Message == "" {
				continue
			}
			entry := log.WithField("logger", "haproxy")
			if line.PID != 0 {
				entry = entry.WithField("pid", line.PID)
			}
			switch line.Severity {
			case haproxy.SeverityDebug:
				entry.Debug(line.Message)
			case haproxy.SeverityInfo:
				entry.Info(line.Message)
			case haproxy.SeverityWarning:
				entry.Warn(line.Message)
			default:
				entry.Error(line.Message)
			}
		}
		// A line longer than the buffer: drain the rest, so HAProxy never blocks on its stderr.
		_, _ = io.Copy(io.Discard, r)
	}()
	return w
}
