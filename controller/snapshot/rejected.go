package snapshot

import "slices"

// Rejected is an object a source refused to pass on, as an API server would have refused to
// store it (standalone mode reads YAML that no API server checked), or a YAML document that could
// not be read at all. It is kept so the refusal reaches the status a person reads, not only a log.
type Rejected struct {
	File string `json:"file"`
	// Document is the 1-based position of the YAML document in File.
	Document int `json:"document"`
	// Kind, Namespace and Name are empty when the document could not be read far enough.
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Messages say what is wrong, one per field, in the API server's words. They never hold the
	// data of a Secret.
	Messages []string `json:"messages"`
}

func copyRejected(in []Rejected) []Rejected {
	if in == nil {
		return nil
	}
	out := make([]Rejected, len(in))
	for i, r := range in {
		r.Messages = slices.Clone(r.Messages)
		out[i] = r
	}
	return out
}
