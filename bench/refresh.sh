#!/usr/bin/env bash
# Benchmark (not a test): `imagelock refresh` from an empty lock against `skopeo list-tags` over
# the same repositories, one after another and 8 at a time (xargs -P8), on a loopback registry
# (Debian's docker-registry, distribution 2.8) holding REPOS repositories × TAGS tags.
#
#   bash bench/refresh.sh            # REPOS=100 TAGS=200 RUNS=5 by default
#   BENCH_DIR=/tmp/bench bash bench/refresh.sh   # keep the seeded storage for the next run
#   IMAGELOCK_BASE_BIN=/tmp/imagelock-before bash bench/refresh.sh   # also time another build
#                                    (before a change), interleaved with the others
#
# Targets (DESIGN.md): imagelock ≥ 3× faster than 8-way skopeo, ≥ 20× faster than sequential.
# Installs docker-registry and skopeo with apt-get when missing. Stops everything it starts.
set -euo pipefail
cd "$(dirname "$0")/.."

REPOS=${REPOS:-100}
TAGS=${TAGS:-200}
RUNS=${RUNS:-5}

missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v curl >/dev/null || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "building imagelock (release)…" >&2
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/imagelock"

TMP=$(mktemp -d)
STORAGE=${BENCH_DIR:+$BENCH_DIR/storage-$REPOS-$TAGS}
STORAGE=${STORAGE:-$TMP/storage}
REG_PID=""
cleanup() {
    if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A free port on 127.0.0.1 (nothing answers on it).
PORT=""
for p in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "no free port" >&2; exit 2; }
R="http://127.0.0.1:$PORT"

cat > "$TMP/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $STORAGE}
http: {addr: "127.0.0.1:$PORT", secret: bench-only}
YAML
docker-registry serve "$TMP/registry.yml" 2>"$TMP/registry.log" & REG_PID=$!
# A port taken between the probe and the bind kills the registry: say so rather than wait forever.
until curl -s -o /dev/null "$R/v2/"; do
    kill -0 "$REG_PID" 2>/dev/null || { echo "docker-registry did not start:" >&2; cat "$TMP/registry.log" >&2; exit 2; }
    sleep 0.02
done

# One small OCI image, pushed once, then mounted into every repository and tagged TAGS times.
if [ -e "$STORAGE/.seeded" ]; then
    echo "reusing the registry storage in $STORAGE" >&2
