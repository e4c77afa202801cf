#!/usr/bin/env bash
# The five-minute tour of the real job, with no internet:
#   starts a throwaway registry on 127.0.0.1 seeded with three small sample images, then builds
#   the demo platform (manifests/demo/demo.yaml: two components whose charts name the images as
#   docker.io/...) with `airgap-bundle build --mirror docker.io=127.0.0.1:PORT` into a signed,
#   locked bundle; builds it again with --locked (nothing fetched, byte for byte the same); checks
#   it three ways (airgap-install verify, stock openssl on the detached signature, sha256sum -c);
#   and pushes it as a site would into a second, empty "site" registry straight from the archive.
#   Then, as the site admin: init-values, plan, and what Helm would apply (real Helm rendering
#   through our post-renderer: every image from the site registry). No Kubernetes cluster is used.
#
#   scripts/demo.sh
#
# AIRGAP_DEMO_SCRATCH=/some/dir  builds into that scratch folder instead of .build.
# The registries and their data are removed on exit; the bundle stays in bundles/ (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ -t 1 ]; then BOLD=$'\e[1m'; DIM=$'\e[2m'; GREEN=$'\e[32m'; RESET=$'\e[0m'; else BOLD=""; DIM=""; GREEN=""; RESET=""; fi
STEP=0
TOTAL_STEPS=11
done_heading() { printf '\n%s%s%s\n' "$BOLD" "$*" "$RESET"; }
step() { STEP=$((STEP + 1)); printf '\n%s[%d/%d] %s%s\n' "$BOLD" "$STEP" "$TOTAL_STEPS" "$*" "$RESET"; }
say() { printf '    %s\n' "$*"; }
ok() { printf '    %s✓%s %s\n' "$GREEN" "$RESET" "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }
indent() { sed 's/^/      /'; }

# start_registry DIR (a docker-registry on a free loopback port; sets PORT and REGISTRY_PID), the
# same one the benchmarks use.
# shellcheck source=../bench/lib/registry.sh
source "$ROOT/bench/lib/registry.sh"
REGISTRY_PID=""
VENDOR_PID=""
SITE_PID=""
WORK=""
cleanup() {
  local pid
  for pid in "$VENDOR_PID" "$SITE_PID" "$REGISTRY_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
WORK="$(mktemp -d "${TMPDIR:-/tmp}/airgap-demo.XXXXXX")"

printf '%sAstrago air-gap demo%s: build a signed bundle from a manifest, check it, push it to a site; offline, on 127.0.0.1 only.\n' "$BOLD" "$RESET"

# ------------------------------------------------------------------------------------------------
step "Checking the tools (scripts/install-test-deps.sh)"
scripts/install-test-deps.sh
for tool in swift docker-registry skopeo python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH; see scripts/install-test-deps.sh"
done
ok "swift, docker-registry, skopeo and python3 are here"

# ------------------------------------------------------------------------------------------------
step "Building airgap-bundle (debug; the first build takes a few minutes)"
BUILD=(swift build --product airgap-bundle)
[ -n "${AIRGAP_DEMO_SCRATCH:-}" ] && BUILD+=(--scratch-path "$AIRGAP_DEMO_SCRATCH")
printf '    %s$ %s%s\n' "$DIM" "${BUILD[*]}" "$RESET"
if ! "${BUILD[@]}" >"$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log" >&2
  die "the build failed (last lines above)"
fi
BIN="$("${BUILD[@]}" --show-bin-path)/airgap-bundle"
BUILD_INSTALL=(swift build --product airgap-install)
[ -n "${AIRGAP_DEMO_SCRATCH:-}" ] && BUILD_INSTALL+=(--scratch-path "$AIRGAP_DEMO_SCRATCH")
"${BUILD_INSTALL[@]}" >>"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "the build of airgap-install failed"; }
INSTALL_BIN="$("${BUILD_INSTALL[@]}" --show-bin-path)/airgap-install"
[ -x "$BIN" ] || die "no binary at $BIN"
ok "built ${BIN#"$ROOT"/}"

# ------------------------------------------------------------------------------------------------
step "Starting a throwaway registry on 127.0.0.1"
start_registry "$WORK/registry"
VENDOR_PID="$REGISTRY_PID"
REGISTRY="127.0.0.1:$PORT"
ok "docker-registry answers on http://$REGISTRY (pid $VENDOR_PID; stopped when the demo ends)"

# ------------------------------------------------------------------------------------------------
step "Pushing three sample images (made on the fly, a few MB each)"
python3 - "$WORK/seed" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile

out = sys.argv[1]
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
KIB = 1024

def put(data, media_type, **extra):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data), **extra}

