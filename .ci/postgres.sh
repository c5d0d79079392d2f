# shellcheck shell=bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: `start_postgres` initialises one
# in a temporary folder, starts it on a free port of 127.0.0.1 (trust authentication, loopback
# only, no fsync: nothing in it outlives the run), stops and removes it when the shell exits,
# and exports TICKETBOT_CI_POSTGRES, the URL its superuser `ticketbot` connects with. The
# cluster also speaks TLS with a certificate for 127.0.0.1 from a throwaway CA, exported as
# TICKETBOT_CI_POSTGRES_CA (the file), for the test that connects over TLS.

start_postgres() {
  local bin
  bin="$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -n 1)"
  if [ -z "$bin" ]; then
    echo "PostgreSQL is not installed (Debian's package postgresql)" >&2
    return 1
  fi
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: an unprivileged system user runs the cluster.
    id ticketbot-ci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ticketbot-ci
    as=(runuser -u ticketbot-ci --)
  fi
  local port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  PG_CI_DIR="$(mktemp -d /tmp/ticketbot-postgres.XXXXXX)"
  chmod 755 "$PG_CI_DIR"
  [ "${#as[@]}" -gt 0 ] && chown ticketbot-ci "$PG_CI_DIR"
  "${as[@]}" "$bin/initdb" -D "$PG_CI_DIR/data" -U ticketbot --auth=trust -E UTF8 --no-locale >"$PG_CI_DIR/initdb.log"
  local tls="$PG_CI_DIR/tls"
  mkdir -p "$tls"
  openssl req -x509 -new -nodes -days 2 -newkey rsa:2048 -subj "/CN=ticketbot CI CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -new -nodes -newkey rsa:2048 -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
  openssl x509 -req -days 2 -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
  chmod 600 "$tls/server.key"
  [ "${#as[@]}" -gt 0 ] && chown -R ticketbot-ci "$tls"
  "${as[@]}" "$bin/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/server.log" -w -o \
    "-p $port -k $PG_CI_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" \
    start >/dev/null
  PG_CI_BIN="$bin"
  PG_CI_AS=("${as[@]}")
  trap stop_postgres EXIT
  export TICKETBOT_CI_POSTGRES="postgres://ticketbot@127.0.0.1:$port/postgres"
  export TICKETBOT_CI_POSTGRES_CA="$tls/ca.pem"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($PG_CI_DIR)"
}

stop_postgres() {
  if [ -n "${PG_CI_DIR:-}" ]; then
    "${PG_CI_AS[@]}" "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_CI_DIR"
    PG_CI_DIR=""
  fi
}
