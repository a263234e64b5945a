import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { ConnSet } from './conn.js';
import { allowedOf, type Endpoint, type NetworkModel } from './engine.js';
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

function backendsOf(snapshot: Snapshot): Array<{ service: string; ref: PortRef; byTarget: boolean }> {
  const out: Array<{ service: string; ref: PortRef; byTarget: boolean }> = [];
  const ingressBackend = (ns: string, b: unknown) => {
    if (!isObj(b)) return;
    const svc = isObj(b.service) ? b.service : undefined;
    if (svc && typeof svc.name === 'string') {
      const port = isObj(svc.port) ? svc.port : {};
      const ref = typeof port.number === 'number' ? port.number : typeof port.name === 'string' ? port.name : undefined;
      out.push({ service: `${ns}/${svc.name}`, ref, byTarget: false });
    } else if (typeof b.serviceName === 'string') {
      const p = b.servicePort;
      out.push({
        service: `${ns}/${b.serviceName}`,
        ref: typeof p === 'number' || typeof p === 'string' ? p : undefined,
        byTarget: false,
      });
    }
  };
  for (const o of snapshot.ofKind('Ingress')) {
    const ns = o.namespace ?? 'default';
    const spec = isObj(o.raw.spec) ? o.raw.spec : {};
    ingressBackend(ns, spec.defaultBackend ?? spec.backend);
    if (Array.isArray(spec.rules))
      for (const r of spec.rules) {
        const http = isObj(r) && isObj(r.http) ? r.http : undefined;
        if (http && Array.isArray(http.paths)) for (const p of http.paths) if (isObj(p)) ingressBackend(ns, p.backend);
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
        out.push({ service: `${ns}/${t.name}`, ref, byTarget: true });
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

/**
 * Connections from `{ingress-controller}` to each workload behind an Ingress or Route, limited by the workload's
 * ingress policies. Adds the controller's namespace to the model (no labels) so namespace selectors see it.
 */
export function ingressControllerConnections(
  model: NetworkModel,
  snapshot: Snapshot,
  inScope: (pod: NetPod) => boolean = () => true,
): Connection[] {
  if (!model.namespaces.has(CONTROLLER_NAMESPACE))
    model.namespaces.set(CONTROLLER_NAMESPACE, { name: CONTROLLER_NAMESPACE, labels: {} });
  const services = servicesOf(snapshot);
  const exposed = new Map<NetPod, ConnSet>();
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
      let c = exposed.get(pod) ?? ConnSet.none;
      for (const sp of ports) c = c.union(targetConns(sp, pod));
      exposed.set(pod, c);
    }
  }
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
  const src: Peer = { name: INGRESS_CONTROLLER, endpoint: { type: 'pod', pod: controller } };
  const out: Connection[] = [];
  for (const [pod, conns] of exposed) {
    if (conns.isEmpty() || !inScope(pod)) continue;
    const dst: Endpoint = { type: 'pod', pod };
    const ingress = model.evaluateDirection(pod, src.endpoint, 'ingress');
    const allowed = conns.intersect(allowedOf(ingress));
    if (allowed.isEmpty()) continue;
    out.push({
      src,
      dst: { name: pod.display, endpoint: dst, namespace: pod.namespace },
      conns: allowed,
      verdict: { allowed, egress: [], ingress },
    });
  }
  return out;
}
