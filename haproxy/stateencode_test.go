package haproxy

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStateEncodingDecodesAsMarshal: the saved state written piece by piece reads back as the
// same state json.Marshal's encoding does, for the data plane of every build golden and for an
// empty one.
func TestStateEncodingDecodesAsMarshal(t *testing.T) {
	states := map[string]savedState{"empty": {}}
	for name, m := range goldenModels(t) {
		states[name] = savedState{Model: m.DataPlane, Sections: map[string]bool{"a<b": true, "spare:0": false},
			Spares: map[string]string{"tlsroute:default:foo:rule0": "spare:0"}, Workers: []int{41, 42}, SparePool: 16, HTTPSparePool: 4,
			Leaving: leaving{{Kind: DelServer, Backend: "spare:0", Server: "a"}, {Kind: DelCert, File: "/b.pem"}}}
	}
	for name, st := range states {
		var streamed bytes.Buffer
		if err := encodeState(&streamed, &st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		whole, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		var got, want savedState
		if err := json.Unmarshal(streamed.Bytes(), &got); err != nil {
			t.Fatalf("%s: the written state does not read back: %v\n%s", name, err, streamed.Bytes())
		}
		if err := json.Unmarshal(whole, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: state read back (-marshal +written):\n%s", name, diff)
		}
	}
	if len(states) < 2 {
		t.Fatal("no data planes")
	}
}
