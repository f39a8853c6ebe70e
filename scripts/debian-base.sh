#!/usr/bin/env bash
# Assembles the base images the Dockerfiles' FROM lines name, debian:RELEASE
# and debian:RELEASE-slim, from Debian's packages (debootstrap
# --variant=minbase) into buildah's local storage, so that `buildah bud
# --pull=never` finds them there and no image registry is ever asked.
#   scripts/debian-base.sh            (RELEASE: $AGENTFLEET_DEBIAN_RELEASE, default bookworm)
# The package mirror is the one apt already uses on this machine (read from
# apt's own configuration at run time), so the images install what the host
# would, with the updates of RELEASE-updates and RELEASE-security applied. The
# bases are cached under the newest Release date of those suites as apt last
# saw them (localhost/agentfleet-debian-base:RELEASE-YYYYMMDD[-slim]): a second
# run with the same apt lists only re-tags them; new updates on the mirror
# (seen after `apt-get update`) give new bases. Runs as root (debootstrap, buildah
# with chroot isolation and the vfs storage driver in /var/lib/containers; no
# daemon, no container engine).
set -euo pipefail
release=${AGENTFLEET_DEBIAN_RELEASE:-bookworm}
# vfs: no overlay mount needed, so it works wherever the storage sits (an
# overlayfs root included); buildah 1.28 reads no driver from the environment.
driver=${AGENTFLEET_STORAGE_DRIVER:-vfs}
buildah() { command buildah --storage-driver "$driver" "$@"; }
log() { echo "[debian-base $(date +%H:%M:%S)] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap and buildah's chroot isolation need it)"
for tool in buildah debootstrap apt-get; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/build-images.sh installs it)"
done

# The deb repositories apt knows for this release, as "URI SUITE" lines: apt
# resolves both sources.list and deb822 .sources files, and lists the suite's
# -updates and -security siblings too.
repos() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(TARGET_OF)' \
    'Created-By: Packages' | awk -v r="$release" \
    '$4 == "deb" && $3 == "main" && ($2 == r || $2 == r "-updates" || $2 == r "-security") {print $1, $2}' |
    sort -u
}
mirror=$(repos | awk -v r="$release" '$2 == r {print $1; exit}')
[[ -n $mirror ]] || die "apt has no deb source for '$release' main (see /etc/apt/sources.list{,.d/})"

# The key of the cache: the newest Release date of the suites (the release,
# its -updates and -security) as apt last saw them, so that a base holds the
# updates the host's apt knows of.
inrelease() { # inrelease URI SUITE: apt's copy of that suite's InRelease
  apt-get indextargets --format '$(FILENAME)' 'Created-By: Packages' "Release: $2" \
    "Repo-URI: $1" | head -n1 | sed "s|_dists_${2}_.*|_dists_${2}_InRelease|"
}
newest_release_date() {
  local uri suite file newest=0 t
  while read -r uri suite; do
    file=$(inrelease "$uri" "$suite")
    [[ -f $file ]] || return 1
    t=$(date -u -d "$(sed -n 's/^Date: //p' "$file" | head -n1)" +%s) || return 1
    ((t > newest)) && newest=$t
  done < <(repos)
  date -u -d "@$newest" +%Y%m%d
}
if ! stamp=$(newest_release_date); then
  log "no apt lists for $release yet: apt-get update"
  apt-get update -qq
  stamp=$(newest_release_date) || die "no Release files for $release in /var/lib/apt/lists after apt-get update"
fi
key=$release-$stamp
full=localhost/agentfleet-debian-base:$key
slim=$full-slim

exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

if exists "$full" && exists "$slim"; then
  log "cached: $full and $slim"
