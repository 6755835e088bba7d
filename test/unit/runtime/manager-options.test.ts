// What Manager.create refuses before it connects anywhere.
import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { Manager } from '../../../src/runtime/manager/manager.ts';

test('leader election without a Lease name is refused with a message that says what to set', async () => {
  await assert.rejects(Manager.create({ leaderElection: true, kubeconfig: '/nonexistent' }), /leaderElectionID is required/);
});
