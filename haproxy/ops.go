package haproxy

import "fmt"

// OpKind is one kind of runtime API change.
type OpKind int

const (
	// AddServer adds a server (it starts in maintenance) ...
	AddServer OpKind = iota
	// EnableServer ... and this puts it into service.
	EnableServer
	SetWeight
	AddMapEntry
	SetMapEntry
	DelMapEntry
	// DrainServer stops new connections to a server about to be deleted ...
	DrainServer
	// ShutdownSessions ... closes the ones it still has (its endpoint is gone) ...
	ShutdownSessions
	// DelServer ... and removes it.
	DelServer
)

// Op is one runtime API command. Plan orders them so that nothing points at what does not exist
// yet: servers are added before map entries, and removed after.
type Op struct {
	Kind            OpKind
	Backend, Server string
	Address         string
	Weight          int32
	Map, Key, Value string
}

// Command is the runtime API command line for the op.
func (o Op) Command() string {
	switch o.Kind {
	case AddServer:
		return fmt.Sprintf("add server %s/%s %s weight %d", o.Backend, o.Server, o.Address, o.Weight)
	case EnableServer:
		return fmt.Sprintf("set server %s/%s state ready", o.Backend, o.Server)
	case SetWeight:
		return fmt.Sprintf("set server %s/%s weight %d", o.Backend, o.Server, o.Weight)
	case AddMapEntry:
		return fmt.Sprintf("add map %s %s %s", o.Map, o.Key, o.Value)
	case SetMapEntry:
		return fmt.Sprintf("set map %s %s %s", o.Map, o.Key, o.Value)
	case DelMapEntry:
		return fmt.Sprintf("del map %s %s", o.Map, o.Key)
	case DrainServer:
		return fmt.Sprintf("set server %s/%s state maint", o.Backend, o.Server)
	case ShutdownSessions:
		return fmt.Sprintf("shutdown sessions server %s/%s", o.Backend, o.Server)
	case DelServer:
		return fmt.Sprintf("del server %s/%s", o.Backend, o.Server)
	}
	return fmt.Sprintf("unknown op %d", o.Kind)
}
