package testtls

import (
	"bytes"
	"fmt"
	"strings"
)

// KeyMaterialIn returns what text holds of a private key: a PEM boundary ("-----BEGIN"), the
// words "PRIVATE KEY", and every base64 line of the pair's key (each is searched for on its own,
// so a key cut into pieces or wrapped into log fields is still found). Nil when it holds none.
func (p Pair) KeyMaterialIn(text string) []string {
	var found []string
	for _, marker := range []string{"-----BEGIN", "PRIVATE KEY"} {
		if strings.Contains(text, marker) {
			found = append(found, marker)
		}
	}
	lines := p.KeyLines()
	for i, line := range lines {
		if strings.Contains(text, line) {
			// By number: the finding itself must not print the key.
			found = append(found, fmt.Sprintf("key line %d of %d", i+1, len(lines)))
		}
	}
	return found
}

// KeyLines are the base64 lines of the key's PEM, without its BEGIN and END lines.
func (p Pair) KeyLines() []string {
	var lines []string
	for _, line := range bytes.Split(p.KeyPEM, []byte("\n")) {
		if len(line) > 0 && !bytes.HasPrefix(line, []byte("-----")) {
			lines = append(lines, string(line))
		}
	}
	return lines
}
