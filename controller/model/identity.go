package model

import "reflect"

// A model is never changed in place: a new version shares what did not change with the one
// before. So one list or map in both versions is unchanged, and telling that costs a comparison
// of pointers, however long the list.

// SameSlice reports whether a and b are one slice (or both empty).
func SameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// SameSNIRoute reports whether two SNI routes are equal: at once when they are one entry, which a
// model shares with the last one when a change did not touch it.
func SameSNIRoute(a, b *SNIRoute) bool { return a == b || *a == *b }

// SameMap reports whether a and b are one map (or both nil).
func SameMap[K comparable, V any](a, b map[K]V) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}