def layer(path, size, seed):
    """A tar+gzip layer with one file of `size` pseudo-random bytes (the same bytes every run)."""
    content = random.Random(seed).randbytes(size)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = size, 0o644, 0
        tar.addfile(info, io.BytesIO(content))
    uncompressed = tar_bytes.getvalue()
    compressed = gzip.compress(uncompressed, compresslevel=1, mtime=0)
    return put(compressed, "application/vnd.oci.image.layer.v1.tar+gzip"), "sha256:" + hashlib.sha256(uncompressed).hexdigest()

def image(arch, layers, labels):
    config = {"architecture": arch, "os": "linux", "config": {"Labels": labels},
              "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in layers]}}
    config_desc = put(json.dumps(config, sort_keys=True).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [d for d, _ in layers]}
    return put(json.dumps(manifest, sort_keys=True).encode(), manifest["mediaType"])

base_amd64 = layer("base/amd64.bin", 2048 * KIB, "base-amd64")   # shared by all three amd64 images
base_arm64 = layer("base/arm64.bin", 2048 * KIB, "base-arm64")
core_amd64 = image("amd64", [base_amd64, layer("app/core", 1024 * KIB, "core-amd64")], {"demo": "astrago/core"})
core_arm64 = image("arm64", [base_arm64, layer("app/core", 1024 * KIB, "core-arm64")], {"demo": "astrago/core"})
core_amd64["platform"] = {"architecture": "amd64", "os": "linux"}
core_arm64["platform"] = {"architecture": "arm64", "os": "linux"}
core_index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [core_amd64, core_arm64]}
core = put(json.dumps(core_index, sort_keys=True).encode(), core_index["mediaType"])
frontend = image("amd64", [base_amd64, layer("app/frontend", 1536 * KIB, "frontend")], {"demo": "astrago/frontend"})
nginx = image("amd64", [base_amd64, layer("usr/sbin/nginx", 1024 * KIB, "nginx")], {"demo": "library/nginx"})

entries = []
for name, desc in (("core", core), ("frontend", frontend), ("nginx", nginx)):
    entries.append({**desc, "annotations": {"org.opencontainers.image.ref.name": name}})
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY
push() {  # push LAYOUT_NAME REPOSITORY:TAG [--all]
  skopeo copy --quiet --dest-tls-verify=false --preserve-digests "${@:3}" \
    "oci:$WORK/seed:$1" "docker://$REGISTRY/$2" >/dev/null || die "skopeo could not push $2"
  ok "$REGISTRY/$2${3:+  (multi-arch index: linux/amd64 + linux/arm64)}"
}
push core astrago/core:1.0 --all
push frontend astrago/frontend:1.0
push nginx library/nginx:1.27
say "All three share one 2 MB base layer (amd64)."


# ------------------------------------------------------------------------------------------------
step "Building the demo platform: resolve, render, lock, fetch, stage, pack and sign"
DEMO="$ROOT/bundles/demo-manifest"
rm -rf "$DEMO" "$ROOT/bundles/demo-cache" "$ROOT/bundles/demo-out" "$ROOT/bundles/demo-out-again"
cp -r "$ROOT/manifests/demo" "$DEMO"     # the lock is written beside the manifest: keep the repository clean
"$BIN" keygen --out "$ROOT/bundles/demo-vendor" --type ed25519 --force | indent
HELM="$ROOT/Tests/Servers/helm-standin/helm"   # real Helm (its Go SDK through helm-python-sdk), as a helm command
BUILD_ARGS=("$DEMO/demo.yaml" --key "$ROOT/bundles/demo-vendor.key" --cache "$ROOT/bundles/demo-cache" --helm "$HELM"
  --mirror "docker.io=$REGISTRY" --insecure-registry "$REGISTRY")
