// The controllers this operator can run, by the name used in --controllers. Each entry wires one
// controller into the manager; the order is the start order.
import type { ControllerOptions } from '../cli.ts';
import type { Manager } from '../runtime/manager/manager.ts';
import { setupAutoscalerController } from './autoscaler/index.ts';
import { setupCronJobController } from './cronjob/index.ts';
import { setupJobController } from './job/index.ts';
import { setupNfsAgentController, setupNfsController } from './nfs/index.ts';
import { setupStatefulSetController } from './statefulset/index.ts';

export interface ControllerSetup {
  (manager: Manager, options: ControllerOptions): void;
}

export const controllers: Record<string, ControllerSetup> = {
  job: (manager) => setupJobController(manager),
  cronjob: (manager) => setupCronJobController(manager),
  statefulset: (manager) => setupStatefulSetController(manager),
  nfs: (manager, options) => setupNfsController(manager, options),
  'nfs-agent': (manager, options) => setupNfsAgentController(manager, options),
  autoscaler: (manager, options) => setupAutoscalerController(manager, options),
};
