#!/usr/bin/env bash
# Install the Debian packages synfront needs to build, test and run its demo.
# Idempotent: apt-get update runs only when something is missing.
set -euo pipefail

PKGS=(
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev libjansson-dev libbpf-dev libcmocka-dev libmicrohttpd-dev
  iproute2 iputils-ping iputils-arping ethtool iptables procps psmisc kmod
  python3 python3-scapy python3-prometheus-client hping3 tshark tcpdump curl iperf3 netcat-openbsd
  gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
