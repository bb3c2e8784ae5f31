#!/usr/bin/env bash
# guide-baseline.sh: the install guide, done by hand, as a script. The baseline the installer is
# measured against: what an operator would otherwise run on Debian 13 / OpenStack 2025.1 (Epoxy).
#
# Usage: BENCH_PASSWORDS_FILE=passwords.json bench/guide-baseline.sh INVENTORY_JSON
#
#   INVENTORY_JSON        the lab's inventory.json (lab/inventory.ts): sshUser, privateKeyPath,
#                         hosts [{name, role: controller|compute, address, hostPublicKey}];
#                         exactly one controller, any number of computes.
#   BENCH_PASSWORDS_FILE  (required) a JSON object with the names of render/configFiles.ts
#                         passwordNames: admin rabbit keystoneDatabase glanceDatabase glance
#                         neutronDatabase neutron novaDatabase nova placementDatabase placement.
#                         Guide-style passwords only (the guide: `openssl rand -hex 10`): 8-128 of
#                         A-Z a-z 0-9 _ . ~ -, not starting with - ; anything else is refused before
#                         any host is touched (see "Passwords" below).
#   BENCH_API_WORKERS     uwsgi processes per API (default 2, the lab stack's apiWorkers; empty
#                         keeps the packages' 8 to 16). Not in the guide: see "Not the guide".
#   BENCH_COMPUTE_DRIVER  nova-compute's compute_driver (default fake.FakeDriver). bench/run.ts passes
#                         its own, the one it sets in the installer's stacks (nova-installer:computeDriver).
#
# What it does: the guide's sections in the guide's order (Environment, Keystone, Glance,
# Placement, Nova controller, Nova compute on each compute, host discovery, Neutron, the flavor of
# "Launch an instance", Nova's verification), SEQUENTIALLY: one host after another, one command
# after another, no parallelism, no cleverness. Each guide step is one `ssh HOST bash -s` session
# with the step's commands on stdin; a timestamped line per step goes to stderr (stdout carries the
# commands' own output). set -euo pipefail locally and on the hosts: the first failure stops
# everything, naming the step.
#
# FRESH HOSTS ONLY (a new `lab up`). Nothing here is idempotent, as in the guide: run again on
# converged hosts it fails loudly at the first CREATE DATABASE (database exists).
#
# Lab specifics, as the installer's lab stack (lab/stack.ts) has them:
# - packages from the image's pre-seeded apt cache: `apt-get install -y --no-install-recommends`,
#   never `apt-get update` (refreshPackageIndex=false; the hosts have no route out);
# - Debian's package names and units (profiles/profiles.ts, debian-13/epoxy), e.g. nova-consoleproxy
#   for nova-novncproxy, neutron-api + neutron-rpc-server for neutron-server;
# - compute_driver = BENCH_COMPUTE_DRIVER (the benchmark's stacks set the same), flavor m1.tiny
#   (1 vCPU, 512 MB, 1 GB), image "tiny" (1 MiB raw);
# - every setting the installer renders (templates/, test/golden/debian-13/epoxy/) is set, with the
#   same values, except that database passwords sit in the URLs as the guide writes them.
#
# Config files: the guide edits the packaged files by hand. crudini would be the scripted way, but
# it is NOT in the lab image's package cache (lab/image-recipe.ts caches the profile's packages
# plus curl and openssl; no package of the profile depends on crudini) and the hosts are offline.
# So each edit is a small python3 line editor (python3 is in the image's debootstrap includes)
# with crudini --set's semantics: the "[section]" / "key = value" lines of the guide, given on
# stdin, replace the active key in that section or are added to it; comments and every other line
# of the packaged file stay, owner and mode too (the file is rewritten in place). A python3
# configparser round trip was not chosen: it rewrites the whole file, dropping the packaged
# files' comments, which is no longer "editing the file" as the guide does.
#
# Passwords are read locally with python3 and reach the hosts only inside the stdin script text
# (the guide's way: typed into the session), as shell variables named after the guide's
# placeholders (NOVA_DBPASS, NOVA_PASS, ...). Never on the local or the ssh command line. On the
# hosts, as in the guide, they end up in the configuration files and database URLs, and
# `openstack user create --password` has them in the argv of that one client process (the guide's
# --password-prompt needs a terminal, which `bash -s` has not). mysql reads its statements on stdin
# (the guide's interactive session), rabbitmqctl add_user its password on stdin, keystone-manage
# bootstrap its password from OS_BOOTSTRAP_PASSWORD. The guide puts passwords verbatim into URLs,
# SQL and oslo.config files, so it breaks on @ : / % $ ' and friends: such passwords are refused
# up front (the installer handles them; the lab's generated ones contain every one of them, so a
# runner must give both tools guide-style passwords).
#
# Not the guide (each needed to reach the installer's end state or to run unattended):
# - BENCH_API_WORKERS: `processes = N` in each API's uwsgi ini before its restart, as the lab
#   stack does (Debian starts 8 to 16 workers per API: minutes of CPU on a 2-core lab);
# - waits a person does by looking: a service's port accepts connections before the next step
#   talks to it (bounded, 120 s), Keystone issues a token (the guide's own check, retried), every
#   compute reports "up" in `openstack compute service list` before discover_hosts (the guide says
#   to check that list first; bounded, 300 s);
# - `systemctl reset-failed` and `enable` around the guide's restarts, and an is-active check;
# - on Debian, NOVA_CONSOLE_PROXY_TYPE=novnc in /etc/default/nova-consoleproxy (as the installer);
# - the installer's neutron-api worker preload (neutron_preload) and a port listing after the
#   guide's Neutron check;
# - where the guide uses `mysql -u root -p` and types statements, the statements go to mysql's
#   stdin (root logs in through the unix socket on Debian), which is the same session, scripted.
# Skipped guide parts the installer does not have either: mysql_secure_installation, etcd, the
# example domain/project/user/role, Apache (Debian serves Keystone with uwsgi), Neutron agents,
# the metadata proxy secret, unified limits.

