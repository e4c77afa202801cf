#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test against real
# registries (docker-registry), skopeo and openssl started by the tests on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
# Style first (the toolchain's swift-format with the repository's .swift-format): a lint error fails the run.
swift format lint --strict --recursive Sources Tests Plugins Package.swift
# Test scratch (layouts, seeded layers of 200 MB, registry data) goes to one folder, removed at the end.
export TMPDIR="$(mktemp -d /tmp/airgap-tests.XXXXXX)"
trap 'rm -rf "$TMPDIR"' EXIT
swift build --build-tests
swift test --skip-build "$@"
