package syntax

import "sync"

// A build checks the names of every object on every pass, and names rarely change: the names found
// valid are remembered, so a pass over 10,000 routes does not run 10,000 regular expressions
// again. Only valid names are kept (an error carries its message, and bad names are few); the set
// starts over when it is full, so churning names cannot grow it without bound.
type validNames struct {
	mu    sync.Mutex
	names map[validName]bool
}

type validName struct {
	kind  byte
	value string
}

// maxValidNames bounds the set: about 10 MB of names at most.
const maxValidNames = 200_000

var checked validNames

// check runs the check of kind on value unless value passed it before.
func (v *validNames) check(kind byte, value string, check func(string) error) error {
	key := validName{kind, value}
	v.mu.Lock()
	ok := v.names[key]
	v.mu.Unlock()
	if ok {
		return nil
	}
	if err := check(value); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.names == nil || len(v.names) >= maxValidNames {
		v.names = map[validName]bool{}
	}
	v.names[key] = true
	return nil
}
