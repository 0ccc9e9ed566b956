/**
 * The address a host advertises for its instances' endpoints (`--advertise-address`): by
 * default its first non-loopback IPv4 address — what other machines on the network reach —
 * and 127.0.0.1 on a machine with none (a laptop offline: everything is local anyway).
 */
import { networkInterfaces } from "node:os";

export function defaultAdvertiseAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
