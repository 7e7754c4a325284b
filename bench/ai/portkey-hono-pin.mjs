// bench/ai/portkey-hono-pin.mjs — loaded with `node --import` in front of the Portkey gateway.
// Portkey 1.15's streamed answers fail with @hono/node-server >= 1.14.2 ("TypeError: immutable"
// in updateHeaders: Portkey-AI/gateway#1389; its node-server Response keeps fetch()'s immutable
// headers), and Portkey's own @hono/node-ws pulls 1.19 in. This hook resolves the gateway's
// `@hono/node-server` to the 1.14.1 copy that `npm run bench:deps` installs at the top level
// (inside Portkey's declared range ^1.3.3); nothing else changes.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import path from 'node:path';

const ROOT = pathToFileURL(path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..') + '/').href;

export async function resolve(specifier, context, next) {
  if (specifier === '@hono/node-server' && context.parentURL && context.parentURL.includes('/@portkey-ai/gateway/')) {
    return next(specifier, { ...context, parentURL: ROOT });
  }
  return next(specifier, context);
}

if (isMainThread) register(import.meta.url);
