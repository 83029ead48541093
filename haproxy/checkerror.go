package haproxy

import (
	"regexp"
	"strings"
)

// CheckError is a configuration that did not pass its check, so it never reached HAProxy's master
// and the running configuration was not touched: "haproxy -c" refused it, or its files could not
// be written (a file name too long, for example). Both come from what the objects asked for, so
// the controller can look for the objects responsible; Message says what HAProxy said.
type CheckError struct {
	// Message is HAProxy's own alerts, one line each joined by "; ", with file paths relative to
	// the configuration's folder. It never holds file contents (HAProxy prints paths only), so no
	// key material.
	Message string
}

func (e *CheckError) Error() string { return "haproxy -c refused the configuration: " + e.Message }

// Bounds on a check message: conditions and log lines stay readable, and one bad object cannot
// flood the status of every object that carries the message.
const (
	maxCheckLine    = 300
	maxCheckMessage = 1000
)

// alertPrefix is HAProxy's "[ALERT]    (1234) : config : " in front of what went wrong.
var alertPrefix = regexp.MustCompile(`^\[ALERT\]\s*\(\d+\)\s*:\s*(config\s*:\s*)?`)

// checkMessage keeps what "haproxy -c" says is wrong: its ALERT lines, without the process id, the
// summary lines that only repeat that something was wrong, and the folder the configuration was
// checked in (a staging folder that is gone by the time anyone reads the message).
func checkMessage(output, dir string) string {
	var alerts []string
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		loc := alertPrefix.FindStringIndex(line)
		if loc == nil {
			continue
		}
		line = line[loc[1]:]
		if strings.HasPrefix(line, "Error(s) found in configuration file") || strings.HasPrefix(line, "Fatal errors found in configuration") {
			continue
		}
		alerts = append(alerts, bound(relativePaths(line, dir), maxCheckLine))
	}
	if len(alerts) == 0 {
		return ""
	}
	return bound(safeText(strings.Join(alerts, "; ")), maxCheckMessage)
}

// relativePaths writes paths inside dir relative to it.
func relativePaths(s, dir string) string {
	if dir == "" || dir == "/" {
		return s
	}
	dir = strings.TrimSuffix(dir, "/")
	return strings.ReplaceAll(strings.ReplaceAll(s, dir+"/", ""), dir, ".")
}

// safeText drops anything that looks like PEM. HAProxy names certificate files rather than
// printing them, but a message that reaches conditions and logs must never carry key material,
// whatever a future HAProxy version prints.
func safeText(s string) string {
	if strings.Contains(s, "-----BEGIN") || strings.Contains(s, "PRIVATE KEY") {
		return "(HAProxy's message held PEM data and is not shown)"
	}
	return s
}

// bound cuts s to at most n bytes, on a UTF-8 boundary, marking the cut.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
