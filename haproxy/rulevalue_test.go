package haproxy

import (
	"strings"
	"testing"

	"github.com/haproxy-gateway/haproxy-gateway/controller/model"
)

func TestRuleValue(t *testing.T) {
	prefix := func(v string) *model.PathModifier {
		return &model.PathModifier{Type: model.ReplacePrefixMatch, Value: v}
	}
	full := func(v string) *model.PathModifier { return &model.PathModifier{Type: model.ReplaceFullPath, Value: v} }
	cases := []struct {
		name    string
		rule    model.HTTPRule
		backend string
		want    string
	}{
		{"backend only", model.HTTPRule{PathType: model.PathPrefix, Path: "/"}, "be_HTTPRoute_default_r_0", "b=be_HTTPRoute_default_r_0"},
		{"nothing", model.HTTPRule{}, "", ""},
		{"conditions", model.HTTPRule{Method: "GET",
			Headers:     []model.HeaderMatch{{Name: "X-Version", Value: "a, b"}, {Name: "x#y", Value: "-1"}},
			QueryParams: []model.QueryParamMatch{{Name: "Q", Value: "1 2&3=4"}, {Name: "q", Value: ""}}},
			"be", "b=be&m=GET&h=x-version:a%2C%20b&h=x%23y:-1&q=Q:1%202%263%3D4&q=q:"},
		{"colon and percent stay inside their part", model.HTTPRule{Headers: []model.HeaderMatch{{Name: "x", Value: "a:b%c"}}}, "be", "b=be&h=x:a%3Ab%25c"},
		{"bytes outside ASCII", model.HTTPRule{Headers: []model.HeaderMatch{{Name: "x", Value: "é\t;#\\'\""}}}, "be", "b=be&h=x:%C3%A9%09%3B%23%5C%27%22"},
		{"redirect with the status alone", model.HTTPRule{Filters: &model.HTTPFilters{Redirect: &model.Redirect{StatusCode: 302}}}, "", "rd=302"},
		{"redirect everything, prefix", model.HTTPRule{Filters: &model.HTTPFilters{Redirect: &model.Redirect{
			Scheme: "https", Hostname: "b.example.com", Port: 8443, Path: prefix("/"), StatusCode: 301}}}, "", "rd=301&rds=https&rdh=b.example.com&rdp=8443&rdx=%2F"},
		{"redirect full path", model.HTTPRule{Method: "POST", Filters: &model.HTTPFilters{Redirect: &model.Redirect{Path: full("/a b"), StatusCode: 308}}}, "",
			"m=POST&rd=308&rdf=%2Fa%20b"},
		{"redirect to an empty prefix", model.HTTPRule{Filters: &model.HTTPFilters{Redirect: &model.Redirect{Path: prefix(""), StatusCode: 302}}}, "", "rd=302&rdx="},
		{"rewrite", model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Hostname: "in.example.com", Path: prefix("/v2/")}}}, "be",
			"b=be&uh=in.example.com&ux=%2Fv2%2F"},
		{"rewrite full path", model.HTTPRule{Filters: &model.HTTPFilters{Rewrite: &model.Rewrite{Path: full("/")}}}, "be", "b=be&uf=%2F"},
		{"header modifiers", model.HTTPRule{Filters: &model.HTTPFilters{
			RequestHeaders:  &model.HeaderModifier{Set: []model.HeaderValue{{Name: "x-s", Value: "1"}}, Add: []model.HeaderValue{{Name: "x-a", Value: "a,b"}, {Name: "x-a", Value: ""}}, Remove: []string{"x-r", "x-r2"}},
			ResponseHeaders: &model.HeaderModifier{Set: []model.HeaderValue{{Name: "x-s", Value: "v:w"}}, Remove: []string{"server"}}}}, "be",
			"b=be&rqs=x-s:1&rqa=x-a:a%2Cb&rqa=x-a:&rqr=x-r&rqr=x-r2&rss=x-s:v%3Aw&rsr=server"},
		{"every key in order", model.HTTPRule{Method: "PUT", Headers: []model.HeaderMatch{{Name: "h", Value: "1"}}, QueryParams: []model.QueryParamMatch{{Name: "q", Value: "2"}},
			Filters: &model.HTTPFilters{
				RequestHeaders:  &model.HeaderModifier{Remove: []string{"a"}},
				ResponseHeaders: &model.HeaderModifier{Add: []model.HeaderValue{{Name: "b", Value: "c"}}},
				Rewrite:         &model.Rewrite{Hostname: "h.example.com", Path: full("/x")}}}, "be",
			"b=be&m=PUT&h=h:1&q=q:2&uh=h.example.com&uf=%2Fx&rqr=a&rsa=b:c"},
	}
	for _, c := range cases {
		got := encodeRule(c.rule, c.backend)
		if got != c.want {
			t.Errorf("%s: encodeRule = %q, want %q", c.name, got, c.want)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r <= ' ' || r > '~' || strings.ContainsRune(`;#'"\`, r) }) {
			t.Errorf("%s: %q holds a byte a map file or a runtime command would read", c.name, got)
		}
	}
}

func TestRuleValuePercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"AZaz09-._~":         "AZaz09-._~",
		"/":                  "%2F",
		" %:&=+\x00\x7f\xff": "%20%25%3A%26%3D%2B%00%7F%FF",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
