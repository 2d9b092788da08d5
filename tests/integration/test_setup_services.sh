#!/usr/bin/env bash
# scripts/setup leaves no system service enabled (issue 19, point 8): the systemd units of the
# packages it installed are disabled (and stopped where systemd runs). Played with stand-ins
# for dpkg, systemctl and sudo, so nothing on this machine is touched.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

mkdir -p "$T/bin"
cat > "$T/bin/dpkg" <<'STUB'
#!/bin/sh
# dpkg -L PKG...: dovecot-core's files as Debian 12 lists them; others have no units
[ "$1" = -L ] || exit 2
shift
for p in "$@"; do
  case $p in
  dovecot-core) printf '%s\n' /lib/systemd/system /lib/systemd/system/dovecot.service \
    /lib/systemd/system/dovecot.socket /usr/sbin/dovecot ;;
  *) printf '%s\n' "/usr/share/doc/$p" ;;
  esac
done
STUB
printf '#!/bin/sh\necho "$@" >> "%s"\n' "$T/systemctl.log" > "$T/bin/systemctl"
printf '#!/bin/sh\nexec "$@"\n' > "$T/bin/sudo"
chmod +x "$T/bin/"*

PATH="$T/bin:$PATH" "$HD_SOURCE_DIR/scripts/setup" --disable-services dovecot-imapd dovecot-core \
  > "$T/out" 2>&1 || { cat "$T/out"; fail "setup --disable-services failed"; }
cat "$T/out"
[ -s "$T/systemctl.log" ] || fail "systemctl was not called"
cat "$T/systemctl.log"
grep -Eq '^disable (--now )?--quiet dovecot.service dovecot.socket$' "$T/systemctl.log" ||
  fail "dovecot.service and dovecot.socket were not disabled"
echo "ok: dovecot's service and socket are disabled"
grep -q 'disabling the services the packages installed: dovecot.service dovecot.socket' "$T/out" ||
  fail "setup does not say what it disables"
echo "ok: setup says what it disables"

# Packages without units: systemctl is not called.
rm -f "$T/systemctl.log"
PATH="$T/bin:$PATH" "$HD_SOURCE_DIR/scripts/setup" --disable-services cmake > "$T/out2" 2>&1
[ ! -e "$T/systemctl.log" ] || fail "systemctl called for packages without units"
echo "ok: nothing to disable for packages without units"
