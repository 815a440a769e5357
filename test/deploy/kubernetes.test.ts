/**
 * deploy/kubernetes/: every manifest validates against the Kubernetes API schemas (kubernetes-models, and the
 * Prometheus Operator's for the ServiceMonitor), and the DaemonSet keeps what the exporter needs: the host's
 * /proc read-only, uid 0 with only SETUID and SETGID, never privileged, probes on /-/healthy and /-/ready.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import bcrypt from 'bcryptjs';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { DEFAULT_LISTEN_ADDRESS } from '../../src/cli/listen-address.js';

const dir = new URL('../../deploy/kubernetes/', import.meta.url);
const docs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(new URL(f, dir), 'utf8')).map((d) => ({ file: f, doc: d.toJS() as any })));
const MODELS: Record<string, new (o: any) => { validate(): void }> = { DaemonSet, Service, Secret, ServiceMonitor };

describe('deploy/kubernetes', () => {
  it('has a DaemonSet, a Service, a ServiceMonitor, the web configuration Secret and the scrape credentials', () => {
    expect(docs.map((d) => d.doc.kind).sort()).toEqual(['DaemonSet', 'Secret', 'Secret', 'Service', 'ServiceMonitor']);
  });

  it.each(docs.map((d) => [`${d.file} ${d.doc.kind}`, d.doc]))('%s validates against the API schema', (_name, doc) => {
    const Model = MODELS[doc.kind];
    expect(Model, doc.kind).toBeDefined();
    expect(() => new (Model as new (o: any) => { validate(): void })(doc).validate()).not.toThrow();
  });

  it('the DaemonSet reads the host /proc read-only, as uid 0 with only SETUID and SETGID (for --view all-users), never privileged', () => {
    const ds = docs.find((d) => d.doc.kind === 'DaemonSet')?.doc;
    const pod = ds.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.volumes).toContainEqual({ name: 'proc', hostPath: { path: '/proc', type: 'Directory' } });
    expect(c.volumeMounts).toContainEqual({ name: 'proc', mountPath: '/host/proc', readOnly: true });
    expect(c.args).toContain('--path.procfs=/host/proc');
    expect(c.securityContext).toMatchObject({ runAsUser: 0, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] } });
    expect(pod.hostUsers).toBe(true); // a user namespace would hide the host's keys
    expect(c.livenessProbe.httpGet.path).toBe('/-/healthy');
    expect(c.readinessProbe.httpGet.path).toBe('/-/ready');
    expect(c.ports[0].containerPort).toBe(Number(DEFAULT_LISTEN_ADDRESS.slice(1)));
    expect(c.resources.limits.memory).toBeDefined();
  });

  it('the web configuration in the Secret is valid for --web.config.file', () => {
    const secret = docs.find((d) => d.doc.metadata.name === 'keyring-exporter-web-config')?.doc;
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(new URL('../../docs/schemas/web-config.schema.json', import.meta.url), 'utf8')));
    const web = parse(secret.stringData['web.yml']);
    expect(validate(web), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the ServiceMonitor scrapes the job the rules expect, over HTTPS with basic auth', () => {
    const sm = docs.find((d) => d.doc.kind === 'ServiceMonitor')?.doc;
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'metrics', scheme: 'https' });
    expect(readFileSync(new URL('../../rules/keyring-exporter.rules.yml', import.meta.url), 'utf8')).toContain('job="keyring-exporter"');
    expect(sm.metadata.labels['app.kubernetes.io/name']).toBe('keyring-exporter');
  });

  it('the ServiceMonitor\'s credentials are shipped, and they are what the web configuration accepts', () => {
    const sm = docs.find((d) => d.doc.kind === 'ServiceMonitor')?.doc;
    const auth = sm.spec.endpoints[0].basicAuth;
    const secretOf = (name: string): any => docs.find((d) => d.doc.kind === 'Secret' && d.doc.metadata.name === name)?.doc;
    const scrape = secretOf(auth.username.name);
    expect(scrape, `Secret ${auth.username.name}`).toBeDefined();
    expect(auth.password.name).toBe(auth.username.name);
    expect(scrape.metadata.namespace).toBe(sm.metadata.namespace);
    const user = scrape.stringData[auth.username.key] as string;
    const password = scrape.stringData[auth.password.key] as string;
    const web = parse(secretOf('keyring-exporter-web-config').stringData['web.yml']);
    expect(bcrypt.compareSync(password, web.basic_auth_users[user])).toBe(true);
  });
});

it('the schema validation rejects a broken manifest (the check itself works)', () => {
  const ds = structuredClone(docs.find((d) => d.doc.kind === 'DaemonSet')?.doc);
  ds.spec.template.spec.containers[0].ports[0].containerPort = 'ten';
  expect(() => new DaemonSet(ds).validate()).toThrow();
});
