/**
 * The IdTokenVerifier on google-auth-library: Google's signing certificates (fetched and cached by
 * OAuth2Client), then the signature, issuer, issue and expiry times (with the library's clock skew)
 * and the audience, by `verifySignedJwtWithCertsAsync`. Tests inject their own certificates, so no
 * network is needed.
 *
 * The library's error messages quote the whole token: they are turned into short reasons here and
 * never logged as they are.
 */
import { type Certificates, OAuth2Client } from 'google-auth-library';
import type { TokenCheck } from '../core/callers.js';
import type { IdTokenVerifier } from '../core/ports.js';

/** Issuers of Google-signed ID tokens (Cloud Scheduler's, Cloud Tasks', gcloud's). */
export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

/** Where the signing certificates come from: Google's (cached by the client) unless a test gives its own. */
export type CertificateSource = () => Promise<Certificates>;

/** The library's messages, in order, and what each means for the caller. */
const REASONS: ReadonlyArray<[RegExp, string]> = [
  [/Wrong number of segments|Can't parse token|Unexpected token|JSON/i, 'malformed token'],
  [/No pem found/i, 'signed by a key Google does not use'],
  [/Invalid token signature/i, 'bad signature'],
  [/No issue time|No expiration time|invalid format/i, 'no valid iat/exp'],
  [/too far in future/i, 'expiry too far in the future'],
  [/too early/i, 'not valid yet'],
  [/too late/i, 'expired'],
  [/Invalid issuer/i, 'not issued by Google'],
  [/Wrong recipient/i, 'wrong audience'],
];

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? 'invalid token';
}

export class GoogleIdTokenVerifier implements IdTokenVerifier {
  private readonly client: OAuth2Client;
  private readonly certificates: CertificateSource;

  constructor(options: { client?: OAuth2Client; certificates?: CertificateSource } = {}) {
    const client = options.client ?? new OAuth2Client();
    this.client = client;
    this.certificates =
      options.certificates ?? (async () => (await client.getFederatedSignonCertsAsync()).certs);
  }

  async verify(token: string, audiences: readonly string[]): Promise<TokenCheck> {
    // Outside the try: not being able to fetch the keys is not the caller's fault (503, retried).
    const certificates = await this.certificates();
    let payload: Record<string, unknown> | undefined;
    try {
      const ticket = await this.client.verifySignedJwtWithCertsAsync(
        token,
        certificates,
        [...audiences],
        GOOGLE_ISSUERS,
      );
      payload = ticket.getPayload() as Record<string, unknown> | undefined;
    } catch (err) {
      return { kind: 'invalid', reason: reasonOf(err) };
    }
    const email = typeof payload?.email === 'string' ? payload.email : null;
    const verified = payload?.email_verified;
    return { kind: 'valid', email, isEmailVerified: verified === true || verified === 'true' };
  }
}
