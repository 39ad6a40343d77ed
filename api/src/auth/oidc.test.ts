import { describe, expect, it } from 'vitest';
import { oidcSettingsFrom } from './oidc.ts';

describe('single sign-on settings', () => {
  const all = {
    OIDC_ISSUER: 'https://login.hospital.example/realms/staff',
    OIDC_CLIENT_ID: 'suture',
    OIDC_CLIENT_SECRET: 'from-the-secret-store',
    OIDC_REDIRECT_URI: 'https://suture.hospital.example/login/oidc/callback',
  };

  it('is off when no OIDC_* setting is given', () => {
    expect(oidcSettingsFrom({})).toBeNull();
  });

  it('takes every setting, naming the provider by its host unless OIDC_NAME says otherwise', () => {
    expect(oidcSettingsFrom(all)).toMatchObject({ issuer: all.OIDC_ISSUER, clientId: 'suture', name: 'login.hospital.example' });
    expect(oidcSettingsFrom({ ...all, OIDC_NAME: 'Hospital login' })?.name).toBe('Hospital login');
  });

  it('refuses a partial configuration, naming what is missing', () => {
    expect(() => oidcSettingsFrom({ OIDC_ISSUER: all.OIDC_ISSUER, OIDC_CLIENT_ID: 'suture' })).toThrow(/OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI/);
  });

  it('needs https except on this machine', () => {
    expect(() => oidcSettingsFrom({ ...all, OIDC_ISSUER: 'http://login.hospital.example' })).toThrow(/OIDC_ISSUER must be an https/);
    expect(() => oidcSettingsFrom({ ...all, OIDC_REDIRECT_URI: 'http://suture.hospital.example/login/oidc/callback' })).toThrow(/OIDC_REDIRECT_URI must be an https/);
    expect(oidcSettingsFrom({ ...all, OIDC_ISSUER: 'http://127.0.0.1:9000', OIDC_REDIRECT_URI: 'http://localhost:3000/login/oidc/callback' })).not.toBeNull();
  });
});
