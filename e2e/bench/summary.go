package bench

import (
	"math"
	"slices"
	"time"
)

// Summary is the distribution of repeated measurements of one figure.
type Summary struct {
	N        int
	P50, P99 time.Duration
	Min, Max time.Duration
	// Failed counts measurements that did not finish within their time bound; they are not in
	// the percentiles.
	Failed int
}

// Summarize computes nearest-rank percentiles of samples.
func Summarize(samples []time.Duration, failed int) Summary {
	s := Summary{N: len(samples), Failed: failed}
	if len(samples) == 0 {
		return s
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	s.P50, s.P99 = percentile(sorted, 50), percentile(sorted, 99)
	s.Min, s.Max = sorted[0], sorted[len(sorted)-1]
	return s
}

func percentile[T any](sorted []T, p float64) T {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// Median of rates or ratios.
func Median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
