package haproxy

import "os"

// hugePagesTunable has glibc's malloc back HAProxy's heap with transparent huge pages where the
// kernel gives them on request (transparent_hugepage "madvise", the usual default). HAProxy
// allocates and clears about 12 KiB for every backend while it loads a configuration; with 4 KiB
// pages each of them costs page faults, and with one backend per route rule that is most of the
// time a start, a reload or "haproxy -c" takes with thousands of routes. The price is a few MiB
// of resident memory. A C library other than glibc ignores it.
const hugePagesTunable = "GLIBC_TUNABLES=glibc.malloc.hugetlb=1"

// Environment is what the HAProxy processes the controller runs get: its own environment, with
// hugePagesTunable unless GLIBC_TUNABLES is set there, which is kept as the operator wrote it.
func Environment() []string {
	env := os.Environ()
	if _, set := os.LookupEnv("GLIBC_TUNABLES"); set {
		return env
	}
	return append(env, hugePagesTunable)
}
