# Shared by scripts/run and scripts/test (sourced, not run). Idempotent and quiet when there is
# nothing to do: a virtual environment in .venv with the pinned requirements, and the local
# services the tests need.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# setup_venv FILE: .venv exists and has exactly what FILE pins (reinstalled when FILE changes).
setup_venv() {
  local file="$1" python="${PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Deskgraph needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    say "Creating the virtual environment in .venv"
    "$python" -m venv .venv
  fi
  local stamp=".venv/.deskgraph-$(basename "$file" .txt)"
  local want
  want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Installing Python packages from $file"
    # pip's output (and the warnings of a site-wide pip configuration) goes to a log that is
    # shown only when the installation fails.
    local log=".venv/pip-install.log"
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
           .venv/bin/python -m pip install --disable-pip-version-check -r "$file"; } >"$log" 2>&1
    then
      tail -n 40 "$log" >&2
      echo "Installing the Python packages failed; the whole log is in $log" >&2
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# ensure_postgres: the PostgreSQL the tests use answers, starting a stopped local cluster.
ensure_postgres() {
  local host=127.0.0.1 port=5432
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then return 0; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    say "Starting the local PostgreSQL cluster"
    for version in $(ls /etc/postgresql); do
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 30); do
      pg_isready -q -h "$host" -p "$port" 2>/dev/null && return 0
      sleep 1
    done
  fi
  echo "PostgreSQL is not reachable on $host:$port; its tests will fail (see README)." >&2
}

# ensure_redis: a local Redis answers if one is installed (used by the health check tests).
ensure_redis() {
  if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    if command -v redis-server >/dev/null; then
      say "Starting the local Redis"
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /tmp >/dev/null || true
    fi
  fi
}

# ensure_dovecot: Debian's Dovecot IMAP server for the mail-in tests (the tests start their own
# dovecot on loopback with a throw-away configuration; the system service is never used).
ensure_dovecot() {
  if [ -x /usr/sbin/dovecot ] && command -v openssl >/dev/null; then return 0; fi
  if command -v apt-get >/dev/null; then
    say "Installing Debian's dovecot-imapd for the mail-in tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      dovecot-imapd openssl >/dev/null || true
    # Only the tests' own servers are wanted: the package's service stays stopped.
    if command -v service >/dev/null; then as_root service dovecot stop >/dev/null 2>&1 || true; fi
  fi
  [ -x /usr/sbin/dovecot ] || echo "Dovecot is not installed; the IMAP tests will be skipped." >&2
}

# ensure_slapd: Debian's OpenLDAP server and tools for the directory tests (the tests start
# their own slapd on loopback; the system service is never used).
ensure_slapd() {
  if command -v slapd >/dev/null || [ -x /usr/sbin/slapd ]; then
    command -v ldapsearch >/dev/null && return 0
  fi
  if command -v apt-get >/dev/null; then
    say "Installing Debian's slapd and ldap-utils for the directory tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      slapd ldap-utils openssl >/dev/null || true
  fi
}

# ensure_chromium: Debian's Chromium for the browser tests (never a browser download).
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if command -v apt-get >/dev/null; then
    say "Installing Debian's chromium for the browser tests"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-dejavu-core >/dev/null || true
  fi
  [ -x /usr/bin/chromium ] || echo "Chromium is not installed; browser tests will fail." >&2
}
