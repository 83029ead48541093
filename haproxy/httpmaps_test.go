package haproxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

// TestRuleListsInParts: however many rules share a host and path, no routes map entry outgrows
// what HAProxy reads whole, and the parts hold every rule in order.
func TestRuleListsInParts(t *testing.T) {
	var ids []string
	for i := range 100 {
		ids = append(ids, fmt.Sprintf("httproute:team-%03d:%s:rule0/0", i, strings.Repeat("n", 200)))
	}
	var routes mapLines
	setRuleList(&routes, "l@a.example.com|P/", ids)
	var joined []string
	for i, e := range routes {
		if e.key != partKey("l@a.example.com|P/", i) {
			t.Errorf("part %d has the key %q", i, e.key)
		}
		if len(e.value) > maxRuleList {
			t.Errorf("part %d holds %d bytes, more than %d", i, len(e.value), maxRuleList)
		}
		value, more := strings.CutSuffix(e.value, ",>")
		if more != (i < len(routes)-1) {
			t.Errorf("part %d of %d ends in %q", i, len(routes), e.value[len(e.value)-3:])
		}
		joined = append(joined, strings.Split(value, ",")...)
	}
	if len(routes) < 2 || strings.Join(joined, ",") != strings.Join(ids, ",") {
		t.Errorf("%d parts hold %d rules; want every one of the %d in order", len(routes), len(joined), len(ids))
	}
}

// TestTiers: on a virtual host served by routes that name it with different precision, the more
// precise routes' rules are tier 0 and the others follow in tiers of their own, whatever their
// paths; "|tiers" says how many.
func TestTiers(t *testing.T) {
	id := func(name string) model.BackendID {
		return model.BackendID{Kind: "HTTPRoute", Namespace: "default", Name: name}
	}
	sock := model.Socket{VirtualHosts: []model.VirtualHost{{Hostname: "a.example.com", Listener: "l", Rules: []model.HTTPRule{
		{PathType: model.PathPrefix, Path: "/", Backend: id("exact"), HostnameRank: 1024},
		{PathType: model.PathPrefix, Path: "/longer/path", Backend: id("wildcard"), HostnameRank: 3},
		{PathType: model.PathPrefix, Path: "/", Backend: id("any")},
	}}}}
	var got []string
	for e := range httpMaps(sock).routes.All() {
		got = append(got, e.key+" "+e.value)
	}
	want := []string{
		"l@a.example.com|1P/longer/path httproute:default:wildcard:rule0/0",
		"l@a.example.com|2P/ httproute:default:any:rule0/0",
		"l@a.example.com|P/ httproute:default:exact:rule0/0",
		"l@a.example.com|tiers 3",
		"|depth 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("routes map:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
