/** --web.listen-address: its default, and the forms it takes. */

/** Above the 9100-9999 range of Prometheus' default port allocations, clear of Kubernetes' 10249-10259. */
export const DEFAULT_LISTEN_ADDRESS = ':10142';

/** `host:port`, `:port` (every address), `[v6]:port`. */
export function parseListenAddress(a: string): { host: string | undefined; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(a);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? m[2];
  return { host: host === '' || host === undefined ? undefined : host, port };
}