set -euo pipefail

readonly REGION=RegionOne
readonly PASSWORD_NAMES=(admin rabbit keystoneDatabase glanceDatabase glance neutronDatabase neutron novaDatabase nova placementDatabase placement)
declare -A PLACEHOLDER=(
  [admin]=ADMIN_PASS [rabbit]=RABBIT_PASS
  [keystoneDatabase]=KEYSTONE_DBPASS
  [glanceDatabase]=GLANCE_DBPASS [glance]=GLANCE_PASS
  [neutronDatabase]=NEUTRON_DBPASS [neutron]=NEUTRON_PASS
  [novaDatabase]=NOVA_DBPASS [nova]=NOVA_PASS
  [placementDatabase]=PLACEMENT_DBPASS [placement]=PLACEMENT_PASS
)
API_WORKERS=${BENCH_API_WORKERS-2}
COMPUTE_DRIVER=${BENCH_COMPUTE_DRIVER:-fake.FakeDriver}

log() {
  printf '%s guide-baseline %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$*" >&2
}

die() {
  log "FAILED: $*"
  exit 1
}

if [ $# -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
INVENTORY=$1
[ -n "${BENCH_PASSWORDS_FILE:-}" ] || die "BENCH_PASSWORDS_FILE is not set (a JSON file of the passwords, see --help)"
[[ "$API_WORKERS" =~ ^([1-9][0-9]{0,2})?$ ]] || die "BENCH_API_WORKERS=$API_WORKERS: expected a number of processes, or empty"
[[ "$COMPUTE_DRIVER" =~ ^[A-Za-z0-9_.]+$ ]] || die "BENCH_COMPUTE_DRIVER=$COMPUTE_DRIVER: expected a driver name such as fake.FakeDriver"
for tool in python3 ssh; do
  command -v "$tool" >/dev/null || die "$tool is not installed on this machine"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/guide-baseline.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
KNOWN_HOSTS=$WORK/known_hosts

# ---------------------------------------------------------------------------------------------
# Inventory and passwords, read with python3 on this machine. It writes the pinned known_hosts
# file and prints shell assignments (values quoted with shlex.quote) of what the script needs.
# ---------------------------------------------------------------------------------------------
SSH_USER='' PRIVATE_KEY='' CONTROLLER_NAME='' CONTROLLER_ADDR=''
COMPUTE_NAMES=() COMPUTE_ADDRS=()
declare -A PASSWORDS=()
parsed=$(python3 - "$INVENTORY" "$KNOWN_HOSTS" "${PASSWORD_NAMES[@]}" <<'PY'
import json, os, re, shlex, sys

inventory_path, known_hosts_path, names = sys.argv[1], sys.argv[2], sys.argv[3:]

def fail(message):
    sys.stderr.write("guide-baseline: %s\n" % message)
    sys.exit(2)

def load(path, what):
    try:
        with open(path) as stream:
            return json.load(stream)
    except (OSError, ValueError) as error:
        fail("cannot read %s %s: %s" % (what, path, error))

inventory = load(inventory_path, "inventory")
if not isinstance(inventory, dict):
    fail("inventory %s: expected a JSON object" % inventory_path)
user = inventory.get("sshUser")
key = inventory.get("privateKeyPath")
hosts = inventory.get("hosts")
if not isinstance(user, str) or not re.match(r"^[a-z_][a-z0-9_-]*$", user):
    fail("inventory: sshUser is %r, expected a user name" % (user,))
if not isinstance(key, str) or not key.startswith("/") or not os.path.isfile(key):
    fail("inventory: privateKeyPath is %r, expected an existing absolute path" % (key,))
if not isinstance(hosts, list) or not hosts:
    fail("inventory: hosts is %r, expected a non-empty array" % (hosts,))
for index, host in enumerate(hosts):
    where = "inventory: hosts[%d]" % index
    if not isinstance(host, dict):
        fail("%s: expected an object" % where)
    if not isinstance(host.get("name"), str) or not re.match(r"^[a-z][a-z0-9-]*$", host["name"]):
        fail("%s.name is %r, expected a hostname" % (where, host.get("name")))
    if host.get("role") not in ("controller", "compute"):
        fail("%s.role is %r, expected controller or compute" % (where, host.get("role")))
    if not isinstance(host.get("address"), str) or not re.match(r"^\d{1,3}(\.\d{1,3}){3}$", host["address"]):
        fail("%s.address is %r, expected an IPv4 address" % (where, host.get("address")))
    if not isinstance(host.get("hostPublicKey"), str) or not re.match(r"^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+) [A-Za-z0-9+/=]+", host["hostPublicKey"]):
        fail("%s.hostPublicKey is not an OpenSSH public key line" % where)
controllers = [host for host in hosts if host["role"] == "controller"]
computes = [host for host in hosts if host["role"] == "compute"]
if len(controllers) != 1:
    fail("inventory: %d controllers, expected exactly one" % len(controllers))
if len({host["name"] for host in hosts}) != len(hosts):
    fail("inventory: host names are not unique")

# Only the inventory's pinned keys are trusted: StrictHostKeyChecking=yes against this file.
with open(known_hosts_path, "w") as stream:
    for host in hosts:
        key_type, key_data = host["hostPublicKey"].split()[:2]
        stream.write("%s %s %s\n" % (host["address"], key_type, key_data))

passwords_path = os.environ["BENCH_PASSWORDS_FILE"]
passwords = load(passwords_path, "passwords file")
if not isinstance(passwords, dict):
    fail("passwords file %s: expected a JSON object" % passwords_path)
missing = [name for name in names if name not in passwords]
if missing:
    fail("passwords file %s: missing %s" % (passwords_path, " ".join(missing)))
# The guide writes passwords verbatim into SQL, URLs and oslo.config files: only characters that
# mean nothing in any of them (and no leading "-", which the openstack client would take for an
# option). Values are never printed.
safe = re.compile(r"^[A-Za-z0-9_.~][A-Za-z0-9_.~-]{7,127}$")
unsafe = [name for name in names if not isinstance(passwords[name], str) or not safe.match(passwords[name])]
if unsafe:
    fail("passwords file %s: not guide-style (8-128 of A-Z a-z 0-9 _ . ~ -, no leading -): %s"
         % (passwords_path, " ".join(unsafe)))

q = shlex.quote
print("SSH_USER=%s" % q(user))
print("PRIVATE_KEY=%s" % q(key))
print("CONTROLLER_NAME=%s CONTROLLER_ADDR=%s" % (q(controllers[0]["name"]), q(controllers[0]["address"])))
print("COMPUTE_NAMES=(%s)" % " ".join(q(host["name"]) for host in computes))
print("COMPUTE_ADDRS=(%s)" % " ".join(q(host["address"]) for host in computes))
for name in names:
    print("PASSWORDS[%s]=%s" % (name, q(passwords[name])))
PY
)
eval "$parsed"
unset parsed

SSH_OPTS=(
  -i "$PRIVATE_KEY"
  -o BatchMode=yes
  -o IdentitiesOnly=yes
  -o StrictHostKeyChecking=yes
  -o UserKnownHostsFile="$KNOWN_HOSTS"
  -o GlobalKnownHostsFile=/dev/null
  -o ConnectTimeout=15
  -o ServerAliveInterval=30
  -o ServerAliveCountMax=10
  -o LogLevel=ERROR
)

# ---------------------------------------------------------------------------------------------
# Remote steps. A step's script (stdin of run_step) is sent to `bash -s` on the host after a
# prelude: strict mode, the cloud's names and addresses, the passwords the step names (and only
# those), and the helpers below. The step's commands run inside `{ ...; } </dev/null`, so that
# bash has read the whole script before any command runs and no command can swallow the rest of
# the script from stdin.
# ---------------------------------------------------------------------------------------------

remote_helpers() {
  cat <<'HELPERS'
# conf_set FILE: the guide's "edit FILE: [section] key = value" (crudini --set semantics). Reads
# "[section]" and "key = value" lines on stdin; each key replaces the active key of that name in
# its section, or is added at the end of the section (the section at the end of the file);
# comments and all other lines stay; the file is rewritten in place (owner and mode stay).
conf_set() {
  python3 /dev/fd/3 "$1" 3<<'PY'
import os, re, sys

path = sys.argv[1]
settings, section = [], None
for number, raw in enumerate(sys.stdin.read().splitlines(), 1):
    line = raw.strip()
    if not line or line[0] in "#;":
        continue
    header = re.match(r"^\[([^\]]+)\]$", line)
    if header:
        section = header.group(1)
        continue
    key, equals, value = line.partition("=")
    if not equals or section is None or not key.strip():
        sys.exit("conf_set %s: line %d of the settings is not \"key = value\" under a [section]" % (path, number))
    settings.append((section, key.strip(), value.strip()))

try:
    with open(path) as stream:
        lines = stream.read().splitlines()
except FileNotFoundError:
    lines = []

def is_header(line):
    return re.match(r"^\s*\[[^\]]+\]\s*$", line) is not None

for section, key, value in settings:
    start = next((i for i, line in enumerate(lines) if line.strip() == "[%s]" % section), None)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append("[%s]" % section)
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if is_header(lines[i])), len(lines))
    active = re.compile(r"^\s*%s\s*=" % re.escape(key))
    hits = [i for i in range(start + 1, end) if active.match(lines[i])]
    text = "%s = %s" % (key, value) if value else "%s =" % key
    if hits:
        lines[hits[0]] = text
        for i in reversed(hits[1:]):
            del lines[i]
    else:
        position = end
        while position > start + 1 and not lines[position - 1].strip():
            position -= 1
        lines.insert(position, text)

with open(path, "r+" if os.path.exists(path) else "w") as stream:
    stream.seek(0)
    stream.write("\n".join(lines) + "\n")
    stream.truncate()
PY
}

