// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API loaded first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

/** The local stack's TLS material: a CA of its own and one server certificate signed by it, as PEM files. */
export interface LocalTls {
  /** The CA's certificate: what a client trusts (POSTGRES_SSLROOTCERT, KAFKA_SSL_CA_FILE, CONNECT_CA_FILE). */
  readonly caCert: string;
  readonly serverCert: string;
  /** The server's private key (PKCS#8), readable by its owner only. */
  readonly serverKey: string;
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n?$/, "\n")}-----END ${label}-----\n`;

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString("hex")
    .replace(/^[89a-f]/, "1");

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
}

/**
 * The TLS files in `dir` (the data dir's secrets), made on first use and reused afterwards: a CA valid ten years and
 * a server certificate for `hosts` (IP addresses or names) valid two years, ECDSA P-256. Keys are written 0600.
 */
export function ensureLocalTls(dir: string, hosts: readonly string[], now = new Date()): Promise<LocalTls> {
  // One generation per folder and process: PostgreSQL and Kafka prepare side by side and must share one CA.
  let p = making.get(dir);
  if (!p) {
    p = makeLocalTls(dir, hosts, now);
    making.set(dir, p);
    p.catch(() => making.delete(dir));
  }
  return p;
}

const making = new Map<string, Promise<LocalTls>>();

async function makeLocalTls(dir: string, hosts: readonly string[], now: Date): Promise<LocalTls> {
  const files: LocalTls = {
    caCert: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
  };
  if (Object.values(files).every((f) => existsSync(f))) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Sluice local CA",
    notBefore: now,
    notAfter: new Date(now.getTime() + 3650 * DAY),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await keyPair();
  const names = hosts.map((h) =>
    /^[\d.]+$|:/.test(h) ? { type: "ip" as const, value: h } : { type: "dns" as const, value: h },
  );
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hosts[0] ?? "localhost"}`,
    issuer: ca.subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + 730 * DAY),
    signingAlgorithm: ALG,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const key = await webcrypto.subtle.exportKey("pkcs8", serverKeys.privateKey);
  // The CA's key is not kept: a new server certificate means a new CA (and clients trusting the new ca.crt).
  writeFileSync(files.caCert, ca.toString("pem").replace(/\n?$/, "\n"), { mode: 0o644 });
  writeFileSync(files.serverCert, server.toString("pem").replace(/\n?$/, "\n"), { mode: 0o644 });
  writeFileSync(files.serverKey, pem("PRIVATE KEY", key), { mode: 0o600 });
  return files;
}

/** Where the local stack keeps its TLS files: `<data>/secrets/tls` (clients trust `ca.crt` there). */
export const localTlsDir = (ctx: { paths: { secrets: string } }) => join(ctx.paths.secrets, "tls");
