import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { ConnSet } from './conn.js';
import { allowedOf, type NetworkModel, type Reason, type Segment } from './engine.js';
import type { Connection, Peer } from './matrix.js';
import type { NetPod } from './model.js';

/**
 * Traffic that Ingress objects and OpenShift Routes let in: a `{ingress-controller}` peer (a pod in a namespace of
 * its own, as netpol-analyzer models the unknown controller) reaches the pods behind each referenced Service on the
 * Service's target ports, as far as the destination's ingress policies allow it.
 */
export const INGRESS_CONTROLLER = '{ingress-controller}';
const CONTROLLER_NAMESPACE = 'ingress-controller-ns';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: string;
}

interface ServiceInfo {
  namespace: string;
  name: string;
  selector?: Record<string, string>;
  ports: ServicePort[];
}

function servicesOf(snapshot: Snapshot): Map<string, ServiceInfo> {
  const out = new Map<string, ServiceInfo>();
  for (const o of snapshot.ofKind('Service')) {
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    const ports: ServicePort[] = [];
    if (Array.isArray(spec.ports))
      for (const p of spec.ports) {
        if (!isObj(p) || typeof p.port !== 'number') continue;
        const target = typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : p.port;
        ports.push({
          name: typeof p.name === 'string' ? p.name : undefined,
          port: p.port,
          targetPort: target,
          protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP',
        });
      }
    const selector = isObj(spec.selector)
      ? Object.fromEntries(Object.entries(spec.selector).map(([k, v]) => [k, String(v)]))
      : undefined;
    const ns = o.namespace ?? 'default';
    out.set(`${ns}/${o.name}`, { namespace: ns, name: o.name, selector, ports });
  }
  return out;
}

/** A Service port reference: by number (`port`) or name; undefined means every port. */
type PortRef = number | string | undefined;

/** The Ingress or Route that references a backend Service. */
interface ExposingObject {
  objectKind: 'Ingress' | 'Route';
  namespace: string;
  name: string;
}

interface Backend {
  service: string;
  ref: PortRef;
  byTarget: boolean;
  via: ExposingObject;
}

function backendsOf(snapshot: Snapshot): Backend[] {
  const out: Backend[] = [];
  const ingressBackend = (via: ExposingObject, b: unknown) => {
    const ns = via.namespace;
    if (!isObj(b)) return;
    const svc = isObj(b.service) ? b.service : undefined;
    if (svc && typeof svc.name === 'string') {
      const port = isObj(svc.port) ? svc.port : {};
      const ref = typeof port.number === 'number' ? port.number : typeof port.name === 'string' ? port.name : undefined;
      out.push({ service: `${ns}/${svc.name}`, ref, byTarget: false, via });
    } else if (typeof b.serviceName === 'string') {
      const p = b.servicePort;
      out.push({
        service: `${ns}/${b.serviceName}`,
        ref: typeof p === 'number' || typeof p === 'string' ? p : undefined,
        byTarget: false,
        via,
      });
    }
  };
  for (const o of snapshot.ofKind('Ingress')) {
    const via: ExposingObject = { objectKind: 'Ingress', namespace: o.namespace ?? 'default', name: o.name };
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    ingressBackend(via, spec.defaultBackend ?? spec.backend);
    if (Array.isArray(spec.rules))
      for (const r of spec.rules) {
        const http = isObj(r) && isObj(r.http) ? r.http : undefined;
        if (http && Array.isArray(http.paths)) for (const p of http.paths) if (isObj(p)) ingressBackend(via, p.backend);
      }
  }
  for (const o of routesOf(snapshot)) {
    const ns = o.namespace ?? 'default';
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    const port = isObj(spec.port) ? spec.port.targetPort : undefined;
    const ref = typeof port === 'number' || typeof port === 'string' ? port : undefined;
    const targets = [spec.to, ...(Array.isArray(spec.alternateBackends) ? spec.alternateBackends : [])];
    for (const t of targets)
      if (isObj(t) && typeof t.name === 'string' && (t.kind === undefined || t.kind === 'Service'))
        out.push({
          service: `${ns}/${t.name}`,
          ref,
          byTarget: true,
          via: { objectKind: 'Route', namespace: ns, name: o.name },
        });
  }
  return out;
}

function routesOf(snapshot: Snapshot): LoadedObject[] {
  return snapshot.ofKind('Route').filter((o) => o.apiVersion.startsWith('route.openshift.io/'));
}

/** Whether the snapshot holds any Ingress or Route (the analysis adds the controller peer only then). */
export function hasIngressObjects(snapshot: Snapshot): boolean {
  return snapshot.ofKind('Ingress').length > 0 || routesOf(snapshot).length > 0;
}

function targetConns(sp: ServicePort, pod: NetPod): ConnSet {
  if (sp.protocol !== 'TCP') return ConnSet.none;
  if (typeof sp.targetPort === 'number') return ConnSet.of('TCP', sp.targetPort);
  let out = ConnSet.none;
  for (const cp of pod.ports)
    if (cp.name === sp.targetPort && cp.protocol === 'TCP') out = out.union(ConnSet.of('TCP', cp.port));
  return out;
}

/** What one Ingress or Route exposes of one pod, through one Service. */
interface Exposure extends ExposingObject {
  service: string;
  conns: ConnSet;
}

