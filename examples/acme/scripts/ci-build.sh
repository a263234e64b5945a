#!/bin/sh
# Builds and smoke-tests the images. Deliberate mistakes: --privileged and the Docker socket.
set -eu
docker build -t acme/web:dev -f docker/web.Dockerfile .
docker run --rm --privileged \
  -v /var/run/docker.sock:/var/run/docker.sock \
  acme/web:dev npm test
docker run --rm --cap-add=SYS_ADMIN --pid=host acme/tools:dev /opt/check.sh
