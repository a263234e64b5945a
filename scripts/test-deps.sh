#!/usr/bin/env bash
# Installs the Debian packages the tests use (real components instead of mocks). Idempotent.
# As root it installs what is missing; otherwise it only reports what is missing (tests for those tools skip with
# one line naming the tool — except under CI=true, where a missing tool fails the test).
set -euo pipefail

PACKAGES=(
  docker-registry   # CNCF Distribution: registry API + push notifications (image, hub)
  skopeo            # copies images between docker-archive / oci / registry (image tests)
  umoci             # builds OCI layouts from rootfs tarballs (image tests)
  debootstrap       # real Debian rootfs for dpkg inventories (image tests)
  zstd              # writes zstd-compressed layers for the image reader tests
  rustc             # compiles a binary with a cargo-auditable style .dep-v0 section (image tests)
  postgresql        # hub store on PostgreSQL
  chromium          # dashboard browser tests, HTML report screenshots
  openssl           # throw-away CA for the local HTTPS Kubernetes API server (access doctor tests)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test-deps: all present (${PACKAGES[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: not root; missing: ${missing[*]} (tests needing them will skip)" >&2
  exit 0
fi
echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test-deps: installed ${missing[*]}"
