# Shell functions shared by the benchmarks and scripts/demo.sh (source it; the caller defines die):
#   free_port                      prints a free TCP port on 127.0.0.1
#   start_registry DIR             starts a Debian docker-registry on 127.0.0.1:$PORT (a free port)
#                                  with its data in DIR/data (kept as it is); sets PORT, REGISTRY_PID
#   stop_registry                  stops it by its PID (the data stays)
#   drop_caches                    sync and drop the page cache when permitted; DROP says whether
# Everything stays on 127.0.0.1.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

REGISTRY_PID="${REGISTRY_PID:-}"
start_registry() {
  local dir="$1"
  mkdir -p "$dir/data"
  PORT="$(free_port)"
  cat >"$dir/config.yml" <<CONFIG
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $dir/data}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$PORT, secret: test-only}
health: {storagedriver: {enabled: false}}
CONFIG
  # docker-registry reads every REGISTRY_* variable as a config override: pass none.
  local -a unset_args=()
  local name
  for name in $(compgen -e); do [[ "$name" == REGISTRY_* ]] && unset_args+=(-u "$name"); done
  (cd "$dir" && exec env "${unset_args[@]}" docker-registry serve config.yml) >"$dir/log" 2>&1 &
  REGISTRY_PID=$!
  local i
  for i in $(seq 1 100); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v2/", timeout=1)' "$PORT" 2>/dev/null; then
      return 0
    fi
    kill -0 "$REGISTRY_PID" 2>/dev/null || { cat "$dir/log" >&2; die "docker-registry exited"; }
    sleep 0.1
  done
  cat "$dir/log" >&2
  die "docker-registry did not answer on 127.0.0.1:$PORT"
}
stop_registry() {
  if [ -n "$REGISTRY_PID" ]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=""
  fi
}

DROP="no (not permitted: runs may hit a warm page cache)"
[ -w /proc/sys/vm/drop_caches ] && DROP="yes"
drop_caches() {
  sync
  { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null || true
}
