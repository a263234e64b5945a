import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, api, getToken, setToken } from './api.js';
import './style.css';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
const WORKFLOWS = ['NEW', 'NOTIFIED', 'SUPPRESSED', 'RESOLVED'];
const PILLARS = ['vulnerability', 'image', 'config', 'access', 'boundary', 'network'];

function useHashRoute() {
  const [hash, setHash] = useState(() => location.hash.slice(1) || '/');
  useEffect(() => {
    const on = () => setHash(location.hash.slice(1) || '/');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** Loads `path` with `params`; reloads when they change. */
function useApi(path, params) {
  const key = JSON.stringify([path, params]);
  const [state, setState] = useState({ loading: true });
  // biome-ignore lint/correctness/useExhaustiveDependencies: key encodes path and params
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api(path, params).then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}

function SeverityBadge({ severity }) {
  return <span className={`sev sev-${severity}`}>{severity}</span>;
}

function Counts({ counts }) {
  return (
    <span className="counts">
      {SEVERITIES.filter((s) => counts?.[s]).map((s) => (
        <span key={s} className={`sev sev-${s}`} title={s}>
          {s[0]} {counts[s]}
        </span>
      ))}
      {SEVERITIES.every((s) => !counts?.[s]) && <span className="muted">none open</span>}
    </span>
  );
}

function Failure({ error }) {
  if (error instanceof ApiError && error.status === 401) return <TokenForm message="This hub needs its API token." />;
  return <p className="error">Could not load: {String(error?.message ?? error)}</p>;
}

function TokenForm({ message }) {
  const [value, setValue] = useState('');
  return (
    <form
      className="token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        location.reload();
      }}
    >
      <p>{message} It was printed once when the hub first started.</p>
      <input
        type="password"
        placeholder="rmp_…"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        aria-label="API token"
      />
      <button type="submit">Use token</button>
    </form>
  );
}

function Overview() {
  const { data, error, loading } = useApi('overview');
  if (error) return <Failure error={error} />;
  if (loading && !data) return <p className="muted">Loading…</p>;
  const max = Math.max(1, ...SEVERITIES.map((s) => data.bySeverity[s] ?? 0));
  const trendMax = Math.max(1, ...data.trend.map((d) => Math.max(d.opened, d.resolved)));
  return (
    <section>
      <h2>Open findings</h2>
      <div className="cards">
        {SEVERITIES.map((s) => (
          <a key={s} className="card" href={`#/findings?severity=${s}&status=NEW,NOTIFIED`}>
            <SeverityBadge severity={s} />
            <strong data-testid={`count-${s}`}>{data.bySeverity[s] ?? 0}</strong>
            <div className="bar" style={{ width: `${((data.bySeverity[s] ?? 0) / max) * 100}%` }} />
          </a>
        ))}
      </div>
      <h3>By pillar</h3>
      <div className="cards">
        {Object.entries(data.byPillar).map(([p, n]) => (
          <a key={p} className="card" href={`#/findings?pillar=${p}&status=NEW,NOTIFIED`}>
            <span>{p}</span>
            <strong>{n}</strong>
          </a>
        ))}
        {Object.keys(data.byPillar).length === 0 && <p className="muted">No open findings.</p>}
      </div>
      <h3>Opened and resolved per day (30 days)</h3>
      <div className="trend" role="img" aria-label="trend">
        {data.trend.map((d) => (
          <div key={d.day} className="day" title={`${d.day}: +${d.opened} / -${d.resolved}`}>
            <div className="opened" style={{ height: `${(d.opened / trendMax) * 60}px` }} />
            <div className="resolved" style={{ height: `${(d.resolved / trendMax) * 60}px` }} />
            <small>{d.day.slice(5)}</small>
          </div>
        ))}
        {data.trend.length === 0 && <p className="muted">No scans yet.</p>}
      </div>
    </section>
  );
}

function parseQuery(route) {
  const q = route.split('?')[1] ?? '';
  return Object.fromEntries(new URLSearchParams(q));
}

function Findings({ route }) {
  const initial = parseQuery(route);
  const [filters, setFilters] = useState({
    severity: initial.severity ?? '',
    status: initial.status ?? 'NEW,NOTIFIED',
    pillar: initial.pillar ?? '',
    cluster: initial.cluster ?? '',
    namespace: initial.namespace ?? '',
    resource: initial.resource ?? '',
    image: initial.image ?? '',
    sort: initial.sort ?? '-severity,-last_seen',
    page: Number(initial.page ?? 1),
  });
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.target.value, page: 1 });
  const clusters = useApi('clusters');
  const { data, error, loading } = useApi('findings', { ...filters, per_page: 25 });
  const [open, setOpen] = useState(undefined);
  if (error) return <Failure error={error} />;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.perPage)) : 1;
  return (
    <section>
      <h2>Findings</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Severity
          <select name="severity" value={filters.severity} onChange={set('severity')}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status" value={filters.status} onChange={set('status')}>
            <option value="NEW,NOTIFIED">open</option>
            <option value="">any</option>
            {WORKFLOWS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Pillar
          <select name="pillar" value={filters.pillar} onChange={set('pillar')}>
            <option value="">any</option>
            {PILLARS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Cluster
          <select name="cluster" value={filters.cluster} onChange={set('cluster')}>
            <option value="">any</option>
            {(clusters.data ?? []).map((c) => (
              <option key={c.name}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          Namespace
          <input name="namespace" value={filters.namespace} onChange={set('namespace')} />
        </label>
        <label>
          Resource
          <input name="resource" value={filters.resource} onChange={set('resource')} placeholder="contains…" />
        </label>
        <label>
          Sort
          <select name="sort" value={filters.sort} onChange={set('sort')}>
            <option value="-severity,-last_seen">most severe</option>
            <option value="-last_seen">last seen</option>
            <option value="-first_seen">newest</option>
            <option value="rule">rule</option>
            <option value="resource">resource</option>
          </select>
        </label>
      </form>
      <p className="muted" data-testid="findings-total">
        {loading ? 'Loading…' : `${data.total} findings`}
      </p>
      {data && (
        <table className="findings">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Rule</th>
              <th>Title</th>
              <th>Resource</th>
              <th>Cluster</th>
              <th>Workflow</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((f) => (
              <FindingRow
                key={f.uid}
                f={f}
                open={open === f.uid}
                toggle={() => setOpen(open === f.uid ? undefined : f.uid)}
              />
            ))}
          </tbody>
        </table>
      )}
      {data && pages > 1 && (
        <nav className="pager">
          <button
            type="button"
            disabled={filters.page <= 1}
            onClick={() => setFilters({ ...filters, page: filters.page - 1 })}
          >
            ‹ prev
          </button>
          <span>
            page {filters.page} of {pages}
          </span>
          <button
            type="button"
            disabled={filters.page >= pages}
            onClick={() => setFilters({ ...filters, page: filters.page + 1 })}
          >
            next ›
          </button>
        </nav>
      )}
    </section>
  );
}

function FindingRow({ f, open, toggle }) {
  return (
    <>
      <tr className={`row ${f.workflow}`} onClick={toggle}>
        <td>
          <SeverityBadge severity={f.severity} />
        </td>
        <td className="mono">{f.ruleId}</td>
        <td>
          {f.title}
          {f.status === 'unknown' && <span className="unknown"> unknown</span>}
        </td>
        <td>{f.imageDigest ? <a href={`#/images/${f.imageDigest}`}>{f.resource}</a> : f.resource}</td>
        <td>{f.cluster || '—'}</td>
        <td>{f.workflow}</td>
        <td className="muted">{f.lastSeen.slice(0, 16).replace('T', ' ')}</td>
      </tr>
      {open && (
        <tr className="detail">
          <td colSpan={7}>
            {f.finding.description && <p>{f.finding.description}</p>}
            {f.finding.reason && <p>Reason: {f.finding.reason}</p>}
            {f.finding.remediation && <p>Fix: {f.finding.remediation}</p>}
            <p className="muted">
              First seen {f.firstSeen} · id {f.id}
              {f.resolvedAt ? ` · resolved ${f.resolvedAt}` : ''}
            </p>
          </td>
        </tr>
      )}
    </>
  );
}

function Images() {
  const [page, setPage] = useState(1);
  const { data, error } = useApi('images', { page, per_page: 50 });
  if (error) return <Failure error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <section>
      <h2>Images</h2>
      <table>
        <thead>
          <tr>
            <th>Image</th>
            <th>Digest</th>
            <th>Platform</th>
            <th>Open findings</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((i) => (
            <tr key={i.digest}>
              <td>
                <a href={`#/images/${i.digest}`}>{i.repository}</a> <span className="muted">{i.tags.join(', ')}</span>
              </td>
              <td className="mono">{i.digest.slice(0, 19)}…</td>
              <td>{i.platform || '—'}</td>
              <td>
                <Counts counts={i.findings} />
              </td>
              <td className="muted">{i.lastSeen.slice(0, 16).replace('T', ' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.total === 0 && <p className="muted">No images yet: push to a registry that notifies this hub.</p>}
      {data.total > data.perPage && (
        <nav className="pager">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            ‹ prev
          </button>
          <button type="button" disabled={page * data.perPage >= data.total} onClick={() => setPage(page + 1)}>
            next ›
          </button>
        </nav>
      )}
    </section>
  );
}

function ImageDetail({ digest }) {
  const { data, error } = useApi(`images/${digest}`);
  if (error) return <Failure error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  const packages = data.inventory?.packages ?? [];
  return (
    <section>
      <h2 data-testid="image-title">
        {data.registry}/{data.repository} <span className="muted">{data.tags.join(', ')}</span>
      </h2>
      <p className="mono">{data.digest}</p>
      <p>
        {data.platform || 'platform unknown'} · {data.layers.length} layers · {packages.length} packages
        {data.inventory?.distro ? ` · ${data.inventory.distro.prettyName ?? data.inventory.distro.id}` : ''}
      </p>
      <h3>Fixes</h3>
      {data.fixes.length === 0 ? (
        <p className="muted">No fixed versions known for the open vulnerabilities.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Package</th>
              <th>Installed</th>
              <th>Upgrade to</th>
              <th>Fixes</th>
            </tr>
          </thead>
          <tbody>
            {data.fixes.map((x) => (
              <tr key={`${x.package}@${x.installed}`}>
                <td>{x.package}</td>
                <td className="mono">{x.installed}</td>
                <td className="mono">{x.fixedVersion}</td>
                <td>{x.fixes}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Findings ({data.findings.length})</h3>
      <table>
        <tbody>
          {data.findings.map((f) => (
            <tr key={f.uid}>
              <td>
                <SeverityBadge severity={f.severity} />
              </td>
              <td className="mono">{f.finding.details?.vulnerability?.id ?? f.ruleId}</td>
              <td>
                {f.title}
                {f.status === 'unknown' && <span className="unknown"> unknown: {f.finding.reason}</span>}
              </td>
              <td>{f.workflow}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Layers</h3>
      <ol className="mono small">
        {data.layers.map((l) => (
          <li key={l.digest}>
            {l.digest} {l.size ? <span className="muted">({Math.round(l.size / 1024)} KiB)</span> : null}
          </li>
        ))}
      </ol>
      <h3>Packages</h3>
      <table className="small">
        <tbody>
          {packages.map((p) => (
            <tr key={`${p.type}:${p.name}@${p.version}`}>
              <td>{p.type}</td>
              <td>{p.name}</td>
              <td className="mono">{p.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Namespaces() {
  const { data, error } = useApi('namespaces');
  if (error) return <Failure error={error} />;
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <section>
      <h2>Namespaces</h2>
      <div className="cards">
        {data.map((n) => (
          <a
            key={`${n.cluster}/${n.namespace}`}
            className={`card ns boundary-${n.boundary}`}
            href={`#/findings?namespace=${encodeURIComponent(n.namespace)}&cluster=${encodeURIComponent(n.cluster)}`}
          >
            <span className="muted">{n.cluster || '—'}</span>
            <strong>{n.namespace}</strong>
            <span>boundary: {n.boundary}</span>
            <span className="muted">
              {Object.entries(n.byPillar)
                .map(([p, c]) => `${p} ${c}`)
                .join(' · ')}
            </span>
          </a>
        ))}
      </div>
      {data.length === 0 && <p className="muted">No namespaced findings yet.</p>}
    </section>
  );
}

/** Namespace × namespace matrix of what `rampart audit` found allowed, from the latest pushed audit of a cluster. */
function Reachability({ route }) {
  const clusters = useApi('clusters');
  const initial = parseQuery(route).cluster;
  const [cluster, setCluster] = useState(initial ?? '');
  const chosen = cluster || clusters.data?.[0]?.name || '';
  const { data, error } = useApi('reachability', { cluster: chosen });
  if (error || clusters.error) return <Failure error={error ?? clusters.error} />;
  if (!data || !clusters.data) return <p className="muted">Loading…</p>;
  const cell = new Map((data.edges ?? []).map((e) => [`${e.from}\0${e.to}`, e]));
  return (
    <section>
      <h2>Reachability</h2>
      <label>
        cluster{' '}
        <select name="cluster" value={chosen} onChange={(e) => setCluster(e.target.value)}>
          {clusters.data.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      {data.edges === null ? (
        <p className="muted" data-testid="reachability-reason">
          {data.reason}
        </p>
      ) : (
        <>
          <p className="muted">
            From the audit of {data.createdAt}: row = source namespace, column = destination; empty = no traffic
            allowed.
          </p>
          <table className="matrix" data-testid="reachability-matrix">
            <thead>
              <tr>
                <th>from \ to</th>
                {data.namespaces.map((n) => (
                  <th key={n}>{n}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.namespaces.map((from) => (
                <tr key={from}>
                  <th>{from}</th>
                  {data.namespaces.map((to) => {
                    const e = cell.get(`${from}\0${to}`);
                    return (
                      <td
                        key={to}
                        className={e ? 'allowed' : ''}
                        data-testid={`reach-${from}-${to}`}
                        title={e?.ranges?.join(', ') ?? ''}
                      >
                        {e?.connections ?? ''}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** Who holds a sensitive grant in a namespace: subject → IAM principals → binding, from the latest pushed audit. */
function WhoCan({ route }) {
  const clusters = useApi('clusters');
  const query = parseQuery(route);
  const [cluster, setCluster] = useState(query.cluster ?? '');
  const [namespace, setNamespace] = useState(query.namespace ?? '');
  const [question, setQuestion] = useState(query.q ?? '');
  const [text, setText] = useState('');
  const chosen = cluster || clusters.data?.[0]?.name || '';
  const { data, error } = useApi('access', { cluster: chosen });
  if (error || clusters.error) return <Failure error={error ?? clusters.error} />;
  if (!data || !clusters.data) return <p className="muted">Loading…</p>;
  const ns = namespace && data.namespaces.includes(namespace) ? namespace : (data.namespaces[0] ?? '');
  const wanted = data.questions.find((q) => q.id === question) ?? data.questions[0];
  // Cluster-wide questions are answered once, under "(cluster)".
  const where = wanted?.scope === 'cluster' ? '(cluster)' : ns;
  const answer = data.answers.find((a) => a.namespace === where && a.question === wanted?.id);
  const needle = text.trim().toLowerCase();
  const subjects = (answer?.subjects ?? []).filter(
    (s) =>
      !needle ||
      [s.kind, s.namespace ?? '', s.name, s.via, ...s.iam.map((l) => l.principalArn)]
        .join(' ')
        .toLowerCase()
        .includes(needle),
  );
  const select = (name, value, onChange, options) => (
    <label>
      {name}{' '}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>{' '}
    </label>
  );
  return (
    <section>
      <h2>Who can</h2>
      <div className="filters">
        {select(
          'cluster',
          chosen,
          setCluster,
          clusters.data.map((c) => c.name),
        )}
        {data.scanId &&
          select(
            'namespace',
            ns,
            setNamespace,
            data.namespaces.filter((n) => n !== '(cluster)'),
          )}
        {data.scanId &&
          select(
            'question',
            wanted?.id ?? '',
            setQuestion,
            data.questions.map((q) => q.id),
          )}
        {data.scanId && (
          <label>
            subject{' '}
            <input
              name="subject-filter"
              placeholder="filter by name, binding, ARN"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
        )}
      </div>
      {!data.scanId ? (
        <p className="muted" data-testid="whocan-reason">
          {data.reason}
        </p>
      ) : (
        <>
          <p className="muted">
            From the audit of {data.createdAt}: who may <b>{wanted?.id}</b>{' '}
            {wanted?.scope === 'cluster' ? 'cluster-wide' : `in ${ns}`} — {answer?.total ?? 0} subject(s)
            {answer && answer.total > answer.subjects.length
              ? `, the first ${answer.subjects.length} listed (the audit sends at most ${data.subjectCap})`
              : ''}
            .
          </p>
          <table data-testid="whocan-table">
            <thead>
              <tr>
                <th>subject</th>
                <th>IAM principals</th>
                <th>granted by</th>
              </tr>
            </thead>
            <tbody>
              {subjects.map((s) => (
                <tr key={`${s.kind}/${s.namespace ?? ''}/${s.name}/${s.via}`} data-testid="whocan-row">
                  <td>
                    {s.kind} {s.namespace ? `${s.namespace}/` : ''}
                    {s.name}
                  </td>
                  <td>
                    {s.iam.length === 0 ? (
                      <span className="muted">none known</span>
                    ) : (
                      s.iam.map((l) => (
                        <div key={`${l.principalArn}/${l.via}`} className={l.inactive ? 'muted' : ''}>
                          {l.principalArn} <span className="muted">({l.via})</span>
                          {l.inactive ? ` — inactive: ${l.inactive}` : ''}
                        </div>
                      ))
                    )}
                  </td>
                  <td>
                    {s.via}
                    {s.file ? <span className="muted"> [{`${s.file}${s.line ? `:${s.line}` : ''}`}]</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {subjects.length === 0 && <p className="muted">No subject matches.</p>}
          {(answer?.unknowns ?? []).map((u) => (
            <p key={u} className="muted">
              unknown: {u}
            </p>
          ))}
        </>
      )}
    </section>
  );
}

function App() {
  const route = useHashRoute();
  const path = route.split('?')[0];
  const [, forceLogout] = useState(0);
  const logout = useCallback(() => {
    setToken('');
    forceLogout((n) => n + 1);
  }, []);
  let page;
  if (path.startsWith('/images/')) page = <ImageDetail digest={decodeURIComponent(path.slice('/images/'.length))} />;
  else if (path === '/images') page = <Images />;
  else if (path === '/findings') page = <Findings key={route} route={route} />;
  else if (path === '/namespaces') page = <Namespaces />;
  else if (path === '/reachability') page = <Reachability key={route} route={route} />;
  else if (path === '/who-can') page = <WhoCan key={route} route={route} />;
  else page = <Overview />;
  const tab = (href, label) => (
    <a
      href={href}
      className={path === href.slice(1) || (href !== '#/' && path.startsWith(href.slice(1))) ? 'active' : ''}
    >
      {label}
    </a>
  );
  return (
    <>
      <header>
        <h1>Rampart hub</h1>
        <nav>
          {tab('#/', 'Overview')}
          {tab('#/findings', 'Findings')}
          {tab('#/images', 'Images')}
          {tab('#/namespaces', 'Namespaces')}
          {tab('#/reachability', 'Reachability')}
          {tab('#/who-can', 'Who can')}
        </nav>
        {getToken() && (
          <button type="button" className="link" onClick={logout}>
            forget token
          </button>
        )}
      </header>
      <main>{page}</main>
    </>
  );
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
