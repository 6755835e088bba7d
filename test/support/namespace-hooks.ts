// Jest hooks for a test file's own namespace. Kept apart from kube.ts so that plain-node scripts
// (bench/, test/chaos, test/fuzz) can import kube.ts without loading @jest/globals, which throws outside Jest.
import { afterAll, beforeAll } from '@jest/globals';
import { createNamespace, deleteNamespace } from './kube.ts';

/**
 * Registers beforeAll/afterAll hooks (call it at file or describe level) that create a unique namespace
 * and delete it afterwards; `.name` is set once the beforeAll hook ran.
 */
export function useNamespace(prefix = 'test'): { name: string } {
  const ns = { name: '' };
  beforeAll(async () => {
    ns.name = await createNamespace(prefix);
  });
  afterAll(async () => {
    if (ns.name) await deleteNamespace(ns.name);
  });
  return ns;
}
