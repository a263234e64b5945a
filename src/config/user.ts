/**
 * USER consistency: the Dockerfile's final USER, the image config's User and the pod's runAsUser/runAsNonRoot must
 * agree, or the container either runs as root unnoticed or never starts (the kubelet refuses runAsNonRoot when it
 * cannot prove the user is not root).
 */
import type { KubernetesRef } from '../core/index.js';
import { allContainers, type WorkloadPod } from '../inputs/index.js';
import { imageTagDigest } from './dockerfile/rules.js';
import { type RuleMeta, ref } from './rule.js';
import { effectiveUser } from './workload.js';

export interface ImageUserSource {
  /** The image config User (ImageInventory.config.user); '' or undefined means root. */
  user: string | undefined;
  /** Where this came from, for evidence: `image config of <ref>` or `Dockerfile docker/web.Dockerfile:12`. */
  from: string;
}

/** What is known about an image's user, from the image config and/or the Dockerfile it is built from. */
export interface ImageUserFacts {
  imageConfig?: ImageUserSource;
  dockerfile?: ImageUserSource;
}

function meta(id: string, title: string, severity: RuleMeta['severity'], remediation: string): RuleMeta {
  return {
    id: `user/${id}`,
    title,
    severity,
    area: 'user-consistency',
    references: [ref('IMG-01'), ref('IMG-02'), ref('IMG-09'), ref('POD-02')],
    remediation,
  };
}

export const USER_RULES = {
  namedUserNonRoot: meta(
    'named-user-with-runasnonroot',
    'runAsNonRoot with a named image user: the kubelet refuses to start it',
    'HIGH',
    'Use a numeric USER in the Dockerfile, or set runAsUser to the numeric UID in the pod.',
  ),
  rootImageNonRoot: meta(
    'root-image-with-runasnonroot',
    'runAsNonRoot with a root image and no runAsUser: the kubelet refuses to start it',
    'HIGH',
    'Add a non-root numeric USER to the image, or set runAsUser in the pod.',
  ),
  overrideToRoot: meta(
    'pod-overrides-to-root',
    'Pod runs a non-root image as UID 0',
    'HIGH',
    'Remove runAsUser: 0; the image was built to run unprivileged.',
  ),
  rootUnguarded: meta(
    'root-image-without-runasnonroot',
    'Root image runs as root: nothing in the pod prevents it',
    'HIGH',
    'Set runAsNonRoot: true and a non-zero runAsUser, and add a non-root USER to the image.',
  ),
  imageUnreadable: meta(
    'image-not-readable',
    'USER consistency not checked: the image could not be read',
    'INFO',
    'Make the image readable (registry credentials, a local oci:/docker-archive: source in .rampart.yaml imageSources) or state its user in imageUsers.',
  ),
  dockerfileMismatch: meta(
    'dockerfile-image-mismatch',
    "Dockerfile USER differs from the image's configured user",
    'MEDIUM',
    'Rebuild the image from the Dockerfile, or fix the mapping in .rampart.yaml (dockerfiles).',
  ),
} as const satisfies Record<string, RuleMeta>;

/** root, 0, '' (unset) and `0:x` / `root:x` are root. */
export function isRootUser(user: string | undefined): boolean {
  if (user === undefined) return true;
  const u = user.split(':')[0]?.trim() ?? '';
  return u === '' || u === '0' || u === 'root';
}

function isNumericUser(user: string): boolean {
  return /^\d+$/.test(user.split(':')[0]?.trim() ?? '');
}

export interface UserHit {
  rule: RuleMeta;
  resource: KubernetesRef;
  message: string;
  discriminator: string;
  evidence: Record<string, unknown>;
  status?: 'unknown';
  reason?: string;
}

/** Repository of an image reference without tag or digest (`registry/repo`). */
export function imageRepository(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const { tag } = imageTagDigest(name);
  return tag ? name.slice(0, name.length - tag.length - 1) : name;
}

