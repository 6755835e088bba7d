// The REFERENCE and TARGETS columns, as kubectl prints autoscaling/v2 (pkg/printers/internalversion
// formatHPAMetrics). A CRD printer column is one JSONPath, so the controller writes these strings into
// status.reference and status.targets.
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '../../api/autoscaling/types.ts';
import { formatQuantity } from '../../runtime/util/quantity.ts';
import type { ReadonlyDeep } from '../../runtime/types.ts';

const SHOWN = 2;

export function formatReference(hpa: ReadonlyDeep<HorizontalPodAutoscaler>): string {
  return `${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}`;
}

export function formatTargets(specs: readonly ReadonlyDeep<MetricSpec>[] | undefined, statuses: readonly ReadonlyDeep<MetricStatus>[] | undefined): string {
  if (!specs || specs.length === 0) return '<none>';
  const list = specs.map((spec, i) => formatMetric(spec, statuses?.[i]));
  const shown = list.slice(0, SHOWN).join(', ');
  return list.length > SHOWN ? `${shown} + ${list.length - SHOWN} more...` : shown;
}

function formatMetric(spec: ReadonlyDeep<MetricSpec>, status: ReadonlyDeep<MetricStatus> | undefined): string {
  const q = (v: string | number | undefined) => (v === undefined ? '<unknown>' : formatQuantity(v));
  switch (spec.type) {
    case 'External':
    case 'Object':
    case 'Prometheus': {
      const source = spec.type === 'External' ? spec.external : spec.type === 'Object' ? spec.object : spec.prometheus;
      const current = spec.type === 'External' ? status?.external?.current : spec.type === 'Object' ? status?.object?.current : status?.prometheus?.current;
      const target = source?.target;
      if (target?.averageValue !== undefined) return `${q(current?.averageValue)}/${q(target.averageValue)} (avg)`;
      return `${q(current?.value)}/${q(target?.value)}`;
    }
    case 'Pods':
      return `${q(status?.pods?.current.averageValue)}/${q(spec.pods?.target.averageValue)}`;
    case 'Resource':
    case 'ContainerResource': {
      const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const current = spec.type === 'Resource' ? status?.resource?.current : status?.containerResource?.current;
      if (source?.target.averageValue !== undefined) return `${source.name}: ${q(current?.averageValue)}/${q(source.target.averageValue)}`;
      const now = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
      const target = source?.target.averageUtilization !== undefined ? `${source.target.averageUtilization}%` : '<auto>';
      return `${source?.name}: ${now}/${target}`;
    }
    default:
      return '<unknown type>';
  }
}
