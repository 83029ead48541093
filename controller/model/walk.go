package model

// WalkSorted walks two lists sorted by compare side by side, in that order, and calls visit once
// for each element: with the elements of both lists that compare equal, or with nil for the list
// that has none. Lists of a model (backends by ID, SNI routes by hostname) are walked so, to find
// what differs between two versions without a map.
func WalkSorted[T any](a, b []T, compare func(x, y T) int, visit func(x, y *T)) {
	for len(a) > 0 || len(b) > 0 {
		c := 0
		switch {
		case len(a) == 0:
			c = 1
		case len(b) == 0:
			c = -1
		default:
			c = compare(a[0], b[0])
		}
		switch {
		case c < 0:
			visit(&a[0], nil)
			a = a[1:]
		case c > 0:
			visit(nil, &b[0])
			b = b[1:]
		default:
			visit(&a[0], &b[0])
			a, b = a[1:], b[1:]
		}
	}
}
