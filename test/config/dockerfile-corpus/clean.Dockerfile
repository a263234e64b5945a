FROM golang:1.22.5@sha256:0000000000000000000000000000000000000000000000000000000000000001 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

FROM gcr.io/distroless/static-debian12:nonroot@sha256:0000000000000000000000000000000000000000000000000000000000000002
COPY --from=build /out/app /app
USER 65532:65532
HEALTHCHECK --interval=30s CMD ["/app", "health"]
ENTRYPOINT ["/app"]