printf '    %s$ airgap-bundle build bundles/demo-manifest/demo.yaml --key bundles/demo-vendor.key \\\n        --mirror docker.io=%s --insecure-registry %s --output bundles/demo-out%s\n' "$DIM" "$REGISTRY" "$REGISTRY" "$RESET"
"$BIN" build "${BUILD_ARGS[@]}" --output "$ROOT/bundles/demo-out" >"$WORK/build1.out" 2>"$WORK/build1.err" \
  || { cat "$WORK/build1.out" "$WORK/build1.err" >&2; die "airgap-bundle build failed"; }
indent <"$WORK/build1.err"
indent <"$WORK/build1.out"
BUNDLE_REL="bundles/demo-out/astrago-demo-1.0.0.tar.zst"
BUNDLE="$ROOT/$BUNDLE_REL"
ok "one signed archive, its .sig and .sha256; the lock is $(basename "$DEMO")/demo.yaml.lock"
say "the images keep their docker.io names although they came from $REGISTRY (--mirror);"
say "astrago/core:1.0 is a multi-arch index: only linux/amd64 was kept, in a new index that records the source digest."

# ------------------------------------------------------------------------------------------------
step "Building again, exactly the lock: nothing is fetched, the archive is byte for byte the same"
"$BIN" build "${BUILD_ARGS[@]}" --locked --output "$ROOT/bundles/demo-out-again" --json >"$WORK/build2.json" 2>"$WORK/build2.err" \
  || { cat "$WORK/build2.err" >&2; die "the locked build failed"; }
python3 - "$WORK/build2.json" <<'PY' | indent
import json, sys
r = json.load(open(sys.argv[1]))
print(f"--locked: fetched {r['bytesFetched']} bytes, {r['bytesFromCache']} bytes from the cache, sha256 {r['archiveSHA256'][:16]}…")
PY
cmp -s "$BUNDLE" "$ROOT/bundles/demo-out-again/astrago-demo-1.0.0.tar.zst" || die "the locked rebuild differs"
ok "identical archives (Ed25519 signatures are deterministic): a security team can rebuild and compare"

# ------------------------------------------------------------------------------------------------
step "Checking it as a site would: our verifier, then stock openssl and sha256sum"
printf '    %s$ airgap-install verify %s --key bundles/demo-vendor.pub%s\n' "$DIM" "$BUNDLE_REL" "$RESET"
"$INSTALL_BIN" verify "$BUNDLE" --key "$ROOT/bundles/demo-vendor.pub" | indent
"$INSTALL_BIN" inspect "$BUNDLE" --key "$ROOT/bundles/demo-vendor.pub" | indent
printf '    %s$ base64 -d %s.sig > sig.raw; openssl dgst -sha256 -binary -out archive.sha256 %s\n      openssl pkeyutl -verify -pubin -inkey bundles/demo-vendor.pub -rawin -in archive.sha256 -sigfile sig.raw%s\n' "$DIM" "$BUNDLE_REL" "$BUNDLE_REL" "$RESET"
base64 -d "$BUNDLE.sig" >"$WORK/sig.raw"
openssl dgst -sha256 -binary -out "$WORK/archive.sha256" "$BUNDLE"
openssl pkeyutl -verify -pubin -inkey "$ROOT/bundles/demo-vendor.pub" -rawin -in "$WORK/archive.sha256" -sigfile "$WORK/sig.raw" | indent
mkdir -p "$WORK/unpacked" && zstd -qdc "$BUNDLE" | tar -x -C "$WORK/unpacked"
(cd "$WORK/unpacked" && sha256sum -c --quiet checksums.sha256) && ok "sha256sum -c checksums.sha256: every file matches"
skopeo inspect --raw "oci:$WORK/unpacked/images:docker.io/library/nginx:1.27" >/dev/null \
  && ok "skopeo reads the unpacked images/ layout by the original name docker.io/library/nginx:1.27"
