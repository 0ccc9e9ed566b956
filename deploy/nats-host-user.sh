#!/bin/sh
# Prints the nats-server user of one nadm host, from the host-1 template in nats-permissions.conf:
#   deploy/nats-host-user.sh LATTICE HOST_ID
# Paste the output into the `users` list (or generate the whole list from your inventory). The
# password comes from the environment variable it names, NADM_HOST_<ID>_PASSWORD.
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 LATTICE HOST_ID" >&2
  exit 2
fi
lattice=$1
host=$2
var="NADM_HOST_$(printf %s "$host" | tr 'a-z-' 'A-Z_')_PASSWORD"
sed -n '/# --- host "host-1"/,/# --- end of host "host-1"/p' "$(dirname "$0")/nats-permissions.conf" |
  sed -e "s/host-1/$host/g" -e "s/\.default\./.$lattice./g" -e "s/lattice \"default\"/lattice \"$lattice\"/" \
    -e "s/NADM_HOST_1_PASSWORD/$var/"