/** Per pod behind an Ingress or Route: each (object, Service) that exposes it and on which connections. */
function exposuresOf(model: NetworkModel, snapshot: Snapshot): Map<NetPod, Exposure[]> {
  const services = servicesOf(snapshot);
  const exposed = new Map<NetPod, Exposure[]>();
  for (const b of backendsOf(snapshot)) {
    const svc = services.get(b.service);
    if (!svc?.selector || Object.keys(svc.selector).length === 0) continue;
    const sel = svc.selector;
    const ports = svc.ports.filter((p) => {
      if (b.ref === undefined) return true;
      if (typeof b.ref === 'string') return p.name === b.ref;
      // netpol-analyzer also accepts a number that is the Service's target port
      return p.targetPort === b.ref || (!b.byTarget && p.port === b.ref);
    });
    for (const pod of model.pods) {
      if (pod.namespace !== svc.namespace || !Object.entries(sel).every(([k, v]) => pod.labels[k] === v)) continue;
      let c = ConnSet.none;
      for (const sp of ports) c = c.union(targetConns(sp, pod));
      const list = exposed.get(pod) ?? [];
      exposed.set(pod, list);
      const same = list.find(
        (e) => e.objectKind === b.via.objectKind && e.namespace === b.via.namespace && e.name === b.via.name,
      );
      if (same && same.service === svc.name) same.conns = same.conns.union(c);
      else list.push({ ...b.via, service: svc.name, conns: c });
    }
  }
  return exposed;
}

/** The controller as a pod of its own label-less namespace (added to the model so namespace selectors see it). */
function controllerPeer(model: NetworkModel): Peer {
  if (!model.namespaces.has(CONTROLLER_NAMESPACE))
    model.namespaces.set(CONTROLLER_NAMESPACE, { name: CONTROLLER_NAMESPACE, labels: {} });
  const controller: NetPod = {
    index: -1,
    namespace: CONTROLLER_NAMESPACE,
    name: 'ingress-controller',
    kind: 'Pod',
    display: INGRESS_CONTROLLER,
    labels: {},
    ips: [],
    hostNetwork: false,
    ports: [],
  };
  return { name: INGRESS_CONTROLLER, endpoint: { type: 'pod', pod: controller } };
}

/**
 * The controller's ingress into a pod, split by what decides it: the Ingress/Route layer (connections some object
 * exposes are allowed by those objects; the rest is denied, with every object that names the pod) intersected with
 * the pod's ingress policies (their default allow adds no reason: the objects already explain it).
 */
function controllerIngressSegments(model: NetworkModel, pod: NetPod, from: Peer, exposures: Exposure[]): Segment[] {
  let layer: Array<{ conns: ConnSet; by: Exposure[] }> = [{ conns: ConnSet.all, by: [] }];
  for (const e of exposures) {
    const next: typeof layer = [];
    for (const part of layer) {
      const inside = part.conns.intersect(e.conns);
      const outside = part.conns.subtract(e.conns);
      if (!inside.isEmpty()) next.push({ conns: inside, by: [...part.by, e] });
      if (!outside.isEmpty()) next.push({ conns: outside, by: part.by });
    }
    layer = next;
  }
  const reason = (e: Exposure, matched: boolean): Reason => ({
    kind: 'ingress-object',
    objectKind: e.objectKind,
    namespace: e.namespace,
    name: e.name,
    service: e.service,
    matched,
  });
  const policies = model.evaluateDirection(pod, from.endpoint, 'ingress');
  const out: Segment[] = [];
  for (const part of layer) {
    const allowedHere = part.by.length > 0;
    const objectReasons = allowedHere ? part.by.map((e) => reason(e, true)) : exposures.map((e) => reason(e, false));
    for (const seg of policies) {
      const conns = part.conns.intersect(seg.conns);
      if (conns.isEmpty()) continue;
      out.push({
        conns,
        allowed: allowedHere && seg.allowed,
        reasons: [...objectReasons, ...seg.reasons.filter((r) => r.kind !== 'default')],
      });
    }
  }
  return out;
}

/** netpol-analyzer's explain wording of an Ingress/Route reason. */
export function ingressObjectReasonText(r: Extract<Reason, { kind: 'ingress-object' }>): string {
  const object = `${r.objectKind} '${r.namespace}/${r.name}'`;
  return r.matched
    ? `${object} allows ingress connections through service ${r.service}`
    : `${object} allows ingress to service ${r.service}, but the protocols and ports do not match`;
}

/**
 * Connections from `{ingress-controller}` to each workload behind an Ingress or Route, limited by the workload's
 * ingress policies. With `includeDenied`, every such pair (also those with nothing allowed) with the full verdict:
 * the explain view, where each ingress segment names the objects and policies that decide it.
 */
export function ingressControllerConnections(
  model: NetworkModel,
  snapshot: Snapshot,
  inScope: (pod: NetPod) => boolean = () => true,
  includeDenied = false,
): Connection[] {
  const src = controllerPeer(model);
  const out: Connection[] = [];
  for (const [pod, exposures] of exposuresOf(model, snapshot)) {
    if (exposures.every((e) => e.conns.isEmpty()) || !inScope(pod)) continue;
    const ingress = controllerIngressSegments(model, pod, src, exposures);
    const allowed = allowedOf(ingress);
    if (allowed.isEmpty() && !includeDenied) continue;
    out.push({
      src,
      dst: { name: pod.display, endpoint: { type: 'pod', pod }, namespace: pod.namespace },
      conns: allowed,
      verdict: { allowed, egress: [{ conns: ConnSet.all, allowed: true, reasons: [{ kind: 'default' }] }], ingress },
    });
  }
  return out;
}
