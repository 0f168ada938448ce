import type { RegistryEvent } from '../api/types.ts';
import { formatTime } from '../use-async.ts';

const KIND_LABELS: Readonly<Record<string, string>> = {
  'registered_model.created': 'model created',
  'registered_model.renamed': 'model renamed',
  'registered_model.updated': 'description changed',
  'registered_model.deleted': 'model deleted',
  'registered_model.tag_set': 'tag set',
  'registered_model.tag_deleted': 'tag deleted',
  'model_version.created': 'version registered',
  'model_version.updated': 'version description changed',
  'model_version.stage_transitioned': 'stage changed',
  'model_version.deleted': 'version deleted',
  'model_version.tag_set': 'version tag set',
  'model_version.tag_deleted': 'version tag deleted',
  'alias.set': 'alias set',
  'alias.deleted': 'alias deleted',
};

/** “alias set on v2”: the event's kind in words, and the version it concerns. */
export function describeEvent(event: RegistryEvent): string {
  const what = KIND_LABELS[event.kind] ?? event.kind;
  return event.version ? `${what} (v${event.version})` : what;
}

/** `alias: champion, version: 2`: a before/after object on one line, arrays joined. */
export function formatChange(value: Record<string, unknown> | undefined): string {
  if (!value || Object.keys(value).length === 0) return '—';
  return Object.entries(value)
    .map(
      ([key, v]) =>
        `${key}: ${Array.isArray(v) ? v.join(', ') || '[]' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join('; ');
}

/** The model's event log, newest first: who changed what, from what, to what. */
export function ModelHistory(props: { events: readonly RegistryEvent[]; label: string; limit?: number }) {
  const events = props.limit === undefined ? props.events : props.events.slice(0, props.limit);
  if (events.length === 0) return <p className="muted">No changes recorded.</p>;
  return (
    <table className="plain" aria-label={props.label}>
      <thead>
        <tr>
          <th style={{ width: 70 }}>Revision</th>
          <th style={{ width: 170 }}>When</th>
          <th style={{ width: 110 }}>Who</th>
          <th style={{ width: 230 }}>What</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id}>
            <td>{event.revision}</td>
            <td>{formatTime(event.time)}</td>
            <td>{event.actor ?? <span className="muted">anonymous</span>}</td>
            <td>{describeEvent(event)}</td>
            <td className="mono">{formatChange(event.before)}</td>
            <td className="mono">{formatChange(event.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
