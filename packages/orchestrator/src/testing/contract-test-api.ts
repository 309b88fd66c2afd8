/**
 * What the contract suites need of a test framework: the test functions are passed in rather
 * than imported, so the suites load from CommonJS as well as ESM (vitest cannot be imported
 * from CommonJS).
 */

/** The subset of vitest (or jest) the suite uses. */
export interface ContractTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeout?: number): void;
  beforeAll(body: () => Promise<void> | void, timeout?: number): void;
  afterAll(body: () => Promise<void> | void, timeout?: number): void;
  afterEach(body: () => Promise<void> | void, timeout?: number): void;
  expect(actual: unknown): ContractExpectation;
}

/** The matchers the suite calls; vitest's and jest's `expect` provide them. */
export interface ContractExpectation {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeDefined(): void;
  toBeGreaterThan(expected: number): void;
  toBeLessThan(expected: number): void;
  /** For a promise: matchers applied to its rejection reason. */
  readonly rejects: { toMatchObject(expected: object): Promise<void> };
}