# apt_install PACKAGE...: the guide's "apt install", from the pre-seeded cache (no apt-get update).
apt_install() {
  apt-get install -y --no-install-recommends "$@"
}

# restart UNIT...: the guide's "service UNIT restart" (and the RDO guide's "systemctl enable"),
# clearing a start limit hit while the packages started the units unconfigured.
restart() {
  systemctl reset-failed "$@" 2>/dev/null || true
  systemctl enable -q "$@"
  systemctl restart "$@"
  local unit
  for unit in "$@"; do
    systemctl is-active -q "$unit" || { systemctl status --no-pager "$unit" >&2 || true; echo "$unit is not active" >&2; return 1; }
  done
}

# api_workers UWSGI_INI: the lab stack's apiWorkers (not in the guide).
api_workers() {
  if [ -n "$API_WORKERS" ]; then sed -i -E "s/^processes = [0-9]+/processes = $API_WORKERS/" "$1"; fi
}

# neutron_preload UWSGI_INI: each neutron-api worker configures every database model before it
# serves (not in the guide; the installer does the same, profiles/neutronPreload.ts). Without it
# a worker whose first request is a port listing answers 500 until some other query reaches it.
neutron_preload() {
  install -d -m 0755 /usr/local/lib/nova-installer/python
  cat > /usr/local/lib/nova-installer/python/nova_installer_neutron_preload.py <<'PY'
import neutron.cmd.eventlet  # noqa: F401
from neutron.db.migration.models import head  # noqa: F401
from sqlalchemy import orm

orm.configure_mappers()
PY
  printf '\npythonpath = /usr/local/lib/nova-installer/python\nimport = nova_installer_neutron_preload\n' >> "$1"
}

