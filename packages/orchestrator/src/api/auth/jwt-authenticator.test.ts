import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../api-error';
import { createJwtAuthenticator } from './jwt-authenticator';

const req = (token?: string) =>
  new Request(
    'http://127.0.0.1/tasker/tasks',
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(isApiError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('INVALID_TOKEN');
    return (error as Error).message;
  }
  throw new Error('the token was accepted');
}

const now = () => Math.floor(Date.now() / 1000);

describe('createJwtAuthenticator', () => {
  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    it(`accepts ${alg} with the secret and takes the principal from sub`, async () => {
      const secret = `secret-for-${alg}-that-is-long-enough-for-hs512-keys-xxxxxxxxxxxxxxxx`;
      const authenticate = createJwtAuthenticator({ secret });
      const token = await new SignJWT({ permissions: ['tasker.task:index'] })
        .setProtectedHeader({ alg })
        .setSubject('user-1')
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(secret));
      const principal = await authenticate(req(token));
      expect(principal?.id).toBe('user-1');
      expect(principal?.claims.permissions).toEqual(['tasker.task:index']);
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject('user-1')
        .sign(new TextEncoder().encode(`${secret}!`));
      expect(await refusal(Promise.resolve(authenticate(req(forged))))).toBe(
        'the token signature is invalid',
      );
    });
  }

  for (const alg of ['RS256', 'ES256', 'ES384', 'PS256'] as const) {
    it(`accepts ${alg} with a PEM public key`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const authenticate = createJwtAuthenticator({ publicKey: await exportSPKI(publicKey) });
      const token = await new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject('svc')
        .setExpirationTime('1m')
        .sign(privateKey);
      expect((await authenticate(req(token)))?.id).toBe('svc');
      const other = await generateKeyPair(alg);
      const wrong = await new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject('svc')
        .sign(other.privateKey);
      await refusal(Promise.resolve(authenticate(req(wrong))));
    });
  }

  it('checks exp, nbf, iss and aud', async () => {
    const secret = 'another-secret-that-is-long-enough!!';
    const key = new TextEncoder().encode(secret);
    const authenticate = createJwtAuthenticator({ secret, issuer: 'https://auth.test/', audience: 'tasker' });
    const base = () =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1m');
    const good = await base()
      .setIssuer('https://auth.test/')
      .setAudience('tasker')
      .setExpirationTime('1m')
      .sign(key);
    expect((await authenticate(req(good)))?.id).toBe('u');
    const expired = await base()
      .setIssuer('https://auth.test/')
      .setAudience('tasker')
      .setExpirationTime(now() - 10)
      .sign(key);
    expect(await refusal(Promise.resolve(authenticate(req(expired))))).toBe('the token has expired');
    const early = await base()
      .setIssuer('https://auth.test/')
      .setAudience('tasker')
      .setNotBefore(now() + 600)
      .sign(key);
    expect(await refusal(Promise.resolve(authenticate(req(early))))).toBe('the token is not valid yet');
    const issuer = await base().setIssuer('https://evil.test/').setAudience('tasker').sign(key);
    expect(await refusal(Promise.resolve(authenticate(req(issuer))))).toBe('the "iss" claim is not accepted');
    const audience = await base().setIssuer('https://auth.test/').setAudience('billing').sign(key);
    expect(await refusal(Promise.resolve(authenticate(req(audience))))).toBe(
      'the "aud" claim is not accepted',
    );
  });

  it('requires exp and refuses tokens valid for longer than maxTokenAgeSec, by default', async () => {
    const secret = 'a-third-secret-that-is-long-enough!!';
    const key = new TextEncoder().encode(secret);
    const base = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u');
    const strict = createJwtAuthenticator({ secret });
    const forever = await base().sign(key);
    expect(await refusal(Promise.resolve(strict(req(forever))))).toBe('the token has no "exp" claim');
    const year = await base().setExpirationTime('365d').sign(key);
    expect(await refusal(Promise.resolve(strict(req(year))))).toBe(
      'the token is valid for longer than 86400 s (maxTokenAgeSec)',
    );
    const old = await base()
      .setIssuedAt(now() - 2 * 86_400)
      .setExpirationTime('1h')
      .sign(key);
    expect(await refusal(Promise.resolve(strict(req(old))))).toBe(
      'the token was issued more than 86400 s ago (maxTokenAgeSec)',
    );
    expect((await strict(req(await base().setIssuedAt().setExpirationTime('23h').sign(key))))?.id).toBe('u');
    // Both can be turned off, one at a time.
    expect((await createJwtAuthenticator({ secret, requireExp: false })(req(forever)))?.id).toBe('u');
    expect(
      await refusal(Promise.resolve(createJwtAuthenticator({ secret, requireExp: false })(req(year)))),
    ).toMatch(/longer than/);
    expect((await createJwtAuthenticator({ secret, maxTokenAgeSec: null })(req(year)))?.id).toBe('u');
    expect((await createJwtAuthenticator({ secret, maxTokenAgeSec: 400 * 86_400 })(req(year)))?.id).toBe('u');
    expect(() => createJwtAuthenticator({ secret, maxTokenAgeSec: 0 })).toThrow(
      /maxTokenAgeSec: expected a positive/,
    );
  });

  it('always rejects alg "none", and refuses to be configured with it', async () => {
    const authenticate = createJwtAuthenticator({ secret: 'secret-secret-secret-secret-secret' });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none' })}.${b64({ sub: 'root', exp: now() + 60 })}.`;
    await refusal(Promise.resolve(authenticate(req(unsigned))));
    expect(() => createJwtAuthenticator({ secret: 'x', algorithms: ['none'] })).toThrow(
      /"none" is never accepted/,
    );
    expect(() => createJwtAuthenticator({ secret: 'x', algorithms: ['RS256'] })).toThrow(/does not fit/);
    expect(() => createJwtAuthenticator({})).toThrow(/exactly one of secret, publicKey or jwksUrl/);
    expect(() => createJwtAuthenticator({ publicKey: 'not a key' })).toThrow(/publicKey: not a PEM/);
  });

  it('gives null without a header, and refuses a token without sub or a non-bearer header', async () => {
    const secret = 'secret-secret-secret-secret-secret';
    const authenticate = createJwtAuthenticator({ secret });
    expect(await authenticate(req())).toBeNull();
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret));
    expect(await refusal(Promise.resolve(authenticate(req(noSub))))).toBe(
      'the token names no subject ("sub")',
    );
    const basic = new Request('http://127.0.0.1/', { headers: { authorization: 'Basic dTpw' } });
    await refusal(Promise.resolve(authenticate(basic)));
  });

  describe('with a JWKS URL served on 127.0.0.1', () => {
    let server: Server;
    let url = '';
    let fetches = 0;
    let keys: Awaited<ReturnType<typeof generateKeyPair>>;

    beforeAll(async () => {
      keys = await generateKeyPair('RS256', { extractable: true });
      const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
      server = createServer((_, res) => {
        fetches++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('verifies with the fetched key by kid, caching the set', async () => {
      const authenticate = createJwtAuthenticator({ jwksUrl: url });
      const sign = (kid: string) =>
        new SignJWT({ roles: ['admin'] })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setSubject('jwks-user')
          .setExpirationTime('1m')
          .sign(keys.privateKey);
      expect((await authenticate(req(await sign('k1'))))?.id).toBe('jwks-user');
      expect((await authenticate(req(await sign('k1'))))?.id).toBe('jwks-user');
      expect(fetches).toBe(1);
      expect(await refusal(Promise.resolve(authenticate(req(await sign('k2')))))).toBe(
        'no key of the key set matches the token',
      );
    });
  });
});