cp "$BUNDLE" "$WORK/tampered.tar.zst"
printf 'X' | dd of="$WORK/tampered.tar.zst" bs=1 seek=$(( $(stat -c %s "$BUNDLE") / 2 )) conv=notrunc 2>/dev/null
if "$INSTALL_BIN" verify "$WORK/tampered.tar.zst" --key "$ROOT/bundles/demo-vendor.pub" 2>"$WORK/tampered.err"; then
  die "a tampered bundle verified"
fi
ok "a copy with one byte changed is refused:"; indent <"$WORK/tampered.err"

# ------------------------------------------------------------------------------------------------
step "At the site: pushing every image into an empty registry, straight from the archive"
start_registry "$WORK/site"
SITE_PID="$REGISTRY_PID"
SITE="127.0.0.1:$PORT"
say "a second docker-registry plays the site's Harbor on http://$SITE (no Harbor API: no project to create)"
printf '    %s$ airgap-install push %s --key bundles/demo-vendor.pub --require-archive-signature \\\n        --registry %s --project astrago --plain-http --state-dir bundles/demo-state%s\n' "$DIM" "$BUNDLE_REL" "$SITE" "$RESET"
rm -rf "$ROOT/bundles/demo-state"
"$INSTALL_BIN" push "$BUNDLE" --key "$ROOT/bundles/demo-vendor.pub" --require-archive-signature --registry "$SITE" --project astrago \
  --plain-http --state-dir "$ROOT/bundles/demo-state" >"$WORK/push.out" 2>"$WORK/push.err" \
  || { cat "$WORK/push.out" "$WORK/push.err" >&2; die "airgap-install push failed"; }
indent <"$WORK/push.out"
PUSHED="$SITE/astrago/library/nginx:1.27"
SITE_DIGEST="sha256:$(skopeo inspect --raw --tls-verify=false "docker://$PUSHED" | sha256sum | cut -d' ' -f1)"
VENDOR_DIGEST="sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/library/nginx:1.27" | sha256sum | cut -d' ' -f1)"
[ "$SITE_DIGEST" = "$VENDOR_DIGEST" ] || die "the pushed nginx has digest $SITE_DIGEST, the source $VENDOR_DIGEST"
ok "skopeo reads $PUSHED with the source's digest ($SITE_DIGEST)"
say "relocation.json (for deploy: every source reference and where it now is):"
python3 - "$ROOT/bundles/demo-state/relocation.json" <<'PY' | indent
import json, sys
for image in json.load(open(sys.argv[1]))["images"]:
    print(f"{image['source']}  ->  {image['target']}")
PY
"$INSTALL_BIN" push "$BUNDLE" --key "$ROOT/bundles/demo-vendor.pub" --registry "$SITE" --project astrago --plain-http \
  --state-dir "$ROOT/bundles/demo-state" --json >"$WORK/push2.json" 2>"$WORK/push2.err" || { cat "$WORK/push2.err" >&2; die "the second push failed"; }
python3 - "$WORK/push2.json" <<'PY' | indent
import json, sys
r = json.load(open(sys.argv[1]))
print(f"again: {r['blobsUploaded']} blobs uploaded, {r['blobsSkipped']} already there, tags unchanged {r['tagsUnchanged']} ({r['seconds']:.2f} s)")
PY
ok "a rerun sends nothing: everything is already at the site"

# ------------------------------------------------------------------------------------------------
step "At the site: the site's settings, then the exact plan (the cluster is not contacted)"
SITE_YAML="$ROOT/bundles/demo-site.yaml"
rm -f "$SITE_YAML"
printf '    %s$ airgap-install init-values %s --state-dir bundles/demo-state --out bundles/demo-site.yaml%s\n' "$DIM" "$BUNDLE_REL" "$RESET"
"$INSTALL_BIN" init-values "$BUNDLE" --state-dir "$ROOT/bundles/demo-state" --out "$SITE_YAML" >"$WORK/init.out" 2>"$WORK/init.err" \
  || { cat "$WORK/init.out" "$WORK/init.err" >&2; die "airgap-install init-values failed"; }
