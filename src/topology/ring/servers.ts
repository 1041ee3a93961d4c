/**
 * twemproxy server lines: `host:port[:weight] [name]`. Used for --ring (comma-separated, weight
 * optional, default 1) and for the `servers:` of a twemproxy YAML file (weight required, as
 * nutcracker requires it). Errors say which entry is wrong and what to write instead.
 */
import { UsageError } from '../../errors.js';
import type { RingServer } from './types.js';

export interface ServerLineResult {
  server?: RingServer;
  error?: string;
}

/** Parses one server line; returns an error message instead of throwing so callers can add file:line. */
export function parseServerLine(text: string, options: { weightRequired?: boolean } = {}): ServerLineResult {
  const entry = text.trim();
  if (entry === '') return { error: 'empty server entry; write host:port[:weight] [name]' };
  const parts = entry.split(/\s+/);
  if (parts.length > 2) return { error: `'${entry}' has more than one name; write host:port[:weight] [name] (names have no spaces)` };
  const [address, name] = parts as [string, string | undefined];
  if (address.startsWith('/')) return { error: `'${entry}': unix socket servers are not supported; use host:port` };
  if (address.startsWith('[')) return { error: `'${entry}': IPv6 addresses are not supported in server lines; use a hostname` };
  const fields = address.split(':');
  if (fields.length < 2 || fields.length > 3) {
    return { error: `'${entry}' is not host:port[:weight] [name]` + (fields.length < 2 ? '; add the port, e.g. 127.0.0.1:6379' : '') };
  }
  const [host, portText, weightText] = fields as [string, string, string | undefined];
  if (host === '') return { error: `'${entry}' has no host; write host:port, e.g. 127.0.0.1:6379` };
  if (!/^[1-9]\d{0,4}$/.test(portText) || Number(portText) > 65535) {
    return { error: `'${entry}' has port '${portText}'; the port must be a number from 1 to 65535 without leading zeros` };
  }
  if (weightText === undefined && options.weightRequired) {
    return { error: `'${entry}' has no weight; twemproxy requires host:port:weight, e.g. ${host}:${portText}:1` };
  }
  if (weightText !== undefined && !/^[1-9]\d{0,5}$/.test(weightText)) {
    return { error: `'${entry}' has weight '${weightText}'; the weight must be a whole number from 1 to 999999` };
  }
  const server: RingServer = { host, port: Number(portText), weight: weightText === undefined ? 1 : Number(weightText) };
  if (name !== undefined) server.name = name;
  return { server };
}

/** Duplicate names or addresses: twemproxy refuses the former, cachectl needs unique addresses. */
export function findDuplicate(servers: readonly RingServer[]): string | undefined {
  const names = new Map<string, RingServer>();
  const addresses = new Set<string>();
  for (const s of servers) {
    const address = `${s.host}:${s.port}`;
    if (addresses.has(address)) return `${address} is listed twice; list each server once`;
    addresses.add(address);
    const name = s.name ?? address;
    if (names.has(name)) return `two servers are named '${name}'; server names must be unique`;
    names.set(name, s);
  }
  return undefined;
}

/** Parses `host:port[:weight] [name]` entries separated by commas (--ring, or ring diff's --add). */
export function parseRingServers(text: string, flag = '--ring'): RingServer[] {
  const entries = text.split(',');
  if (entries.every((e) => e.trim() === '')) throw new UsageError(`${flag}: no servers given; write 'host:port[:weight] [name],...'`);
  const servers = entries
    .filter((e) => e.trim() !== '')
    .map((entry) => {
      const { server, error } = parseServerLine(entry);
      if (!server) throw new UsageError(`${flag}: ${error}`);
      return server;
    });
  const duplicate = findDuplicate(servers);
  if (duplicate) throw new UsageError(`${flag}: ${duplicate}`);
  return servers;
}