else
    echo "seeding $REPOS repositories × $TAGS tags…" >&2
    t0=$(now)
    printf 'layer' > "$TMP/layer"
    printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$TMP/config"
    sha() { sha256sum "$1" | cut -d' ' -f1; }
    push_blob() { # repo file
        local loc
        loc=$(curl -sSf -X POST -D - -o /dev/null "$R/v2/$1/blobs/uploads/" | tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
        curl -sSf -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" "$loc&digest=sha256:$(sha "$2")"
    }
    push_blob bench/seed "$TMP/layer"
    push_blob bench/seed "$TMP/config"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
        "$(sha "$TMP/config")" "$(stat -c %s "$TMP/config")" "$(sha "$TMP/layer")" "$(stat -c %s "$TMP/layer")" > "$TMP/manifest"
    : > "$TMP/mount.cfg"
    : > "$TMP/put.cfg"
    for i in $(seq 1 "$REPOS"); do
        for blob in layer config; do
            printf 'url = "%s/v2/bench/r%d/blobs/uploads/?mount=sha256:%s&from=bench/seed"\noutput = "/dev/null"\n' "$R" "$i" "$(sha "$TMP/$blob")" >> "$TMP/mount.cfg"
        done
        for t in $(seq 1 "$TAGS"); do
            printf 'url = "%s/v2/bench/r%d/manifests/%d.%d.%d"\nupload-file = "%s"\noutput = "/dev/null"\n' "$R" "$i" $((t / 100)) $((t / 10 % 10)) $((t % 10)) "$TMP/manifest" >> "$TMP/put.cfg"
        done
    done
    curl -sSf --no-progress-meter --parallel --parallel-max 8 -X POST -K "$TMP/mount.cfg"
    curl -sSf --no-progress-meter --parallel --parallel-max 8 -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' -K "$TMP/put.cfg"
    echo "seeded in $(ms "$t0" "$(now)") ms" >&2
    touch "$STORAGE/.seeded"
fi

# The repository imagelock reads: one ImageRepository per registry repository.
mkdir -p "$TMP/repo" "$TMP/home"
for i in $(seq 1 "$REPOS"); do
    printf -- '---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: r%d\n  namespace: flux-system\nspec:\n  image: 127.0.0.1:%s/bench/r%d\n  interval: 5m\n' "$i" "$PORT" "$i"
done > "$TMP/repo/flux.yaml"
LIST="$TMP/repos.txt"
seq 1 "$REPOS" | sed "s|^|docker://127.0.0.1:$PORT/bench/r|" > "$LIST"

# Sanity: both tools see every tag.
HOME="$TMP/home" "$BIN" --root "$TMP/repo" -q refresh
# A tag line: `      - "1.0.0"` (version 1) or `      "1.0.0": "2026-…"` (version 2).
locked=$(grep -cE '^      (- "|"[^"]*": ")' "$TMP/repo/images.lock")
listed=$(skopeo list-tags --no-creds --tls-verify=false "docker://127.0.0.1:$PORT/bench/r1" | grep -c '"[0-9]*\.[0-9]*\.[0-9]*"')
[ "$locked" -eq $((REPOS * TAGS)) ] || { echo "imagelock locked $locked tags, expected $((REPOS * TAGS))" >&2; exit 1; }
[ "$listed" -eq "$TAGS" ] || { echo "skopeo listed $listed tags, expected $TAGS" >&2; exit 1; }

run_imagelock() { rm -f "$TMP/repo/images.lock"; HOME="$TMP/home" "$BIN" --root "$TMP/repo" -q refresh; }
run_sequential() { while read -r ref; do skopeo list-tags --no-creds --tls-verify=false "$ref" > /dev/null; done < "$LIST"; }
run_parallel() { xargs -P8 -n1 skopeo list-tags --no-creds --tls-verify=false < "$LIST" > /dev/null; }
# For reference, the registry's own cost: the same 100 tags/list requests from one curl, 8 at a time.
seq 1 "$REPOS" | sed "s|.*|url = \"$R/v2/bench/r&/tags/list\"\noutput = \"/dev/null\"|" > "$TMP/curl.cfg"
run_curl() { curl -sSf --no-progress-meter --parallel --parallel-max 8 -K "$TMP/curl.cfg"; }

# Interleaved, so that a change in the machine's load touches every tool alike.
NAMES=("imagelock refresh (empty lock)" "skopeo list-tags, sequential" "skopeo list-tags, xargs -P8" "(floor) curl, the same GETs, 8 at a time")
FUNCS=(run_imagelock run_sequential run_parallel run_curl)
if [ -n "${IMAGELOCK_BASE_BIN:-}" ]; then
    run_base() { rm -f "$TMP/repo/images.lock"; HOME="$TMP/home" "$IMAGELOCK_BASE_BIN" --root "$TMP/repo" -q refresh; }
    NAMES+=("IMAGELOCK_BASE_BIN refresh (empty lock)")
    FUNCS+=(run_base)
fi
for run in $(seq 1 "$RUNS"); do
    for k in "${!FUNCS[@]}"; do
        t0=$(now); "${FUNCS[$k]}"; t1=$(now)
        ms "$t0" "$t1" >> "$TMP/times.$k"; echo >> "$TMP/times.$k"
    done
done

echo >&2
echo "$REPOS repositories × $TAGS tags on 127.0.0.1 ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)), $RUNS runs each, interleaved:" >&2
for k in "${!FUNCS[@]}"; do
    printf '%-42s median %8.1f ms   runs: %s\n' "${NAMES[$k]}" "$(median < "$TMP/times.$k")" "$(tr '\n' ' ' < "$TMP/times.$k")" >&2
done
il=$(median < "$TMP/times.0")
seq_=$(median < "$TMP/times.1")
par=$(median < "$TMP/times.2")
awk -v il="$il" -v s="$seq_" -v p="$par" 'BEGIN {
    rs = s / il; rp = p / il
    printf "\nimagelock vs sequential skopeo: %.1fx faster (target >= 20x: %s)\n", rs, (rs >= 20 ? "met" : "NOT met")
    printf "imagelock vs skopeo xargs -P8:  %.1fx faster (target >= 3x: %s)\n", rp, (rp >= 3 ? "met" : "NOT met")
}'
if [ -n "${IMAGELOCK_BASE_BIN:-}" ]; then
    awk -v il="$il" -v b="$(median < "$TMP/times.4")" 'BEGIN { printf "imagelock vs IMAGELOCK_BASE_BIN: %+.1f%% time\n", (il / b - 1) * 100 }'
fi
