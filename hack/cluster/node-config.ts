// The configuration files of the real node's components (real-node.ts): containerd, the CNI network, the
// kubelet, kube-proxy and CoreDNS.
import { join } from 'node:path';

/** Machine-wide: one real node per machine (kubelet's port 10250, the bridge, kube-proxy's rules). */
export const RUN_DIR = '/run/tentacle-node';
export const CONTAINERD_SOCKET = `${RUN_DIR}/containerd.sock`;
/** Pod network of the real node (not kwok's 10.244.0.0/16, nor podman's 10.88.0.0/16). */
export const REAL_POD_CIDR = '10.245.0.0/24';
export const BRIDGE = 'tentacle0';

export function containerdConfig(nodeDir: string, cacheDir: string, registry: string, sandboxImage: string): string {
  return `version = 2
root = "${join(cacheDir, 'containerd')}"
state = "${RUN_DIR}/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${CONTAINERD_SOCKET}"
[ttrpc]
  address = "${RUN_DIR}/containerd.ttrpc.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  # This VM lacks CAP_SYS_RESOURCE: a negative oom_score_adj would make runc fail.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${join(nodeDir, 'cni')}"
  # No registry is reachable: docker.io and registry.k8s.io are served by the local registry first (an
  # image it lacks is still pulled from the real one where that can be reached).
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = ["http://${registry}"]
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."registry.k8s.io"]
    endpoint = ["http://${registry}"]
`;
}

export function cniConfig(nodeDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'tentacle',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: REAL_POD_CIDR }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(nodeDir, 'ipam'),
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        // Accepts the pods' forwarded traffic even where the FORWARD policy is DROP (dockerd sets it).
        { type: 'firewall' },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(pkiDir: string, ip: string, nodeDir: string): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${CONTAINERD_SOCKET}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${join(pkiDir, 'ca.crt')}}
authorization: {mode: Webhook}
tlsCertFile: ${join(pkiDir, 'kubelet-serving.crt')}
tlsPrivateKeyFile: ${join(pkiDir, 'kubelet-serving.key')}
clusterDomain: cluster.local
clusterDNS: [${ip}]
podLogsDir: ${join(nodeDir, 'pod-logs')}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
oomScoreAdj: 0
failSwapOn: false
podCIDR: ${REAL_POD_CIDR}
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
`;
}

export function kubeProxyConfig(kubeconfig: string, name: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${kubeconfig}}
mode: iptables
clusterCIDR: ${REAL_POD_CIDR}
hostnameOverride: ${name}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
oomScoreAdj: 0
# Leave the machine's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`;
}

export function corefile(ip: string, kubeconfig: string): string {
  return `.:53 {
    bind ${ip}
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} tentacle
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
}
`;
}

/**
 * The kubelet's `mount` (first on its PATH): `mount -t nfs|nfs4 SOURCE TARGET -o OPTIONS`, as the kubelet's
 * NFS volume plugin runs it, goes to the FUSE client when this kernel has no NFS client (its mount.nfs
 * command line); every other mount, and NFS where the kernel has a client, to the machine's `mount`.
 * `kernelHasNfs` is a shell condition (the default asks /proc/filesystems, then modprobe's dry run).
 */
export function kubeletMountWrapper(opts: { mount: string; nfsClient: string; kernelHasNfs?: string }): string {
  const kernelHasNfs = opts.kernelHasNfs ?? 'grep -qw nfs /proc/filesystems || modprobe -n -q nfs 2>/dev/null';
  return `#!/bin/sh
# Written by hack/cluster/real-node.ts: the real node's kubelet runs this as \`mount\`.
type='' options='' source='' target=''
parse() {
  while [ $# -gt 0 ]; do
    case $1 in
      -t) type=$2; shift 2 ;;
      -o) options=\${options:+$options,}$2; shift 2 ;;
      -*) shift ;;
      *) if [ -z "$source" ]; then source=$1; else target=$1; fi; shift ;;
    esac
  done
}
parse "$@"
case $type in
  nfs | nfs4)
    if ! { ${kernelHasNfs}; }; then
      exec ${opts.nfsClient} "$source" "$target" \${options:+-o "$options"}
    fi
    ;;
esac
exec ${opts.mount} "$@"
`;
}