# wait_port ADDRESS PORT: what a person waits for before typing the next command (bounded).
wait_port() {
  local attempt
  for attempt in $(seq 120); do
    if timeout 2 bash -c "</dev/tcp/$1/$2" 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "nothing accepts connections on $1:$2 after 120 s" >&2
  return 1
}

# upgrade_check COMMAND...: the guide's "*-status upgrade check": exit code 0 is success, 1
# warnings (reported, not a failure), 2 and up failure.
upgrade_check() {
  local status=0
  "$@" || status=$?
  case $status in
    0) ;;
    1) echo "$*: warnings (see above)" >&2 ;;
    *) return "$status" ;;
  esac
}

# retry ATTEMPTS COMMAND...: a check repeated every 2 s until it passes (bounded).
retry() {
  local attempts=$1 attempt
  shift
  for attempt in $(seq "$attempts"); do
    if "$@"; then return 0; fi
    [ "$attempt" = "$attempts" ] || sleep 2
  done
  echo "still failing after $attempts attempts: $*" >&2
  return 1
}
HELPERS
}

# remote_prelude HOST_ADDRESS [PASSWORD_NAME...]
remote_prelude() {
  local address=$1 name
  shift
  printf 'set -euo pipefail\n'
  printf 'export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive\n'
  printf 'CONTROLLER=%q\nCONTROLLER_IP=%q\nMY_IP=%q\nREGION=%q\nAPI_WORKERS=%q\nCOMPUTE_DRIVER=%q\nCOMPUTES=%q\n' \
    "$CONTROLLER_NAME" "$CONTROLLER_ADDR" "$address" "$REGION" "$API_WORKERS" "$COMPUTE_DRIVER" "${COMPUTE_NAMES[*]}"
  for name in "$@"; do
    printf '%s=%q\n' "${PLACEHOLDER[$name]}" "${PASSWORDS[$name]}"
  done
  remote_helpers
}

STEPS=0
# run_step HOST_NAME HOST_ADDRESS "SECTION: STEP" [PASSWORD_NAME...] <<'EOF' ...commands... EOF
run_step() {
  local host=$1 address=$2 title=$3 body
  shift 3
  body=$(cat)
  STEPS=$((STEPS + 1))
  log "step $STEPS [$host] $title"
  if ! { remote_prelude "$address" "$@"; printf '{\n%s\n} </dev/null\n' "$body"; } |
    ssh "${SSH_OPTS[@]}" "$SSH_USER@$address" bash -s; then
    die "step $STEPS [$host] $title"
  fi
}

# On the controller.
ctl() {
  run_step "$CONTROLLER_NAME" "$CONTROLLER_ADDR" "$@"
}

START=$SECONDS
log "start: controller $CONTROLLER_NAME ($CONTROLLER_ADDR), ${#COMPUTE_NAMES[@]} compute(s): ${COMPUTE_NAMES[*]:-none}"

# =============================================================================================
# Environment (install guide: "Environment")
# =============================================================================================

ctl "environment: OpenStack packages (the client)" <<'EOF'
apt_install python3-openstackclient
EOF

ctl "environment: SQL database: install" <<'EOF'
apt_install mariadb-server python3-pymysql
EOF

ctl "environment: SQL database: 99-openstack.cnf, restart" <<'EOF'
cat >/etc/mysql/mariadb.conf.d/99-openstack.cnf <<CNF
[mysqld]
bind-address = $CONTROLLER_IP
default-storage-engine = innodb
innodb_file_per_table = on
max_connections = 4096
collation-server = utf8_general_ci
character-set-server = utf8
CNF
restart mariadb
EOF

ctl "environment: message queue: install" <<'EOF'
apt_install rabbitmq-server
EOF

ctl "environment: message queue: user openstack" rabbit <<'EOF'
printf '%s\n' "$RABBIT_PASS" | rabbitmqctl add_user openstack
rabbitmqctl set_permissions openstack ".*" ".*" ".*"
EOF

ctl "environment: memcached: install" <<'EOF'
apt_install memcached python3-memcache
EOF

