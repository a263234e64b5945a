import { UsageError } from '../core/index.js';
import type { RequestAttributes } from './rbac.js';

/**
 * Turns `kubectl auth can-i` words into request attributes without a live API server: a built-in table of the
 * common resource types (plural, singular, short name, group, scope). `TYPE.GROUP` names any other resource.
 */
interface ResourceType {
  resource: string;
  group: string;
  namespaced: boolean;
  aliases: string[];
}

const TYPES: ResourceType[] = [
  ['pods', '', true, 'pod po'],
  ['secrets', '', true, 'secret'],
  ['configmaps', '', true, 'configmap cm'],
  ['services', '', true, 'service svc'],
  ['serviceaccounts', '', true, 'serviceaccount sa'],
  ['endpoints', '', true, 'ep'],
  ['events', '', true, 'event ev'],
  ['persistentvolumeclaims', '', true, 'persistentvolumeclaim pvc'],
  ['replicationcontrollers', '', true, 'replicationcontroller rc'],
  ['resourcequotas', '', true, 'resourcequota quota'],
  ['limitranges', '', true, 'limitrange limits'],
  ['namespaces', '', false, 'namespace ns'],
  ['nodes', '', false, 'node no'],
  ['persistentvolumes', '', false, 'persistentvolume pv'],
  ['users', '', false, 'user'],
  ['groups', '', false, 'group'],
  ['deployments', 'apps', true, 'deployment deploy'],
  ['daemonsets', 'apps', true, 'daemonset ds'],
  ['statefulsets', 'apps', true, 'statefulset sts'],
  ['replicasets', 'apps', true, 'replicaset rs'],
  ['controllerrevisions', 'apps', true, 'controllerrevision'],
  ['jobs', 'batch', true, 'job'],
  ['cronjobs', 'batch', true, 'cronjob cj'],
  ['horizontalpodautoscalers', 'autoscaling', true, 'horizontalpodautoscaler hpa'],
  ['ingresses', 'networking.k8s.io', true, 'ingress ing'],
  ['networkpolicies', 'networking.k8s.io', true, 'networkpolicy netpol'],
  ['poddisruptionbudgets', 'policy', true, 'poddisruptionbudget pdb'],
  ['roles', 'rbac.authorization.k8s.io', true, 'role'],
  ['rolebindings', 'rbac.authorization.k8s.io', true, 'rolebinding'],
  ['clusterroles', 'rbac.authorization.k8s.io', false, 'clusterrole'],
  ['clusterrolebindings', 'rbac.authorization.k8s.io', false, 'clusterrolebinding'],
  ['certificatesigningrequests', 'certificates.k8s.io', false, 'certificatesigningrequest csr'],
  ['signers', 'certificates.k8s.io', false, 'signer'],
  ['mutatingwebhookconfigurations', 'admissionregistration.k8s.io', false, 'mutatingwebhookconfiguration'],
  ['validatingwebhookconfigurations', 'admissionregistration.k8s.io', false, 'validatingwebhookconfiguration'],
  ['validatingadmissionpolicies', 'admissionregistration.k8s.io', false, 'validatingadmissionpolicy'],
  ['customresourcedefinitions', 'apiextensions.k8s.io', false, 'customresourcedefinition crd crds'],
  ['storageclasses', 'storage.k8s.io', false, 'storageclass sc'],
  ['priorityclasses', 'scheduling.k8s.io', false, 'priorityclass pc'],
  ['tokenreviews', 'authentication.k8s.io', false, 'tokenreview'],
  ['subjectaccessreviews', 'authorization.k8s.io', false, 'subjectaccessreview'],
  ['localsubjectaccessreviews', 'authorization.k8s.io', true, 'localsubjectaccessreview'],
].map(([resource, group, namespaced, aliases]) => ({
  resource: resource as string,
  group: group as string,
  namespaced: namespaced as boolean,
  aliases: (aliases as string).split(' '),
}));

function findType(word: string): ResourceType | undefined {
  const w = word.toLowerCase();
  return TYPES.find((t) => t.resource === w || t.aliases.includes(w));
}

/** Whether a resource (plural, group) is cluster-scoped in the built-in table; unknown ones count as namespaced. */
export function isClusterScoped(resource: string, group: string): boolean {
  const t = TYPES.find((x) => x.resource === resource && x.group === group);
  return t ? !t.namespaced : false;
}

export interface CanIWords {
  verb: string;
  /** `TYPE[.GROUP]`, `TYPE[.GROUP]/NAME` or a non-resource URL starting with `/`. */
  target: string;
  subresource?: string;
  /** Namespace as given with -n; undefined = `default` for namespaced resources. */
  namespace?: string;
  allNamespaces?: boolean;
}

/** `get pods`, `create deployments.apps/web`, `get /healthz`, `create pods --subresource exec` → attributes. */
export function parseRequestWords(w: CanIWords): RequestAttributes {
  if (!w.verb) throw new UsageError('a verb is required');
  if (w.target.startsWith('/')) {
    if (w.subresource) throw new UsageError('--subresource cannot be used with a non-resource URL');
    return { resourceRequest: false, verb: w.verb, path: w.target };
  }
  if (w.target === '') throw new UsageError('a resource type (TYPE[.GROUP][/NAME]) or a URL is required');
  const slash = w.target.indexOf('/');
  const typeWord = slash >= 0 ? w.target.slice(0, slash) : w.target;
  const name = slash >= 0 ? w.target.slice(slash + 1) : '';
  let resource: string;
  let group: string;
  let namespaced = true;
  const known = findType(typeWord);
  if (known) {
    resource = known.resource;
    group = known.group;
    namespaced = known.namespaced;
  } else if (typeWord.includes('.')) {
    const dot = typeWord.indexOf('.');
    const head = typeWord.slice(0, dot);
    group = typeWord.slice(dot + 1);
    const inTable = findType(head);
    resource = inTable && inTable.group === group ? inTable.resource : head.toLowerCase();
    namespaced = inTable && inTable.group === group ? inTable.namespaced : !isClusterScoped(resource, group);
  } else if (typeWord === '*') {
    resource = '*';
    group = '*';
  } else {
    resource = typeWord.toLowerCase();
    group = '';
  }
  const namespace = !namespaced || w.allNamespaces ? '' : (w.namespace ?? 'default');
  return {
    resourceRequest: true,
    verb: w.verb,
    apiGroup: group,
    resource,
    subresource: w.subresource ?? '',
    name,
    namespace,
  };
}

/** `get pods/exec in ns dev` as people read it. */
export function describeRequest(r: RequestAttributes): string {
  if (!r.resourceRequest) return `${r.verb} ${r.path}`;
  const res = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.apiGroup ? `.${r.apiGroup}` : ''}`;
  const name = r.name ? ` named ${r.name}` : '';
  const where = r.namespace ? ` in namespace ${r.namespace}` : ' (cluster-wide)';
  return `${r.verb} ${res}${name}${where}`;
}
