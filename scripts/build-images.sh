#!/usr/bin/env bash
# `make images`: builds the two images of docker/ with buildah, without a
# daemon, a container engine or an image registry:
#   scripts/build-images.sh [controller] [pricing-agent]   (default: both)
#  - installs buildah and debootstrap from Debian's packages if missing;
#  - assembles debian:bookworm and debian:bookworm-slim from Debian's packages
#    (scripts/debian-base.sh) into local storage, where `--pull=never` finds them;
#  - runs `buildah bud --isolation chroot` (RUN steps are chrooted processes
#    sharing the host's network, so the stages' apt-get reach the mirror apt
#    uses here) with the vfs storage driver in /var/lib/containers/storage.
# An image whose inputs (its Dockerfile and ignore file, the files of its
# build context, the base images) are unchanged since it was built is not
# built again: the inputs' hash is the image's io.agentfleet.inputs label.
# One build at a time, machine-wide (a lock in /var/lib/containers). Each build
# compiles its binary in the build stage under `nice`; the figures of a
# cold build are in docs/benchmarks.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
driver=${AGENTFLEET_STORAGE_DRIVER:-vfs}
export AGENTFLEET_STORAGE_DRIVER=$driver
buildah() { command buildah --storage-driver "$driver" "$@"; }
log() { echo "[images $(date +%H:%M:%S)] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  # debootstrap and buildah's chroot isolation need root.
  command -v sudo >/dev/null || die "must run as root (debootstrap, buildah --isolation chroot)"
  exec sudo --preserve-env=AGENTFLEET_STORAGE_DRIVER,AGENTFLEET_DEBIAN_RELEASE "$0" "$@"
fi

images=("$@")
((${#images[@]})) || images=(controller pricing-agent)
for name in "${images[@]}"; do
  [[ -f $src/docker/$name.Dockerfile ]] || die "no docker/$name.Dockerfile"
done

# Only `make images` needs these, so they are installed here, not by
# scripts/install-deps.sh (idempotent the same way: nothing asked when present).
missing=()
for p in buildah debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p /var/lib/containers
exec 9>/var/lib/containers/agentfleet-images.lock
if ! flock -n 9; then
  log "another image build is running; waiting for it"
  flock 9
fi

# The lock's descriptor is closed for every child: a process a build leaves
# behind must not hold the lock.
"$src/scripts/debian-base.sh" 9>&-

version=$(sed -n 's/^project(agentfleet VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[[ -n $version ]] || die "no project version in CMakeLists.txt"

declare -A repository=(
  [controller]=agentfleet/agentfleet-controller
  [pricing-agent]=agentfleet/pricing-agent
)

# inputs NAME: a hash of everything the build of NAME reads: the Dockerfile,
# its ignore file, the files the ignore file lets into the context (its
# "!path" lines; the rest of the repository never enters it) and the IDs of
# the base images. Of tests/, only CMake's files count: the build stage
# configures tests/ but compiles nothing of it, so a changed test does not
# rebuild the images.
inputs() {
  local dockerfile=docker/$1.Dockerfile ignore=docker/$1.Dockerfile.dockerignore paths
  mapfile -t paths < <(sed -n 's|^!\(.*\)|\1|p' "$src/$ignore" | sed 's|/$||')
  {
    (cd "$src" && find "${paths[@]}" -type f \( -not -path 'tests/*' -o -name CMakeLists.txt \
      -o -name '*.cmake' \) -print0 | sort -z | xargs -0 sha256sum)
    sha256sum "$src/$dockerfile" "$src/$ignore" | cut -d' ' -f1
    buildah inspect --type image --format '{{.FromImageID}}' "localhost/debian:bookworm"
    buildah inspect --type image --format '{{.FromImageID}}' "localhost/debian:bookworm-slim"
  } | sha256sum | cut -d' ' -f1
}

label() { # label IMAGE KEY: a label of a local image, empty if none or no image
  buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

for name in "${images[@]}"; do
  image=localhost/${repository[$name]}:$version
  hash=$(inputs "$name")
  if [[ $(label "$image" io.agentfleet.inputs) == "$hash" ]]; then
    log "$image is up to date (inputs ${hash:0:12})"
    continue
  fi
  previous=$(buildah inspect --type image --format '{{.FromImageID}}' "$image" 2>/dev/null || true)
  log "building $image from docker/$name.Dockerfile"
  SECONDS=0
  (cd "$src" && nice -n 10 buildah --storage-driver "$driver" bud --isolation chroot --pull=never \
    --layers=false --format oci \
    -f "docker/$name.Dockerfile" --ignorefile "docker/$name.Dockerfile.dockerignore" \
    --label io.agentfleet.inputs="$hash" --label org.opencontainers.image.version="$version" \
    -t "$image" . 9>&-) || die "building $image failed"
  log "built $image in ${SECONDS}s"
  # The image it replaces, now nameless (unless a container still uses it).
  if [[ -n $previous ]] && buildah images --filter dangling=true --no-trunc -q | grep -q "$previous"; then
    buildah rmi "$previous" >/dev/null 2>&1 || true
  fi
done

for name in "${images[@]}"; do
  image=localhost/${repository[$name]}:$version
  log "$image: $(buildah images --format '{{.Size}}' "$image")"
done
log "storage: $(du -sh /var/lib/containers/storage | cut -f1) in /var/lib/containers/storage ($driver)"
