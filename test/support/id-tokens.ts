/**
 * ID tokens as Google signs them (RS256 JWTs, `kid` naming an X.509 certificate), but signed with a
 * local RSA key whose certificate the tests hand to the verifier: no network, no Google.
 */
import 'reflect-metadata'; // @peculiar/x509 resolves its algorithms through tsyringe, which needs it.
import { createSign, randomBytes } from 'node:crypto';
import { PemConverter, X509CertificateGenerator } from '@peculiar/x509';
import { GoogleIdTokenVerifier } from '../../functions/adapters/id-token-verifier.js';

const ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const HOUR_S = 3600;

/** A signing key and its certificate, as Google publishes them (kid => PEM). */
export interface TokenSigner {
  kid: string;
  /** What Google's certificate endpoint would answer: the certificates by kid. */
  certificates: Record<string, string>;
  /** A signed JWT with these claims (standard claims defaulted by {@link idTokenClaims}). */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** A fresh RSA key and a self-signed certificate for it, valid for a day. */
export async function createTokenSigner(): Promise<TokenSigner> {
  const { crypto } = globalThis;
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(8)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: 'CN=test ID token signer',
      notBefore: new Date(Date.now() - HOUR_S * 1000),
      notAfter: new Date(Date.now() + 24 * HOUR_S * 1000),
      keys,
      signingAlgorithm: ALGORITHM,
    },
    crypto,
  );
  const keyPem = PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  const kid = randomBytes(20).toString('hex');
  return {
    kid,
    certificates: { [kid]: certificate.toString('pem') },
    sign(claims, header = {}) {
      const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, ...header }));
      const body = base64url(JSON.stringify(claims));
      const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(keyPem);
      return `${head}.${body}.${base64url(signature)}`;
    },
  };
}

/**
 * The claims of a Google ID token for `email` and `audience`, issued now and valid for an hour (as
 * Cloud Scheduler's and Cloud Tasks' are); `fields` override or add any (`exp`, `iss`, `email_verified`).
 */
export function idTokenClaims(
  email: string,
  audience: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://accounts.google.com',
    aud: audience,
    azp: '112233445566778899000',
    sub: '112233445566778899000',
    email,
    email_verified: true,
    iat: now - 10,
    exp: now - 10 + HOUR_S,
    ...fields,
  };
}

/** The claims of a token that expired `secondsAgo` ago (beyond the verifier's 5-minute clock skew). */
export function expiredClaims(email: string, audience: string, secondsAgo = 900): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return idTokenClaims(email, audience, { iat: now - secondsAgo - HOUR_S, exp: now - secondsAgo });
}

/** The production verifier, trusting only `signer`'s certificate instead of fetching Google's. */
export function verifierTrusting(...signers: TokenSigner[]): GoogleIdTokenVerifier {
  const certificates = Object.assign({}, ...signers.map((signer) => signer.certificates));
  return new GoogleIdTokenVerifier({ certificates: async () => certificates });
}
