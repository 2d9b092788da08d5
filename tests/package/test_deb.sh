#!/usr/bin/env bash
# The Debian package, built and installed as an admin would (a step of scripts/test; needs root):
#   1. dpkg-buildpackage -us -uc -b from a clean copy of the tree (nocheck: no tests, no benches)
#   2. lintian (errors fail; the remaining tags are explained in README, "Install as a Debian
#      package")
#   3. apt-get install of the .deb on this machine with /usr/sbin/policy-rc.d refusing every
#      service start; checks the files, the helpdeskd user and group, /var/lib/helpdeskd,
#      `helpdeskd --version`, the unit enabled, and `config check` of the installed example
#      once its secrets are set
#   4. apt-get purge: the package, its state and its enablement are gone; nothing runs.
# A debootstrap chroot would need a Debian mirror and several minutes; the machine is throwaway
# (CI) and nothing is started, so the package is installed on it and purged again.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "test_deb: needs root (it installs and purges the package)"; exit 1; }
if dpkg-query -W -f='${Status}' helpdeskd 2>/dev/null | grep -q installed; then
  echo "test_deb: helpdeskd is already installed here; refusing to touch it" >&2
  exit 1
fi
work=$(mktemp -d /tmp/helpdeskd-deb.XXXXXX)
policy_added=0
cleanup() {
  if dpkg-query -W -f='${Status}' helpdeskd 2>/dev/null | grep -q installed; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq helpdeskd >/dev/null || true
  fi
  [ $policy_added -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test_deb: FAIL: $*" >&2; exit 1; }
t0=$(date +%s)

# 1. Build from a copy of the tree (HD_DEB_DIR=DIR: use the .deb and .changes already built
# there instead, for working on this script).
if [ -n "${HD_DEB_DIR:-}" ]; then
  cp "$HD_DEB_DIR"/helpdeskd*_*.{deb,changes,buildinfo} "$work/"
else  # the tracked and new files of the tree, no build directories
  mkdir "$work/src"
  (cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 tar -c --no-recursion -f -) |
    tar -x -C "$work/src"
  (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
     dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
    { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
fi
deb=$(ls "$work"/helpdeskd_*.deb)
t1=$(date +%s)
echo "test_deb: built $(basename "$deb") in $((t1 - t0)) s"

# 2. lintian: no errors.
lintian --fail-on error --no-tag-display-limit "$work"/*.changes | tee "$work/lintian.log" ||
  fail "lintian errors"

# 3. Install, never starting a service.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  policy_added=1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "apt-get install"; }
for f in /usr/bin/helpdeskd /lib/systemd/system/helpdeskd.service \
         /usr/lib/sysusers.d/helpdeskd.conf /etc/helpdeskd/helpdeskd.toml.example \
         /etc/helpdeskd/rules.sieve /etc/helpdeskd/templates/ack/en.mustache \
         /usr/share/man/man8/helpdeskd.8.gz /usr/share/man/man5/helpdeskd.toml.5.gz \
         /usr/share/man/man5/helpdeskd-rules.5.gz \
         /usr/share/bash-completion/completions/helpdeskd \
         /usr/share/doc/helpdeskd/examples/helpdeskd.cron /usr/share/doc/helpdeskd/docs/config.md.gz; do
  [ -e "$f" ] || fail "$f not installed"
done
dpkg-query --control-show helpdeskd conffiles | grep -qx ' */etc/helpdeskd/rules.sieve' ||
  grep -q '^/etc/helpdeskd/rules.sieve' /var/lib/dpkg/info/helpdeskd.conffiles ||
  fail "rules.sieve is not a conffile"
[ ! -e /etc/helpdeskd/helpdeskd.toml ] || fail "a live configuration was installed"
grep -q '^ExecStart=/usr/bin/helpdeskd ' /lib/systemd/system/helpdeskd.service ||
  fail "the unit does not start the installed binary"
getent passwd helpdeskd | grep -q ':/var/lib/helpdeskd:/usr/sbin/nologin$' || fail "user helpdeskd"
getent group helpdeskd >/dev/null || fail "group helpdeskd"
[ "$(stat -c %U:%G:%a /var/lib/helpdeskd)" = helpdeskd:helpdeskd:750 ] || fail "/var/lib/helpdeskd"
[ -L /etc/systemd/system/multi-user.target.wants/helpdeskd.service ] || fail "unit not enabled"
[ "$(/usr/bin/helpdeskd --version)" = "helpdeskd 0.1.0" ] || fail "helpdeskd --version"
# The example is valid once the secrets it names are set (and not before).
cfg=/etc/helpdeskd/helpdeskd.toml.example
if /usr/bin/helpdeskd config check "$cfg" >/dev/null 2>&1; then fail "config check without secrets"; fi
HELPDESKD_SMTP_PASSWORD=s HELPDESKD_IMAP_PASSWORD=i /usr/bin/helpdeskd config check "$cfg" \
  >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "config check of the example"; }
# The shipped rules compile against the example configuration.
HELPDESKD_SMTP_PASSWORD=s HELPDESKD_IMAP_PASSWORD=i /usr/bin/helpdeskd -c "$cfg" rules check \
  >/dev/null || fail "rules check of the shipped rules"
if pgrep -x helpdeskd >/dev/null; then fail "helpdeskd was started"; fi

# 4. Purge: nothing left running, enabled or stored.
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq helpdeskd >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log"; fail "apt-get purge"; }
[ ! -e /usr/bin/helpdeskd ] || fail "binary left"
[ ! -e /var/lib/helpdeskd ] || fail "/var/lib/helpdeskd left after purge"
[ ! -e /etc/systemd/system/multi-user.target.wants/helpdeskd.service ] || fail "still enabled"
[ ! -e /etc/helpdeskd ] || fail "/etc/helpdeskd left: $(ls -A /etc/helpdeskd)"
if pgrep -x helpdeskd >/dev/null; then fail "helpdeskd running after purge"; fi
echo "test_deb: OK (build $((t1 - t0)) s, total $(($(date +%s) - t0)) s)"
