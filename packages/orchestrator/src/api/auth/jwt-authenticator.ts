/**
 * The built-in JWT authenticator on `jose`: HMAC secrets (HS256/384/512), PEM public keys (RS*,
 * PS*, ES*) or a JWKS URL; `exp`, `nbf`, `iss` and `aud` are checked, `alg: none` is never
 * accepted (the algorithm allow-list cannot name it, and `jose` refuses unsecured tokens
 * whenever a key is given). `jose` is loaded on the first request, so an API without JWT never
 * loads it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { TaskerError } from '../../errors';
import { ApiError } from '../api-error';
import type { Authenticator, Principal } from './principal';

/** Options of {@link createJwtAuthenticator}. Give exactly one of `secret`, `publicKey`, `jwksUrl`. */
export interface JwtAuthenticatorOptions {
  /** HMAC secret (HS256, HS384, HS512). */
  readonly secret?: string | Uint8Array;
  /** A PEM public key or certificate, or a `KeyObject` (RS*, PS*, ES*, EdDSA). */
  readonly publicKey?: string | KeyObject;
  /** A JSON Web Key Set URL; keys are fetched, cached and refreshed by `kid`. */
  readonly jwksUrl?: string | URL;
  /** Allowed algorithms. Default: HS256/384/512 for a secret, RS*, PS*, ES* and EdDSA otherwise. */
  readonly algorithms?: readonly string[];
  readonly issuer?: string | readonly string[];
  readonly audience?: string | readonly string[];
  /** Tolerated clock skew for `exp` and `nbf`, seconds. Default 0. */
  readonly clockToleranceSec?: number;
  /**
   * Refuse a token without `exp` (it would never expire). Default true; `false` accepts tokens
   * that never expire.
   */
  readonly requireExp?: boolean;
  /**
   * The longest a token may be valid, seconds: a token whose `exp` is further away than this, or
   * whose `iat` is older, is refused. Default 86,400 (one day); `null` sets no limit.
   */
  readonly maxTokenAgeSec?: number | null;
  /** Builds the principal from the verified payload. Default: `{ id: sub, claims: payload }`; no `sub` is a refusal. */
  readonly principal?: (payload: Readonly<Record<string, unknown>>) => Principal | null;
}

/** Default longest validity of a token: one day. */
export const DEFAULT_MAX_TOKEN_AGE_SEC = 86_400;

const HMAC = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

type Jose = typeof import('jose');
type Key = Parameters<Jose['jwtVerify']>[1];

function configError(message: string): TaskerError {
  return new TaskerError('CONFIG_INVALID', `Invalid JWT authenticator options: ${message}`);
}

/** Why a token was refused, in words safe to send back (`jose`'s codes, never its internals). */
function refusal(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const claim = (error as { claim?: unknown }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'the token is not valid yet';
      return (error as { reason?: unknown }).reason === 'missing'
        ? `the token has no "${String(claim)}" claim`
        : `the "${String(claim)}" claim is not accepted`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is signed with an algorithm that is not allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key of the key set matches the token';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return 'the signing keys could not be fetched';
    default:
      return 'the token is malformed or cannot be verified';
  }
}

