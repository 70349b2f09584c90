/**
 * Throwaway TLS material for tests: a CA and a server certificate for the loopback names signed by it,
 * made the way the local kube server makes its own (scripts/kube-server/certificates.ts).
 */
import { createLocalCertificates, type LocalCertificates } from '../../scripts/kube-server/certificates.js';

/** PEM texts: the CA (what a client trusts) and the server's certificate and key. */
export type TestCertificates = LocalCertificates;

/** A fresh CA named `caName` and a certificate for 127.0.0.1, ::1 and localhost signed by it. */
export function createTestCertificates(caName = 'test CA'): Promise<TestCertificates> {
  return createLocalCertificates([], new Date(), caName);
}
