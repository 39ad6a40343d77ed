// REST for guideline pictures (bytes never pass through GraphQL): POST /api/campaigns/:id/guideline-images takes
// the raw picture (PNG, JPEG or WebP, at most 5 MB) from the campaign's operations; GET /api/guideline-images/:id
// serves it to the campaign's members and the organisation's admins. Bearer token, as /audit/export.
import express, { type Request, type Response, type Router } from 'express';
import { randomUUID } from 'node:crypto';
import type { Context, Services } from './context.ts';
import { DomainError } from './errors.ts';
import { MAX_GUIDELINE_IMAGE_BYTES, readGuidelineImage, uploadGuidelineImage } from './services/guidelines.ts';

const STATUS: Partial<Record<DomainError['code'], number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, INVALID_INPUT: 400 };

export function guidelineImageRoutes(services: Services): Router {
  const router = express.Router();
  const handle = (work: (ctx: Context & { user: NonNullable<Context['user']> }, req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : null;
    const user = token ? await services.sessions.resolve(token) : null;
    if (!user) return void res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'log in first' } });
    const ctx = { services, user, token, requestId: randomUUID(), clientAddress: req.socket.remoteAddress ?? null };
    try {
      await work(ctx, req, res);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      res.status(STATUS[error.code] ?? 409).json({ error: { code: error.code, message: error.message } });
    }
  };
  // One byte over the limit is read so that an oversized picture is refused with its own message.
  const raw = express.raw({ type: () => true, limit: MAX_GUIDELINE_IMAGE_BYTES + 1 });
  router.post('/api/campaigns/:id/guideline-images', (req, res, next) => {
    raw(req, res, (error?: unknown) => {
      if (error && (error as { type?: string }).type === 'entity.too.large') {
        return void res.status(413).json({ error: { code: 'INVALID_INPUT', message: `the picture is larger than ${MAX_GUIDELINE_IMAGE_BYTES} bytes (5 MB), the most accepted` } });
      }
      if (error) return next(error);
      handle(async (ctx, r, response) => {
        const body = Buffer.isBuffer(r.body) ? r.body : Buffer.alloc(0);
        response.status(201).json(await uploadGuidelineImage(ctx, String(r.params.id), body));
      })(req, res).catch(next);
    });
  });
  router.get('/api/guideline-images/:id', (req, res, next) => {
    handle(async (ctx, r, response) => {
      const image = await readGuidelineImage(ctx, String(r.params.id));
      response.status(200);
      response.setHeader('content-type', image.contentType);
      response.setHeader('cache-control', 'private, no-store');
      response.setHeader('x-content-type-options', 'nosniff');
      response.end(Buffer.from(image.bytes));
    })(req, res).catch(next);
  });
  return router;
}
