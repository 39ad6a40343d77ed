// OpenID Connect single sign-on (authorization code flow with PKCE) through openid-client: discovery, the
// authorization URL, and the callback (state, nonce, PKCE and the ID token are checked by the library).
// The browser-facing half lives in the console (web/src/routes/login/oidc): it keeps the flow's secrets in
// an httpOnly cookie bound to the browser that started it and hands them back here with the callback.
import * as oidc from 'openid-client';
import { DomainError } from '../errors.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The console's callback URL, exactly as registered at the provider. */
  redirectUri: string;
  /** What the login page calls the provider ("Sign in with <name>"). */
  name: string;
}

/** The secrets of one sign-in in progress: kept by the browser's console session, checked at the callback. */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Who the provider says signed in. Only `emailVerified === true` lets the email name a Suture account. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Plain http is accepted only for a provider on this machine (development and tests); anything else must be https. */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

/** Discovery failed (the provider is down or misconfigured): an operational problem, not the user's. */
export class OidcUnavailableError extends Error {
  constructor(reason: string) {
    super(`the sign-on provider could not be reached (${reason})`);
    this.name = 'OidcUnavailableError';
  }
}

export class OidcLogin {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(readonly settings: OidcSettings) {}

  get name(): string {
    return this.settings.name;
  }

  /** The provider's metadata and keys, discovered once (and again after a failed attempt). */
  private config(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const issuer = new URL(this.settings.issuer);
      this.configuration = oidc
        .discovery(
          issuer,
          this.settings.clientId,
          undefined,
          oidc.ClientSecretPost(this.settings.clientSecret),
          isLoopbackHttp(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw new OidcUnavailableError(describe(error));
        });
    }
    return this.configuration;
  }

  /** Starts a sign-in: where to send the browser, and the secrets the callback must present. */
  async begin(): Promise<OidcFlow & { authorizationUrl: string }> {
    const config = await this.config();
    const flow: OidcFlow = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { ...flow, authorizationUrl: url.href };
  }

  /**
   * Finishes a sign-in from the callback's query string: checks state, nonce and PKCE, redeems the code, lets
   * the library validate the ID token, and reads the email (from the ID token, else from userinfo).
   * The redirect URI is always the configured one, whatever host the console saw the callback on.
   */
  async complete(callbackQuery: string, flow: OidcFlow): Promise<OidcIdentity> {
    const config = await this.config();
    const current = new URL(this.settings.redirectUri);
    current.search = callbackQuery.startsWith('?') ? callbackQuery.slice(1) : callbackQuery;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw new DomainError('UNAUTHENTICATED', `single sign-on failed: ${describe(error)}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new DomainError('UNAUTHENTICATED', 'single sign-on failed: the provider sent no ID token');
    let email = typeof claims.email === 'string' ? claims.email : null;
    let verified = claims.email_verified === true;
    if (email === null) {
      // Providers often put scope claims in userinfo only; the library checks its `sub` against the ID token's.
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch((error: unknown) => {
        throw new DomainError('UNAUTHENTICATED', `single sign-on failed: ${describe(error)}`);
      });
      email = typeof info.email === 'string' ? info.email : null;
      verified = info.email_verified === true;
    }
    return { issuer: claims.iss, subject: claims.sub, email, emailVerified: verified };
  }
}

/** A provider or protocol failure in words, without tokens or claims. */
function describe(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError) return `the provider answered ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
  if (error instanceof oidc.ResponseBodyError) return `the provider refused the code (${error.error})`;
  if (!(error instanceof Error)) return String(error);
  // openid-client wraps the protocol check that failed ('unexpected "state" response parameter value', ...).
  const cause = error.cause;
  if (cause instanceof Error && error.message === 'invalid response encountered') return cause.message;
  return error.message;
}

/**
 * Single sign-on settings from the API configuration: off when none of OIDC_ISSUER, OIDC_CLIENT_ID,
 * OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI is set, refused when only some are, and https only (plain http
 * only for a provider and console on this machine).
 */
export function oidcSettingsFrom(config: {
  OIDC_ISSUER?: string | undefined;
  OIDC_CLIENT_ID?: string | undefined;
  OIDC_CLIENT_SECRET?: string | undefined;
  OIDC_REDIRECT_URI?: string | undefined;
  OIDC_NAME?: string | undefined;
}): OidcSettings | null {
  const required = {
    OIDC_ISSUER: config.OIDC_ISSUER,
    OIDC_CLIENT_ID: config.OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET: config.OIDC_CLIENT_SECRET,
    OIDC_REDIRECT_URI: config.OIDC_REDIRECT_URI,
  };
  const missing = Object.entries(required)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length === 4) return null;
  if (missing.length) throw new Error(`Suture API configuration is invalid: single sign-on needs ${missing.join(', ')} too (or unset every OIDC_* setting)`);
  const issuer = new URL(required.OIDC_ISSUER!);
  const redirect = new URL(required.OIDC_REDIRECT_URI!);
  for (const [key, url] of [
    ['OIDC_ISSUER', issuer],
    ['OIDC_REDIRECT_URI', redirect],
  ] as const) {
    if (url.protocol !== 'https:' && !isLoopbackHttp(url)) throw new Error(`Suture API configuration is invalid: ${key} must be an https:// URL`);
  }
  return {
    issuer: required.OIDC_ISSUER!,
    clientId: required.OIDC_CLIENT_ID!,
    clientSecret: required.OIDC_CLIENT_SECRET!,
    redirectUri: redirect.href,
    name: config.OIDC_NAME ?? issuer.hostname,
  };
}
