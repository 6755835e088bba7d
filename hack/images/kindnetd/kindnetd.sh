#!/bin/sh
# A stand-in for kind's kindnetd (whose source is not on the Go module proxy), doing the part a cluster
# needs to pass traffic: it writes this node's CNI configuration (ptp + host-local on the node's podCIDR,
# as kindnetd does) and keeps a route to every other node's podCIDR through that node's InternalIP.
# Runs as kind's manifest runs kindnetd: host network, NET_ADMIN, HOST_IP and POD_SUBNET from the env.
# Not done: masquerading of traffic leaving the cluster and network policies.
set -eu
CONF=/etc/cni/net.d/10-kindnet.conflist
log() { echo "kindnetd: $*"; }

write_conf() { # podCIDR
  tmp=$(mktemp /etc/cni/net.d/.kindnet.XXXXXX)
  cat >"$tmp" <<JSON
{
  "cniVersion": "0.3.1",
  "name": "kindnet",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "/run/cni-ipam-state", "routes": [{ "dst": "0.0.0.0/0" }], "ranges": [[{ "subnet": "$1" }]] },
      "mtu": 1500
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  if cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; else mv "$tmp" "$CONF"; log "wrote $CONF for $1"; fi
}

log "node $HOST_IP, pod subnet ${POD_SUBNET:-?}"
while true; do
  if nodes=$(kubectl get nodes -o jsonpath='{range .items[*]}{.spec.podCIDR}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'); then
    echo "$nodes" | while read -r cidr ip; do
      if [ -z "$cidr" ] || [ -z "$ip" ]; then continue; fi
      if [ "$ip" = "$HOST_IP" ]; then
        write_conf "$cidr"
        continue
      fi
      case "$(ip route show "$cidr")" in
        *"via $ip dev"*) ;;
        *) ip route replace "$cidr" via "$ip" && log "route $cidr via $ip" ;;
      esac
    done
  fi
  sleep 5
done