ctl "environment: memcached: listen address, restart" <<'EOF'
sed -i "s/^-l .*/-l 127.0.0.1,$CONTROLLER_IP/" /etc/memcached.conf
grep -qx -- "-l 127.0.0.1,$CONTROLLER_IP" /etc/memcached.conf
restart memcached
EOF

# =============================================================================================
# Identity service (install guide: "Keystone installation tutorial for Debian")
# =============================================================================================

ctl "keystone: database" keystoneDatabase <<'EOF'
mysql <<SQL
CREATE DATABASE keystone;
GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'localhost' IDENTIFIED BY '$KEYSTONE_DBPASS';
GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'%' IDENTIFIED BY '$KEYSTONE_DBPASS';
SQL
EOF

ctl "keystone: install" <<'EOF'
apt_install keystone
EOF

ctl "keystone: edit keystone.conf" keystoneDatabase <<'EOF'
conf_set /etc/keystone/keystone.conf <<CONF
[DEFAULT]
log_dir = /var/log/keystone
[database]
connection = mysql+pymysql://keystone:$KEYSTONE_DBPASS@$CONTROLLER/keystone
[token]
provider = fernet
[cache]
enabled = true
backend = dogpile.cache.memcached
memcache_servers = $CONTROLLER:11211
CONF
EOF

ctl "keystone: populate the database" <<'EOF'
su -s /bin/sh -c "keystone-manage db_sync" keystone
EOF

ctl "keystone: fernet and credential key repositories" <<'EOF'
keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
EOF

ctl "keystone: bootstrap" admin <<'EOF'
OS_BOOTSTRAP_PASSWORD=$ADMIN_PASS keystone-manage bootstrap \
  --bootstrap-admin-url "http://$CONTROLLER:5000/v3/" \
  --bootstrap-internal-url "http://$CONTROLLER:5000/v3/" \
  --bootstrap-public-url "http://$CONTROLLER:5000/v3/" \
  --bootstrap-region-id "$REGION"
EOF

ctl "keystone: finalize (restart keystone)" <<'EOF'
api_workers /etc/keystone/keystone-uwsgi.ini
restart keystone
wait_port "$CONTROLLER_IP" 5000
EOF

ctl "keystone: admin-openrc" admin <<'EOF'
umask 077
cat >/root/admin-openrc <<OPENRC
export OS_PROJECT_DOMAIN_NAME=Default
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_NAME=admin
export OS_USERNAME=admin
export OS_PASSWORD='$ADMIN_PASS'
export OS_AUTH_URL=http://$CONTROLLER:5000/v3
export OS_REGION_NAME=$REGION
export OS_IDENTITY_API_VERSION=3
export OS_IMAGE_API_VERSION=2
OPENRC
EOF

ctl "keystone: verify (token issue)" <<'EOF'
. /root/admin-openrc
retry 30 openstack token issue -f value -c expires
EOF

ctl "keystone: service project" <<'EOF'
. /root/admin-openrc
openstack project create --domain default --description "Service Project" service
EOF

# =============================================================================================
# Image service (install guide: "Glance installation for Debian")
# =============================================================================================

ctl "glance: database" glanceDatabase <<'EOF'
mysql <<SQL
CREATE DATABASE glance;
GRANT ALL PRIVILEGES ON glance.* TO 'glance'@'localhost' IDENTIFIED BY '$GLANCE_DBPASS';
GRANT ALL PRIVILEGES ON glance.* TO 'glance'@'%' IDENTIFIED BY '$GLANCE_DBPASS';
SQL
EOF

ctl "glance: user, service, endpoints" glance <<'EOF'
. /root/admin-openrc
openstack user create --domain default --password "$GLANCE_PASS" glance
openstack role add --project service --user glance admin
openstack service create --name glance --description "OpenStack Image" image
openstack endpoint create --region "$REGION" image public "http://$CONTROLLER:9292"
openstack endpoint create --region "$REGION" image internal "http://$CONTROLLER:9292"
openstack endpoint create --region "$REGION" image admin "http://$CONTROLLER:9292"
EOF

ctl "glance: install" <<'EOF'
apt_install glance
EOF

ctl "glance: edit glance-api.conf" glanceDatabase glance <<'EOF'
conf_set /etc/glance/glance-api.conf <<CONF
[database]
connection = mysql+pymysql://glance:$GLANCE_DBPASS@$CONTROLLER/glance
[keystone_authtoken]
www_authenticate_uri = http://$CONTROLLER:5000/
auth_url = http://$CONTROLLER:5000/v3
memcached_servers = $CONTROLLER:11211
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $GLANCE_PASS
region_name = $REGION
[paste_deploy]
flavor = keystone
[glance_store]
stores = file,http
default_store = file
filesystem_store_datadir = /var/lib/glance/images/
CONF
EOF

ctl "glance: populate the database" <<'EOF'
su -s /bin/sh -c "glance-manage db_sync" glance
EOF

ctl "glance: finalize (restart glance-api)" <<'EOF'
api_workers /etc/glance/glance-api-uwsgi.ini
restart glance-api
wait_port "$CONTROLLER_IP" 9292
EOF

ctl "glance: verify (upload image tiny, image list)" <<'EOF'
. /root/admin-openrc
disk=$(mktemp /tmp/tiny.XXXXXX)
truncate -s 1M "$disk"
openstack image create --disk-format raw --container-format bare --public --file "$disk" tiny
rm -f "$disk"
openstack image list
EOF

