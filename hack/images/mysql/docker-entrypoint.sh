#!/bin/bash
# The mysql image's entrypoint, as far as the Kubernetes examples use it, for MariaDB: initializes an empty
# data directory (root's password from MYSQL_ROOT_PASSWORD, or none with MYSQL_ALLOW_EMPTY_PASSWORD), then
# runs mysqld as the mysql user.
# MySQL-only options MariaDB refuses are mapped in the (writable) conf.d: super-read-only → read-only.
set -euo pipefail
[[ ${1:-} == mysqld ]] || exec "$@"

for f in /etc/mysql/conf.d/*.cnf; do
  [[ -f $f && -w $f ]] && sed -i -E 's/^super[-_]read[-_]only/read-only/' "$f"
done
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld
chown -R mysql:mysql /var/lib/mysql

if [[ ! -d /var/lib/mysql/mysql ]]; then
  if [[ -z ${MYSQL_ALLOW_EMPTY_PASSWORD:-} && -z ${MYSQL_ROOT_PASSWORD:-} ]]; then
    echo "database is uninitialized and password option is not specified" >&2
    echo "  You need to specify one of MYSQL_ROOT_PASSWORD or MYSQL_ALLOW_EMPTY_PASSWORD" >&2
    exit 1
  fi
  password=${MYSQL_ROOT_PASSWORD:-}
  password=${password//\'/\'\'}
  echo "initializing the data directory"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  mysqld --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  until mysql --socket=/run/mysqld/init.sock -e 'SELECT 1' >/dev/null 2>&1; do
    kill -0 "$pid" || exit 1
    sleep 0.5
  done
  # As the official image: root@localhost and root@'%' only, both with the password (mariadb-install-db
  # also makes password-less root@127.0.0.1, ::1 and the host name, which a TCP login would match first).
  mysql --socket=/run/mysqld/init.sock -e "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(hostname)';
    CREATE USER 'root'@'%' IDENTIFIED BY '$password'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
    ALTER USER 'root'@'localhost' IDENTIFIED BY '$password'; FLUSH PRIVILEGES;"
  kill "$pid"
  wait "$pid"
fi
exec "$@" --user=mysql
