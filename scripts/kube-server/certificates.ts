/**
 * The TLS material of the local API server, made fresh at every start: a CA, and a server
 * certificate for the loopback names signed by it. kubectl sends a bearer token only over HTTPS and
 * checks the server against the kubeconfig's `certificate-authority-data`, so the CA goes there.
 *
 * Built with @peculiar/x509 on Node's own WebCrypto: the keys and signatures come from Node (ECDSA
 * P-256), the library only encodes the X.509 structures; pure JS, no openssl binary.
 */
import 'reflect-metadata'; // @peculiar/x509 resolves its algorithms through tsyringe, which needs it.
import { isIP } from 'node:net';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type JsonGeneralNames,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';

/** PEM texts for `https.createServer` and for a kubeconfig. */
export interface LocalCertificates {
  /** The CA certificate: what clients trust (`certificate-authority-data` is its base64). */
  caPem: string;
  /** The server certificate, for 127.0.0.1, ::1, localhost and the listening host. */
  certPem: string;
  /** The server certificate's private key (PKCS #8). */
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
/** Long enough for any `npm start` session; the CA dies with the server anyway. */
const VALIDITY_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Back-dates notBefore, so a client whose clock is a little behind still accepts the certificates. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const LOOPBACK_NAMES = ['127.0.0.1', '::1', 'localhost'];

/**
 * Makes a CA and a server certificate for `hosts` (plus the loopback names) signed by it. `caName`
 * names the CA (tests make several, to tell them apart).
 */
export async function createLocalCertificates(
  hosts: string[] = [],
  now = new Date(),
  caName = 'kube-server local CA',
): Promise<LocalCertificates> {
  const { crypto } = globalThis;
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(now.getTime() + VALIDITY_DAYS * DAY_MS);
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const ca = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=${caName}`,
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const serverKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const names = [...new Set([...LOOPBACK_NAMES, ...hosts.filter((host) => host !== '')])];
  const server = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: 'CN=kube-server',
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension(subjectAltNames(names)),
        await AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const key = await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  return {
    caPem: ca.toString('pem'),
    certPem: server.toString('pem'),
    keyPem: PemConverter.encode(key, 'PRIVATE KEY'),
  };
}

/** IP addresses as IP names (clients check those against an IP in the URL), the rest as DNS names. */
function subjectAltNames(names: string[]): JsonGeneralNames {
  return names.map((name) => ({ type: isIP(name) ? 'ip' : 'dns', value: name }));
}

/** A positive 64-bit serial number (hex), unique enough for certificates that live one run. */
function randomSerial(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
  bytes[0] = (bytes[0] as number) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
