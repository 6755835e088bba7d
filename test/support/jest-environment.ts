// The test environment of every Jest project (jest.config.js): Jest's Node environment, with each
// project's testTimeout.
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';

type Args = ConstructorParameters<typeof NodeEnvironment>;

export default class TestEnvironment extends NodeEnvironment {
  private readonly timeout: number | undefined;

  constructor(config: Args[0], context: Args[1]) {
    super(config, context);
    // Jest applies only a testTimeout given for the whole run, not a project's: set it here instead
    // (a file's own jest.setTimeout still wins, and so does --testTimeout).
    this.timeout = config.globalConfig.testTimeout ? undefined : config.projectConfig.testTimeout;
  }

  /** Jest calls this with every event of the run and its state (jest-circus). */
  handleTestEvent(event: { name: string }, state: { testTimeout: number }): void {
    if (event.name === 'setup' && this.timeout) state.testTimeout = this.timeout;
  }
}
