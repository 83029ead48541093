package controller

import (
	"fmt"
	"io"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
)

// NewLogger makes the process logger: level "debug", "info", "warn" or "error"; format "text" or
// "json".
func NewLogger(out io.Writer, level, format string) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(out)
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	log.SetLevel(lvl)
	switch format {
	case "text":
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	case "json":
		log.SetFormatter(&logrus.JSONFormatter{})
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return log, nil
}

// Logr bridges logr (controller-runtime, client-go) to logrus, so every line has one format.
// logr's V-levels 1 to maxVerbosity are debug lines; higher ones are never written.
func Logr(log logrus.FieldLogger) logr.Logger { return logr.New(&logrusSink{log: log}) }

// maxVerbosity is the highest logr V-level written. client-go logs request and response bodies
// from level 6 up, and bodies of Secrets hold keys: no log level lets them through.
const maxVerbosity = 4

type logrusSink struct {
	log  logrus.FieldLogger
	name string
}

func (s *logrusSink) Init(logr.RuntimeInfo) {}

func (s *logrusSink) Enabled(level int) bool {
	if level > maxVerbosity {
		return false
	}
	if l, ok := s.log.(*logrus.Logger); ok {
		return level == 0 || l.IsLevelEnabled(logrus.DebugLevel)
	}
	if e, ok := s.log.(*logrus.Entry); ok {
		return level == 0 || e.Logger.IsLevelEnabled(logrus.DebugLevel)
	}
	return level == 0
}

func (s *logrusSink) Info(level int, msg string, kv ...any) {
	entry := s.entry(kv)
	if level > 0 {
		entry.Debug(msg)
		return
	}
	entry.Info(msg)
}

func (s *logrusSink) Error(err error, msg string, kv ...any) {
	s.entry(kv).WithError(err).Error(msg)
}

func (s *logrusSink) WithValues(kv ...any) logr.LogSink {
	return &logrusSink{log: s.entry(kv), name: s.name}
}

func (s *logrusSink) WithName(name string) logr.LogSink {
	if s.name != "" {
		name = s.name + "." + name
	}
	return &logrusSink{log: s.log.WithField("logger", name), name: name}
}

func (s *logrusSink) entry(kv []any) *logrus.Entry {
	fields := logrus.Fields{}
	for i := 0; i+1 < len(kv); i += 2 {
		fields[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return s.log.WithFields(fields)
}
