// Single sign-on (OpenID Connect): whether it is on, and the two halves of a sign-on that the console's
// login routes call. Both are open to signed-out callers, like `login`.
import { builder } from './builder.ts';
import { Session } from './user.ts';
import { beginOidcLogin, completeOidcLogin } from '../services/sso.ts';

const SingleSignOn = builder.objectRef<{ name: string }>('SingleSignOn').implement({
  description: 'The configured OpenID Connect provider.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the login page calls it ("Sign in with <name>").' }),
  }),
});

const OidcStart = builder.objectRef<{ authorizationUrl: string; state: string; nonce: string; codeVerifier: string }>('OidcStart').implement({
  description: 'Where to send the browser, and the secrets the console keeps (httpOnly, bound to that browser) until the callback.',
  fields: (t) => ({
    authorizationUrl: t.exposeString('authorizationUrl'),
    state: t.exposeString('state'),
    nonce: t.exposeString('nonce'),
    codeVerifier: t.exposeString('codeVerifier', { description: 'The PKCE code verifier.' }),
  }),
});

builder.queryFields((t) => ({
  singleSignOn: t.field({
    type: SingleSignOn,
    nullable: true,
    description: 'The single sign-on provider, or null when single sign-on is off.',
    resolve: (_root, _args, ctx) => (ctx.services.oidc ? { name: ctx.services.oidc.name } : null),
  }),
}));

builder.mutationFields((t) => ({
  beginOidcLogin: t.field({
    type: OidcStart,
    errors: {},
    description: 'Starts a single sign-on (authorization code flow with PKCE).',
    resolve: (_root, _args, ctx) => beginOidcLogin(ctx.services),
  }),
  completeOidcLogin: t.field({
    type: Session,
    errors: {},
    description:
      "Finishes a single sign-on from the provider's callback query string and the secrets of beginOidcLogin; opens a session for the active account with the provider's verified email.",
    args: { callbackQuery: t.arg.string(), state: t.arg.string(), nonce: t.arg.string(), codeVerifier: t.arg.string() },
    resolve: (_root, args, ctx) =>
      completeOidcLogin(ctx.services, args.callbackQuery, { state: args.state, nonce: args.nonce, codeVerifier: args.codeVerifier }, ctx.clientAddress),
  }),
}));
