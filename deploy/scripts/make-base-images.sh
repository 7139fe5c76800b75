#!/usr/bin/env bash
# Makes the two base images deploy/Dockerfile builds on, locally, for machines that reach no container
# registry (only Debian's apt mirror): Debian (debootstrap, minbase) plus this machine's own .NET
# installation, tagged with the names the Dockerfile uses:
#   mcr.microsoft.com/dotnet/runtime:10.0   Debian + the .NET runtime (host, Microsoft.NETCore.App), user app (uid 1654)
#   mcr.microsoft.com/dotnet/sdk:10.0       the same + the .NET SDK
# As in Microsoft's images: dotnet in /usr/share/dotnet (linked from /usr/bin/dotnet), APP_UID=1654.
# Nothing here is pulled from a registry; images are built with podman --pull=never.
#
#   deploy/scripts/make-base-images.sh         make them unless both exist from the same inputs
#
# The inputs (this script, the Debian suite and mirror, the .NET versions) are hashed into the label
# org.weightwatcher.base-key: an image with the current key is reused, so a second call costs nothing.
# Environment: SUITE (default bookworm), DEBIAN_MIRROR (default the mirror in /etc/apt, else
# deb.debian.org), DOTNET_ROOT (default: where `dotnet` on PATH lives), RUNTIME_IMAGE, SDK_IMAGE (names).
# Needs root, debootstrap and podman (with runc).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
suite="${SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null | awk '{print $2}' | head -1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
dotnet_root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
runtime_image="${RUNTIME_IMAGE:-mcr.microsoft.com/dotnet/runtime:10.0}"
sdk_image="${SDK_IMAGE:-mcr.microsoft.com/dotnet/sdk:10.0}"
app_uid=1654
# The options every podman build and run needs on these machines (see deploy/README.md).
podman_opts=(--runtime runc)

runtime_version="$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -1)"
sdk_version="$(ls "$dotnet_root/sdk" | sort -V | tail -1)"
[[ -n "$runtime_version" && -n "$sdk_version" ]] || { echo "no .NET runtime or SDK under $dotnet_root" >&2; exit 1; }
key="$( (cat "${BASH_SOURCE[0]}"; echo "$suite $mirror $runtime_version $sdk_version") | sha256sum | cut -c1-16)"

label_of() { podman image inspect --format '{{ index .Labels "org.weightwatcher.base-key" }}' "$1" 2>/dev/null || true; }
if [[ "$(label_of "$runtime_image")" == "$key" && "$(label_of "$sdk_image")" == "$key" ]]; then
  echo "base images up to date ($runtime_image, $sdk_image; key $key)" >&2
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/var/tmp}/ww-base-XXXXXX")"
rootfs="$work/rootfs"
cleanup() {
  mountpoint -q "$rootfs/proc" 2>/dev/null && umount "$rootfs/proc" || true
  mountpoint -q "$rootfs/sys" 2>/dev/null && umount "$rootfs/sys" || true
  rm -rf "$work"
}
trap cleanup EXIT
clock=$SECONDS

# 1. Debian minbase with what .NET needs at run time (ICU, OpenSSL, CA certificates, time zones).
echo "debootstrap $suite from $mirror ..." >&2
debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,tzdata "$suite" "$rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
cleanup_mounts() { mountpoint -q "$rootfs/proc" && umount "$rootfs/proc" || true; }
cleanup_mounts
chroot "$rootfs" groupadd --gid "$app_uid" app
chroot "$rootfs" useradd --uid "$app_uid" --gid "$app_uid" --shell /bin/false --create-home app
ln -s /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
echo "debootstrap took $((SECONDS - clock)) s" >&2

base="localhost/weightwatcher-base/debian:$suite"
tar --numeric-owner -C "$rootfs" -c . | podman import --change "CMD [\"/bin/bash\"]" - "$base" >/dev/null

# 2. The runtime image: the host and the shared framework of this machine's .NET (hard links: no copy).
mkdir -p "$work/runtime/dotnet/shared" "$work/sdk/dotnet"
cp -al "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$work/runtime/dotnet/"
cp -al "$dotnet_root/shared/Microsoft.NETCore.App" "$work/runtime/dotnet/shared/"
cat > "$work/runtime/Containerfile" <<CONTAINERFILE
FROM $base
COPY dotnet/ /usr/share/dotnet/
ENV APP_UID=$app_uid DOTNET_VERSION=$runtime_version DOTNET_RUNNING_IN_CONTAINER=true
LABEL org.weightwatcher.base-key=$key org.opencontainers.image.description="Debian $suite + .NET $runtime_version runtime, made locally by deploy/scripts/make-base-images.sh"
CONTAINERFILE
podman build "${podman_opts[@]}" --pull=never -q -t "$runtime_image" "$work/runtime" >/dev/null

# 3. The SDK image: the runtime image plus the SDK, its packs and templates.
for part in sdk sdk-manifests packs templates; do
  [[ -e "$dotnet_root/$part" ]] && cp -al "$dotnet_root/$part" "$work/sdk/dotnet/"
done
cat > "$work/sdk/Containerfile" <<CONTAINERFILE
FROM $runtime_image
COPY dotnet/ /usr/share/dotnet/
ENV DOTNET_SDK_VERSION=$sdk_version DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 NUGET_XMLDOC_MODE=skip
LABEL org.weightwatcher.base-key=$key org.opencontainers.image.description="Debian $suite + .NET SDK $sdk_version, made locally by deploy/scripts/make-base-images.sh"
CONTAINERFILE
podman build "${podman_opts[@]}" --pull=never -q -t "$sdk_image" "$work/sdk" >/dev/null
podman image rm "$base" >/dev/null 2>&1 || true

echo "made $runtime_image ($(podman image inspect --format '{{.Size}}' "$runtime_image") bytes) and $sdk_image ($(podman image inspect --format '{{.Size}}' "$sdk_image") bytes) in $((SECONDS - clock)) s; key $key" >&2
