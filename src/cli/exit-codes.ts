/** Exit codes of every command, in one place (the process boundary). */
export const EXIT = {
  ok: 0,
  /** audit: findings at or above --fail-on. */
  findings: 1,
  /** serve: an address could not be listened on (in use, not this host's), as node_exporter exits. */
  listen: 1,
  /** Bad flags, bad configuration. */
  usage: 2,
  /** Neither /proc/keys nor /proc/key-users could be read. */
  unreadable: 3,
  /** A bug: an exception nothing expected. */
  internal: 70,
} as const;
