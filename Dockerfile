# haproxy-gateway controller on an official HAProxy image. The Helm chart runs HAProxy and the
# controller from this image in two containers of one pod, sharing sockets and config through an
# emptyDir. (Not built in this repository's CI: it has no Docker engine.)
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/haproxy-gateway .

FROM haproxy:2.8-bookworm
COPY --from=build /out/haproxy-gateway /usr/local/bin/haproxy-gateway
# The official image already runs as the unprivileged user "haproxy".
USER haproxy
ENTRYPOINT ["/usr/local/bin/haproxy-gateway"]