# =============================================================================================
# Placement service (install guide: "Install and configure Placement for Ubuntu/Debian")
# =============================================================================================

ctl "placement: database" placementDatabase <<'EOF'
mysql <<SQL
CREATE DATABASE placement;
GRANT ALL PRIVILEGES ON placement.* TO 'placement'@'localhost' IDENTIFIED BY '$PLACEMENT_DBPASS';
GRANT ALL PRIVILEGES ON placement.* TO 'placement'@'%' IDENTIFIED BY '$PLACEMENT_DBPASS';
SQL
EOF

ctl "placement: user, service, endpoints" placement <<'EOF'
. /root/admin-openrc
openstack user create --domain default --password "$PLACEMENT_PASS" placement
openstack role add --project service --user placement admin
openstack service create --name placement --description "Placement API" placement
openstack endpoint create --region "$REGION" placement public "http://$CONTROLLER:8778"
openstack endpoint create --region "$REGION" placement internal "http://$CONTROLLER:8778"
openstack endpoint create --region "$REGION" placement admin "http://$CONTROLLER:8778"
EOF

ctl "placement: install" <<'EOF'
apt_install placement-api
EOF

ctl "placement: edit placement.conf" placementDatabase placement <<'EOF'
conf_set /etc/placement/placement.conf <<CONF
[placement_database]
connection = mysql+pymysql://placement:$PLACEMENT_DBPASS@$CONTROLLER/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = http://$CONTROLLER:5000/
auth_url = http://$CONTROLLER:5000/v3
memcached_servers = $CONTROLLER:11211
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = placement
password = $PLACEMENT_PASS
region_name = $REGION
CONF
EOF

ctl "placement: populate the database" <<'EOF'
su -s /bin/sh -c "placement-manage db sync" placement
EOF

ctl "placement: finalize (restart placement-api)" <<'EOF'
api_workers /etc/placement/placement-api-uwsgi.ini
restart placement-api
wait_port "$CONTROLLER_IP" 8778
EOF

ctl "placement: verify (placement-status upgrade check)" <<'EOF'
upgrade_check placement-status upgrade check
EOF

# =============================================================================================
# Compute service, controller node (install guide: "Install and configure controller node for
# Ubuntu" with Debian's packages)
# =============================================================================================

ctl "nova controller: databases" novaDatabase <<'EOF'
mysql <<SQL
CREATE DATABASE nova_api;
CREATE DATABASE nova;
CREATE DATABASE nova_cell0;
GRANT ALL PRIVILEGES ON nova_api.* TO 'nova'@'localhost' IDENTIFIED BY '$NOVA_DBPASS';
GRANT ALL PRIVILEGES ON nova_api.* TO 'nova'@'%' IDENTIFIED BY '$NOVA_DBPASS';
GRANT ALL PRIVILEGES ON nova.* TO 'nova'@'localhost' IDENTIFIED BY '$NOVA_DBPASS';
GRANT ALL PRIVILEGES ON nova.* TO 'nova'@'%' IDENTIFIED BY '$NOVA_DBPASS';
GRANT ALL PRIVILEGES ON nova_cell0.* TO 'nova'@'localhost' IDENTIFIED BY '$NOVA_DBPASS';
GRANT ALL PRIVILEGES ON nova_cell0.* TO 'nova'@'%' IDENTIFIED BY '$NOVA_DBPASS';
SQL
EOF

ctl "nova controller: user, service, endpoints" nova <<'EOF'
. /root/admin-openrc
openstack user create --domain default --password "$NOVA_PASS" nova
openstack role add --project service --user nova admin
openstack service create --name nova --description "OpenStack Compute" compute
openstack endpoint create --region "$REGION" compute public "http://$CONTROLLER:8774/v2.1"
openstack endpoint create --region "$REGION" compute internal "http://$CONTROLLER:8774/v2.1"
openstack endpoint create --region "$REGION" compute admin "http://$CONTROLLER:8774/v2.1"
EOF

ctl "nova controller: install" <<'EOF'
apt_install nova-api nova-conductor nova-consoleproxy nova-scheduler
EOF

ctl "nova controller: edit nova.conf" rabbit novaDatabase nova placement <<'EOF'
conf_set /etc/nova/nova.conf <<CONF
[DEFAULT]
enabled_apis = osapi_compute,metadata
transport_url = rabbit://openstack:$RABBIT_PASS@$CONTROLLER:5672/
my_ip = $MY_IP
state_path = /var/lib/nova
[api_database]
connection = mysql+pymysql://nova:$NOVA_DBPASS@$CONTROLLER/nova_api
[database]
connection = mysql+pymysql://nova:$NOVA_DBPASS@$CONTROLLER/nova
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = http://$CONTROLLER:5000/
auth_url = http://$CONTROLLER:5000/v3
memcached_servers = $CONTROLLER:11211
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $NOVA_PASS
region_name = $REGION
[service_user]
send_service_user_token = true
auth_url = http://$CONTROLLER:5000/v3
auth_type = password
project_domain_name = Default
project_name = service
user_domain_name = Default
username = nova
password = $NOVA_PASS
[vnc]
enabled = true
server_listen = \$my_ip
server_proxyclient_address = \$my_ip
[glance]
api_servers = http://$CONTROLLER:9292
[oslo_concurrency]
lock_path = /var/lib/nova/tmp
[placement]
region_name = $REGION
project_domain_name = Default
project_name = service
auth_type = password
user_domain_name = Default
auth_url = http://$CONTROLLER:5000/v3
username = placement
password = $PLACEMENT_PASS
CONF
EOF

