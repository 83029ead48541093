# haproxy-gateway controller on an official HAProxy image: the controller checks every configuration
# with `haproxy -c` before HAProxy loads it, so it needs the same HAProxy beside it. The Helm chart
# runs this image as the controller container and the official HAProxy image as the haproxy
# container of each pod; they share the configuration and sockets through an emptyDir.
# (Not built in this repository's CI: it has no Docker engine.)
FROM golang:1.26-bookworm AS build
# Gateway API v1.7.0 needs Go 1.27: the go command fetches this toolchain from the module proxy.
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/haproxy-gateway .

FROM haproxy:2.6-bookworm
COPY --from=build /out/haproxy-gateway /usr/local/bin/haproxy-gateway
# The official image's unprivileged "haproxy" user, by number so that Kubernetes' runAsNonRoot can
# verify it without reading /etc/passwd.
USER 99:99
ENTRYPOINT ["/usr/local/bin/haproxy-gateway"]
