import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AppConfig, createLogger, PinoNestLogger, requestContextStorage } from '@switchboard/core';
import { ApiModule } from './api.module';
import { MetricsService } from './metrics/metrics.service';
import { YAML_CONTENT_TYPES } from './http/definition-body';
import { cacheControlFor } from './http/cache-control';
import { securityHeaders } from './http/security-headers';
import { AccessLogController } from './http/access-log';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Builds the api application (used by main.ts and by the end-to-end tests alike). */
export async function createApiApp(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger('api', config.SWITCHBOARD_LOG_LEVEL);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.SWITCHBOARD_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 200 },
    trustProxy: config.SWITCHBOARD_TRUST_PROXY,
    // Accept a caller's request id only if it is short and harmless; otherwise mint one.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    http: { maxHeaderSize: 16 * 1024 },
    logController: new AccessLogController(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Procedure definitions may arrive as YAML text; the parser keeps them as a string.
  fastify.addContentTypeParser(YAML_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const headers = await securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  // Hooks in callback style: an async hook costs a promise per request on every route.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers).header('x-request-id', request.id);
    done();
  });
  // The request's context (its id, for every log line) around guards, pipes and handlers alike:
  // preHandler is the last step before Nest's handler, which runs synchronously inside done().
  fastify.addHook('preHandler', (request, _reply, done) => {
    const userAgent = request.headers['user-agent'];
    requestContextStorage.run({ requestId: String(request.id), ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined }, done);
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL, so ids do not explode the label set.
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  await app.register(cookie);
  app.setGlobalPrefix('api/v1', { exclude: ['health/live', 'health/ready', 'metrics'] });
  await serveWebApp(app);
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Switchboard API')
      .setDescription('Define procedures once; let others run them self-service. See API.md for the contract.')
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth('sb_session')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs.json', useGlobalPrefix: false });
  return app;
}

/** Where the built web app lives: apps/web/dist from the repository root (source or dist runs alike). */
export function webAppDir(): string | null {
  const candidates = [resolve(process.cwd(), 'apps/web/dist'), resolve(__dirname, '../../web/dist'), resolve(__dirname, '../../../../apps/web/dist')];
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html'))) ?? null;
}

/**
 * Serves the single-page app at `/` when it has been built. Unknown paths outside /api and
 * /health get index.html, so bookmarked routes of the app load; API paths keep their 404s.
 */
async function serveWebApp(app: NestFastifyApplication): Promise<void> {
  const dir = webAppDir();
  if (!dir) return;
  // The build writes .br and .gz beside each asset; serve those to clients that accept them.
  await app.register(fastifyStatic, {
    root: dir, prefix: '/', wildcard: false, index: ['index.html'], preCompressed: true,
    // Ours, not the plugin's: its maxAge would also cover index.html, and after a deploy browsers
    // would keep the old page (and its old asset names) for as long.
    cacheControl: false,
    setHeaders: (reply, filePath) => void reply.header('cache-control', cacheControlFor(dir, filePath)),
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Callback style, as it runs before every request: a hook that answers calls no done().
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0];
    if (request.method !== 'GET' || path.startsWith('/api') || path.startsWith('/health') || path === '/metrics' || /\.[a-z0-9]+$/i.test(path)) return done();
    if (path === '/' || !path.includes('.')) {
      void reply.header('cache-control', 'no-cache').sendFile('index.html', dir);
      return;
    }
    done();
  });
}
