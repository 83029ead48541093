package haproxy

import (
	"fmt"
	"strings"

	"github.com/haproxy-gateway/haproxy-gateway/haproxy/syntax"
)

// unsafeArgument returns the first argument of an op that the runtime socket would not read as
// one argument (a ";" ends a command there, a new line the request, a space an argument), or "".
// The build's validation keeps such strings out; this is the last check before the socket, so a
// gap there can never turn into a second command.
func (o Op) unsafeArgument() string {
	args := []string{o.Backend, o.Server, o.Map, o.Key, o.Value, o.CrtList, o.Cert, o.CAFile, o.Hostname, o.ClientCert}
	if o.Address != "" {
		args = append(args, o.Address)
	}
	args = append(args, strings.Fields(o.Line)...)
	if strings.ContainsAny(o.Line, ";\r\n") {
		return o.Line
	}
	for key, value := range o.Entries {
		args = append(args, key, value)
	}
	for _, a := range args {
		if a != "" && !syntax.RuntimeArg(a) {
			return a
		}
	}
	return ""
}

// checkOps refuses a plan whose ops carry an unsafe argument: such a change goes through the
// files and a reload, where haproxy -c checks it, never through the socket.
func checkOps(p Plan) Plan {
	for _, op := range p.Ops {
		if arg := op.unsafeArgument(); arg != "" {
			return reload(UnsafeRuntimeArgument, fmt.Sprintf("%s: argument %s cannot be sent to the runtime API", op.Kind, syntax.Printable(arg)))
		}
	}
	return p
}
