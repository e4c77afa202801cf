#!/usr/bin/env bash
# Smoke test for token_server.py and fault_proxy.py against real
# docker-registry (distribution 2.8) instances and skopeo.
# Usage: Tests/Servers/smoke_test.sh   (binds to 127.0.0.1 only)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $rc -ne 0 ]]; then
    echo "--- FAILED (rc=$rc); last log lines:" >&2
    tail -n 15 "$TMP"/*.log >&2 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_file() {  # wait_file FILE
  for _ in $(seq 100); do [[ -s "$1" ]] && return 0; sleep 0.1; done
  fail "timeout waiting for $1"
}
wait_http() {  # wait_http URL EXPECTED_STATUS
  for _ in $(seq 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" == "$2" ]] && return 0
    sleep 0.1
  done
  fail "timeout waiting for $1 to answer $2"
}
start_registry() {  # start_registry NAME PORT [EXTRA_YAML]
  mkdir -p "$TMP/$1/data"
  cat > "$TMP/$1/config.yml" <<EOF
version: 0.1
log: {level: info, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $TMP/$1/data}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$2, secret: test-only}
health: {storagedriver: {enabled: false}}
${3:-}
EOF
  (cd "$TMP/$1" && exec env -u REGISTRY_AUTH_FILE docker-registry serve config.yml) > "$TMP/$1.log" 2>&1 &
  PIDS+=($!)
}
# Never use the caller's stored credentials.  Not exported: docker-registry
# reads every REGISTRY_* variable as a config override (REGISTRY_AUTH_FILE
# would become auth.file and break its config).
SKOPEO=(env REGISTRY_AUTH_FILE="$TMP/auth.json" skopeo --insecure-policy)

# ---- signer, token server, registries, proxy --------------------------------
python3 "$HERE/token_server.py" --make-signer "$TMP/signer"
python3 "$HERE/token_server.py" --port-file "$TMP/token.port" \
  --key "$TMP/signer/signer.key" --cert "$TMP/signer/signer.crt" \
  --users user:pass,other:secret --projects library --private-projects secret \
  --request-log "$TMP/token-requests.jsonl" > "$TMP/token.log" 2>&1 &
PIDS+=($!)
wait_file "$TMP/token.port"; TOKEN_PORT=$(cat "$TMP/token.port")

PLAIN_PORT=$(free_port)
start_registry plain "$PLAIN_PORT"
AUTH_PORT=$(free_port)
mkdir -p "$TMP/auth"; cp "$TMP/signer/signer.crt" "$TMP/auth/signer.crt"
start_registry auth "$AUTH_PORT" "auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/service/token
    service: harbor-registry
    issuer: harbor-token-issuer
    rootcertbundle: signer.crt"

python3 "$HERE/fault_proxy.py" --upstream "http://127.0.0.1:$PLAIN_PORT" \
  --port-file "$TMP/proxy.port" --alt-port-file "$TMP/proxy-alt.port" \
  --require-basic user:pass > "$TMP/proxy.log" 2>&1 &
PIDS+=($!)
wait_file "$TMP/proxy.port"; wait_file "$TMP/proxy-alt.port"
MAIN=$(cat "$TMP/proxy.port"); ALT=$(cat "$TMP/proxy-alt.port")

wait_http "http://127.0.0.1:$PLAIN_PORT/v2/" 200
wait_http "http://127.0.0.1:$AUTH_PORT/v2/" 401
wait_http "http://127.0.0.1:$TOKEN_PORT/api/v2.0/health" 200
ok "servers up: token=$TOKEN_PORT plain=$PLAIN_PORT auth=$AUTH_PORT proxy=$MAIN alt=$ALT"

# ---- a tiny OCI layout: one random 1 MB file in a gzipped tar layer ---------
python3 - "$TMP/image" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]; blobs = os.path.join(root, "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
    payload = os.urandom(1 << 20)
    info = tarfile.TarInfo("random.bin"); info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))
# gzip it, or skopeo compresses it on push and the manifest digest changes
diff_id = "sha256:" + hashlib.sha256(buf.getvalue()).hexdigest()
layer = put(gzip.compress(buf.getvalue(), mtime=0))
config = put(json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode())
manifest = put(json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
    "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}).encode())
open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(manifest,
    mediaType="application/vnd.oci.image.manifest.v1+json",
    annotations={"org.opencontainers.image.ref.name": "latest"})]},
    open(os.path.join(root, "index.json"), "w"))
open(os.path.join(root, "layer.digest"), "w").write(layer["digest"])
EOF
LAYER=$(cat "$TMP/image/layer.digest")
MANIFEST_SHA=$(jq -r '.manifests[0].digest' "$TMP/image/index.json")

# ---- token-auth registry -----------------------------------------------------
A="127.0.0.1:$AUTH_PORT"
"${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-creds user:pass \
  "oci:$TMP/image:latest" "docker://$A/library/smoke:latest" || fail "push with creds"
ok "push to token registry with user:pass"
"${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-creds user:pass \
  "oci:$TMP/image:latest" "docker://$A/secret/smoke:latest" || fail "push to private project"
ok "push to private project"

if "${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-no-creds \
  "oci:$TMP/image:latest" "docker://$A/library/anon:latest" 2>"$TMP/err"; then
  fail "anonymous push was accepted"
fi
ok "anonymous push refused: $(tail -c 120 "$TMP/err" | tr '\n' ' ')"
if "${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-creds user:pass \
  "oci:$TMP/image:latest" "docker://$A/nope/smoke:latest" 2>"$TMP/err"; then
  fail "push to nonexistent project was accepted"
fi
ok "push to nonexistent project refused"
if "${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-creds user:wrong \
  "oci:$TMP/image:latest" "docker://$A/library/smoke:bad" 2>"$TMP/err"; then
  fail "push with a wrong password was accepted"
fi
ok "wrong password refused"

"${SKOPEO[@]}" inspect --raw --tls-verify=false --creds user:pass \
  "docker://$A/library/smoke:latest" > "$TMP/pulled.json"
[[ "sha256:$(sha256sum < "$TMP/pulled.json" | cut -d' ' -f1)" == "$MANIFEST_SHA" ]] \
  || fail "pulled manifest differs"
ok "pulled manifest back byte-identical ($MANIFEST_SHA)"
"${SKOPEO[@]}" inspect --raw --tls-verify=false --no-creds "docker://$A/library/smoke:latest" >/dev/null \
  || fail "anonymous pull of public project"
ok "anonymous pull of public project works"
if "${SKOPEO[@]}" inspect --raw --tls-verify=false --no-creds \
  "docker://$A/secret/smoke:latest" >/dev/null 2>&1; then fail "anonymous pull of private project"; fi
ok "anonymous pull of private project refused"

# Token endpoint details: POST password grant, refresh_token, bad creds, project API.
T="http://127.0.0.1:$TOKEN_PORT"
curl -sf -d 'grant_type=password&username=user&password=pass&service=harbor-registry&client_id=t' \
  --data-urlencode 'scope=repository:library/x:pull,push repository:nope/y:push' "$T/service/token" \
  | jq -e '.access_token | split(".")[1] | gsub("-";"+") | gsub("_";"/") | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson
           | .access == [{"type":"repository","name":"library/x","actions":["pull","push"]},
                         {"type":"repository","name":"nope/y","actions":[]}] and .aud == "harbor-registry"' >/dev/null \
  || fail "POST token grants"
[[ $(curl -s -o /dev/null -w '%{http_code}' -d 'grant_type=refresh_token&refresh_token=x' "$T/service/token") == 400 ]] \
  || fail "refresh_token should be 400"
[[ $(curl -s -o "$TMP/body" -w '%{http_code}' -u user:bad "$T/service/token?service=harbor-registry") == 401 ]] \
  || fail "bad basic creds should be 401"
jq -e '.errors[0].code == "UNAUTHORIZED"' "$TMP/body" >/dev/null || fail "401 body"
[[ $(curl -s -o /dev/null -w '%{http_code}' -I "$T/api/v2.0/projects?project_name=nope") == 404 ]] || fail "HEAD nope"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$T/api/v2.0/projects") == 401 ]] || fail "GET projects unauth"
[[ $(curl -s -o /dev/null -w '%{http_code}' -u user:pass -H 'Content-Type: application/json' \
  -d '{"project_name":"nope","metadata":{"public":"false"}}' "$T/api/v2.0/projects") == 201 ]] || fail "create project"
[[ $(curl -s -o /dev/null -w '%{http_code}' -u user:pass -H 'Content-Type: application/json' \
  -d '{"project_name":"nope"}' "$T/api/v2.0/projects") == 409 ]] || fail "create project twice"
[[ $(curl -s -o /dev/null -w '%{http_code}' -I "$T/api/v2.0/projects?project_name=nope") == 200 ]] || fail "HEAD nope after create"
curl -sf -u user:pass "$T/api/v2.0/projects" | jq -e 'map(.name) | sort == ["library","nope","secret"]' >/dev/null \
  || fail "project list"
"${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-creds user:pass \
  "oci:$TMP/image:latest" "docker://$A/nope/smoke:latest" || fail "push to newly created project"
ok "token endpoint POST/refresh/401 and project API (create → push works)"
! grep -qE 'pass|secret"|eyJ' "$TMP/token-requests.jsonl" || fail "request log leaks secrets"
ok "request log has $(wc -l < "$TMP/token-requests.jsonl") lines, no passwords or tokens"

# ---- fault proxy in front of the plain registry -----------------------------
P="http://127.0.0.1:$MAIN"
"${SKOPEO[@]}" copy -q --dest-tls-verify=false --dest-creds user:pass \
  "oci:$TMP/image:latest" "docker://127.0.0.1:$MAIN/library/smoke:latest" || fail "push through proxy"
ok "push through the proxy (Basic auth, uploads, Location rewrite)"
BLOB="/v2/library/smoke/blobs/$LAYER"
WANT=${LAYER#sha256:}
SIZE=$(stat -c %s "$TMP/image/blobs/sha256/$WANT")
rules() { curl -sf -X POST --data-binary "{\"rules\":$1}" "$P/__rules" >/dev/null; }
get() {  # get OUTFILE [curl args...]; prints "http_code exit_code"
  local out=$1; shift
  local code rc=0
  code=$(curl -s -o "$out" -w '%{http_code}' -u user:pass "$@") || rc=$?
  echo "$code $rc"
}
curl -sf -X POST "$P/__reset" >/dev/null

[[ $(curl -s -o /dev/null -w '%{http_code}' "$P$BLOB") == 401 ]] || fail "unauthenticated main should be 401"
curl -s -D - -o /dev/null "$P/v2/" | grep -qi '^WWW-Authenticate: Basic realm="fault-proxy"' || fail "Basic challenge"
[[ $(get "$TMP/b" "$P$BLOB") == "200 0" ]] && [[ $(sha256sum < "$TMP/b" | cut -d' ' -f1) == "$WANT" ]] \
  || fail "plain blob GET through proxy"
ok "auth required on main; blob streams intact"

rules '[{"action":"status","status":503,"retry_after":1,"path_contains":"/blobs/","times":1}]'
curl -s -D "$TMP/h" -o "$TMP/b" -u user:pass "$P$BLOB"
head -1 "$TMP/h" | grep -q ' 503' && grep -qi '^Retry-After: 1' "$TMP/h" || fail "503 injection"
jq -e '.errors[0].code == "UNAVAILABLE"' "$TMP/b" >/dev/null || fail "503 body"
[[ $(get "$TMP/b" "$P$BLOB") == "200 0" ]] || fail "times:1 should be used up"
ok "status 503 + Retry-After, once"

rules '[{"action":"reset","method":"GET","path_regex":"/blobs/sha256:[0-9a-f]+$"}]'
read -r code rc < <(get "$TMP/b" "$P$BLOB")
[[ $rc == 52 || $rc == 56 ]] || fail "reset: curl exit $rc"
ok "reset → curl exit $rc"

rules '[{"action":"reset_after","bytes":100000}]'
read -r code rc < <(get "$TMP/b" "$P$BLOB")
got=$(stat -c %s "$TMP/b")
[[ $code == 200 && ($rc == 18 || $rc == 56) && $got -le 100000 && $got -gt 0 ]] \
  || fail "reset_after: code=$code rc=$rc got=$got"
ok "reset_after 100000 → curl exit $rc after $got bytes"

rules '[{"action":"truncate","bytes":1000}]'
[[ $(get "$TMP/b" "$P$BLOB") == "200 0" && $(stat -c %s "$TMP/b") == 1000 ]] || fail "truncate"
ok "truncate → clean 1000-byte body"

rules '[{"action":"corrupt"}]'
[[ $(get "$TMP/b" "$P$BLOB") == "200 0" ]] || fail "corrupt GET"
[[ $(stat -c %s "$TMP/b") == "$SIZE" && $(sha256sum < "$TMP/b" | cut -d' ' -f1) != "$WANT" ]] || fail "corrupt"
ok "corrupt → same size, different sha256"

rules '[{"action":"delay","seconds":1}]'
start=$(date +%s.%N)
[[ $(get "$TMP/b" "$P$BLOB") == "200 0" ]] || fail "delay GET"
python3 -c "import sys; sys.exit(0 if float('$(date +%s.%N)') - $start >= 1 else 1)" || fail "delay too short"
ok "delay 1s"

rules '[{"action":"redirect","status":307,"path_contains":"/blobs/"}]'
curl -s -D "$TMP/h" -o /dev/null -u user:pass "$P$BLOB?x=1"
head -1 "$TMP/h" | grep -q ' 307' || fail "redirect status"
grep -qi "^Location: http://127.0.0.1:$ALT$BLOB?x=1" "$TMP/h" || fail "redirect Location"
[[ $(get "$TMP/b" -L "$P$BLOB") == "200 0" && $(sha256sum < "$TMP/b" | cut -d' ' -f1) == "$WANT" ]] \
  || fail "following redirect to ALT"
curl -sf "$P/__log" | jq -e --arg b "$BLOB" \
  'map(select(.port == "alt")) | length >= 1 and all(.authorization == false and .path == $b)' >/dev/null \
  || fail "log: ALT requests without authorization"
ok "redirect 307 → ALT serves the blob without auth"

rules '[]'
curl -s -o /dev/null -u user:pass -H 'Range: bytes=0-9' "$P$BLOB"
curl -sf "$P/__log" | jq -e 'last | .range == "bytes=0-9" and .authorization and .port == "main"' >/dev/null \
  || fail "log range"
curl -sf -X POST "$P/__reset" >/dev/null
[[ $(curl -sf "$P/__log") == "[]" ]] || fail "reset log"
ok "log records range; __reset clears it"

echo "PASS: all smoke checks"
