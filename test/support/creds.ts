/**
 * An operator, one JetStream-enabled account and its users, made in the test with
 * `@nats-io/jwt` + `@nats-io/nkeys`, and the nats-server config that trusts them
 * (`resolver: MEMORY` with the account JWT preloaded): real decentralised JWT auth, no nsc.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "@nats-io/jwt";

export interface TestOperator {
  /** nats-server config: operator JWT, system account, memory resolver with the accounts preloaded. */
  serverConfig: string;
  /** Writes a creds file (user JWT + seed) for a new user of the account; returns its path. */
  userCreds(name: string): Promise<string>;
  /** A creds file of a user of an account the server does not know (signed by another operator). */
  strangerCreds(): Promise<string>;
}

/** An account JWT's limits default to zero (no connections at all): lift them. */
const UNLIMITED = {
  conn: -1,
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  leaf: -1,
  wildcards: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** Call at the top level of a test file; the files are removed when it ends. */
export async function testOperator(): Promise<TestOperator> {
  const dir = mkdtempSync(join(tmpdir(), "nadm-test-creds-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const operatorJwt = await encodeOperator("nadm-test", operator, {
    system_account: system.getPublicKey(),
  });
  const systemJwt = await encodeAccount("SYS", system, {}, { signer: operator });
  const accountJwt = await encodeAccount("NADM", account, { limits: UNLIMITED }, { signer: operator });
  const write = (name: string, text: string | Uint8Array) => {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const operatorFile = write("operator.jwt", operatorJwt);
  const serverConfig = `operator: "${operatorFile}"
system_account: ${system.getPublicKey()}
resolver: MEMORY
resolver_preload: {
  ${system.getPublicKey()}: ${systemJwt}
  ${account.getPublicKey()}: ${accountJwt}
}
`;
  return {
    serverConfig,
    async userCreds(name) {
      const user = createUser();
      const jwt = await encodeUser(name, user, account);
      return write(`${name}.creds`, fmtCreds(jwt, user));
    },
    async strangerCreds() {
      const stranger = createAccount();
      const user = createUser();
      const jwt = await encodeUser("stranger", user, stranger);
      return write("stranger.creds", fmtCreds(jwt, user));
    },
  };
}
