#!/usr/bin/env bash
# What a test run must leave as it found it, one line per item, sorted: iptables rules, user chains and
# non-ACCEPT policies, network links, network namespaces. Compare the output from before and after.
set -euo pipefail
iptables-save | awk '/^\*/ { table = substr($1, 2) }
  /^-A / || /^:[^ ]+ (-|DROP|REJECT)/ { sub(/ \[[0-9]+:[0-9]+\]$/, ""); print table, $0 }' | sort
ip -o link show | awk -F': ' '{print "link " $2}' | sed 's/@.*//'
ip netns list 2>/dev/null | sed 's/^/netns /'
