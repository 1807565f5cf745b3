// Console authentication: the admin token, and nothing else (a client's video-API key never opens
// it). The login form trades the token for a session cookie so the browser's own requests (page
// assets, the event stream, HLS segments) authenticate without script access to the token. The
// cookie is stateless — expiry + HMAC keyed by the admin token — so every replica accepts it and
// changing CT_ADMIN_TOKEN logs everyone out. Scripts may send `Authorization: Bearer <admin token>`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { sameSecret } from '../tokens.js';
import { loginPage } from './login-page.js';

export const COOKIE = 'ct_console';
export const CONSOLE_PATH = '/console';
const SESSION_SECONDS = 12 * 3600;

function mac(adminToken: string, expires: number): Buffer {
  return createHmac('sha256', adminToken).update(`ct-console-session:${expires}`).digest();
}

export function sessionCookie(adminToken: string, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `${expires}.${mac(adminToken, expires).toString('base64url')}`;
}

export function validSession(value: string | undefined, adminToken: string, now = Date.now()): boolean {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires * 1000 <= now) return false;
  const presented = Buffer.from(m[2]!, 'base64url');
  const expected = mac(adminToken, expires);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function isAdmin(req: Request, adminToken: string | undefined): boolean {
  if (!adminToken) return false;
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (bearer !== undefined) return sameSecret(bearer, adminToken);
  return validSession(cookieValue(req, COOKIE), adminToken);
}

function unauthorized(req: Request, res: Response, adminToken: string | undefined, message?: string): void {
  res.status(401).set('Cache-Control', 'no-store');
  // Pages get the login form (still a 401); data routes get a problem document.
  if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html' && !req.path.startsWith('/api/')) {
    res.type('html').send(loginPage(adminToken ? message : 'The console is disabled: CT_ADMIN_TOKEN is not set.'));
    return;
  }
  res.type('application/problem+json').json({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Admin login required' });
}

/** Guards every console route but the login form post. */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!isAdmin(req, adminToken)) return unauthorized(req, res, adminToken);
    // Cookie-authenticated writes must come from our own pages (the cookie is SameSite=Strict too).
    if (req.method !== 'GET' && req.method !== 'HEAD' && !req.headers.authorization) {
      const origin = req.headers.origin;
      if (!origin || origin !== `${req.protocol}://${req.get('host')}`) {
        res.status(403).type('application/problem+json').json({ title: 'Forbidden', status: 403, detail: 'Cross-origin request refused' });
        return;
      }
    }
    next();
  };
}

/** POST /console/login (form: token) → session cookie and back to the console; wrong token → 401 + form. */
export function loginHandler(adminToken: string | undefined): RequestHandler {
  return (req, res) => {
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (!adminToken || typeof token !== 'string' || !sameSecret(token.trim(), adminToken)) {
      return unauthorized(req, res, adminToken, 'That is not the admin token.');
    }
    res.cookie(COOKIE, sessionCookie(adminToken), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: CONSOLE_PATH,
      maxAge: SESSION_SECONDS * 1000,
    });
    res.redirect(303, `${CONSOLE_PATH}/`);
  };
}

export const logoutHandler: RequestHandler = (_req, res) => {
  res.clearCookie(COOKIE, { path: CONSOLE_PATH });
  res.redirect(303, `${CONSOLE_PATH}/`);
};
