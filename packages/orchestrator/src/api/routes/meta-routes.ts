/** The OpenAPI document, the interactive documentation and, when a handler is injected, `/metrics`. */
import { createRoute, z } from '@hono/zod-openapi';
import {
  createDocsAssets,
  DOCS_ASSETS,
  DOCS_PAGE_HEADERS,
  type DocsAsset,
  docsInitScript,
  docsPage,
} from '../docs/swagger-ui';
import type { RouteDeps } from '../registrar';
import { guardedProblems, problems } from '../schemas/common';

const text = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: z.string() } },
});

export function registerMetaRoutes(deps: RouteDeps, document: () => unknown): void {
  const { app } = deps;

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/openapi.json',
        tags: ['documentation'],
        summary: 'This OpenAPI 3.1 document',
        responses: {
          200: {
            description: 'The document',
            content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
          },
        },
      }),
    ),
    (c) => c.json(document() as Record<string, unknown>, 200),
  );

  const assets = createDocsAssets();
  const page = docsPage(deps.prefix);
  const init = docsInitScript(deps.prefix);

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/docs',
        tags: ['documentation'],
        summary: 'Interactive documentation (Swagger UI, served from this server)',
        responses: { 200: text('text/html', 'The page'), 501: problems[501] },
      }),
    ),
    async (c) => {
      // Without swagger-ui-dist the page could not load its script: say so, with the fix.
      await assets.available();
      return c.html(page, 200, DOCS_PAGE_HEADERS);
    },
  );

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/docs/init.js',
        tags: ['documentation'],
        summary: 'The script that starts the documentation page',
        responses: { 200: text('text/javascript', 'The script') },
      }),
    ),
    (c) =>
      c.body(init, 200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
      }),
  );

  const names = Object.keys(DOCS_ASSETS) as [DocsAsset, ...DocsAsset[]];
  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/docs/assets/{file}',
        tags: ['documentation'],
        summary: 'Files of the documentation page (from the swagger-ui-dist package)',
        request: {
          params: z.object({ file: z.enum(names, { error: `expected one of ${names.join(', ')}` }) }),
        },
        responses: {
          200: {
            description: 'The file',
            content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
          },
          400: guardedProblems(400)[400],
          501: problems[501],
        },
      }),
    ),
    async (c) => {
      const { file } = c.req.valid('param');
      const bytes = await assets.read(file);
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': DOCS_ASSETS[file],
        'Cache-Control': 'public, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      });
    },
  );

  const metrics = deps.metricsHandler;
  if (metrics === undefined) return;
  app.openapi(
    deps.route(
      deps.metricsRequiresAuth ? 'tasker.metrics:index' : null,
      createRoute({
        method: 'get',
        path: '/metrics',
        tags: ['metrics'],
        summary: 'Metrics, from the injected handler (e.g. Prometheus text format)',
        responses: {
          200: text('text/plain', 'Metrics in the format the handler chose'),
          ...guardedProblems(),
        },
      }),
    ),
    // The injected handler owns the body and headers (content negotiation included).
    (c) => metrics(c.req.raw) as unknown as ReturnType<typeof c.body>,
  );
}
