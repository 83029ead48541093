package syntax

import (
	"strings"
)

// Quote makes a value one word of haproxy.cfg. Single quotes keep everything literal ("#", "$",
// spaces); a single quote inside ends the quoted part, is escaped, and a new quoted part begins.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\#$") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// RuntimeArg checks one argument of a runtime API command: the socket reads ";" as the end of a
// command and a newline as the end of the request, and splits arguments on spaces.
func RuntimeArg(s string) bool {
	return s != "" && !strings.ContainsAny(s, "; \t\r\n\\'\"#")
}