say "the admin fills in what the bundle declares (a required value left empty is named, with every other problem, before anything runs):"
indent <"$SITE_YAML"
# The admin's edit, done here by a script: the address, and a password that must never be shown.
DEMO_PASSWORD="demo-Secret-$$"
python3 - "$SITE_YAML" "$DEMO_PASSWORD" <<'PY'
import re, sys
path, password = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"(?m)^externalIP:.*$", "externalIP: 10.20.30.40", text)
text = re.sub(r"(?m)^(\s+)adminPassword:.*$", lambda m: f'{m.group(1)}adminPassword: "{password}"', text)
open(path, "w").write(text)
PY
printf '    %s$ airgap-install plan %s --values bundles/demo-site.yaml --state-dir bundles/demo-state%s\n' "$DIM" "$BUNDLE_REL" "$RESET"
"$INSTALL_BIN" plan "$BUNDLE" --values "$SITE_YAML" --state-dir "$ROOT/bundles/demo-state" --helm "$HELM" >"$WORK/plan.out" 2>"$WORK/plan.err" \
  || { cat "$WORK/plan.out" "$WORK/plan.err" >&2; die "airgap-install plan failed"; }
indent <"$WORK/plan.out"
if grep -q -- "$DEMO_PASSWORD" "$WORK/plan.out" "$WORK/plan.err"; then die "the plan shows the admin password"; fi
ok "components in manifest order, one helm upgrade --install each; the password is in no command and no output"

# ------------------------------------------------------------------------------------------------
step "What Helm would apply: real Helm renders each component, our post-renderer points every image at the site"
say "(no Kubernetes cluster here: deploy runs these same renders inside helm upgrade --install)"
printf '    %s$ airgap-install template %s --values bundles/demo-site.yaml --state-dir bundles/demo-state --output bundles/demo-rendered%s\n' "$DIM" "$BUNDLE_REL" "$RESET"
rm -rf "$ROOT/bundles/demo-rendered"
"$INSTALL_BIN" template "$BUNDLE" --values "$SITE_YAML" --state-dir "$ROOT/bundles/demo-state" --helm "$HELM" --output "$ROOT/bundles/demo-rendered" \
  >"$WORK/template.out" 2>"$WORK/template.err" || { cat "$WORK/template.out" "$WORK/template.err" >&2; die "airgap-install template failed"; }
indent <"$WORK/template.out"
for file in "$ROOT/bundles/demo-rendered"/*.yaml; do
  say "$(basename "$file"):"
  awk '/^[[:space:]]+image:/ { print } /name: EXTERNAL_URL/ { getline value; print $0 " = " value }' "$file" | sed -e 's/^ *//' -e 's/^- //' -e 's/ = *value: / = /' | indent
done
if grep -h -E '^\s+image:' "$ROOT/bundles/demo-rendered"/*.yaml | grep -v -F "$SITE/astrago/" >/dev/null; then die "an image still points outside the site registry"; fi
if grep -q -- "$DEMO_PASSWORD" "$WORK/template.out" "$WORK/template.err"; then die "template printed the admin password"; fi
ok "every image comes from the site registry $SITE/astrago; the site's address landed in the platform's settings"
say "the rendered files hold the admin password where the chart puts it (a Secret), so they are readable by you only: $(stat -c %A "$ROOT/bundles/demo-rendered/02-platform.yaml")"

# ------------------------------------------------------------------------------------------------
done_heading "Done"
say "The signed bundle stays in $BUNDLE_REL, the cache in bundles/demo-cache and the site state in bundles/demo-state (git-ignored); the registries are gone."
say ""
say "What next:"
say "  • Look inside:      ${INSTALL_BIN#"$ROOT"/} inspect $BUNDLE_REL --json"
say "  • The real platform: airgap-bundle build manifests/astrago.yaml --key vendor.key   (needs network)"
say "  • All options:      ${BIN#"$ROOT"/} --help"
say "  • Run the tests:    scripts/test.sh      • Benchmarks:  bench/pull, bench/verify, bench/push"
