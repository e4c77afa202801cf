#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test against real
# registries (docker-registry), skopeo and openssl started by the tests on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
swift build --build-tests
swift test --skip-build "$@"
