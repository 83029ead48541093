// Package auth stands in for the HTTP basic and digest authentication library that Traefik's
// BasicAuth and DigestAuth middlewares use (Traefik builds with a fork the module proxy does not
// serve). It has only the names Traefik's code refers to, and it fails closed: no password ever
// matches and no digest is ever accepted, so every request to a route with either middleware is
// answered 401. The benchmark configures neither middleware.
package auth

import "net/http"

// unavailable is the body of every challenge this stand-in sends.
const unavailable = "authentication is not available in this build\n"

// SecretProvider returns the stored secret of user in realm, or "" when there is none.
type SecretProvider func(user, realm string) string

// CheckSecret reports whether password matches secret; in this build it never does.
func CheckSecret(password, secret string) bool { return false }

// BasicAuth holds the realm and the secret lookup of a basic-auth middleware.
type BasicAuth struct {
	Realm   string
	Secrets SecretProvider
}

// RequireAuth refuses the request with 401.
func (a *BasicAuth) RequireAuth(w http.ResponseWriter, r *http.Request) {
	refuse(w, "Basic", a.Realm, false)
}

// DigestAuth holds the realm and the secret lookup of a digest-auth middleware.
type DigestAuth struct {
	Realm   string
	Secrets SecretProvider
}

// NewDigestAuthenticator returns a digest authenticator for realm.
func NewDigestAuthenticator(realm string, secrets SecretProvider) *DigestAuth {
	return &DigestAuth{Realm: realm, Secrets: secrets}
}

// CheckAuth authenticates nobody: it returns no user and no detail.
func (a *DigestAuth) CheckAuth(r *http.Request) (string, *string) { return "", nil }

// RequireAuth refuses the request with 401.
func (a *DigestAuth) RequireAuth(w http.ResponseWriter, r *http.Request) {
	refuse(w, "Digest", a.Realm, false)
}

// RequireAuthStale refuses the request with 401, as RequireAuth does.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	refuse(w, "Digest", a.Realm, true)
}

// DigestAuthParams parses nothing in this build: it returns an empty map, so lookups give "".
func DigestAuthParams(authorization string) map[string]string { return map[string]string{} }

func refuse(w http.ResponseWriter, scheme, realm string, stale bool) {
	challenge := scheme + ` realm="` + realm + `"`
	if stale {
		challenge += `, stale=true`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unavailable))
}
