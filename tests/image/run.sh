#!/usr/bin/env bash
# Runs an image's ENTRYPOINT from its root filesystem the way a pod runs it,
# without a container runtime:
#   run.sh DIR [--env K=V]... [--secret HOSTDIR:PATH]... [--] ARGS...
# DIR is what `rootfs.sh up` wrote (the root filesystem, the image's USER and
# ENTRYPOINT). The process
#  - is chrooted into the root filesystem, which is mounted read-only (the
#    chart's readOnlyRootFilesystem), with a fresh /proc, a /dev holding only
#    null, zero, full, random, urandom and tty, and a tmpfs at /tmp (the
#    chart's emptyDir);
#  - runs as the image's USER with no supplementary groups, no capabilities
#    and no_new_privs (allowPrivilegeEscalation: false);
#  - gets only the image's PATH and the --env variables, as a container does;
#  - sees each --secret HOSTDIR as a tmpfs at PATH holding a copy of HOSTDIR's
#    files owned by USER (a projected volume: how the service account's token
#    reaches a pod);
#  - shares the host's network (the fixture servers listen on 127.0.0.1).
# The mounts live in a mount namespace of the process's own, so they vanish
# with it. The process keeps this script's pid (every step execs the next), so
# a caller that started run.sh can signal and wait for the image's process.
set -euo pipefail
die() {
  echo "run.sh: $*" >&2
  exit 126
}
(($# >= 1)) || die "usage: $0 DIR [--env K=V]... [--secret HOSTDIR:PATH]... [--] ARGS..."
dir=$1
shift
[[ -f $dir/rootfs && -f $dir/user && -f $dir/entrypoint ]] || die "$dir is not set up (rootfs.sh up)"
root=$(cat "$dir/rootfs")
user=$(cat "$dir/user")
mapfile -t entrypoint <"$dir/entrypoint"
[[ -d $root && ${#entrypoint[@]} -gt 0 ]] || die "no root filesystem or no ENTRYPOINT in $dir"
[[ -n $user ]] || die "the image sets no USER"
[[ $user == *:* ]] || user=$user:$user

envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/)
secrets=()
while (($#)); do
  case $1 in
    --env) envs+=("$2"); shift 2 ;;
    --secret) secrets+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done

# A mount point in the image must not lead out of it: a symlink on the way
# (/var/run -> /run) is resolved against the host's root by mount(8).
inside() {
  local path=$1 prefix="" part
  [[ $path == /* ]] || die "$path is not absolute"
  IFS=/ read -ra parts <<<"${path#/}"
  for part in "${parts[@]}"; do
    prefix+=/$part
    [[ -L $root$prefix ]] && die "$path crosses the symlink $prefix in the image; name its target"
  done
  echo "$root$path"
}
for s in "${secrets[@]}"; do inside "${s#*:}" >/dev/null; done

# shellcheck disable=SC2016
exec unshare --mount --propagation private -- bash -c '
set -euo pipefail
root=$1 user=$2 nsecrets=$3 nenvs=$4
shift 4
secrets=("${@:1:nsecrets}"); shift "$nsecrets"
envs=("${@:1:nenvs}"); shift "$nenvs"
mount --bind "$root" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,noexec,mode=755 dev "$root/dev"
for d in null zero full random urandom tty; do
  touch "$root/dev/$d"
  mount --bind "/dev/$d" "$root/dev/$d"
done
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$root/tmp"
for s in "${secrets[@]}"; do
  src=${s%%:*} dst=$root${s#*:}
  mkdir -p "$dst"
  mount -t tmpfs -o nosuid,nodev,mode=755 secret "$dst"
  cp -r "$src/." "$dst/"
  chown -R "$user" "$dst"
  chmod -R go-w "$dst"
done
mount -o remount,bind,ro "$root"
exec env -i "${envs[@]}" setpriv --no-new-privs chroot --userspec="$user" --groups= "$root" "$@"
' run.sh "$root" "$user" "${#secrets[@]}" "${#envs[@]}" "${secrets[@]}" "${envs[@]}" "${entrypoint[@]}" "$@"
