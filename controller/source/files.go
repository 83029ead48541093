package source

import (
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
	"github.com/haproxy-gateway/haproxy-gateway/controller/source/validate"
	"github.com/sirupsen/logrus"
	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Files reads objects from the YAML files (*.yaml, *.yml, multi-document) of a directory tree and
// re-reads them when their content changes. Objects without a namespace get "default", as kubectl
// would give them. Every object is first validated as an API server would validate it (see
// package validate); one it would refuse is left out and reported in the snapshot's Rejected and
// in the log, and the other objects go on.
type Files struct {
	dir      string
	interval time.Duration
	changes  notifier
	log      logrus.FieldLogger

	mu      sync.Mutex
	current *snapshot.Snapshot
	digest  [32]byte
	err     error
	// readable holds the last content of each file whose documents were all YAML, used in place
	// of a file that stops being readable, as a cluster keeps what was applied from a manifest
	// that no longer parses. Only reload touches it.
	readable map[string][]byte
}

// NewFiles reads dir every interval; log (nil: logrus's standard logger) gets the objects refused.
func NewFiles(dir string, interval time.Duration, log logrus.FieldLogger) *Files {
	if log == nil {
		log = logrus.StandardLogger()
	}
	return &Files{dir: dir, interval: interval, changes: newNotifier(), log: log, readable: map[string][]byte{}}
}

func (f *Files) Changes() <-chan struct{} { return f.changes }

// Start compiles the validation, loads the directory once and then watches it until ctx ends.
func (f *Files) Start(ctx context.Context) error {
	if err := f.reload(ctx); err != nil {
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
				// A directory that cannot be read keeps the last view.
				_ = f.reload(ctx)
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

func (f *Files) reload(ctx context.Context) error {
	files, digest, err := readTree(f.dir)
	var v *validate.Validator
	if err == nil {
		v, err = validator()
	}
	f.mu.Lock()
	unchanged := f.current != nil && digest == f.digest
	if err != nil {
		f.err = err
	}
	f.mu.Unlock()
	if err != nil || unchanged {
		return err
	}
	snap := f.decode(ctx, v, files)
	f.logRejected(snap.Rejected)
	f.mu.Lock()
	f.current, f.digest, f.err = snap, digest, nil
	f.mu.Unlock()
	f.changes.notify()
	return nil
}

// decode reads every file; an unreadable one is replaced by its last readable content, if any.
func (f *Files) decode(ctx context.Context, v *validate.Validator, files []yamlFile) *snapshot.Snapshot {
	snap := &snapshot.Snapshot{}
	readable := map[string][]byte{}
	for _, file := range files {
		d := decodeFile(ctx, v, file)
		if !d.unreadable {
			readable[file.path] = file.content
		} else if last, ok := f.readable[file.path]; ok {
			readable[file.path] = last
			refused := d.rejected
			d = decodeFile(ctx, v, yamlFile{file.path, last})
			for _, r := range refused {
				if r.Kind == "" {
					r.Messages = append(r.Messages, "the file's last readable version stays in use")
					d.rejected = append(d.rejected, r)
				}
			}
		}
		addAll(snap, d)
	}
	f.readable = readable
	finish(snap)
	return snap
}

// logRejected logs each refused document with what is wrong with it; messages never hold Secret
// data.
func (f *Files) logRejected(rejected []snapshot.Rejected) {
	for _, r := range rejected {
		log := f.log.WithFields(logrus.Fields{"file": r.File, "document": r.Document, "errors": strings.Join(r.Messages, "; ")})
		if r.Kind == "" {
			log.Error("YAML document cannot be read")
			continue
		}
		object := r.Name
		if r.Namespace != "" {
			object = r.Namespace + "/" + r.Name
		}
		log.WithFields(logrus.Fields{"kind": r.Kind, "object": object}).Error("object left out: an API server would refuse it")
	}
}

// readTree reads every YAML file under dir in path order; digest changes with any name or content.
func readTree(dir string) ([]yamlFile, [32]byte, error) {
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
		return nil, [32]byte{}, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(paths)
	hash := sha256.New()
	files := make([]yamlFile, 0, len(paths))
	for _, p := range paths {
		content, err := os.ReadFile(p)
		if err != nil {
			return nil, [32]byte{}, err
		}
		fmt.Fprintf(hash, "%s\x00%d\x00", p, len(content))
		hash.Write(content)
		files = append(files, yamlFile{path: p, content: content})
	}
	var digest [32]byte
	hash.Sum(digest[:0])
	return files, digest, nil
}

// Decode reads YAML documents of the kinds a build uses into a sorted snapshot, without the
// validation a Files source applies: build tests feed it objects no API server would accept, to
// exercise the build's own defences.
func Decode(raw []byte) (*snapshot.Snapshot, error) {
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
		if len(stripComments(doc)) == 0 {
			continue
		}
		obj, gvk, err := deserializer().Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("decode object: %w", err)
		}
		if !add(snap, obj) {
			return nil, fmt.Errorf("unsupported kind %s", gvk.Kind)
		}
	}
	finish(snap)
	return snap, nil
}

// addAll puts what one file gave into the snapshot.
func addAll(snap *snapshot.Snapshot, d decodedFile) {
	snap.Rejected = append(snap.Rejected, d.rejected...)
	for _, obj := range d.objects {
		add(snap, obj)
	}
}

// add puts obj into the snapshot by kind; false for a kind the build does not read.
func add(snap *snapshot.Snapshot, obj runtime.Object) bool {
	switch o := obj.(type) {
	case *gatewayv1.GatewayClass:
		snap.GatewayClasses = append(snap.GatewayClasses, *o)
	case *gatewayv1.Gateway:
		defaultNamespace(&o.Namespace)
		snap.Gateways = append(snap.Gateways, *o)
	case *gatewayv1.TLSRoute:
		defaultNamespace(&o.Namespace)
		snap.TLSRoutes = append(snap.TLSRoutes, o)
	case *gatewayv1.HTTPRoute:
		defaultNamespace(&o.Namespace)
		snap.HTTPRoutes = append(snap.HTTPRoutes, o)
	case *gatewayv1.GRPCRoute:
		defaultNamespace(&o.Namespace)
		snap.GRPCRoutes = append(snap.GRPCRoutes, o)
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
	case *gatewayv1.BackendTLSPolicy:
		defaultNamespace(&o.Namespace)
		snap.BackendTLSPolicies = append(snap.BackendTLSPolicies, *o)
	case *corev1.ConfigMap:
		defaultNamespace(&o.Namespace)
		snap.ConfigMaps = append(snap.ConfigMaps, *o)
	case *certificatesv1.ClusterTrustBundle:
		o.Namespace = ""
		snap.ClusterTrustBundles = append(snap.ClusterTrustBundles, *o)
	case *certificatesv1beta1.ClusterTrustBundle:
		o.Namespace = ""
		snap.ClusterTrustBundles = append(snap.ClusterTrustBundles, trustBundleV1(o))
	default:
		return false
	}
	return true
}

// finish does what an API server would have done to stored objects, and sorts.
func finish(snap *snapshot.Snapshot) {
	// Files have no API server to give generations; 1 lets observedGeneration read as current.
	setGenerations(snap)
	snap.Sort()
}

func defaultNamespace(ns *string) {
	if *ns == "" {
		*ns = "default"
	}
}
