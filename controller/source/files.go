package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/haproxy-gateway/haproxy-gateway/controller/snapshot"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Files reads objects from the YAML files (*.yaml, *.yml, multi-document) of a directory tree and
// re-reads them when their content changes. Objects without a namespace get "default", as kubectl
// would give them.
type Files struct {
	dir      string
	interval time.Duration
	changes  notifier

	mu      sync.Mutex
	current *snapshot.Snapshot
	digest  [32]byte
	err     error
}

// NewFiles reads dir every interval.
func NewFiles(dir string, interval time.Duration) *Files {
	return &Files{dir: dir, interval: interval, changes: newNotifier()}
}

func (f *Files) Changes() <-chan struct{} { return f.changes }

// Start loads the directory once and then watches it until ctx ends.
func (f *Files) Start(ctx context.Context) error {
	if err := f.reload(); err != nil {
		return err
	}
	go func() {
		ticker := time.NewTicker(f.interval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				// A read error (a file half written by an editor) keeps the last good view.
				_ = f.reload()
			}
		}
	}()
	return nil
}

func (f *Files) Snapshot(context.Context) (*snapshot.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == nil {
		return nil, f.err
	}
	return f.current.DeepCopy(), nil
}

func (f *Files) reload() error {
	raw, err := readTree(f.dir)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(raw)
	f.mu.Lock()
	unchanged := f.current != nil && digest == f.digest
	f.mu.Unlock()
	if unchanged {
		return nil
	}
	snap, err := Decode(raw)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.err = err
		return err
	}
	f.current, f.digest, f.err = snap, digest, nil
	f.changes.notify()
	return nil
}

// readTree concatenates every YAML file under dir in path order, as separate documents.
func readTree(dir string) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(paths)
	var all bytes.Buffer
	for _, p := range paths {
		content, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&all, "\n---\n# %s\n", p)
		all.Write(content)
	}
	return all.Bytes(), nil
}

// Decode reads YAML documents of the kinds a build uses into a sorted snapshot.
func Decode(raw []byte) (*snapshot.Snapshot, error) {
	decoder := serializer.NewCodecFactory(Scheme()).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufioReader(raw))
	snap := &snapshot.Snapshot{}
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("decode object: %w", err)
		}
		switch o := obj.(type) {
		case *gatewayv1.GatewayClass:
			snap.GatewayClasses = append(snap.GatewayClasses, *o)
		case *gatewayv1.Gateway:
			defaultNamespace(&o.Namespace)
			snap.Gateways = append(snap.Gateways, *o)
		case *gatewayv1.TLSRoute:
			defaultNamespace(&o.Namespace)
			snap.TLSRoutes = append(snap.TLSRoutes, *o)
		case *gatewayv1.HTTPRoute:
			defaultNamespace(&o.Namespace)
			snap.HTTPRoutes = append(snap.HTTPRoutes, *o)
		case *gatewayv1.ReferenceGrant:
			defaultNamespace(&o.Namespace)
			snap.ReferenceGrants = append(snap.ReferenceGrants, *o)
		case *corev1.Service:
			defaultNamespace(&o.Namespace)
			snap.Services = append(snap.Services, *o)
		case *discoveryv1.EndpointSlice:
			defaultNamespace(&o.Namespace)
			snap.EndpointSlices = append(snap.EndpointSlices, *o)
		case *corev1.Secret:
			defaultNamespace(&o.Namespace)
			// stringData is a write-only convenience of the API server; apply it here the same way.
			for k, v := range o.StringData {
				if o.Data == nil {
					o.Data = map[string][]byte{}
				}
				o.Data[k] = []byte(v)
			}
			snap.Secrets = append(snap.Secrets, *o)
		case *corev1.Namespace:
			snap.Namespaces = append(snap.Namespaces, *o)
		default:
			return nil, fmt.Errorf("unsupported kind %s", gvk.Kind)
		}
	}
	// Files have no API server to give generations; 1 lets observedGeneration read as current.
	setGenerations(snap)
	snap.Sort()
	return snap, nil
}

func defaultNamespace(ns *string) {
	if *ns == "" {
		*ns = "default"
	}
}
