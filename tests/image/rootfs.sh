#!/usr/bin/env bash
# The root filesystem of a locally built image, for the image tests (label image):
#   rootfs.sh up   IMAGE DIR   a throwaway buildah container of IMAGE, mounted;
#                              DIR/rootfs holds the path of its root filesystem,
#                              DIR/user and DIR/entrypoint the image's USER and
#                              ENTRYPOINT (one argument a line), DIR/container its name
#   rootfs.sh down DIR         unmounts and removes that container
# IMAGE comes from `make images` (local storage only: nothing is pulled). Runs
# as root, with the storage driver `make images` uses.
set -euo pipefail
driver=${AGENTFLEET_STORAGE_DRIVER:-vfs}
buildah() { command buildah --storage-driver "$driver" "$@"; }
die() {
  echo "rootfs: $*" >&2
  exit 1
}
usage() { die "usage: $0 up IMAGE DIR | down DIR"; }

[[ $(id -u) -eq 0 ]] || die "must run as root (buildah mount; the tests chroot into the root filesystem)"
command -v buildah >/dev/null || die "buildah is not installed: run \`make images\` first"

case ${1:-} in
  up)
    (($# == 3)) || usage
    image=$2
    dir=$(mkdir -p "$3" && cd "$3" && pwd)
    buildah inspect --type image "$image" >/dev/null 2>&1 ||
      die "no image $image in local storage: run \`make images\` first"
    # One container per build tree, so that several worktrees can test at once.
    name=agentfleet-test-$(basename "$dir")-$(echo -n "$dir" | sha256sum | cut -c1-8)
    buildah rm "$name" >/dev/null 2>&1 || true
    buildah from --pull=never --name "$name" "$image" >/dev/null
    buildah mount "$name" >"$dir/rootfs"
    echo "$name" >"$dir/container"
    buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$image" >"$dir/user"
    buildah inspect --type image --format '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}' "$image" |
      sed '/^$/d' >"$dir/entrypoint"
    echo "rootfs: $image at $(cat "$dir/rootfs") (user $(cat "$dir/user"))"
    ;;
  down)
    (($# == 2)) || usage
    dir=$2
    [[ -f $dir/container ]] || exit 0
    name=$(cat "$dir/container")
    buildah umount "$name" >/dev/null 2>&1 || true
    buildah rm "$name" >/dev/null
    rm -rf "$dir"
    echo "rootfs: removed $name"
    ;;
  *) usage ;;
esac
