/**
 * The index template `store` installs: every field mapped explicitly (keyword, ip, long, date_nanos,
 * boolean), `dynamic: strict` so a field we did not plan for is a rejected document, never a new
 * mapping (no field explosion). One mapping serves the event indices of every kind and the alert
 * indices: a field a kind never has costs nothing, and one query can span kinds.
 */

type Mapping = Record<string, unknown>;

const kw = { type: 'keyword' };
const long = { type: 'long' };
const bool = { type: 'boolean' };
const ip = { type: 'ip' };
const obj = (properties: Record<string, Mapping>): Mapping => ({ properties });
const stored = { type: 'object', enabled: false };

const endpoint = obj({ ip, port: long, address: kw });
const creds = obj({
  uid: long,
  euid: long,
  suid: long,
  fsuid: long,
  gid: long,
  egid: long,
  sgid: long,
  fsgid: long,
  cap_effective: long,
  cap_permitted: long,
});

/**
 * 2: the newer fields indexed (ebpf_audit.process.tty ..., file.target, net.local_*, ptrace.*,
 * module.*), for search. Only added fields: installTemplate puts them on existing indices too.
 */
export const MAPPING_VERSION = 2;

export const MAPPINGS: Mapping = {
  dynamic: 'strict',
  _meta: { ebpf_audit_mapping: MAPPING_VERSION },
  properties: {
    '@timestamp': { type: 'date_nanos' },
    event: obj({ kind: kw, module: kw, dataset: kw, category: kw, type: kw, action: kw, outcome: kw, severity: long }),
    host: obj({ id: kw, name: kw, boot: obj({ id: kw }) }),
    process: obj({
      pid: long,
      thread: obj({ id: long }),
      parent: obj({ pid: long }),
      name: kw,
      executable: kw,
      args: kw,
      args_count: long,
      command_line: kw,
      working_directory: kw,
      exit_code: long,
    }),
    user: obj({ id: kw, effective: obj({ id: kw }), changes: obj({ id: kw }) }),
    group: obj({ id: kw, effective: obj({ id: kw }) }),
    container: obj({ id: kw }),
    file: obj({ path: kw, name: kw, directory: kw }),
    destination: endpoint,
    source: endpoint,
    network: obj({ direction: kw, type: kw, transport: kw }),
    error: obj({ code: kw }),
    rule: obj({ id: kw, name: kw, description: { type: 'keyword', index: false, doc_values: false } }),
    message: { type: 'keyword', index: false, doc_values: false },
    tags: kw,
    ebpf_audit: obj({
      ktime_ns: long,
      res: long,
      truncated: bool,
      process: obj({
        uid: long,
        euid: long,
        gid: long,
        egid: long,
        start_ns: long,
        cgroup_id: long,
        exe_from_memfd: bool,
        exe_deleted: bool,
        tty: long,
        loginuid: long,
        user_name: kw,
        effective_user_name: kw,
        login_user_name: kw,
        cap_names: kw,
        exe_upper_layer: bool,
      }),
      file: obj({ dirfd: long, flags: long, mode: long, flag_names: kw, write: bool, read: bool, target: kw }),
      net: obj({ family: kw, fd: long, local_ip: ip, local_port: long, socket_type: kw, socket_protocol: long }),
      ptrace: obj({ request: kw, target_pid: long }),
      module: obj({ path: kw, params: kw }),
      exec: obj({ filename: kw }),
      exit: obj({ signal: long }),
      cred: obj({ old: creds, new: creds, changed: bool, to_root: bool, caps_raised: bool }),
      alert: obj({ severity: kw, count: long, events: stored }),
      extra: stored,
    }),
  },
};

export interface TemplateOptions {
  /** Index name patterns the template applies to. */
  patterns: string[];
  shards: number;
  /** Undefined: the cluster's default (1 on a real cluster; 0 on the local single node). */
  replicas?: number;
  /** Undefined: OpenSearch's default (1s, skipped while nobody searches the index). */
  refreshInterval?: string;
}

export function indexTemplate(o: TemplateOptions): Record<string, unknown> {
  const index: Record<string, unknown> = { number_of_shards: o.shards };
  if (o.replicas !== undefined) index.number_of_replicas = o.replicas;
  if (o.refreshInterval !== undefined) index.refresh_interval = o.refreshInterval;
  return {
    index_patterns: o.patterns,
    priority: 200,
    template: { settings: { index }, mappings: MAPPINGS },
    _meta: { managed_by: 'ebpf-audit store', mapping_version: MAPPING_VERSION },
  };
}
