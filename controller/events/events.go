// Package events turns the status a pass publishes into Kubernetes Events: a Warning when a
// condition turns into a failure, a Normal one when it clears. Conditions already say what is
// wrong; an Event says when it went wrong, and shows in `kubectl describe` where people look first.
package events

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Event types, as the API names them.
const (
	Warning = "Warning"
	Normal  = "Normal"
)

// Object names the API object an Event is about.
type Object struct {
	Kind      string
	Namespace string
	Name      string
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Event is one thing a person should learn about an object.
type Event struct {
	Object Object
	Type   string
	// Reason is the condition's reason: the spec's CamelCase word (InvalidCertificateRef, ...).
	Reason string
	// Action is what the controller was doing: "Validate" for Accepted and ResolvedRefs,
	// "Program" for Programmed.
	Action string
	Note   string
}

// Recorder publishes Events. Record must not block on the API server.
type Recorder interface {
	Record(ctx context.Context, e Event)
}

// maxNote is the longest note events.k8s.io/v1 accepts (1 kB); HAProxy's messages can be longer.
const maxNote = 1024

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " ..."
	s = s[:n-len(mark)]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + mark
}

func (e Event) String() string {
	return fmt.Sprintf("%s %s %s: %s", e.Type, e.Object, e.Reason, e.Note)
}
