package haproxy

import (
	"regexp"
	"strconv"
	"strings"
)

// Severity is how much a line HAProxy writes matters to a person reading the controller's log.
type Severity int

const (
	SeverityDebug Severity = iota
	SeverityInfo
	SeverityWarning
	SeverityError
)

// OutputLine is one line of HAProxy's own output (master and workers), parsed.
type OutputLine struct {
	Severity Severity
	// PID is the process that wrote it; 0 when the line does not say.
	PID int
	// Message is the text without HAProxy's prefix.
	Message string
}

// OutputParser reads HAProxy's output one line at a time. HAProxy 2.6 writes two kinds of lines
// to stderr here: its own messages, "[NOTICE]   (1234) : text" ([ALERT], [WARNING], [NOTICE],
// [DEBUG]), and the log lines of the configuration's "log stderr format short", "<N>text" with a
// syslog priority. Every event of a proxy or server that logs comes as both (measured on 2.6.12:
// "Proxy x stopped", "Server b/s is DOWN", "backend 'b' has no server available!"; route backends
// do not log, see the template), so a log line that repeats the message just before it is kept
// at Debug. Use one parser per HAProxy output: it
// remembers the previous line.
type OutputParser struct {
	previous string
}

var (
	messagePrefix = regexp.MustCompile(`^\[(ALERT|WARNING|NOTICE|DEBUG)\]\s*(?:\((\d+)\))?\s*:\s?`)
	syslogPrefix  = regexp.MustCompile(`^<(\d{1,3})>`)
	// chatter is what HAProxy says about every proxy on every reload or stop, as a WARNING: 1,000
	// lines per reload at 1,000 routes, none of them a problem.
	chatter = regexp.MustCompile(`^(Proxy \S+ stopped \(cumulated conns|Stopping (frontend|backend|proxy) \S+ in \d+ ms)`)
	// routine are the master's WARNINGs of a reload or a deliberate stop going as planned, and
	// what a server does because a runtime API command said so ("CLI : "): every endpoint that
	// moves adds a server, puts it in service and takes the old one out.
	routine = regexp.MustCompile(`^(Reexecuting Master process|Former worker \(\d+\) exited with code 0 |Exiting Master process|All workers exited\. Exiting\.\.\. \(0\)|CLI : Server \S+ is (UP/READY|going DOWN for maintenance)[ .])`)
)

// cliPrefix starts HAProxy's messages about what a runtime API command did; its log lines of the
// same event do not have it.
const cliPrefix = "CLI : "

// Parse reads one line, without its newline.
func (p *OutputParser) Parse(line string) OutputLine {
	line = strings.TrimRight(line, "\r\n")
	out := OutputLine{Severity: SeverityInfo, Message: line}
	repeat := false
	if m := messagePrefix.FindStringSubmatch(line); m != nil {
		out.Message = line[len(m[0]):]
		out.PID, _ = strconv.Atoi(m[2])
		out.Severity = map[string]Severity{"ALERT": SeverityError, "WARNING": SeverityWarning, "NOTICE": SeverityInfo, "DEBUG": SeverityDebug}[m[1]]
	} else if m := syslogPrefix.FindStringSubmatch(line); m != nil {
		out.Message = line[len(m[0]):]
		priority, _ := strconv.Atoi(m[1])
		out.Severity = syslogSeverity(priority % 8)
		repeat = sameMessage(out.Message, p.previous)
	}
	p.previous = out.Message
	switch {
	case repeat, chatter.MatchString(out.Message):
		out.Severity = SeverityDebug
	case routine.MatchString(out.Message):
		out.Severity = SeverityInfo
	}
	return out
}

// syslogSeverity maps a syslog severity (0 emerg ... 7 debug).
func syslogSeverity(s int) Severity {
	switch {
	case s <= 3:
		return SeverityError
	case s == 4:
		return SeverityWarning
	case s <= 6:
		return SeverityInfo
	}
	return SeverityDebug
}

// sameMessage tells whether a log line repeats a message: HAProxy quotes names in its messages
// ("backend 'b'") but not in its log lines ("backend b"), and starts those a runtime API command
// caused with cliPrefix.
func sameMessage(logLine, message string) bool {
	message = strings.TrimPrefix(message, cliPrefix)
	return logLine == message || logLine == strings.ReplaceAll(message, "'", "")
}
