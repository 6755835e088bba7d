// quietOnAbort: a reconcile's Warnings stop once its signal aborts (the failure was the abort's doing);
// Normal events always pass.
import { describe, expect, test } from '@jest/globals';
import { quietOnAbort, type EventRecorder, type EventType } from '../../../src/runtime/events/recorder.ts';

const regarding = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } };

function recording(): { recorder: EventRecorder; seen: string[] } {
  const seen: string[] = [];
  return { seen, recorder: { event: (_obj, type, reason) => seen.push(`${type}/${reason}`) } };
}

describe('quietOnAbort', () => {
  test.each<[string, boolean | undefined, EventType, boolean]>([
    ['Warning before the abort', false, 'Warning', true],
    ['Warning after the abort', true, 'Warning', false],
    ['Normal after the abort', true, 'Normal', true],
    ['Normal before the abort', false, 'Normal', true],
    ['Warning without a signal', undefined, 'Warning', true],
  ])('%s', (_name, aborted, type, recorded) => {
    const { recorder, seen } = recording();
    const controller = new AbortController();
    if (aborted) controller.abort();
    quietOnAbort(recorder, aborted === undefined ? undefined : controller.signal).event(regarding, type, 'Reason', 'Act', 'note');
    expect(seen).toEqual(recorded ? [`${type}/Reason`] : []);
  });

  test('it follows the signal: the same recorder goes quiet when the abort comes later', () => {
    const { recorder, seen } = recording();
    const controller = new AbortController();
    const quiet = quietOnAbort(recorder, controller.signal);
    quiet.event(regarding, 'Warning', 'First', 'Act', '');
    controller.abort();
    quiet.event(regarding, 'Warning', 'Second', 'Act', '');
    expect(seen).toEqual(['Warning/First']);
  });
});
