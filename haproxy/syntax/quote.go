package syntax

import (
	"encoding/hex"
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

// HeaderEquals is the inside of a condition "some occurrence of header name, taken whole (commas
// included), is exactly value". A "'" in the name is escaped for the fetch's argument parser, then
// the fetch is quoted for the configuration parser, so "#" and "'" stay part of the name. The value
// is compared in upper-case hex: a value starting with "-" is never read as a flag, and "{", "}",
// "#" or quotes never end a condition, a word or a line.
func HeaderEquals(name, value string) string {
	fetch := Quote("req.fhdr(" + strings.ReplaceAll(name, "'", `\'`) + ")")
	if value == "" {
		// haproxy.cfg has no empty word to compare with.
		return fetch + " -m len 0"
	}
	return fetch + ",hex -m str " + strings.ToUpper(hex.EncodeToString([]byte(value)))
}

// RuntimeArg checks one argument of a runtime API command: the socket reads ";" as the end of a
// command and a newline as the end of the request, and splits arguments on spaces.
func RuntimeArg(s string) bool {
	return s != "" && !strings.ContainsAny(s, "; \t\r\n\\'\"#")
}