ctl "nova controller: populate the nova-api database" <<'EOF'
su -s /bin/sh -c "nova-manage api_db sync" nova
EOF

ctl "nova controller: register the cell0 database" <<'EOF'
su -s /bin/sh -c "nova-manage cell_v2 map_cell0" nova
EOF

ctl "nova controller: create the cell1 cell" <<'EOF'
su -s /bin/sh -c "nova-manage cell_v2 create_cell --name=cell1 --verbose" nova
EOF

ctl "nova controller: populate the nova database" <<'EOF'
su -s /bin/sh -c "nova-manage db sync" nova
EOF

ctl "nova controller: verify cell0 and cell1 (list_cells)" <<'EOF'
cells=$(su -s /bin/sh -c "nova-manage cell_v2 list_cells" nova)
printf '%s\n' "$cells"
for cell in cell0 cell1; do
  printf '%s\n' "$cells" | grep -q "| *$cell *|" || { echo "cell $cell is not registered" >&2; exit 1; }
done
EOF

ctl "nova controller: finalize (restart the Compute services)" <<'EOF'
sed -i 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' /etc/default/nova-consoleproxy
api_workers /etc/nova/nova-api-uwsgi.ini
restart nova-api nova-scheduler nova-conductor nova-novncproxy
wait_port "$CONTROLLER_IP" 8774
wait_port "$CONTROLLER_IP" 6080
EOF

# =============================================================================================
# Compute service, compute nodes, one after another (install guide: "Install and configure a
# compute node for Ubuntu" with Debian's packages)
# =============================================================================================

for index in "${!COMPUTE_NAMES[@]}"; do
  name=${COMPUTE_NAMES[$index]}
  address=${COMPUTE_ADDRS[$index]}

  run_step "$name" "$address" "nova compute: install" <<'EOF'
apt_install nova-compute
EOF

  run_step "$name" "$address" "nova compute: edit nova.conf" rabbit nova placement <<'EOF'
conf_set /etc/nova/nova.conf <<CONF
[DEFAULT]
transport_url = rabbit://openstack:$RABBIT_PASS@$CONTROLLER:5672/
my_ip = $MY_IP
state_path = /var/lib/nova
compute_driver = $COMPUTE_DRIVER
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = http://$CONTROLLER:5000/
auth_url = http://$CONTROLLER:5000/v3
memcached_servers = $CONTROLLER:11211
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $NOVA_PASS
region_name = $REGION
[service_user]
send_service_user_token = true
auth_url = http://$CONTROLLER:5000/v3
auth_type = password
project_domain_name = Default
project_name = service
user_domain_name = Default
username = nova
password = $NOVA_PASS
[vnc]
enabled = true
server_listen = 0.0.0.0
server_proxyclient_address = \$my_ip
novncproxy_base_url = http://$CONTROLLER:6080/vnc_auto.html
[glance]
api_servers = http://$CONTROLLER:9292
[oslo_concurrency]
lock_path = /var/lib/nova/tmp
[placement]
region_name = $REGION
project_domain_name = Default
project_name = service
auth_type = password
user_domain_name = Default
auth_url = http://$CONTROLLER:5000/v3
username = placement
password = $PLACEMENT_PASS
CONF
EOF

  # The guide: egrep -c '(vmx|svm)' /proc/cpuinfo; zero means [libvirt] virt_type = qemu, in
  # /etc/nova/nova-compute.conf on Debian and Ubuntu (read after nova.conf, so it wins: the
  # driver is set there too). The installer sets both in both files; so does this step.
  run_step "$name" "$address" "nova compute: hardware acceleration, nova-compute.conf" <<'EOF'
flags=$(grep -E -c '(vmx|svm)' /proc/cpuinfo || true)
if [ "$flags" -gt 0 ]; then virt_type=kvm; else virt_type=qemu; fi
echo "CPU virtualization flags: $flags: virt_type = $virt_type"
conf_set /etc/nova/nova-compute.conf <<CONF
[DEFAULT]
compute_driver = $COMPUTE_DRIVER
[libvirt]
virt_type = $virt_type
CONF
conf_set /etc/nova/nova.conf <<CONF
[libvirt]
virt_type = $virt_type
CONF
EOF

  run_step "$name" "$address" "nova compute: finalize (restart nova-compute)" <<'EOF'
restart nova-compute
EOF
done

# =============================================================================================
# Add the compute nodes to the cell database (on the controller)
# =============================================================================================

if [ "${#COMPUTE_NAMES[@]}" -gt 0 ]; then
  ctl "nova: confirm the compute hosts are in the database (compute service list)" <<'EOF'
. /root/admin-openrc
deadline=$((SECONDS + 300))
for host in $COMPUTES; do
  until openstack compute service list --service nova-compute --host "$host" -f value -c State 2>/dev/null | grep -qx up; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "nova-compute on $host is not up after 300 s" >&2; exit 1; }
    sleep 3
  done
done
openstack compute service list --service nova-compute
EOF

  ctl "nova: discover compute hosts" <<'EOF'
su -s /bin/sh -c "nova-manage cell_v2 discover_hosts --verbose" nova
EOF
fi

# =============================================================================================
# Networking service, API server only (install guide: "Install and configure controller node" for
# Debian, the ML2 part; no agents, as the installer)
# =============================================================================================