/**
 * Makes an authenticator that reads `Authorization: Bearer <jwt>`. No header gives `null`
 * (401); a bad token throws an `INVALID_TOKEN` error whose message says why (401 with
 * `WWW-Authenticate: Bearer error="invalid_token"`).
 *
 * @throws TaskerError `CONFIG_INVALID` for options that name no key, several keys, or `none`.
 * @example
 * ```ts
 * const authenticate = createJwtAuthenticator({
 *   secret: process.env.TASKER_JWT_SECRET,
 *   issuer: 'https://auth.example.com/',
 *   audience: 'tasker',
 * });
 * ```
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const kinds = [options.secret, options.publicKey, options.jwksUrl].filter((k) => k !== undefined);
  if (kinds.length !== 1) {
    throw configError(
      `expected exactly one of secret, publicKey or jwksUrl, received ${kinds.length === 0 ? 'none' : 'several'}`,
    );
  }
  if (typeof options.secret === 'string' && options.secret.length === 0)
    throw configError('secret: expected a non-empty string');
  const defaults = options.secret === undefined ? ASYMMETRIC : HMAC;
  const algorithms = [...(options.algorithms ?? defaults)];
  if (algorithms.length === 0) throw configError('algorithms: expected at least one algorithm');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none') throw configError('algorithms: "none" is never accepted');
    if (!HMAC.includes(alg) && !ASYMMETRIC.includes(alg))
      throw configError(`algorithms: unknown algorithm "${alg}"`);
    if ((options.secret === undefined) === HMAC.includes(alg))
      throw configError(`algorithms: "${alg}" does not fit the kind of key given`);
  }
  let publicKey: KeyObject | undefined;
  if (options.publicKey !== undefined) {
    try {
      publicKey =
        typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
    } catch (error) {
      throw configError(`publicKey: not a PEM public key or certificate (${(error as Error).message})`);
    }
  }
  let jwksUrl: URL | undefined;
  if (options.jwksUrl !== undefined) {
    try {
      jwksUrl = new URL(options.jwksUrl);
    } catch {
      throw configError(`jwksUrl: expected a URL, received ${JSON.stringify(String(options.jwksUrl))}`);
    }
  }
  const requireExp = options.requireExp ?? true;
  const maxAge = options.maxTokenAgeSec === undefined ? DEFAULT_MAX_TOKEN_AGE_SEC : options.maxTokenAgeSec;
  if (maxAge !== null && !(Number.isInteger(maxAge) && maxAge > 0))
    throw configError(
      `maxTokenAgeSec: expected a positive whole number of seconds or null, received ${String(maxAge)}`,
    );
  const tolerance = options.clockToleranceSec ?? 0;
  const secret =
    typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  const toPrincipal =
    options.principal ??
    ((payload: Readonly<Record<string, unknown>>): Principal | null =>
      typeof payload.sub === 'string' && payload.sub.length > 0
        ? { id: payload.sub, claims: payload }
        : null);

  let ready: Promise<{ jose: Jose; key: Key | ReturnType<Jose['createRemoteJWKSet']> }> | undefined;
  const load = () => {
    ready ??= import('jose').then((jose) => ({
      jose,
      key: jwksUrl !== undefined ? jose.createRemoteJWKSet(jwksUrl) : ((secret ?? publicKey) as Key),
    }));
    return ready;
  };

  return async (request) => {
    const header = request.headers.get('authorization');
    if (header === null) return null;
    const match = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(header);
    if (match === null) throw new ApiError('INVALID_TOKEN', 'expected "Authorization: Bearer <token>"');
    const { jose, key } = await load();
    let payload: Record<string, unknown>;
    try {
      const verifyOptions = {
        algorithms,
        ...(options.issuer === undefined ? {} : { issuer: options.issuer as string | string[] }),
        ...(options.audience === undefined ? {} : { audience: options.audience as string | string[] }),
        clockTolerance: tolerance,
        ...(requireExp ? { requiredClaims: ['exp'] } : {}),
      };
      const verified =
        typeof key === 'function'
          ? await jose.jwtVerify(match[1] as string, key, verifyOptions)
          : await jose.jwtVerify(match[1] as string, key, verifyOptions);
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      throw new ApiError('INVALID_TOKEN', refusal(error), { cause: error });
    }
    if (maxAge !== null) {
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.exp === 'number' && payload.exp - now > maxAge + tolerance)
        throw new ApiError(
          'INVALID_TOKEN',
          `the token is valid for longer than ${maxAge} s (maxTokenAgeSec)`,
        );
      if (typeof payload.iat === 'number' && now - payload.iat > maxAge + tolerance)
        throw new ApiError(
          'INVALID_TOKEN',
          `the token was issued more than ${maxAge} s ago (maxTokenAgeSec)`,
        );
    }
    const principal = toPrincipal(payload);
    if (principal === null) throw new ApiError('INVALID_TOKEN', 'the token names no subject ("sub")');
    return principal;
  };
}
