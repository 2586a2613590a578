/** The defaults of the fields added to the event records for Falco's rules, for tests that write events by hand. */
export const NEW_PROCESS_FIELDS = { exe_upper_layer: false, cap_effective: 0n, tty: 0, loginuid: -1, user_name: '', login_user_name: '' };
export const NEW_FILE_FIELDS = { target: '' };
export const NEW_NET_FIELDS = { local_ip: '', local_port: 0, socket_type: '', socket_protocol: 0 };
export const NEW_PROCESS_EVENT_FIELDS = { result: 0, ptrace: null, module: null, ancestors: [] as { pid: number; comm: string; exe: string }[] };