/**
 * Compares the three views of "who runs this container" for every container whose image has known user facts.
 * `factsFor` returns undefined for images nothing is known about (no finding: nothing to compare).
 */
export function checkUserConsistency(
  workloads: readonly WorkloadPod[],
  factsFor: (image: string) => ImageUserFacts | undefined,
  refOf: (w: WorkloadPod) => KubernetesRef,
  /** Images the images engine was asked for and could not read, with the reason: their containers are `unknown`. */
  unreadable: ReadonlyMap<string, string> = new Map(),
): UserHit[] {
  const hits: UserHit[] = [];
  for (const w of workloads) {
    for (const { container, list, index } of allContainers(w.spec)) {
      if (list === 'ephemeralContainers' || typeof container.image !== 'string') continue;
      const facts = factsFor(container.image);
      const name = container.name ?? `#${index}`;
      const unreadableReason = unreadable.get(container.image);
      if (!facts?.imageConfig && unreadableReason !== undefined) {
        hits.push({
          rule: USER_RULES.imageUnreadable,
          resource: refOf(w),
          message: `${list}[${index}] ${name}: image ${container.image} could not be read, so its user is not known`,
          discriminator: `${name}:${USER_RULES.imageUnreadable.id}`,
          evidence: { container: name, image: container.image },
          status: 'unknown',
          reason: unreadableReason,
        });
      }
      if (!facts) continue;
      const sc = container.securityContext;
      const pod = effectiveUser(w, sc && typeof sc === 'object' ? (sc as Record<string, unknown>) : undefined);
      const source = facts.imageConfig ?? facts.dockerfile;
      if (!source) continue;
      const imageUser = source.user ?? '';
      const evidence = {
        container: name,
        image: container.image,
        imageUser: imageUser === '' ? '(unset: root)' : imageUser,
        imageUserFrom: source.from,
        ...(facts.dockerfile && facts.imageConfig ? { dockerfileUser: facts.dockerfile.user ?? '(none)' } : {}),
        runAsUser: pod.runAsUser,
        runAsNonRoot: pod.runAsNonRoot,
      };
      const add = (rule: RuleMeta, message: string): void => {
        hits.push({
          rule,
          resource: refOf(w),
          message: `${list}[${index}] ${name}: ${message}`,
          discriminator: `${name}:${rule.id}`,
          evidence,
        });
      };
      if (facts.dockerfile && facts.imageConfig && (facts.dockerfile.user ?? '') !== (facts.imageConfig.user ?? '')) {
        add(
          USER_RULES.dockerfileMismatch,
          `${facts.dockerfile.from} says USER ${facts.dockerfile.user || '(none)'} but the image config user is ${facts.imageConfig.user || '(unset: root)'}`,
        );
      }
      const uid = pod.runAsUser;
      if (uid === 0) {
        if (!isRootUser(imageUser))
          add(USER_RULES.overrideToRoot, `the image runs as ${imageUser} but the pod sets runAsUser: 0`);
        continue;
      }
      if (uid !== undefined) continue; // an explicit non-zero UID decides, whatever the image says
      if (pod.runAsNonRoot === true) {
        if (isRootUser(imageUser))
          add(
            USER_RULES.rootImageNonRoot,
            `runAsNonRoot: true but the image user is ${imageUser || 'unset (root)'}; the kubelet will refuse to start the container (CreateContainerConfigError)`,
          );
        else if (!isNumericUser(imageUser))
          add(
            USER_RULES.namedUserNonRoot,
            `runAsNonRoot: true but the image user "${imageUser}" is a name; the kubelet cannot verify it is non-root and refuses to start the container`,
          );
      } else if (isRootUser(imageUser)) {
        add(
          USER_RULES.rootUnguarded,
          `the image user is ${imageUser || 'unset (root)'} and the pod sets neither runAsNonRoot nor runAsUser`,
        );
      }
    }
  }
  return hits;
}
