/**
 * A throwaway certificate authority for TLS tests, made with `openssl`: a CA, a server
 * certificate for 127.0.0.1/localhost and a client certificate, all signed by that CA, plus a
 * second CA nothing is signed by (to prove a wrong CA is refused).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here. */
  otherCa: string;
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function selfSignedCa(dir: string, name: string): void {
  openssl(
    dir,
    ["req", "-x509", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2"].concat([
      "-subj",
      `/CN=${name}`,
    ]),
  );
}

/** `name`.crt/.key signed by ca.crt, with the given extensions (SAN, key usage). */
function signed(dir: string, name: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

/** Call at the top level of a test file; the files are removed when it ends. */
export function testCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "nadm-test-tls-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  selfSignedCa(dir, "ca");
  selfSignedCa(dir, "other-ca");
  signed(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  signed(dir, "client", "extendedKeyUsage=clientAuth\n");
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at("ca.crt"),
    serverCert: at("server.crt"),
    serverKey: at("server.key"),
    clientCert: at("client.crt"),
    clientKey: at("client.key"),
    otherCa: at("other-ca.crt"),
  };
}

/** nats-server `tls {}` block requiring client certificates signed by the test CA. */
export function tlsServerConfig(certs: TestCerts): string {
  return `tls {
  cert_file: "${certs.serverCert}"
  key_file: "${certs.serverKey}"
  ca_file: "${certs.ca}"
  verify: true
  timeout: 2
}
`;
}