ctl "neutron: database" neutronDatabase <<'EOF'
mysql <<SQL
CREATE DATABASE neutron;
GRANT ALL PRIVILEGES ON neutron.* TO 'neutron'@'localhost' IDENTIFIED BY '$NEUTRON_DBPASS';
GRANT ALL PRIVILEGES ON neutron.* TO 'neutron'@'%' IDENTIFIED BY '$NEUTRON_DBPASS';
SQL
EOF

ctl "neutron: user, service, endpoints" neutron <<'EOF'
. /root/admin-openrc
openstack user create --domain default --password "$NEUTRON_PASS" neutron
openstack role add --project service --user neutron admin
openstack service create --name neutron --description "OpenStack Networking" network
openstack endpoint create --region "$REGION" network public "http://$CONTROLLER:9696"
openstack endpoint create --region "$REGION" network internal "http://$CONTROLLER:9696"
openstack endpoint create --region "$REGION" network admin "http://$CONTROLLER:9696"
EOF

ctl "neutron: install (neutron-server; ML2 is part of neutron-common on Debian)" <<'EOF'
apt_install neutron-server
EOF

ctl "neutron: edit neutron.conf" rabbit neutronDatabase neutron nova <<'EOF'
conf_set /etc/neutron/neutron.conf <<CONF
[DEFAULT]
core_plugin = ml2
service_plugins = router
transport_url = rabbit://openstack:$RABBIT_PASS@$CONTROLLER:5672/
auth_strategy = keystone
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
[database]
connection = mysql+pymysql://neutron:$NEUTRON_DBPASS@$CONTROLLER/neutron
[keystone_authtoken]
www_authenticate_uri = http://$CONTROLLER:5000/
auth_url = http://$CONTROLLER:5000/v3
memcached_servers = $CONTROLLER:11211
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = neutron
password = $NEUTRON_PASS
region_name = $REGION
[nova]
auth_url = http://$CONTROLLER:5000/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
region_name = $REGION
project_name = service
username = nova
password = $NOVA_PASS
[oslo_concurrency]
lock_path = /var/lib/neutron/tmp
CONF
EOF

ctl "neutron: edit ml2_conf.ini" <<'EOF'
conf_set /etc/neutron/plugins/ml2/ml2_conf.ini <<CONF
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers = openvswitch
extension_drivers = port_security
CONF
EOF

ctl "neutron: configure the Compute service to use the Networking service (controller nova.conf)" neutron <<'EOF'
conf_set /etc/nova/nova.conf <<CONF
[neutron]
auth_url = http://$CONTROLLER:5000/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
region_name = $REGION
project_name = service
username = neutron
password = $NEUTRON_PASS
CONF
EOF

ctl "neutron: populate the database" <<'EOF'
su -s /bin/sh -c "neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head" neutron
EOF

ctl "neutron: finalize (restart nova-api, the Networking services)" <<'EOF'
restart nova-api
api_workers /etc/neutron/neutron-api-uwsgi.ini
neutron_preload /etc/neutron/neutron-api-uwsgi.ini
restart neutron-api neutron-rpc-server
wait_port "$CONTROLLER_IP" 8774
wait_port "$CONTROLLER_IP" 9696
EOF

for index in "${!COMPUTE_NAMES[@]}"; do
  name=${COMPUTE_NAMES[$index]}
  address=${COMPUTE_ADDRS[$index]}
  run_step "$name" "$address" "neutron: configure the Compute service to use the Networking service (compute nova.conf), restart nova-compute" neutron <<'EOF'
conf_set /etc/nova/nova.conf <<CONF
[neutron]
auth_url = http://$CONTROLLER:5000/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
region_name = $REGION
project_name = service
username = neutron
password = $NEUTRON_PASS
CONF
restart nova-compute
EOF
done

# The guide's check, then a port listing (what Nova asks for every instance), as the installer.
ctl "neutron: verify (extension list, port list)" <<'EOF'
. /root/admin-openrc
retry 30 openstack extension list --network -f value -c Alias >/dev/null
openstack extension list --network -f value -c Alias | wc -l | sed 's/$/ network API extensions/'
retry 30 timeout 60 openstack port list >/dev/null
EOF

# =============================================================================================
# Launch an instance: the flavor (the lab stack's m1.tiny)
# =============================================================================================

ctl "launch an instance: flavor m1.tiny" <<'EOF'
. /root/admin-openrc
openstack flavor create --vcpus 1 --ram 512 --disk 1 m1.tiny
EOF

# =============================================================================================
# Verify operation of the Compute service (install guide: "Verify operation")
# =============================================================================================

ctl "verify: compute service list, catalog list, image list, list_cells, hypervisors" <<'EOF'
. /root/admin-openrc
openstack compute service list
openstack catalog list
openstack image list
su -s /bin/sh -c "nova-manage cell_v2 list_cells" nova
hypervisors=$(openstack hypervisor list -f value -c "Hypervisor Hostname")
printf '%s\n' "$hypervisors"
for host in $COMPUTES; do
  printf '%s\n' "$hypervisors" | grep -qx "$host" || { echo "$host is not mapped to a cell (no hypervisor)" >&2; exit 1; }
done
EOF

ctl "verify: nova-status upgrade check" <<'EOF'
upgrade_check nova-status upgrade check
EOF

log "done: $STEPS steps in $((SECONDS - START)) s"
