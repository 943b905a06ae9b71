import Fastify from 'fastify';
import helmet from '@fastify/helmet';

type HelmetOptions = Parameters<typeof helmet>[1];

/** Headers every response carries whatever helmet does; the rest of a probe's response is helmet's. */
const NOT_HELMETS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The security headers helmet sets for these options, computed once. They are the same for every
 * response, but @fastify/helmet rebuilds helmet's middleware (parsing the whole CSP) on every
 * request: 5% of the api's CPU on the catalog. A throw-away Fastify instance with @fastify/helmet
 * answers one request, and its headers are what the api then sets from one cheap hook.
 */
export async function securityHeaders(options: HelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify({ logger: false });
  try {
    await probe.register(helmet, options);
    probe.get('/', (_request, reply) => reply.send(''));
    const response = await probe.inject({ method: 'GET', url: '/' });
    return Object.fromEntries(Object.entries(response.headers)
      .filter(([name, value]) => !NOT_HELMETS.has(name) && value !== undefined)
      .map(([name, value]) => [name, String(value)]));
  } finally {
    await probe.close();
  }
}
