package testtls

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// KeyMaterialIn returns what text holds of a private key: a PEM boundary ("-----BEGIN"), the
// words "PRIVATE KEY", every base64 line of the pair's key, and every 64-character piece of the
// base64 of its whole PEM (how a Secret's data travels in JSON). Each is searched for on its own,
// so a key cut into pieces or wrapped into log fields is still found. Nil when it holds none.
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
	encoded := base64.StdEncoding.EncodeToString(p.KeyPEM)
	for i := 0; i+64 <= len(encoded); i += 64 {
		if strings.Contains(text, encoded[i:i+64]) {
			found = append(found, fmt.Sprintf("piece %d of the key's base64 PEM", i/64+1))
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
