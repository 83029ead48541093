package bench

import (
	"testing"
	"time"
)

func TestSummarizeNearestRank(t *testing.T) {
	var samples []time.Duration
	for i := 200; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(samples, 2)
	if s.P50 != 100*time.Millisecond || s.P99 != 198*time.Millisecond || s.Min != time.Millisecond || s.Max != 200*time.Millisecond || s.N != 200 || s.Failed != 2 {
		t.Errorf("got %+v", s)
	}
	if got := Median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median %v, want 2.5", got)
	}
}

func TestStageSharesFromPprofTop(t *testing.T) {
	top := `      flat  flat%   sum%        cum   cum%
         0     0%     0%      6.12s 35.03%  github.com/haproxy-gateway/haproxy-gateway/controller/translate.build
         0     0%     0%      6.12s 35.03%  github.com/haproxy-gateway/haproxy-gateway/controller/translate.(*Builder).Build
     0.04s  0.23%  0.29%      4.70s 26.90%  github.com/haproxy-gateway/haproxy-gateway/controller/status.(*KubeWriter).Write.func3
     0.03s  0.17%  0.46%      4.60s 26.30%  github.com/haproxy-gateway/haproxy-gateway/controller/status.(*KubeWriter).Write`
	got := StageShares(top)
	if len(got) != 2 || got[0].CumPercent != 35.03 || got[1].CumPercent != 26.30 {
		t.Errorf("got %+v", got)
	}
}
