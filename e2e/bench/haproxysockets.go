package bench

import (
	"fmt"
	"net"

	"github.com/haproxy-gateway/haproxy-gateway/haproxy"
)

// Processes is what the master's "show proc" says: the master, the current worker and how many
// times the master reloaded.
type Processes struct {
	Master, Worker int
	Reloads        int
}

// ShowProc asks the master on socket.
func ShowProc(socket string) (Processes, error) {
	procs, err := haproxy.AttachMaster(socket).Procs()
	if err != nil {
		return Processes{}, err
	}
	p := Processes{Master: procs.Master, Reloads: procs.Reloads}
	if len(procs.Current) > 0 {
		p.Worker = procs.Current[0]
	}
	if p.Master == 0 || p.Worker == 0 {
		return p, fmt.Errorf("show proc: no master or worker in %+v", procs)
	}
	return p, nil
}

// ServerRunning reports whether backend has a server at address that HAProxy runs: in "show
// servers state", operational state 2 (running) and administrative state 0 (not in maintenance).
// It asks on session, which the caller keeps open from one ask to the next: a connection per ask
// would add HAProxy's accept and the client's connect to every sample and wait behind them.
func ServerRunning(session *haproxy.CLISession, backend, address string) (bool, error) {
	answers, err := session.Run([]string{"show servers state " + backend})
	if err != nil {
		return false, err
	}
	servers, err := haproxy.ParseServersState(answers[0])
	if err != nil {
		return false, err
	}
	for _, s := range servers {
		if host, _, _ := net.SplitHostPort(s.Address); s.Backend == backend && host == address {
			return s.Running, nil
		}
	}
	return false, nil
}
