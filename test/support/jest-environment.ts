// The test environment of every Jest project (jest.config.js): Jest's Node environment, changed where a
// test file would otherwise see something other than a process of its own, as under node --test.
import { isArrayBufferView, isMap, isSet } from 'node:util/types';
import { runInContext, type Context } from 'node:vm';
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';

type Args = ConstructorParameters<typeof NodeEnvironment>;

export default class TestEnvironment extends NodeEnvironment {
  private readonly timeout: number | undefined;
  private readonly env = { ...process.env };

  constructor(config: Args[0], context: Args[1]) {
    super(config, context);
    // Jest applies only a testTimeout given for the whole run, not a project's: set it here instead
    // (a file's own jest.setTimeout still wins, and so does --testTimeout).
    this.timeout = config.globalConfig.testTimeout ? undefined : config.projectConfig.testTimeout;
    // The process's own environment rather than Jest's copy of it, so that what a test sets reaches
    // Node itself (os.homedir() reads HOME there) and child processes; restored in teardown.
    this.global.process.env = process.env;
    this.global.structuredClone = realmStructuredClone(this.getVmContext()!);
  }

  /** Jest calls this with every event of the run and its state (jest-circus). */
  handleTestEvent(event: { name: string }, state: { testTimeout: number }): void {
    if (event.name === 'setup' && this.timeout) state.testTimeout = this.timeout;
  }

  override async teardown(): Promise<void> {
    for (const key of Object.keys(process.env)) if (!(key in this.env)) delete process.env[key];
    Object.assign(process.env, this.env);
    await super.teardown();
  }
}

/**
 * Node's structuredClone builds its copies with the objects of Node's realm, whose Object.prototype and
 * Array.prototype are not those of the test file's context: assert.deepStrictEqual would then find a
 * copy unequal to a literal with the same contents. This one gives the copies the context's prototypes.
 */
function realmStructuredClone(context: Context): typeof structuredClone {
  const samples = runInContext(
    `[{}, [], new Map(), new Set(), new Date(0), /x/, Object(false), Object(0), Object(''), Object(0n),
      new Error(), new EvalError(), new RangeError(), new ReferenceError(), new SyntaxError(), new TypeError(), new URIError(),
      new ArrayBuffer(0), new DataView(new ArrayBuffer(0)),
      ...['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
        'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'].map((t) => new globalThis[t](0))]`,
    context,
  ) as object[];
  const prototypes = new Map(samples.map((s) => [Object.getPrototypeOf(structuredClone(s)), Object.getPrototypeOf(s)]));
  return (value, options) => {
    const copy = structuredClone(value, options);
    const seen = new Set<object>();
    const adopt = (v: unknown): void => {
      if (typeof v !== 'object' || v === null || seen.has(v)) return;
      seen.add(v);
      const prototype = prototypes.get(Object.getPrototypeOf(v));
      if (prototype) Object.setPrototypeOf(v, prototype);
      for (const key of Reflect.ownKeys(v)) adopt(Object.getOwnPropertyDescriptor(v, key)?.value);
      if (isMap(v)) Map.prototype.forEach.call(v, (entry: unknown, key: unknown) => (adopt(key), adopt(entry)));
      if (isSet(v)) Set.prototype.forEach.call(v, adopt);
      if (isArrayBufferView(v)) adopt(v.buffer);
    };
    adopt(copy);
    return copy;
  };
}