else
  work=$(mktemp -d "${TMPDIR:-/var/tmp}/agentfleet-debian-base.XXXXXX")
  ctr=""
  cleanup() {
    # debootstrap mounts proc and sys inside the target; a failed run can leave them.
    for m in proc sys dev/pts dev; do umount -l "$work/root/$m" 2>/dev/null || true; done
    [[ -n $ctr ]] && buildah rm "$ctr" >/dev/null 2>&1 || true
    rm -rf "$work"
  }
  trap cleanup EXIT
  root=$work/root
  log "debootstrap --variant=minbase $release from the mirror apt uses"
  SECONDS=0
  debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$release" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  log "debootstrap done in ${SECONDS}s"

  # apt sources as the official images have them: the release, its -updates
  # and -security, main only (from the host's apt configuration, so the
  # images install from the same mirror).
  rm -f "$root/etc/apt/sources.list"
  repos | awk '{suites[$1] = suites[$1] (suites[$1] ? " " : "") $2}
    END {for (u in suites) printf "Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n", u, suites[u]}' \
    >"$root/etc/apt/sources.list.d/debian.sources"

  # What Debian's official images configure (debuerreotype): no services
  # started by package scripts, no .deb kept after an install, no package
  # index caches, no translations, no suggested packages.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'force-unsafe-io' >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"

  # The updates of -updates and -security, as the official images have them
  # (debootstrap installs the release's point-release versions only).
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  mount --bind /dev "$root/dev"
  chroot "$root" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get upgrade -y -qq >"$work/upgrade.log" 2>&1 ||
    { tail -n 30 "$work/upgrade.log" >&2; die "apt-get upgrade in the new root failed"; }
  log "upgraded: $(grep -c '^Unpacking' "$work/upgrade.log" || true) packages"
  umount "$root/dev" "$root/proc"

  # What the assembly leaves behind and an image must not hold. Nothing may
  # still be mounted below the root before its /dev, /proc and /sys are emptied.
  chroot "$root" apt-get clean
  if findmnt -rn -o TARGET | grep -q "^$root/"; then
    die "something is still mounted below $root: $(findmnt -rn -o TARGET | grep "^$root/" | tr '\n' ' ')"
  fi
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/ldconfig/aux-cache \
    "$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/var/log/bootstrap.log "$root"/debootstrap \
    "$root"/tmp/* "$root"/var/tmp/* "$root"/run/* "$root"/dev/* "$root"/proc/* "$root"/sys/*
  : >"$root/etc/machine-id"
  : >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"

  # commit ROOTFS NAME: a one-layer image of ROOTFS, configured as the
  # official image is (PATH, bash as the command).
  commit() {
    ctr=$(buildah from --pull=never scratch)
    local mnt
    mnt=$(buildah mount "$ctr")
    cp -a "$1/." "$mnt/"
    buildah umount "$ctr" >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --cmd bash --os linux --arch "$(buildah info --format '{{.host.arch}}')" \
      --label io.agentfleet.debian-base="$key" "$ctr"
    buildah commit --quiet --rm "$ctr" "$2" >/dev/null
    ctr=""
  }
  commit "$root" "$full"
  log "committed $full ($(du -sh --apparent-size "$root" | cut -f1))"

  # -slim as the official one is made: no documentation (but the copyright
  # files), man pages or translations, now and for every package installed later.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
  commit "$root" "$slim"
  log "committed $slim ($(du -sh --apparent-size "$root" | cut -f1))"
fi

# The names the Dockerfiles' FROM lines use; buildah resolves a short name in
# local storage under localhost/.
buildah tag "$full" "localhost/debian:$release"
buildah tag "$slim" "localhost/debian:$release-slim"
# Bases of an older Release date are no longer named by anything.
buildah images --format '{{.Name}}:{{.Tag}}' |
  { grep -E "^localhost/agentfleet-debian-base:$release-[0-9]{8}(-slim)?$" || true; } | { grep -v -e ":$key$" -e ":$key-slim$" || true; } |
  while read -r old; do buildah rmi "$old" >/dev/null 2>&1 || true; done
log "debian:$release and debian:$release-slim are $full and $slim"
