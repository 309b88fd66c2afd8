/**
 * The CLI's one way to the API: a fetch function, either the network (`--api <url>`) or an
 * API built in this process over a local store. Errors come back as problem bodies and become
 * `CliError`s naming the code and every field.
 */
import { CliError, EXIT } from './cli-error';

export type FetchLike = (request: Request) => Promise<Response>;

interface ProblemBody {
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export class ApiClient {
  readonly #fetch: FetchLike;
  readonly #base: string;
  readonly #token: string | undefined;

  /** `base` includes the prefix: `http://127.0.0.1:3000/tasker`. */
  constructor(fetch: FetchLike, base: string, token?: string) {
    this.#fetch = fetch;
    this.#base = base.replace(/\/+$/, '');
    this.#token = token;
  }

  get base(): string {
    return this.#base;
  }

  /** The answer's body; any status but 2xx becomes a `CliError` naming the API's code and detail. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, body: parsed } = await this.#send(method, path, body);
    if (status < 200 || status > 299) throw this.#refusal(method, path, status, parsed);
    return parsed as T;
  }

  /**
   * The answer's status and body when its status is one of `expected` (a health route's 503
   * carries its verdict, a batch's 422 the task at fault); any other status becomes a `CliError`
   * as with {@link request}.
   */
  async answer<T>(
    method: string,
    path: string,
    expected: readonly number[],
    requestBody?: unknown,
  ): Promise<{ status: number; body: T }> {
    const { status, body } = await this.#send(method, path, requestBody);
    if (!expected.includes(status)) throw this.#refusal(method, path, status, body);
    return { status, body: body as T };
  }

  async #send(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(
        new Request(`${this.#base}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new CliError(
        `Cannot reach the Tasker API at ${this.#base}${cause === undefined ? '' : ` (${cause})`}: is "tasker serve" running there?`,
        EXIT.failed,
      );
    }
    const text = await response.text();
    try {
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    } catch {
      throw new CliError(
        `${method} ${path}: the server answered ${response.status} with a body that is not JSON`,
      );
    }
  }

  #refusal(method: string, path: string, status: number, parsed: unknown): CliError {
    const p = (parsed ?? {}) as ProblemBody;
    const fields = (p.errors ?? []).map((e) => `\n  ${e.field}: ${e.message}`).join('');
    return new CliError(
      `${method} ${path} failed: ${status} ${p.code ?? ''} ${p.detail ?? ''}`.trim() + fields,
      EXIT.failed,
    );
  }
}
