import { panels } from './registry';

export function SidePanel() {
  return (
    <aside className="side-panel" aria-label="Details">
      {panels.map(({ id, title, component: Section, defaultOpen }) => (
        <details key={id} className="panel-section" data-panel={id} open={defaultOpen ?? true}>
          <summary>{title}</summary>
          <div className="panel-body">
            <Section />
          </div>
        </details>
      ))}
    </aside>
  );
}
