package haproxy

import (
	"fmt"
	"strings"
)

// Commands that carry a payload ("set ssl cert <file> <<", "add map @<version> <map> <<") go one
// per connection (CLICommand), outside the session: there, whatever follows the command is never
// read as another command. A certificate's payload is its private key, so whatever comes back,
// answer or error, is redacted against the payload before anything can print it.

// sendPayload sends "<command> <<", the payload and the blank line that ends it, and returns
// HAProxy's answer, trimmed. Neither the answer nor the error holds any part of the payload.
func (r *runtimeAPI) sendPayload(command string, payload []byte) (string, error) {
	body := strings.TrimRight(string(payload), "\n")
	if body == "" || strings.Contains(body, "\n\n") {
		// HAProxy ends a payload at its first blank line and would run the rest as commands.
		return "", fmt.Errorf("payload of %d bytes is empty or has a blank line", len(payload))
	}
	answer, err := CLICommand(r.socket, command+" <<\n"+body+"\n")
	if err != nil {
		return "", fmt.Errorf("%s", redact(err.Error(), payload))
	}
	return redact(strings.TrimSpace(answer), payload), nil
}

// setCert loads a certificate file's new content into a transaction; CommitCert makes it live.
func (r *runtimeAPI) setCert(file string, payload []byte) error {
	answer, err := r.sendPayload("set ssl cert "+file, payload)
	if err != nil {
		return err
	}
	// 2.6 answers "Transaction created for certificate <file>!" ("updated" for an open one),
	// after any warnings.
	if !strings.Contains(answer, "Transaction created") && !strings.Contains(answer, "Transaction updated") {
		return fmt.Errorf("HAProxy answered %q", answer)
	}
	return nil
}

const (
	// maxAnswer bounds how much of an answer goes into an error: HAProxy's messages are one or
	// two lines.
	maxAnswer = 256
	// minRedacted is the shortest run of base64 characters that is redacted when the payload
	// holds it: long enough to leave words and names alone, short enough to catch any useful
	// piece of a key line (64 characters).
	minRedacted = 12
)

// redact makes text safe to print after a command that carried payload: everything from a PEM
// boundary ("-----") on is dropped, every run of base64 characters that also occurs in the
// payload becomes "[redacted]", and the rest is cut to maxAnswer bytes.
func redact(text string, payload []byte) string {
	if i := strings.Index(text, "-----"); i >= 0 {
		text = text[:i] + "[redacted]"
	}
	secret := string(payload)
	var out strings.Builder
	for len(text) > 0 {
		n := strings.IndexFunc(text, func(c rune) bool { return !isBase64(c) })
		if n < 0 {
			n = len(text)
		}
		if run := text[:n]; len(run) >= minRedacted && strings.Contains(secret, run) {
			out.WriteString("[redacted]")
		} else {
			out.WriteString(run)
		}
		text = text[n:]
		if len(text) > 0 {
			out.WriteByte(text[0])
			text = text[1:]
		}
	}
	s := out.String()
	if len(s) > maxAnswer {
		s = strings.ToValidUTF8(s[:maxAnswer], "") + "..."
	}
	return s
}

func isBase64(c rune) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
